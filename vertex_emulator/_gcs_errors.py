"""Storage errors: each one knows the HTTP status and GCS `reason` it answers with, in GCS's JSON envelope.

StorageError (400 invalid)
+-- InvalidObjectName     400 invalid             (also a ValueError: a bad bucket or object name)
+-- ObjectNotFound        404 notFound            (also a FileNotFoundError: no such object or bucket)
+-- Conflict              409 conflict            (bucket exists, bucket not empty)
+-- PreconditionFailed    412 conditionNotMet     (ifGenerationMatch and friends)
+-- NotModified           304 notModified         (a read's ifGenerationNotMatch matched)
+-- RangeNotSatisfiable   416 requestedRangeNotSatisfiable
+-- RequestRefused        403/405/411/413/421     (the HTTP layer: browser safety, methods, body limits)

BrokenStorageState (a `_store.BrokenStateError`, not an answer): the index or blob directory cannot be trusted,
so the emulator refuses to start.
"""

from __future__ import annotations

import json
from typing import ClassVar

from vertex_emulator._store import BrokenStateError


class StorageError(Exception):
    """A storage request or operation that cannot be done as asked."""

    http_status: ClassVar[int] = 400
    reason: ClassVar[str] = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def status(self) -> int:
        return self.http_status

    def error_reason(self) -> str:
        return self.reason

    def envelope(self) -> bytes:
        """GCS's JSON error body (`code` is the HTTP status, as GCS answers)."""
        error = {"message": self.message, "domain": "global", "reason": self.error_reason()}
        return json.dumps({"error": {"code": self.status(), "message": self.message, "errors": [error]}}).encode()


class InvalidObjectName(StorageError, ValueError):
    """A bucket or object name GCS would refuse."""


class ObjectNotFound(StorageError, FileNotFoundError):
    http_status, reason = 404, "notFound"

    def __init__(self, message: str) -> None:
        StorageError.__init__(self, message)


class Conflict(StorageError):
    http_status, reason = 409, "conflict"


class PreconditionFailed(StorageError):
    http_status, reason = 412, "conditionNotMet"


class NotModified(StorageError):
    http_status, reason = 304, "notModified"


class RangeNotSatisfiable(StorageError):
    http_status, reason = 416, "requestedRangeNotSatisfiable"

    def __init__(self, message: str, size: int) -> None:
        super().__init__(message)
        self.size = size


class RequestRefused(StorageError):
    """Refused by the HTTP layer or a route's content rules; the status is per instance (400, 403, 405, 411, 413,
    421)."""

    def __init__(self, status: int, message: str, reason: str = "forbidden") -> None:
        super().__init__(message)
        self._status = status
        self._reason = reason

    def status(self) -> int:
        return self._status

    def error_reason(self) -> str:
        return self._reason


class BrokenStorageState(BrokenStateError):
    """The storage index or blob directory is empty, truncated, garbage or inconsistent: refuse to start.

    A BrokenStateError, so the command line prints its one line (the path, what is wrong, what to do) and
    exits 3, as for the API's state file.
    """
