"""Provider configuration from the stack config: project, location, endpoint. Configuration only, no clients:
provider objects are pickled into Pulumi state, and no credential may ever land there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import ConfigError

__all__ = ["ConfigSource", "Placement", "ProviderConfig"]


class ConfigSource(Protocol):
    def get(self, key: str) -> Any: ...


@dataclass(frozen=True)
class Placement:
    project: str
    location: str

    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.location}"


@dataclass(frozen=True)
class ProviderConfig:
    """``vertex:project`` / ``vertex:location`` (else ``gcp:project`` / ``gcp:region``) and ``vertex:endpoint``.

    An ``http://`` endpoint is the local emulator (anonymous credentials); anything else uses Application
    Default Credentials. Without an endpoint the regional Vertex AI endpoint of the resource's location is used.
    """

    project: str | None = None
    location: str | None = None
    endpoint: str | None = None
    retry_initial_delay: float = 0.5
    """First backoff of a retried call (``vertex:retryInitialDelay``); it doubles up to 30 s."""
    retry_timeout: float = 600.0
    """How long one call keeps being retried on transient errors (``vertex:retryTimeout``)."""
    poll_initial_interval: float = 2.0
    """First wait between two polls of a running job (``vertex:pollInitialInterval``); it grows to 55 s."""

    @classmethod
    def from_stack(cls, config: ConfigSource) -> ProviderConfig:
        def first(*keys: str) -> str | None:
            for key in keys:
                value = config.get(key)
                if value:
                    return str(value)
            return None

        def seconds(key: str, default: float) -> float:
            value = first(key)
            if value is None:
                return default
            try:
                return float(value)
            except ValueError:
                raise ConfigError(f"{key} must be a number of seconds, got {value!r}") from None

        return cls(
            project=first("vertex:project", "gcp:project"),
            location=first("vertex:location", "gcp:region"),
            endpoint=first("vertex:endpoint"),
            retry_initial_delay=seconds("vertex:retryInitialDelay", 0.5),
            retry_timeout=seconds("vertex:retryTimeout", 600.0),
            poll_initial_interval=seconds("vertex:pollInitialInterval", 2.0),
        )

    @property
    def is_emulator(self) -> bool:
        return bool(self.endpoint and self.endpoint.startswith("http://"))

    def placement(self, project: str | None, location: str | None) -> Placement:
        """The resource's own project/location override the stack's."""
        chosen_project, chosen_location = project or self.project, location or self.location
        missing = [
            key
            for key, value in (
                ("vertex:project (or gcp:project)", chosen_project),
                ("vertex:location (or gcp:region)", chosen_location),
            )
            if not value
        ]
        if missing or chosen_project is None or chosen_location is None:
            raise ConfigError(
                f"set {' and '.join(missing)} in the stack config (pulumi config set ...) or on the resource"
            )
        return Placement(chosen_project, chosen_location)

    def api_endpoint(self, location: str) -> str:
        return self.endpoint or f"{location}-aiplatform.googleapis.com"
