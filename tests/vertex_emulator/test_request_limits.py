"""Requests no client should send get the API's envelope with a 4xx, and never pin a server thread.

Raw sockets here, since Google's clients cannot send a wrong Content-Length or half a body.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from vertex_emulator import Emulator
from vertex_emulator._http import HttpServer, RequestPolicy
from vertex_emulator._limits import MAX_BODY_BYTES, MAX_JSON_DEPTH
from vertex_emulator.testing import location_parent

DATASETS = f"/v1/{location_parent()}/datasets"


def exchange(port: int, raw: bytes, *, half_close: bool = False, timeout: float = 10.0) -> tuple[int, dict[str, Any]]:
    """Send `raw` bytes, read one response: (status, JSON body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(raw)
        if half_close:
            connection.shutdown(socket.SHUT_WR)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        length = int(
            next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
        )
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            body += chunk
    return int(head.split(b" ")[1]), json.loads(body)


def request(port: int, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def port_of(emulator: Emulator) -> int:
    return int(emulator.endpoint.rsplit(":", 1)[1])


JSON_TYPE = {"Content-Type": "application/json"}


def test_a_body_over_the_cap_is_413_without_being_read(emulator: Emulator) -> None:
    port = port_of(emulator)
    headers = {**JSON_TYPE, "Content-Length": str(MAX_BODY_BYTES + 1)}
    status, answer = exchange(port, request(port, "POST", DATASETS, headers))
    assert (status, answer["error"]["code"]) == (413, 413)
    assert str(MAX_BODY_BYTES) in answer["error"]["message"]


@pytest.mark.parametrize(
    ("length", "expected"),
    [("abc", 400), ("-5", 400), ("1e3", 400), ("99999999999999999999999", 400), ("+5", 400), (None, 411)],
)
def test_a_bad_content_length_is_a_client_error(emulator: Emulator, length: str | None, expected: int) -> None:
    port = port_of(emulator)
    headers = dict(JSON_TYPE) if length is None else {**JSON_TYPE, "Content-Length": length}
    status, answer = exchange(port, request(port, "POST", DATASETS, headers, b"{}"))
    assert status == expected
    assert answer["error"]["status"] == "INVALID_ARGUMENT"


def test_chunked_bodies_and_duplicate_lengths_are_refused(emulator: Emulator) -> None:
    port = port_of(emulator)
    chunked = request(port, "POST", DATASETS, {**JSON_TYPE, "Transfer-Encoding": "chunked"}, b"2\r\n{}\r\n0\r\n\r\n")
    assert exchange(port, chunked)[0] == 411
    twice = request(port, "POST", DATASETS, JSON_TYPE, b"")
    twice = twice.replace(b"\r\n\r\n", b"\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}")
    assert exchange(port, twice)[0] == 400


def test_a_body_shorter_than_its_length_is_400(emulator: Emulator) -> None:
    port = port_of(emulator)
    raw = request(port, "POST", DATASETS, {**JSON_TYPE, "Content-Length": "100"}, b'{"displayName": ')
    status, answer = exchange(port, raw, half_close=True)
    assert status == 400
    assert "100 bytes" in answer["error"]["message"]


@pytest.fixture
def echo_server() -> Iterator[HttpServer]:
    """A real server with a short body timeout, answering every request with 200."""
    server = HttpServer(
        "127.0.0.1",
        0,
        lambda method, target, body: (200, "application/json", b"{}"),
        RequestPolicy(body_timeout_seconds=0.5),
    )
    server.start()
    yield server
    server.close()


def test_a_client_that_stops_mid_body_does_not_pin_the_server(echo_server: HttpServer) -> None:
    port = echo_server.port
    stalled = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
    try:
        for connection in stalled:
            connection.sendall(request(port, "POST", "/x", {**JSON_TYPE, "Content-Length": "1000"}, b"{"))
        # Meanwhile everyone else is served.
        assert exchange(port, request(port, "GET", "/x", {}))[0] == 200
        started = time.monotonic()
        for connection in stalled:
            connection.settimeout(5)
            answer = connection.recv(65536)
            assert answer.startswith(b"HTTP/1.1 400 "), answer
        assert time.monotonic() - started < 3
    finally:
        for connection in stalled:
            connection.close()


def test_malformed_requests_answer_in_the_envelope(emulator: Emulator) -> None:
    port = port_of(emulator)
    for raw in (
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
        b"BREW /v1 HTTP/1.1\r\nHost: 127.0.0.1:" + str(port).encode() + b"\r\n\r\n",
    ):
        status, answer = exchange(port, raw)
        assert 400 <= status < 500, raw[:40]
        assert answer["error"]["code"] == status


def test_head_is_get_without_a_body(emulator: Emulator) -> None:
    port = port_of(emulator)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request(port, "HEAD", DATASETS, {}))
        head = connection.recv(65536)
    assert head.startswith(b"HTTP/1.1 200 ")
    assert head.endswith(b"\r\n\r\n")  # headers only


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    "payload",
    [
        json.dumps({"displayName": "d", "metadata": nested(MAX_JSON_DEPTH + 1)}).encode(),
        b"[" * 200_000,
        b'{"displayName": NaN}',
        b'{"displayName": "d", "metadata": {"x": Infinity}}',
        b'{"displayName": "d", "metadata": {"x": 1e999}}',
        b'{"displayName": "d", "metadata": {"x": ' + b"9" * 5000 + b"}}",
        b"\xff\xfe",
    ],
)
def test_hostile_json_is_invalid_argument(emulator: Emulator, payload: bytes) -> None:
    port = port_of(emulator)
    headers = {**JSON_TYPE, "Content-Length": str(len(payload))}
    status, answer = exchange(port, request(port, "POST", DATASETS, headers, payload))
    assert (status, answer["error"]["status"]) == (400, "INVALID_ARGUMENT")


def test_non_finite_numbers_in_proto_fields_are_refused(emulator: Emulator) -> None:
    port = port_of(emulator)
    job = {
        "displayName": "t",
        "maxTrialCount": 2,
        "parallelTrialCount": 1,
        "studySpec": {
            "metrics": [{"metricId": "m", "goal": "MAXIMIZE"}],
            "parameters": [{"parameterId": "x", "doubleValueSpec": {"minValue": "NaN", "maxValue": "Infinity"}}],
        },
        "trialJobSpec": {},
    }
    payload = json.dumps(job).encode()
    path = f"/v1/{location_parent()}/hyperparameterTuningJobs"
    headers = {**JSON_TYPE, "Content-Length": str(len(payload))}
    status, answer = exchange(port, request(port, "POST", path, headers, payload))
    assert status == 400
    assert "NaN and infinities" in answer["error"]["message"]


def test_many_connections_at_once_are_all_accepted(emulator: Emulator) -> None:
    """More than the old backlog of 5 connect before the server accepts any; none is reset."""
    port = port_of(emulator)
    connections = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(64)]
    results: list[int] = []
    lock = threading.Lock()

    def ask(connection: socket.socket) -> None:
        connection.sendall(request(port, "GET", DATASETS, {}))
        status = connection.recv(65536).split(b" ")[1]
        with lock:
            results.append(int(status))

    threads = [threading.Thread(target=ask, args=(c,)) for c in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for connection in connections:
        connection.close()
    assert results == [200] * 64
