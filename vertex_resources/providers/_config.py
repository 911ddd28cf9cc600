"""Provider configuration from the stack config: project, location, endpoint. Configuration only, no clients:
provider objects are pickled into Pulumi state, and no credential may ever land there.

Nothing is built from a placement or an endpoint before it is validated: the API host is
``{region}-aiplatform.googleapis.com`` for a well-formed region, or the configured ``vertex:endpoint`` (https, or
http to a loopback emulator only). A location such as ``evil.example#`` never becomes a host name, so the
Application Default Credentials' token never goes anywhere else.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import ConfigError
from ..specs._types import project_problem, region_problem

__all__ = ["ConfigSource", "Placement", "ProviderConfig", "endpoint_problem"]

PROJECT_KEY = "vertex:project (or gcp:project)"
LOCATION_KEY = "vertex:location (or gcp:region)"
ENDPOINT_KEY = "vertex:endpoint"
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_host_name(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return len(host) <= 253 and all(_HOST_LABEL.match(label) for label in host.split("."))


def endpoint_problem(endpoint: str) -> str | None:
    """What is wrong with a ``vertex:endpoint``: ``host[:port]`` or ``https://host[:port]`` for Google Cloud,
    ``http://`` only to a loopback address (the local emulator); nothing else in the URL."""
    if any(char.isspace() or not char.isprintable() or char in "\\@#?" for char in endpoint):
        return f"must be a plain host (https://host[:port]), got {endpoint[:120]!r}"
    try:
        parts = urllib.parse.urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        port = parts.port
    except ValueError:  # an unbalanced IPv6 bracket, a port that is no number ...
        return f"must be a host with an optional port, got {endpoint[:120]!r}"
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http"):
        return f"must be https://host[:port] (or http:// to a local emulator), got {endpoint[:120]!r}"
    if parts.path or not _is_host_name(host) or port == 0:
        return f"must be a host with an optional port and nothing else, got {endpoint[:120]!r}"
    if parts.scheme == "http" and not _is_loopback(host):
        return f"http:// is only for an emulator on this machine (localhost, 127.0.0.1, ::1), got {endpoint[:120]!r}"
    return None


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
    poll_initial_interval: float = 5.0
    """First wait between two polls of a running job, and the shortest (``vertex:pollInitialInterval``); it grows
    to a tenth of the time already waited, at most 60 s."""

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
            retry_initial_delay=seconds("vertex:retryInitialDelay", cls.retry_initial_delay),
            retry_timeout=seconds("vertex:retryTimeout", cls.retry_timeout),
            poll_initial_interval=seconds("vertex:pollInitialInterval", cls.poll_initial_interval),
        )

    @property
    def is_emulator(self) -> bool:
        return self.endpoint is not None and self.endpoint.lower().startswith("http://")

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
        problems = [
            f"{key}: {problem}"
            for key, problem in (
                (PROJECT_KEY, project_problem(chosen_project)),
                (LOCATION_KEY, region_problem(chosen_location)),
            )
            if problem is not None
        ]
        if problems:
            raise ConfigError("; ".join(problems))
        return Placement(chosen_project, chosen_location)

    def config_problems(self) -> list[tuple[str, str]]:
        """(key, problem) for each stack setting that is set and malformed."""
        checks = (
            (PROJECT_KEY, self.project, project_problem),
            (LOCATION_KEY, self.location, region_problem),
            (ENDPOINT_KEY, self.endpoint, endpoint_problem),
        )
        return [(key, problem) for key, value, check in checks if value and (problem := check(value)) is not None]

    def api_endpoint(self, location: str) -> str:
        """The API host for ``location``: raises ``ConfigError`` rather than build it from anything malformed."""
        if self.endpoint:
            problem = endpoint_problem(self.endpoint)
            if problem is not None:
                raise ConfigError(f"{ENDPOINT_KEY} {problem}")
            return self.endpoint
        problem = region_problem(location)
        if problem is not None:
            raise ConfigError(f"{LOCATION_KEY}: {problem}")
        return f"{location}-aiplatform.googleapis.com"
