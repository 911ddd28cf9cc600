"""Models that predict: prebuilt scikit-learn/XGBoost images in-process, custom containers as local servers.

``predict(instances) -> predictions`` raises ``InstanceError`` when the batch is rejected (the caller then
retries instance by instance to find the bad ones) and ``ExecutionError`` when the model itself is gone.
"""

from __future__ import annotations

import http.client
import importlib
import json
import os
import pickle
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from ._context import ExecutionContext
from ._environment import base_environment, free_local_address, spec_env
from ._errors import DependencyError, InvalidSpecError, ObjectNotFoundError
from ._object_store import join_uri
from ._processes import LocalProcess, stop_all

_ARTIFACTS = ("model.joblib", "model.pkl", "model.bst")
_HEALTH_TIMEOUT_SECONDS = 120.0
_REQUEST_TIMEOUT_SECONDS = 600.0


class InstanceError(Exception):
    """The model rejected the batch; ``status`` is the google.rpc.Code name for the errors file."""

    def __init__(self, message: str, status: str = "INVALID_ARGUMENT") -> None:
        super().__init__(message)
        self.status = status


class Predictor(Protocol):
    def predict(self, instances: list[Any]) -> list[Any]: ...

    def close(self) -> None: ...


class InProcessPredictor:
    """What the prebuilt scikit-learn and XGBoost prediction containers do: load the artifact, then
    ``predict(numpy.asarray(instances)).tolist()`` (an XGBoost Booster through a DMatrix)."""

    def __init__(self, model_path: Path) -> None:
        self._booster = model_path.suffix == ".bst"
        if self._booster:
            try:
                xgboost = importlib.import_module("xgboost")
            except ImportError:
                raise DependencyError(
                    "The model artifact model.bst needs the xgboost package, which is not installed where the "
                    "emulator runs. Install xgboost there, or export the model as model.joblib or model.pkl."
                ) from None
            self._xgboost: Any = xgboost
            booster = xgboost.Booster()
            booster.load_model(str(model_path))
            self._model: Any = booster
        elif model_path.suffix == ".joblib":
            import joblib

            self._model = joblib.load(model_path)
        else:
            with model_path.open("rb") as artifact:
                self._model = pickle.load(artifact)
        if not hasattr(self._model, "predict"):
            raise InvalidSpecError(f"The object in {model_path.name} has no predict method")
        import numpy

        self._numpy: Any = numpy

    def predict(self, instances: list[Any]) -> list[Any]:
        try:
            data = self._numpy.asarray(instances)
            if self._booster:
                data = self._xgboost.DMatrix(data)
            predictions = self._model.predict(data)
        except Exception as error:  # whatever the model raises is the instance's error
            raise InstanceError(f"{type(error).__name__}: {error}") from None
        result = predictions.tolist() if hasattr(predictions, "tolist") else list(predictions)
        return list(result)

    def close(self) -> None:
        return None


def download_artifact(context: ExecutionContext, artifact_uri: str, predictor: str) -> Path:
    """The model file of a prebuilt-image model (model.joblib, model.pkl or, for XGBoost, model.bst), local."""
    if not artifact_uri:
        raise InvalidSpecError("The model has no artifactUri to load the model from")
    present = {uri.rsplit("/", 1)[-1] for uri in context.store.list(join_uri(artifact_uri, ""))}
    names = [n for n in _ARTIFACTS if n in present and (predictor == "xgboost" or n != "model.bst")]
    if not names:
        expected = ", ".join(_ARTIFACTS if predictor == "xgboost" else _ARTIFACTS[:2])
        raise ObjectNotFoundError(f"No model artifact ({expected}) in {artifact_uri}")
    path = context.work_dir / "model" / names[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    context.store.download_to(join_uri(artifact_uri, names[0]), path)
    return path


class ContainerPredictor:
    """A custom serving container's command as a local HTTP server, sent ``{"instances": [...]}``."""

    def __init__(
        self,
        context: ExecutionContext,
        model: Mapping[str, Any],
        *,
        deployed_model_id: str,
        cancel: threading.Event | None = None,
    ) -> None:
        container = model.get("containerSpec", {})
        image = container.get("imageUri", "")
        command = context.images.resolve(
            image, container.get("command", []), container.get("args", []), python=context.python
        )
        host, port = free_local_address().split(":")
        prefix = f"/v1/endpoints/{context.job_id}/deployedModels/{deployed_model_id}"
        self._predict_route = container.get("predictRoute") or f"{prefix}:predict"
        self._health_route = container.get("healthRoute") or prefix
        env = base_environment(context.work_dir / "home")
        env.update(context.env)
        env.update(command.env)
        env.update(spec_env(container.get("env", [])))
        if context.storage_emulator_host:
            env["STORAGE_EMULATOR_HOST"] = context.storage_emulator_host
        env.update(
            AIP_HTTP_PORT=port,
            AIP_PREDICT_ROUTE=self._predict_route,
            AIP_HEALTH_ROUTE=self._health_route,
            AIP_STORAGE_URI=str(model.get("artifactUri", "")),
            AIP_MODE="PREDICTION",
            AIP_DEPLOYED_MODEL_ID=deployed_model_id,
            AIP_PROJECT_NUMBER=context.project,
            PYTHONUNBUFFERED="1",
        )
        if command.python_path:
            env["PYTHONPATH"] = os.pathsep.join([*command.python_path, *filter(None, [env.get("PYTHONPATH")])])
        working_dir = command.working_dir or context.work_dir / "model-server"
        Path(working_dir).mkdir(parents=True, exist_ok=True)
        self._grace = context.kill_grace_seconds
        self._process = LocalProcess(
            "model-server", command.argv, env=env, log_path=context.logs / "model-server.log", cwd=working_dir
        )
        self._process.start()
        self._connection = http.client.HTTPConnection(host, int(port), timeout=_REQUEST_TIMEOUT_SECONDS)
        self._wait_healthy(host, int(port), cancel or threading.Event())

    def _wait_healthy(self, host: str, port: int, cancel: threading.Event) -> None:
        deadline = time.monotonic() + _HEALTH_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not cancel.is_set():
            if self._process.poll() is not None:
                self.close()
                raise DependencyError(
                    f"The model server exited with status {self._process.returncode} before it was healthy. "
                    f"Last lines of its log ({self._process.log_path}):\n{self._process.tail()}"
                )
            try:
                probe = http.client.HTTPConnection(host, port, timeout=2)
                probe.request("GET", self._health_route)
                if probe.getresponse().status == 200:
                    probe.close()
                    return
                probe.close()
            except OSError:
                pass
            time.sleep(0.05)
        self.close()
        if cancel.is_set():
            raise DependencyError("Cancelled while the model server was starting")
        raise DependencyError(
            f"The model server did not answer 200 on {self._health_route} within {_HEALTH_TIMEOUT_SECONDS:.0f}s"
        )

    def predict(self, instances: list[Any]) -> list[Any]:
        body = json.dumps({"instances": instances})
        try:
            self._connection.request(
                "POST", self._predict_route, body=body, headers={"Content-Type": "application/json"}
            )
            response = self._connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            self._connection.close()
            if self._process.poll() is not None:
                raise DependencyError(
                    f"The model server stopped (status {self._process.returncode}). Last lines of its log:\n"
                    f"{self._process.tail()}"
                ) from None
            raise InstanceError(f"The model server did not answer: {error}", "UNAVAILABLE") from None
        if response.status != 200:
            status = "INVALID_ARGUMENT" if 400 <= response.status < 500 else "INTERNAL"
            text = payload.decode("utf-8", errors="replace")[:1000]
            raise InstanceError(f"The model server answered HTTP {response.status}: {text}", status)
        try:
            predictions = json.loads(payload)["predictions"]
        except (ValueError, KeyError, TypeError):
            raise InstanceError('The model server answer has no "predictions" list', "INTERNAL") from None
        if not isinstance(predictions, list) or len(predictions) != len(instances):
            raise InstanceError(
                f"The model server returned {len(predictions) if isinstance(predictions, list) else 'no'} "
                f"predictions for {len(instances)} instances",
                "INTERNAL",
            )
        return predictions

    def close(self) -> None:
        self._connection.close()
        stop_all([self._process], self._grace)
