"""What the emulator's two HTTP servers (the Vertex API and control plane, the storage endpoint) share: keep-alive
connections with TCP_NODELAY and an idle timeout, a deep listen backlog, one thread per connection, and no
traceback on stderr when a client goes away."""

from __future__ import annotations

import logging
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from vertex_emulator._limits import IDLE_TIMEOUT_SECONDS, LISTEN_BACKLOG

__all__ = ["JSON_CONTENT_TYPE", "ConnectionHandler", "ThreadedServer"]

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"  # every JSON answer of both servers, errors included

_log = logging.getLogger("vertex_emulator.http")


class ConnectionHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_SECONDS  # StreamRequestHandler applies it to the connection

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        pass


class ThreadedServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away (reset, timed out) is not the emulator's failure: no traceback on stderr.
        _log.debug("connection from %s ended with an error", client_address, exc_info=True)
