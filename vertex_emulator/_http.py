"""A small threaded HTTP/1.1 server with keep-alive, answering each request in a single write.

One write per response (headers and body together) plus TCP_NODELAY keeps loopback latency low: a client
like `requests` reusing its connection never waits on Nagle's algorithm or a delayed ACK.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# (method, target, body) -> (status, content type, body)
App = Callable[[str, str, bytes], tuple[int, str, bytes]]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, content_type, payload = self.server.app(self.command, self.path, body)
        reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {len(payload)}\r\n\r\n"
        self.wfile.write(head.encode("latin-1") + payload)
        if (self.headers.get("Connection") or "").lower() == "close":
            self.close_connection = True

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        super().__init__(address, _Handler)
        self.app = app


class HttpServer:
    """Serves `app` on `host:port` (port 0 picks a free one) from a background thread."""

    def __init__(self, host: str, port: int, app: App) -> None:
        self._server = _Server((host, port), app)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="emulator-http", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
