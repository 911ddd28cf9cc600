"""Model: upload artifacts with a serving container, or a new version of a parent model."""

from __future__ import annotations

from typing import Any

import pulumi

from ..errors import NotFoundError
from ..specs import ModelDefinition
from ._api import json_to_message, message_to_json
from ._args import ModelArgs
from ._config import Placement
from ._gapic import message_type
from ._kind import LRO_TIMEOUT, KindApi
from ._provider import VertexProvider
from ._resource import VertexResource

__all__ = ["Model", "ModelArgs", "ModelProvider"]


def _versioned(model: dict[str, Any]) -> dict[str, Any]:
    """A model's ``name`` names the version we manage: ``projects/*/locations/*/models/ID@VERSION``."""
    name = str(model.get("name", "")).split("@", 1)[0]
    version = model.get("versionId")
    return {**model, "name": f"{name}@{version}" if version else name}


class ModelApi(KindApi):
    kind = "Model"
    spec_type = ModelDefinition
    service = "models"
    extra_output_names = ("model_name", "version_id")

    def _message(self, body: dict[str, Any]) -> Any:
        return json_to_message(message_type("Model"), body)

    def submit(self, placement: Placement, spec: Any, labels: dict[str, str]) -> dict[str, Any]:
        request = spec.upload_request()
        upload = {"parent": placement.parent, "model": self._message({**request["model"], "labels": labels})}
        for key, field in (
            ("parentModel", "parent_model"),
            ("modelId", "model_id"),
            ("serviceAccount", "service_account"),
        ):
            if key in request:
                upload[field] = request[key]
        operation = self._client.upload_model(request=upload, retry=None)
        return self._created(operation, lambda uploaded: f"{uploaded.model}@{uploaded.model_version_id}")

    def get(self, name: str) -> dict[str, Any]:
        return _versioned(message_to_json(self._client.get_model(name=name, retry=self.session.retry)))

    def find(self, placement: Placement, spec: Any, label: str, value: str) -> list[dict[str, Any]]:
        if spec.parent_model is None:
            return [_versioned(model) for model in super().find(placement, spec, label, value)]
        # A new version carries the label itself: look among the parent's versions, not its default one.
        versions = self._client.list_model_versions(
            request={"name": spec.parent_model, "filter": f"labels.{label}={value}"}, retry=self.session.retry
        )
        return [_versioned(message_to_json(item)) for item in versions]

    def _list(self, request: dict[str, str]) -> Any:
        return self._client.list_models(request=request, retry=self.session.retry)

    def delete(self, name: str) -> None:
        """Delete the version ``name`` names; the whole model when it is the last version."""
        base = name.split("@", 1)[0]
        models, retry = self._client, self.session.retry
        try:
            versions = [message_to_json(v) for v in models.list_model_versions(name=base, retry=retry)]
            target = name.split("@", 1)[1] if "@" in name else None
            others = [v for v in versions if v.get("versionId") != target]
            if target is None or not others:
                operation = models.delete_model(name=base, retry=retry)
            else:
                mine = next((v for v in versions if v.get("versionId") == target), {})
                if "default" in (mine.get("versionAliases") or []):
                    # The API refuses to delete the default version: hand the alias to the newest other one.
                    newest = max(others, key=lambda v: int(v.get("versionId") or 0))
                    models.merge_version_aliases(
                        name=f"{base}@{newest['versionId']}", version_aliases=["default"], retry=retry
                    )
                operation = models.delete_model_version(name=name, retry=retry)
            operation.result(timeout=LRO_TIMEOUT, retry=retry)
        except NotFoundError:
            pass  # already gone

    def update(self, name: str, body: dict[str, Any], update_mask: list[str]) -> dict[str, Any]:
        from google.protobuf import field_mask_pb2

        updated = self._client.update_model(
            model=self._message({**body, "name": name}),
            update_mask=field_mask_pb2.FieldMask(paths=update_mask),
            retry=self.session.retry,
        )
        return _versioned(message_to_json(updated))

    def extra_outputs(self, resource: dict[str, Any]) -> dict[str, Any]:
        return {"model_name": str(resource["name"]).split("@", 1)[0], "version_id": resource.get("versionId")}


class ModelProvider(VertexProvider):
    api_type = ModelApi

    def _delete_before_replace(self, new: dict[str, Any]) -> bool:
        return bool(new.get("model_id"))  # a fixed model id cannot exist twice



class Model(VertexResource, module="vertex", name="Model"):
    """``name`` is the version this resource uploaded (``.../models/ID@VERSION``); ``model_name`` the model."""

    model_name: pulumi.Output[str]
    version_id: pulumi.Output[str]
    version_create_time: pulumi.Output[str]

    def __init__(self, resource_name: str, args: ModelArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(ModelProvider(), resource_name, args, opts)
