"""The storage endpoint's HTTP server: threaded, keep-alive, bodies streamed (never read whole into memory).

Before a route runs: the browser-safety checks of `_guard` (Host 421, Origin 403; the JSON-only rule is per
route here, since a media upload's Content-Type is the object's own), a single numeric `Content-Length` within
the route's cap (411/413, no chunked bodies), and socket timeouts so a client that stops sending never pins a
thread. Every answer, refusals included, is in GCS's JSON error envelope; a request body left unread (a
refused upload) is drained if small, else the connection is closed after the answer.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from vertex_emulator import _guard
from vertex_emulator._gcs_errors import RangeNotSatisfiable, RequestRefused, StorageError
from vertex_emulator._gcs_routes import Body, GcsApi, Request, Response
from vertex_emulator._gcs_uploads import MAX_OBJECT_BYTES
from vertex_emulator._limits import BODY_TIMEOUT_SECONDS, IDLE_TIMEOUT_SECONDS
from vertex_emulator._serving import JSON_CONTENT_TYPE, ConnectionHandler, ThreadedServer

_log = logging.getLogger(__name__)
_DIGITS = re.compile(r"[0-9]{1,19}")
_DRAIN_BYTES = 8 << 20  # an unread body up to this is read and dropped to keep the connection
_MAX_QUERY_FIELDS = 64
_COPY_CHUNK = 1 << 20


def _phrase(status: int) -> str:
    return HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""


class _Handler(ConnectionHandler):
    server: _Server

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's own refusals (bad request line, headers too long) in GCS's envelope."""
        status = 405 if code == HTTPStatus.NOT_IMPLEMENTED else code
        self.close_connection = True
        self._send(_error(RequestRefused(status, f"Bad request: {message or _phrase(code)}.", "invalid")))

    def handle_expect_100(self) -> bool:
        # Refuse a body we would not read before the client sends it.
        try:
            self._check_guard()
            self._content_length()
        except StorageError as err:
            self.close_connection = True
            self._send(_error(err))
            return False
        return super().handle_expect_100()

    def __getattr__(self, name: str) -> Any:
        # Every method reaches `_serve` (an unknown one is 405 there), never the standard library's 501.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        body: Body | None = None
        try:
            self._check_guard()
            length = self._content_length()
            body = Body(self._read, length)
            response = self.server.api.handle(self._request(body))
        except StorageError as err:
            response = _error(err)
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client went away or stopped sending: nobody to answer
            return
        except Exception:  # a bug: answer it, never drop the connection
            _log.exception("storage request %s %s failed", self.command, self.path[:200])
            response = _error(RequestRefused(500, "The storage emulator failed on this request.", "backendError"))
        if body is not None and body.left:
            self._drain(body)
        elif body is None and ("Content-Length" in self.headers or "Transfer-Encoding" in self.headers):
            self.close_connection = True  # refused before its body was read
        if (self.headers.get("Connection") or "").lower() == "close":
            self.close_connection = True
        self._send(response)

    def _check_guard(self) -> None:
        if len(self.headers.get_all("Host") or []) > 1:
            raise RequestRefused(400, "More than one Host header.", "invalid")
        refusal = _guard.refusal(
            self.command,
            self.headers.get("Host"),
            self.headers.get("Origin"),
            self.headers.get("Content-Type"),
            port=self.server.port,
            allowed_hosts=self.server.allowed_hosts,
            json_only=False,  # per route: see Request.json
        )
        if refusal is not None:
            raise RequestRefused(
                refusal.status, refusal.message, "misdirected" if refusal.status == 421 else "forbidden"
            )

    def _content_length(self) -> int:
        if self.headers.get("Transfer-Encoding") is not None:
            raise RequestRefused(411, "Chunked request bodies are not accepted: send Content-Length.", "required")
        values = self.headers.get_all("Content-Length") or []
        if len(values) > 1:
            raise RequestRefused(400, "More than one Content-Length header.", "invalid")
        if not values:
            if self.command in ("POST", "PUT", "PATCH"):
                raise RequestRefused(411, f"A {self.command} request needs a Content-Length header.", "required")
            return 0
        if not _DIGITS.fullmatch(values[0].strip()):
            raise RequestRefused(400, f"Invalid Content-Length {values[0][:40]!r}.", "invalid")
        length = int(values[0])
        if length > MAX_OBJECT_BYTES:
            raise RequestRefused(413, "The request body is larger than the emulator's 5 GiB limit.", "uploadTooLarge")
        return length

    def _read(self, size: int) -> bytes:
        self.connection.settimeout(BODY_TIMEOUT_SECONDS)
        try:
            return self.rfile.read(size)
        finally:
            self.connection.settimeout(IDLE_TIMEOUT_SECONDS)

    def _request(self, body: Body) -> Request:
        target, _, query_text = self.path.partition("?")
        try:
            query = dict(parse_qsl(query_text, keep_blank_values=True, errors="strict",
                                   max_num_fields=_MAX_QUERY_FIELDS))  # fmt: skip
        except (ValueError, UnicodeDecodeError):
            raise RequestRefused(400, "The query string is not valid percent-encoded UTF-8.", "invalid") from None
        headers = {key.lower(): value for key, value in self.headers.items()}
        host = headers.get("host") or f"{self.server.host}:{self.server.port}"
        return Request(self.command, target, query, headers, body, f"http://{host}")

    def _drain(self, body: Body) -> None:
        if body.left > _DRAIN_BYTES:
            self.close_connection = True
            return
        try:
            while body.left and body.read(1 << 16):
                pass
        except (ConnectionError, TimeoutError):
            pass
        if body.left:
            self.close_connection = True

    def _send(self, response: Response) -> None:
        bodiless = response.status in (204, 304) or self.command == "HEAD"
        length = response.length if response.stream is not None else len(response.body)
        lines = [f"HTTP/1.1 {response.status} {_phrase(response.status)}"]
        if response.content_type and response.status != 304:
            lines.append(f"Content-Type: {response.content_type}")
        if response.status not in (204, 304):
            lines.append(f"Content-Length: {length}")
        lines.extend(f"{key}: {value}" for key, value in response.headers.items())
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        try:
            if response.stream is None:
                self.wfile.write(head + (b"" if bodiless else response.body))
            else:
                self.wfile.write(head)
                if not bodiless:
                    _copy(response.stream, self.wfile, length)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        finally:
            if response.stream is not None:
                response.stream.close()


def _copy(source: Any, target: Any, length: int) -> None:
    if length == 0:
        return
    left = length
    while left:
        chunk = source.read(min(_COPY_CHUNK, left))
        if not chunk:
            raise ConnectionError("the blob ended early")
        target.write(chunk)
        left -= len(chunk)


def _error(error: StorageError) -> Response:
    headers = {"Content-Range": f"bytes */{error.size}"} if isinstance(error, RangeNotSatisfiable) else {}
    return Response(error.status(), error.envelope(), JSON_CONTENT_TYPE, headers)


class _Server(ThreadedServer):
    def __init__(self, address: tuple[str, int], api: GcsApi, allowed_hosts: frozenset[str]) -> None:
        super().__init__(address, _Handler)
        self.api = api
        self.allowed_hosts = allowed_hosts
        self.host = address[0]
        self.port: int = self.server_address[1]


class GcsServer:
    """Serves the GCS JSON API on `host:port` (0 picks a free port) from a background thread."""

    def __init__(self, host: str, port: int, api: GcsApi, allowed_hosts: Iterable[str] = ()) -> None:
        self._server = _Server((host, port), api, _guard.normalize_allowed_hosts(allowed_hosts))
        self.port = self._server.port
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="storage-http", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
