"""A small threaded HTTP/1.1 server with keep-alive, answering each request in a single write.

One write per response (headers and body together) plus TCP_NODELAY keeps loopback latency low: a client
like `requests` reusing its connection never waits on Nagle's algorithm or a delayed ACK.

Before the app sees a request, the server applies its `RequestPolicy`: the browser-safety checks of `_guard`
(Host, Origin, JSON content type), a `Content-Length` that is present (for bodies), numeric and within the
body cap, and socket timeouts so a client that stops sending never pins a thread. Every refusal, including
the standard library's own (a malformed request line, headers too long), answers in the API's error envelope.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from vertex_emulator import _guard
from vertex_emulator._errors import (
    ApiError,
    HeadersTooLarge,
    InvalidArgument,
    LengthRequired,
    MethodNotAllowed,
    MisdirectedRequest,
    PayloadTooLarge,
    PermissionDenied,
    UriTooLong,
    error_envelope,
)
from vertex_emulator._limits import BODY_TIMEOUT_SECONDS, IDLE_TIMEOUT_SECONDS, MAX_BODY_BYTES
from vertex_emulator._serving import JSON_CONTENT_TYPE, ConnectionHandler, ThreadedServer

# (method, target, body) -> (status, content type, body)
App = Callable[[str, str, bytes], tuple[int, str, bytes]]

_DIGITS = re.compile(r"[0-9]{1,19}")


@dataclass(frozen=True)
class RequestPolicy:
    """What a server accepts. json_only: state-changing requests need `Content-Type: application/json`."""

    allowed_hosts: frozenset[str] = frozenset()
    json_only: bool = True
    max_body_bytes: int = MAX_BODY_BYTES
    body_timeout_seconds: float = BODY_TIMEOUT_SECONDS


class _BadRequest(Exception):
    """A request refused before it reaches the app; the connection is closed after the answer."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _envelope(error: ApiError) -> bytes:
    return json.dumps(error_envelope(error)).encode()


class _Handler(ConnectionHandler):
    server: _Server

    # -- the standard library's hooks ------------------------------------------------------------------
    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's refusals (bad request line, headers too long, unknown method) as envelopes."""
        text = message or "malformed request"
        error: ApiError
        if code == HTTPStatus.NOT_IMPLEMENTED:
            error = MethodNotAllowed(f"Method {self.command!r} is not allowed.")
        elif code == HTTPStatus.REQUEST_URI_TOO_LONG:
            error = UriTooLong(f"The request target is too long: {text}.")
        elif code == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE:
            error = HeadersTooLarge(f"The request headers are too large: {text}.")
        else:  # 400 and 505 (an HTTP version other than 1.x): the client's request is at fault
            error = InvalidArgument(f"Bad request: {text}.")
        self.close_connection = True
        self._write_error(error, head_only=False)

    def handle_expect_100(self) -> bool:
        # Refuse a body we would not read before the client sends it.
        try:
            self._content_length()
        except _BadRequest as bad:
            self.close_connection = True
            self._write_error(bad.error, head_only=False)
            return False
        return super().handle_expect_100()

    # -- serving ---------------------------------------------------------------------------------------
    def _serve(self) -> None:
        head_only = self.command == "HEAD"
        try:
            length = self._content_length()
            self._check_policy()
            body = self._read_body(length)
        except _BadRequest as bad:
            self.close_connection = True
            self._write_error(bad.error, head_only)
            return
        status, content_type, payload = self.server.app("GET" if head_only else self.command, self.path, body)
        self._write(status, content_type, payload, head_only)
        if (self.headers.get("Connection") or "").lower() == "close":
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PATCH = do_DELETE = do_PUT = do_OPTIONS = _serve

    def _content_length(self) -> int:
        if self.headers.get("Transfer-Encoding") is not None:
            raise _BadRequest(LengthRequired("Chunked request bodies are not accepted: send Content-Length."))
        values = self.headers.get_all("Content-Length") or []
        if len(values) > 1:
            raise _BadRequest(InvalidArgument("More than one Content-Length header."))
        if not values:
            if self.command in ("POST", "PUT", "PATCH"):
                raise _BadRequest(LengthRequired(f"A {self.command} request needs a Content-Length header."))
            return 0
        text = values[0].strip()
        if not _DIGITS.fullmatch(text):
            raise _BadRequest(InvalidArgument(f"Invalid Content-Length {values[0]!r}: expected a whole number."))
        length = int(text)
        limit = self.server.policy.max_body_bytes
        if length > limit:
            raise _BadRequest(
                PayloadTooLarge(f"The request body is {length} bytes; the emulator accepts at most {limit} bytes.")
            )
        return length

    def _check_policy(self) -> None:
        if len(self.headers.get_all("Host") or []) > 1:
            raise _BadRequest(InvalidArgument("More than one Host header."))
        policy = self.server.policy
        refusal = _guard.refusal(
            self.command,
            self.headers.get("Host"),
            self.headers.get("Origin"),
            self.headers.get("Content-Type"),
            port=self.server.port,
            allowed_hosts=policy.allowed_hosts,
            json_only=policy.json_only,
            fetch_site=self.headers.get("Sec-Fetch-Site"),
        )
        if refusal is not None:
            raise _BadRequest(refusal_error(refusal))

    def _read_body(self, length: int) -> bytes:
        if not length:
            return b""
        seconds = self.server.policy.body_timeout_seconds
        self.connection.settimeout(seconds)
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            raise _BadRequest(
                InvalidArgument(f"The {length}-byte request body did not arrive within {seconds:g} s.")
            ) from None
        finally:
            self.connection.settimeout(IDLE_TIMEOUT_SECONDS)
        if len(body) != length:
            raise _BadRequest(
                InvalidArgument(f"The request body ended after {len(body)} of the {length} bytes Content-Length says.")
            )
        return body

    def _write_error(self, error: ApiError, head_only: bool) -> None:
        self._write(error.http_status, JSON_CONTENT_TYPE, _envelope(error), head_only)

    def _write(self, status: int, content_type: str, payload: bytes, head_only: bool) -> None:
        reason = _reason(status)
        connection = "Connection: close\r\n" if self.close_connection else ""
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {len(payload)}\r\n"
            f"{connection}\r\n"
        )
        self.wfile.write(head.encode("latin-1") + (b"" if head_only else payload))


def refusal_error(refusal: _guard.Refusal) -> ApiError:
    """The API error for a browser-safety refusal (403, or 421 for a Host that is not this server)."""
    return MisdirectedRequest(refusal.message) if refusal.status == 421 else PermissionDenied(refusal.message)


class _Server(ThreadedServer):
    def __init__(self, address: tuple[str, int], app: App, policy: RequestPolicy) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.policy = policy
        self.port: int = self.server_address[1]


class HttpServer:
    """Serves `app` on `host:port` (port 0 picks a free one) from a background thread."""

    def __init__(self, host: str, port: int, app: App, policy: RequestPolicy | None = None) -> None:
        self._server = _Server((host, port), app, policy or RequestPolicy())
        self.port: int = self._server.port
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="emulator-http", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
