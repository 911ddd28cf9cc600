"""`ControlClient`: the emulator's control plane (`/_emulator/...`) from tests, benchmarks and scripts.

Standard library only, so it costs nothing to import. Every method raises `ControlError` (with the HTTP
status and the error message) when the emulator refuses the call.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

__all__ = ["ControlClient", "ControlError"]

JsonDict = dict[str, Any]


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class ControlClient:
    """Talks to `<endpoint>/_emulator/`."""

    def __init__(self, endpoint: str, timeout: float = 30.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, payload: JsonDict | None = None) -> JsonDict:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.endpoint}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                result: JsonDict = json.loads(response.read() or b"{}")
                return result
        except urllib.error.HTTPError as err:
            body = err.read()
            try:
                message = json.loads(body)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = body.decode(errors="replace")
            raise ControlError(err.code, message) from None

    def health(self) -> JsonDict:
        """{"status": "ok", "endpoint", "storage_emulator_host", "data_dir", "runner"}."""
        return self._call("GET", "health")

    def reset(self) -> None:
        """Wipe every resource, operation, bucket and object, fault rule, counter and timing setting."""
        self._call("POST", "reset")

    def config(self) -> JsonDict:
        return self._call("GET", "config")

    def set_job_timing(
        self,
        kind: str = "*",
        mode: str = "instant",
        seconds: float = 0.0,
        outcome: str = "succeed",
        *,
        error_code: int = 13,  # INTERNAL (a number: this module imports nothing of google)
        error_message: str | None = None,
        cancel_seconds: float = 0.0,
    ) -> JsonDict:
        """How the scheduled runner plays jobs of `kind` ("*" for all; or trainingPipelines, customJobs,
        hyperparameterTuningJobs, batchPredictionJobs, pipelineJobs): mode instant | delay (`seconds`) | hold (until
        `release`), then outcome succeed | fail; cancelled jobs stay CANCELLING for `cancel_seconds`."""
        payload: JsonDict = {
            "kind": kind,
            "mode": mode,
            "seconds": seconds,
            "outcome": outcome,
            "error_code": error_code,
            "cancel_seconds": cancel_seconds,
        }
        if error_message is not None:
            payload["error_message"] = error_message
        return self._call("POST", "config/jobs", payload)

    def set_operation_timing(self, seconds: float | None) -> JsonDict:
        """Every long-running operation is done `seconds` after it starts (0: in the first response); None goes
        back to the defaults (a create's operation pending for the emulator's create seconds, others done at
        once), as a reset does."""
        return self._call("POST", "config/operations", {"seconds": seconds})

    def held_jobs(self) -> list[str]:
        names: list[str] = self._call("GET", "jobs/held")["names"]
        return names

    def release(self, name: str, outcome: str | None = None) -> None:
        """Let a held job finish, with its configured outcome or `outcome` ("succeed" / "fail")."""
        payload: JsonDict = {"name": name}
        if outcome is not None:
            payload["outcome"] = outcome
        self._call("POST", "jobs/release", payload)

    def inject_faults(
        self,
        rpc: str = "",
        *,
        fraction: float | None = None,
        count: int | None = None,
        status: str | None = "UNAVAILABLE",
        latency_seconds: float = 0.0,
        after: bool = False,
        seed: int | None = None,
        message: str | None = None,
    ) -> JsonDict:
        """Make `rpc` (e.g. "GetTrainingPipeline"; "" for every RPC) fail on a `fraction` of calls or on the
        next `count` calls with `status` UNAVAILABLE (503) or RESOURCE_EXHAUSTED (429), or PERMISSION_DENIED,
        NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION (answering `message` if given), optionally after
        `latency_seconds`; `after=True` carries the call out and only loses its answer."""
        rule: JsonDict = {"rpc": rpc, "status": status, "latency_seconds": latency_seconds, "after": after}
        if message is not None:
            rule["message"] = message
        if fraction is not None:
            rule["fraction"] = fraction
        if count is not None:
            rule["count"] = count
        payload: JsonDict = {"rules": [rule]}
        if seed is not None:
            payload["seed"] = seed
        return self._call("POST", "faults", payload)

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def fault_rules(self) -> list[JsonDict]:
        rules: list[JsonDict] = self._call("GET", "faults")["rules"]
        return rules

    def counters(self) -> dict[str, int]:
        """Requests received per RPC name (e.g. {"GetTrainingPipeline": 3}), faulted ones included."""
        requests: dict[str, int] = self._call("GET", "counters")["requests"]
        return requests

    def fault_counters(self) -> dict[str, int]:
        """Faults injected per RPC name."""
        faults: dict[str, int] = self._call("GET", "counters")["faults"]
        return faults

    def reset_counters(self) -> None:
        self._call("DELETE", "counters")
