"""Errors raised by ``vertex_resources``.

One hierarchy, rendered for the user in one place (``str()`` of each error)::

    VertexResourcesError
    ├── SpecError          a spec broke one or more rules; lists every problem with its field path
    ├── ConfigError        provider configuration (stack config) is missing or wrong
    └── ApiError           the Vertex AI API refused or failed an operation
        ├── ResourceFailed a job or pipeline ended FAILED, CANCELLED or EXPIRED
        └── DeadlineExceeded  our own deadline passed while waiting for a resource
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ApiError",
    "ConfigError",
    "DeadlineExceeded",
    "Problem",
    "ResourceFailed",
    "SpecError",
    "VertexResourcesError",
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


class ApiError(VertexResourcesError):
    """The Vertex AI API refused or failed an operation."""


class ResourceFailed(ApiError):
    """A job or pipeline reached a failed terminal state."""


class DeadlineExceeded(ApiError):
    """Our own deadline passed while waiting for a resource to finish."""
