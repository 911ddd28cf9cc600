"""The v1 REST calls a pipeline's Vertex components make, sent to the emulator's own API endpoint.

GCPC's launchers call `<location>-aiplatform.googleapis.com`; the emulator makes the same calls against itself,
so what a pipeline task creates is an ordinary resource (validated, listed, cancellable) like any other.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from google.rpc import code_pb2

from ._errors import ApiCallError

JsonDict = dict[str, Any]
_TERMINAL_SUFFIXES = ("_SUCCEEDED", "_FAILED", "_CANCELLED", "_EXPIRED", "_PARTIALLY_SUCCEEDED")
_TIMEOUT_SECONDS = 60.0


class VertexApi:
    """Plain JSON over HTTP to `endpoint` (e.g. http://127.0.0.1:8765)."""

    def __init__(self, endpoint: str) -> None:
        self._endpoint = endpoint.rstrip("/")

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> JsonDict:
        data = json.dumps(body if body is not None else {}).encode() if method != "GET" else None
        request = urllib.request.Request(
            f"{self._endpoint}/v1/{path.lstrip('/')}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:
                answer: JsonDict = json.loads(response.read() or b"{}")
                return answer
        except urllib.error.HTTPError as err:
            try:
                error = json.loads(err.read() or b"{}").get("error", {})
            except ValueError:
                error = {}
            message = error.get("message") or f"HTTP {err.code}"
            raise ApiCallError(f"{method} {path}: {error.get('status', err.code)}: {message}") from None
        except (urllib.error.URLError, OSError) as err:
            message = f"{method} {path}: the emulator's API did not answer: {err}"
            raise ApiCallError(message, code_pb2.UNAVAILABLE) from None

    def create(self, parent: str, collection: str, body: Mapping[str, Any]) -> JsonDict:
        return self.call("POST", f"{parent}/{collection}", body)

    def get(self, name: str) -> JsonDict:
        return self.call("GET", name)

    def cancel(self, name: str) -> None:
        with contextlib.suppress(ApiCallError):  # already finished: nothing to stop
            self.call("POST", f"{name}:cancel", {})

    def wait_job(self, name: str, stop: Callable[[], bool], interval: float = 0.2) -> JsonDict:
        """Poll `name` until it is in a terminal state; when `stop()` turns true, cancel it and keep waiting."""
        cancelled = False
        while True:
            job = self.get(name)
            if str(job.get("state", "")).endswith(_TERMINAL_SUFFIXES):
                return job
            if stop() and not cancelled:
                self.cancel(name)
                cancelled = True
            time.sleep(interval)

    def wait_operation(self, operation: JsonDict, interval: float = 0.1) -> JsonDict:
        while not operation.get("done"):
            time.sleep(interval)
            operation = self.get(str(operation["name"]))
        if "error" in operation:
            error = operation["error"]
            raise ApiCallError(f"{operation['name']}: {error.get('message', error)}", int(error.get("code", 13)))
        return operation
