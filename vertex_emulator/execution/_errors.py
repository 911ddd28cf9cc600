"""The one error hierarchy of the execution package.

    ExecutionError                  code 13 INTERNAL unless a subclass says otherwise
    ├── InvalidSpecError            code 3  INVALID_ARGUMENT: the spec cannot run as given
    │   └── ImageNotMappedError     an image with no local runtime and no command
    ├── ObjectNotFoundError         code 5  NOT_FOUND: a gs:// object the run needs is missing
    ├── UnsupportedError            code 12 UNIMPLEMENTED: valid for Vertex AI, not available locally
    ├── DependencyError             code 9  FAILED_PRECONDITION: local setup failed (pip, xgboost, server)
    ├── TaskFailed                  code 9  FAILED_PRECONDITION: a pipeline task's own work failed
    └── ApiCallError                code 3  (or the answer's): a call a pipeline task made to the API was refused

Runs never raise these out of ``wait()``: they become a FAILED outcome whose ``error`` carries ``code`` and
``message`` (google.rpc.Code numbers), which the server copies to the resource's ``error`` field.
"""

from __future__ import annotations

from google.rpc import code_pb2


class ExecutionError(Exception):
    """Base class; ``code`` is the google.rpc.Code the resource's ``error.code`` gets."""

    code: int = code_pb2.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidSpecError(ExecutionError):
    code = code_pb2.INVALID_ARGUMENT


class ImageNotMappedError(InvalidSpecError):
    pass


class ObjectNotFoundError(ExecutionError):
    code = code_pb2.NOT_FOUND


class UnsupportedError(ExecutionError):
    code = code_pb2.UNIMPLEMENTED


class DependencyError(ExecutionError):
    code = code_pb2.FAILED_PRECONDITION


class TaskFailed(ExecutionError):
    """A pipeline task's own work failed (its job failed, an output it must give is missing)."""

    code = code_pb2.FAILED_PRECONDITION


class ApiCallError(ExecutionError):
    """A call a pipeline task made to the emulator's API was refused: the task fails with the API's message."""

    def __init__(self, message: str, code: int = code_pb2.INVALID_ARGUMENT) -> None:
        super().__init__(message)
        self.code = code
