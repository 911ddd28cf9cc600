"""Access to the Vertex AI v1 API through the official GAPIC clients (always the REST transport).

Clients are built lazily, after ``configure``, and never pickled. Every call that can be repeated safely gets a
google-api-core retry on transient errors (429, 503, deadline exceeded, connection reset); creates are never
retried blindly: the provider looks its resource up by label first (see ``_provider``).

This is where Google's exceptions enter, and the only place that knows them: a kind's clients (``Session.client``)
hand out every answer, page and long-running operation through ``_Guarded``, which turns a failure that is left
after the retries into the package's ``ApiError`` with the kind, the resource (or parent) name, the API's status
and its message.
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import re
from typing import TYPE_CHECKING, Any

from ..errors import (
    ApiError,
    FailedPreconditionError,
    InvalidArgumentError,
    MalformedIdError,
    NotFoundError,
    TransientApiError,
    WaitTimedOut,
)
from ._config import ProviderConfig

if TYPE_CHECKING:
    from google.api_core import exceptions as gexc

__all__ = ["Session", "api_error", "json_to_message", "message_to_json"]

# requests and google-api-core are imported when the API is first used, not with the package: a program that
# only declares resources never needs them.


@functools.cache
def _connection_errors() -> tuple[type[Exception], ...]:
    import requests

    return (requests.exceptions.ConnectionError, requests.exceptions.Timeout)


@functools.cache
def _transient_errors() -> tuple[type[Exception], ...]:
    """What the retry policies retry: they run inside each call, so they see Google's exceptions, before any
    mapping."""
    from google.api_core import exceptions as gexc

    return (
        gexc.ServiceUnavailable,
        gexc.TooManyRequests,
        gexc.DeadlineExceeded,
        gexc.GatewayTimeout,
        *_connection_errors(),
    )


@functools.cache
def _api_failures() -> tuple[type[BaseException], ...]:
    from google.api_core import exceptions as gexc

    return (gexc.GoogleAPIError, *_connection_errors(), concurrent.futures.TimeoutError)


# The canonical status of an answer without a Google error body, by HTTP status (REST answers carry the status).
_STATUS_BY_HTTP = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_ERROR_BY_STATUS: dict[str, type[ApiError]] = {
    "NOT_FOUND": NotFoundError,
    "INVALID_ARGUMENT": InvalidArgumentError,
    "FAILED_PRECONDITION": FailedPreconditionError,
    "UNAVAILABLE": TransientApiError,
    "RESOURCE_EXHAUSTED": TransientApiError,
    "DEADLINE_EXCEEDED": TransientApiError,
}

# How the API words its refusal of a name it could never have given ("... Invalid CustomJob resource name.").
_MALFORMED_NAME = re.compile(r"\bInvalid [A-Za-z]+ resource name\b")


def _status_and_message(error: gexc.GoogleAPICallError) -> tuple[str, str]:
    """The API's own status and message: from the REST error body when there is one (its ``message`` has no
    method and URL prepended), else from the exception."""
    import requests

    response = error.response
    body: Any = None
    if isinstance(response, requests.Response):
        try:
            body = response.json().get("error")
        except ValueError:
            body = None
    if isinstance(body, dict) and body.get("status") and body.get("message"):
        return str(body["status"]), str(body["message"])
    grpc_code = error.grpc_status_code
    if grpc_code is not None:
        return str(grpc_code.name), str(error.message)
    return _STATUS_BY_HTTP.get(int(error.code or 0), "UNKNOWN"), str(error.message)


def api_error(error: BaseException, kind: str, name: str) -> ApiError | WaitTimedOut:
    """Our error for a failure of a call about ``kind`` ``name`` (a Google API exception, a lost connection, a
    long-running operation that did not finish in time)."""
    from google.api_core import exceptions as gexc

    if isinstance(error, gexc.RetryError):  # the retry's timeout ran out: report the last failure it saw
        cause = error.cause
        mapped = api_error(cause, kind, name) if cause is not None else None
        if isinstance(mapped, ApiError):
            return type(mapped)(kind, name, mapped.status, f"{mapped.message} (still failing after the retries)")
        return TransientApiError(kind, name, "DEADLINE_EXCEEDED", str(error))
    if isinstance(error, gexc.GoogleAPICallError):
        status, message = _status_and_message(error)
        if status == "INVALID_ARGUMENT" and _MALFORMED_NAME.search(message):
            return MalformedIdError(kind, name, status, message)
        return _ERROR_BY_STATUS.get(status, ApiError)(kind, name, status, message)
    if isinstance(error, _connection_errors()):
        return TransientApiError(kind, name, "UNAVAILABLE", f"no answer from the API: {error}")
    if isinstance(error, concurrent.futures.TimeoutError):
        return WaitTimedOut(f"{kind} {name}: the API's operation did not finish in time: {error}")
    return ApiError(kind, name, "UNKNOWN", str(error))




def _subject(kwargs: dict[str, Any]) -> str | None:
    """The resource a call is about: its ``name``, else the ``parent`` it creates or lists under, whether passed
    as an argument, inside ``request`` or as the ``name`` of the message it sends (an update)."""
    request = kwargs.get("request")
    for source in (kwargs, request if isinstance(request, dict) else {}):
        for key in ("name", "parent"):
            if source.get(key):
                return str(source[key])
    for value in kwargs.values():
        name = getattr(value, "name", None)
        if isinstance(name, str) and name:
            return name
    return None


class _Guarded:
    """A GAPIC client, or an operation it returned, whose failures leave as our errors (after its retries: the
    retry policies inside the call still see Google's exceptions). List answers are read to the end here, so a
    later page cannot fail outside."""

    def __init__(self, target: Any, kind: str, subject: str = "") -> None:
        self._target, self._kind, self._subject = target, kind, subject

    def __getattr__(self, attribute: str) -> Any:
        member = getattr(self._target, attribute)
        if not callable(member):
            return member

        def call(*args: Any, **kwargs: Any) -> Any:
            subject = _subject(kwargs) or self._subject
            try:
                result = member(*args, **kwargs)
                if hasattr(result, "pages"):  # a pager: fetch every page now
                    return list(result)
            except _api_failures() as error:
                # One error in the user's traceback; Google's stays reachable as __context__.
                raise api_error(error, self._kind, subject) from None
            if hasattr(result, "result") and hasattr(result, "operation"):  # a long-running operation
                return _Guarded(result, self._kind, subject)
            return result

        return call


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
        from google.api_core import retry as gretry

        self.retry = gretry.Retry(
            predicate=gretry.if_exception_type(*_transient_errors()),
            initial=config.retry_initial_delay,
            maximum=30.0,
            multiplier=2.0,
            timeout=config.retry_timeout,
        )

    def _client(self, name: str) -> Any:
        client = self._clients.get(name)
        if client is None:
            from . import _gapic  # only the services used, and only when the API is used

            options = {"api_endpoint": self.config.api_endpoint(self.location)}
            credentials = None
            if self.config.is_emulator:
                from google.auth.credentials import AnonymousCredentials

                credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
            client = _gapic.client_type(name)(credentials=credentials, transport="rest", client_options=options)
            self._clients[name] = client
        return client

    def client(self, service: str, kind: str) -> Any:
        """The ``service`` client (``datasets``, ``models``, ``pipelines`` or ``jobs``) for calls about ``kind``:
        every failure it raises is one of our errors naming that kind."""
        return _Guarded(self._client(_SERVICE_CLIENTS[service]), kind)


_SERVICE_CLIENTS = {
    "datasets": "DatasetServiceClient",
    "models": "ModelServiceClient",
    "pipelines": "PipelineServiceClient",
    "jobs": "JobServiceClient",
}
