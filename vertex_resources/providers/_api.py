"""Access to the Vertex AI v1 API through the official GAPIC clients (always the REST transport).

Clients are built lazily, after ``configure``, and never pickled. Every call that can be repeated safely gets a
google-api-core retry on transient errors (429, 503, deadline exceeded, connection reset); creates are never
retried blindly: the provider looks its resource up by label first (see ``_provider``).
"""

from __future__ import annotations

import json
from typing import Any

import requests
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry

from ._config import ProviderConfig

__all__ = ["TRANSIENT_ERRORS", "Session", "json_to_message", "message_to_json"]

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    gexc.ServiceUnavailable,
    gexc.TooManyRequests,
    gexc.DeadlineExceeded,
    gexc.GatewayTimeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
)


def json_to_message(message_type: Any, body: dict[str, Any]) -> Any:
    """A request message from our v1 REST JSON, parsed strictly by the official proto type."""
    return message_type.from_json(json.dumps(body), ignore_unknown_fields=False)


def message_to_json(message: Any) -> dict[str, Any]:
    """A response message as v1 REST JSON (camelCase keys, enum names)."""
    rendered: dict[str, Any] = json.loads(
        type(message).to_json(message, use_integers_for_enums=False, including_default_value_fields=False)
    )
    return rendered


class Session:
    """Clients for one endpoint and location, plus the retry policy every repeatable call uses."""

    def __init__(self, config: ProviderConfig, location: str) -> None:
        self.config = config
        self.location = location
        self._clients: dict[str, Any] = {}
        self.retry = gretry.Retry(
            predicate=gretry.if_exception_type(*TRANSIENT_ERRORS),
            initial=config.retry_initial_delay,
            maximum=30.0,
            multiplier=2.0,
            timeout=config.retry_timeout,
        )

    def _client(self, name: str) -> Any:
        client = self._clients.get(name)
        if client is None:
            from google.cloud import aiplatform_v1  # costs most of a second: only when the API is used

            options = {"api_endpoint": self.config.api_endpoint(self.location)}
            credentials = None
            if self.config.is_emulator:
                from google.auth.credentials import AnonymousCredentials

                credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
            client = getattr(aiplatform_v1, name)(credentials=credentials, transport="rest", client_options=options)
            self._clients[name] = client
        return client

    @property
    def datasets(self) -> Any:
        return self._client("DatasetServiceClient")

    @property
    def models(self) -> Any:
        return self._client("ModelServiceClient")

    @property
    def pipelines(self) -> Any:
        return self._client("PipelineServiceClient")

    @property
    def jobs(self) -> Any:
        return self._client("JobServiceClient")
