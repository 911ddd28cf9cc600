"""Errors raised by ``vertex_resources``.

One hierarchy, rendered for the user in one place (``str()`` of each error)::

    VertexResourcesError
    ├── SpecError                  a spec broke one or more rules; lists every problem with its field path
    ├── ConfigError                provider configuration (stack config) is missing or wrong
    ├── WaitTimedOut               our own wait (``wait_timeout``) ran out; the resource keeps running
    └── ApiError                   the Vertex AI API refused or failed a call: kind, name, status, message
        ├── NotFoundError          NOT_FOUND: the resource is gone (refresh reads it deleted, delete is done)
        ├── InvalidArgumentError   INVALID_ARGUMENT: the API refused the request's content
        │   └── MalformedIdError   the id is not one the API accepts (refresh or delete of a wrong id)
        ├── FailedPreconditionError  FAILED_PRECONDITION: not possible in the resource's state
        ├── TransientApiError      UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, a lost connection:
        │                          still failing after the retries (creates are retried after a look-up)
        └── ResourceFailed         a job or pipeline ended FAILED, CANCELLED or EXPIRED

Google API exceptions (``google.api_core.exceptions``) never reach the user: the API session maps them into
``ApiError`` where they enter (``vertex_resources.providers._api``), after the client's own retries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ApiError",
    "ConfigError",
    "FailedPreconditionError",
    "InvalidArgumentError",
    "MalformedIdError",
    "NotFoundError",
    "Problem",
    "ResourceFailed",
    "SpecError",
    "TransientApiError",
    "VertexResourcesError",
    "WaitTimedOut",
    "format_path",
]


def format_path(path: Iterable[str | int]) -> str:
    """Render a field path the way users write it: ``worker_pool_specs[0].machine_spec``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (a path of field names and list indexes) and what is allowed."""

    path: tuple[str | int, ...]
    message: str

    @property
    def where(self) -> str:
        return format_path(self.path)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.path else self.message

    def under(self, *prefix: str | int) -> Problem:
        return Problem((*prefix, *self.path), self.message)


class VertexResourcesError(Exception):
    """Base of every error this package raises on purpose."""


class SpecError(VertexResourcesError, ValueError):
    """A spec is invalid. ``problems`` holds every problem found, each with its field path."""

    def __init__(self, problems: Iterable[Problem], *, subject: str = "spec") -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.subject = subject
        lines = "\n".join(f"  - {p}" for p in self.problems)
        count = len(self.problems)
        super().__init__(f"invalid {subject} ({count} problem{'s' if count != 1 else ''}):\n{lines}")


class ConfigError(VertexResourcesError):
    """Provider configuration is missing or invalid."""


class WaitTimedOut(VertexResourcesError):
    """Our own deadline (``wait_timeout``) passed while waiting for a resource to finish; the resource keeps
    running and the next ``pulumi up`` adopts it."""


class ApiError(VertexResourcesError):
    """The Vertex AI API refused or failed a call about ``kind`` ``name`` (the resource, or the parent a create or
    a list was made under). ``status`` is the API's canonical status (``PERMISSION_DENIED``, ``NOT_FOUND`` ...),
    ``message`` the API's own words::

        TrainingPipeline projects/p/locations/us-central1/trainingPipelines/123: PERMISSION_DENIED: Permission ...
    """

    def __init__(self, kind: str, name: str, status: str, message: str) -> None:
        self.kind, self.name, self.status, self.message = kind, name, status, message
        super().__init__(self._render())

    def _render(self) -> str:
        return f"{self.kind} {self.name}: {self.status}: {self.message}"


class NotFoundError(ApiError):
    """NOT_FOUND: the resource does not exist (any more)."""


class InvalidArgumentError(ApiError):
    """INVALID_ARGUMENT: the API refused what the request says."""


class MalformedIdError(InvalidArgumentError):
    """INVALID_ARGUMENT because ``name`` is not an id the API accepts (a job's id is a number): the resource was
    never looked up, so it is neither gone nor there, and refresh and delete say so instead of guessing."""

    def _render(self) -> str:
        return (
            f"{self.kind} {self.name}: malformed id: the API does not accept this as a {self.kind} name "
            f"({self.status}: {self.message})"
        )


class FailedPreconditionError(ApiError):
    """FAILED_PRECONDITION: the call is not possible in the resource's current state."""


class TransientApiError(ApiError):
    """A failure that may pass (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, a lost connection), still
    there after the client's retries gave up."""


class ResourceFailed(ApiError):
    """A job or pipeline reached a failed terminal state; ``status`` is that state, ``message`` the job's error."""

    def _render(self) -> str:
        return f"{self.kind} {self.name} ended {self.status}: {self.message}"
