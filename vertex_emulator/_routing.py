"""Routes, requests and replies, and the one place where errors become the wire envelope.

A route is `METHOD /path/{var}/...` plus the RPC name it implements (the name the counters and fault rules
use). `{var}` matches one path segment without `:`; `{var:regex}` matches `regex`. Handlers take the backend
and a `Request` and return a `Reply`; they raise `ApiError`s and never build error bodies themselves.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

from google.protobuf.message import Message

from vertex_emulator import _protos
from vertex_emulator._errors import ApiError, Internal, NotFound, error_envelope
from vertex_emulator._serving import JSON_CONTENT_TYPE
from vertex_emulator._store import Record

if TYPE_CHECKING:
    from vertex_emulator._backend import Backend

_log = logging.getLogger(__name__)
JsonDict = dict[str, Any]


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    body: bytes

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def int_enums(self) -> bool:
        return "enum-encoding=int" in (self.arg("$alt") or "")


@dataclass(frozen=True)
class Reply:
    """What a handler answers: a stored record, a message to render through its proto type, or plain JSON."""

    record: Record | None = None
    message_type: type[Message] | None = None
    payload: JsonDict = field(default_factory=dict)
    status: int = 200

    def wire(self, int_enums: bool) -> bytes:
        if self.record is not None:
            return self.record.wire(int_enums)
        if self.message_type is not None:
            return _protos.render(self.message_type, self.payload, int_enums)
        return json.dumps(self.payload, separators=(",", ":")).encode()


Handler = Callable[["Backend", Request], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    rpc: str
    handler: Handler
    pattern: re.Pattern[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", re.compile(_template_regex(self.template)))


def _template_regex(template: str) -> str:
    parts: list[str] = []
    index = 0
    while index < len(template):
        start = template.find("{", index)
        if start < 0:
            parts.append(re.escape(template[index:]))
            break
        parts.append(re.escape(template[index:start]))
        depth, end = 0, start
        for end in range(start, len(template)):
            depth += {"{": 1, "}": -1}.get(template[end], 0)
            if depth == 0:
                break
        name, _, custom = template[start + 1 : end].partition(":")
        parts.append(f"(?P<{name}>{custom or '[^/:]+'})")
        index = end + 1
    return "".join(parts)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = JSON_CONTENT_TYPE


class Router:
    """Matches a request to its route, applies faults and counters, renders replies and errors."""

    def __init__(self, routes: Sequence[Route], *, counted: bool = True) -> None:
        self._counted = counted
        self._by_method: dict[str, list[Route]] = {}
        for route in routes:
            self._by_method.setdefault(route.method, []).append(route)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self._by_method.get(method, ()):
            found = route.pattern.fullmatch(path)
            if found:
                return route, found.groupdict()
        return None

    def dispatch(self, backend: Backend, method: str, target: str, body: bytes) -> Response:
        raw_path, _, query_text = target.partition("?")
        path = unquote(raw_path)
        query = parse_qs(query_text, keep_blank_values=True)
        int_enums = "enum-encoding=int" in query_text or "enum-encoding%3Dint" in query_text
        found = self.match(method, path)
        try:
            if found is None:
                if self._counted:
                    backend.faults.on_call("Unimplemented")
                raise NotFound(f"The emulator does not serve {method} {path}: not a method of the API it implements.")
            route, params = found
            fault = backend.faults.on_call(route.rpc) if self._counted else None
            if fault is not None:
                if fault.latency_seconds:
                    time.sleep(fault.latency_seconds)
                if fault.error is not None and not fault.after:
                    raise fault.error
            reply = route.handler(backend, Request(method, path, params, query, body))
            if fault is not None and fault.error is not None:
                raise fault.error
            return Response(reply.status, reply.wire(int_enums))
        except ApiError as err:
            return Response(err.http_status, json.dumps(error_envelope(err)).encode())
        except Exception as err:  # a bug in the emulator: still answer in the API's shape
            _log.exception("%s %s failed", method, path)
            error = Internal(f"Internal error in the emulator: {type(err).__name__}: {err}")
            return Response(error.http_status, json.dumps(error_envelope(error)).encode())
