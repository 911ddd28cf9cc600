"""The emulator's error hierarchy: every API failure is one of these, rendered to the wire in one place.

    ApiError (code, status, http_status)
    +-- Cancelled            1  CANCELLED            499  (in operations and jobs: what a cancel leaves)
    +-- InvalidArgument      3  INVALID_ARGUMENT     400
    |   +-- MethodNotAllowed                         405  (an HTTP method no route takes)
    |   +-- LengthRequired                           411  (a body without Content-Length)
    |   +-- PayloadTooLarge                          413  (a body over the cap)
    |   +-- UriTooLong                               414
    |   +-- HeadersTooLarge                          431
    +-- PermissionDenied     7  PERMISSION_DENIED    403  (browser safety: a foreign Origin, a non-JSON POST)
    |   +-- MisdirectedRequest                       421  (browser safety: a Host that is not this server)
    +-- FailedPrecondition   9  FAILED_PRECONDITION  400
    +-- NotFound             5  NOT_FOUND            404
    +-- AlreadyExists        6  ALREADY_EXISTS       409
    +-- Aborted             10  ABORTED              409
    +-- ResourceExhausted    8  RESOURCE_EXHAUSTED   429
    +-- DeadlineExceeded     4  DEADLINE_EXCEEDED    504
    +-- Internal            13  INTERNAL             500
    +-- Unimplemented       12  UNIMPLEMENTED        501
    +-- Unavailable         14  UNAVAILABLE          503

`api_error` makes the one of a google.rpc code (what failed work reports), `rpc_status` the google.rpc.Status
a failed operation or job carries, and `error_envelope` turns one into the `{"error": {"code", "message",
"status"}}` body Google APIs answer with (`code` there is the HTTP status, as the real API does).
"""

from __future__ import annotations

from typing import Any, ClassVar

from google.rpc import code_pb2


class ApiError(Exception):
    """An error the API answers with; subclasses fix the canonical code and HTTP status."""

    code: ClassVar[int] = code_pb2.UNKNOWN
    status: ClassVar[str] = "UNKNOWN"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def rpc_status(self) -> dict[str, Any]:
        """The google.rpc.Status JSON a failed operation or job carries: `{"code", "message"}`."""
        return {"code": self.code, "message": self.message}


class Cancelled(ApiError):
    """Only inside operations and jobs (never an HTTP answer): the google.rpc.Code of a cancelled one."""

    code, status, http_status = code_pb2.CANCELLED, "CANCELLED", 499


class InvalidArgument(ApiError):
    code, status, http_status = code_pb2.INVALID_ARGUMENT, "INVALID_ARGUMENT", 400


class MethodNotAllowed(InvalidArgument):
    http_status = 405


class LengthRequired(InvalidArgument):
    http_status = 411


class PayloadTooLarge(InvalidArgument):
    http_status = 413


class UriTooLong(InvalidArgument):
    http_status = 414


class HeadersTooLarge(InvalidArgument):
    http_status = 431


class PermissionDenied(ApiError):
    code, status, http_status = code_pb2.PERMISSION_DENIED, "PERMISSION_DENIED", 403


class MisdirectedRequest(PermissionDenied):
    http_status = 421


class FailedPrecondition(ApiError):
    code, status, http_status = code_pb2.FAILED_PRECONDITION, "FAILED_PRECONDITION", 400


class NotFound(ApiError):
    code, status, http_status = code_pb2.NOT_FOUND, "NOT_FOUND", 404


class AlreadyExists(ApiError):
    code, status, http_status = code_pb2.ALREADY_EXISTS, "ALREADY_EXISTS", 409


class Aborted(ApiError):
    code, status, http_status = code_pb2.ABORTED, "ABORTED", 409


class ResourceExhausted(ApiError):
    code, status, http_status = code_pb2.RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED", 429


class DeadlineExceeded(ApiError):
    code, status, http_status = code_pb2.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", 504


class Internal(ApiError):
    code, status, http_status = code_pb2.INTERNAL, "INTERNAL", 500


class Unimplemented(ApiError):
    code, status, http_status = code_pb2.UNIMPLEMENTED, "UNIMPLEMENTED", 501


class Unavailable(ApiError):
    code, status, http_status = code_pb2.UNAVAILABLE, "UNAVAILABLE", 503


ERRORS_BY_STATUS: dict[str, type[ApiError]] = {
    cls.status: cls
    for cls in (
        InvalidArgument,
        PermissionDenied,
        FailedPrecondition,
        NotFound,
        AlreadyExists,
        Aborted,
        ResourceExhausted,
        DeadlineExceeded,
        Internal,
        Unimplemented,
        Unavailable,
    )
}


_BY_CODE: list[type[ApiError]] = [Cancelled, *ERRORS_BY_STATUS.values()]
ERRORS_BY_CODE: dict[int, type[ApiError]] = {cls.code: cls for cls in _BY_CODE}


def api_error(code: int, message: str) -> ApiError:
    """The error of google.rpc code `code` (work that failed with a code, e.g. reading a dataset's files);
    INTERNAL for a code the hierarchy does not have."""
    return ERRORS_BY_CODE.get(code, Internal)(message)


def error_envelope(error: ApiError) -> dict[str, Any]:
    """The JSON body for `error`, shaped as Google's APIs answer."""
    return {"error": {"code": error.http_status, "message": error.message, "status": error.status}}
