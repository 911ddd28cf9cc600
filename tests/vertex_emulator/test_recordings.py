"""Replays real Vertex AI traffic (recorded by Google's Config Connector against Google Cloud, see
`recordings/config-connector-vertexai.json`, a copy of the shared reference) against the emulator and compares
each answer's shape with the recorded one: the status, every key, each value's type, and the values that are not
ids or times (enum values, messages, schema URIs, what the request set).

The recordings are normalized: `${projectNumber}`, `${datasetID}`, `${operationID}` ... stand for volatile values.
A placeholder in an answer matches any one path segment (the recordings write every operation's id as
`${operationID}`) and is bound to it for the next URLs of the sequence; numeric ids and timestamps match any of
their kind. A recorded GET of an operation that is done stands for the client's polling until it was done (the
create's answer is pending, as on the real API): it is sent again until the emulator's operation is done too.
Every one of the 22 exchanges must match.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.vertex_emulator import bodies
from vertex_emulator import Emulator
from vertex_emulator.testing import DEFAULT_PROJECT

RECORDINGS = json.loads((Path(__file__).parent / "recordings" / "config-connector-vertexai.json").read_text())
SEQUENCES = RECORDINGS["sequences"]
RECORDED_HOST = "https://us-central1-aiplatform.googleapis.com/v1beta1/"
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
RECORDED_TIME = "2024-04-01T12:34:56.123456Z"
RECORDED_ETAG = "abcdef0123A="
TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"
LONG_NUMBER = re.compile(r"\d{10,}")  # a resource id the recording kept as it was

POLL_SECONDS = 10.0  # longer than any create's default pending time


@pytest.fixture
def emulator(default_timing_emulator: Emulator) -> Emulator:
    return default_timing_emulator  # the default timing of operations is part of what this module checks


class Replay:
    """One sequence's placeholder bindings, learned from the emulator's answers."""

    def __init__(self) -> None:
        self.bound: dict[str, str] = {"projectId": DEFAULT_PROJECT, "uniqueId": "abc123"}

    def url(self, recorded: str) -> str:
        path = "/v1/" + recorded.removeprefix(RECORDED_HOST)
        return PLACEHOLDER.sub(lambda m: self.bound[m[1]], path)

    def request_body(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.request_body(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.request_body(v) for v in value]
        if isinstance(value, str):
            return PLACEHOLDER.sub(lambda m: self.bound[m[1]], value)
        return value

    def _string_pattern(self, recorded: str) -> str:
        if recorded == RECORDED_TIME:
            return TIMESTAMP
        if recorded == RECORDED_ETAG:
            return r".+"
        recorded = recorded.replace("google.cloud.aiplatform.v1beta1.", "google.cloud.aiplatform.v1.")
        pattern, seen, index = "", set(), 0
        for match in PLACEHOLDER.finditer(recorded):
            pattern += LONG_NUMBER.sub(r"\\d+", re.escape(recorded[index : match.start()]))
            name = match[1]
            if name in seen:
                pattern += f"(?P={name})"
            else:
                pattern += f"(?P<{name}>[^/]+)"
                seen.add(name)
            index = match.end()
        return pattern + LONG_NUMBER.sub(r"\\d+", re.escape(recorded[index:]))

    def differences(self, recorded: Any, answered: Any, path: str = "") -> list[str]:
        """Where `answered` differs in shape from `recorded`; binds the placeholders it matched."""
        where = path or "<body>"
        if isinstance(recorded, dict):
            if not isinstance(answered, dict):
                return [f"{where}: expected an object, got {answered!r}"]
            found = [f"{where}.{k}: missing" for k in sorted(recorded.keys() - answered.keys())]
            found += [f"{where}.{k}: not in the real API's answer" for k in sorted(answered.keys() - recorded.keys())]
            for key in sorted(recorded.keys() & answered.keys()):
                found += self.differences(recorded[key], answered[key], f"{path}.{key}")
            return found
        if isinstance(recorded, list):
            if not isinstance(answered, list) or len(answered) != len(recorded):
                return [f"{where}: expected {len(recorded)} items, got {answered!r}"]
            return [d for i, r in enumerate(recorded) for d in self.differences(r, answered[i], f"{path}[{i}]")]
        if isinstance(recorded, str):
            match = re.fullmatch(self._string_pattern(recorded), answered) if isinstance(answered, str) else None
            if match is None:
                return [f"{where}: expected {recorded!r}, got {answered!r}"]
            self.bound.update(match.groupdict())
            return []
        if type(recorded) is not type(answered) or recorded != answered:
            return [f"{where}: expected {recorded!r}, got {answered!r}"]
        return []


def replay(emulator: Emulator, sequence: dict[str, Any]) -> dict[int, list[str]]:
    """Every exchange of `sequence` sent in order; the differences of each one's answer (empty: it matches)."""
    state = Replay()
    results: dict[int, list[str]] = {}
    for index, exchange in enumerate(sequence["exchanges"]):
        body = exchange["request_body"]
        deadline = time.monotonic() + POLL_SECONDS
        while True:
            status, answered = bodies.raw(
                emulator.endpoint,
                exchange["method"],
                state.url(exchange["url"]),
                None if body is None else state.request_body(body),
            )
            polled = exchange["method"] == "GET" and "/operations/" in exchange["url"]
            if not polled or answered.get("done") or not exchange["response_body"].get("done"):
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        found = [] if status == exchange["status"] else [f"status: expected {exchange['status']}, got {status}"]
        results[index] = found + state.differences(exchange["response_body"], answered)
    return results


@pytest.mark.parametrize("sequence", SEQUENCES, ids=[s["source"]["id"] for s in SEQUENCES])
def test_the_emulator_answers_the_recorded_exchanges_as_the_real_api(
    emulator: Emulator, sequence: dict[str, Any]
) -> None:
    results = replay(emulator, sequence)
    differing = {index: found for index, found in results.items() if found}
    assert not differing, json.dumps(differing, indent=1)


def test_every_recorded_exchange_is_replayed() -> None:
    assert sum(len(s["exchanges"]) for s in SEQUENCES) == 22
