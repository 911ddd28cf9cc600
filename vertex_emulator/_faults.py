"""Fault injection and per-RPC request counters (both driven from the control plane).

A rule matches an RPC by name (or every API RPC when `rpc` is empty) and fires either on a `fraction` of the
matching calls (seeded, so runs repeat) or on the next `count` calls. When it fires the call is delayed by
`latency_seconds` and, if a `status` is set, answers with that status: the transient UNAVAILABLE (503) and
RESOURCE_EXHAUSTED (429), or a refusal a client must report (PERMISSION_DENIED, NOT_FOUND, INVALID_ARGUMENT,
FAILED_PRECONDITION), with `message` if given; with `after` the call is carried out first and only its answer is
replaced (the "lost response" case).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from vertex_emulator._errors import (
    ApiError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unavailable,
)
from vertex_emulator._limits import MAX_CONTROL_SECONDS, is_bounded_seconds

_STATUSES: dict[str, type[ApiError]] = {
    "UNAVAILABLE": Unavailable,
    "RESOURCE_EXHAUSTED": ResourceExhausted,
    "PERMISSION_DENIED": PermissionDenied,
    "NOT_FOUND": NotFound,
    "INVALID_ARGUMENT": InvalidArgument,
    "FAILED_PRECONDITION": FailedPrecondition,
}
_STATUS_BY_HTTP = {"503": "UNAVAILABLE", "429": "RESOURCE_EXHAUSTED"}


def _is_number(value: object, types: tuple[type, ...]) -> bool:
    return isinstance(value, types) and not isinstance(value, bool)


@dataclass
class FaultRule:
    rpc: str = ""
    fraction: float | None = None
    count: int | None = None
    status: str | None = "UNAVAILABLE"
    latency_seconds: float = 0.0
    after: bool = False
    message: str | None = None

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> FaultRule:
        unknown = set(value) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault rule fields: {sorted(unknown)}")
        rule = cls(**value)
        if not isinstance(rule.rpc, str) or not isinstance(rule.after, bool):
            raise ValueError("rpc must be a string and after a boolean")
        if rule.fraction is not None and (
            isinstance(rule.fraction, bool) or not isinstance(rule.fraction, (int, float))
        ):
            raise ValueError("fraction must be a number")
        if rule.count is not None and (isinstance(rule.count, bool) or not isinstance(rule.count, int)):
            raise ValueError("count must be a whole number")
        if not is_bounded_seconds(rule.latency_seconds):
            raise ValueError(f"latency_seconds must be a number of seconds between 0 and {MAX_CONTROL_SECONDS:g}")
        if rule.status is not None:
            rule.status = _STATUS_BY_HTTP.get(str(rule.status), str(rule.status))
            if rule.status not in _STATUSES:
                listed = ", ".join(f"{name} ({error.http_status})" for name, error in _STATUSES.items())
                raise ValueError(f"status must be one of {listed}")
        if rule.message is not None and not isinstance(rule.message, str):
            raise ValueError("message must be a string")
        if (rule.fraction is None) == (rule.count is None):
            raise ValueError("set exactly one of fraction or count")
        if rule.fraction is not None and not 0.0 <= rule.fraction <= 1.0:
            raise ValueError("fraction must be within [0, 1]")
        if rule.count is not None and rule.count < 1:
            raise ValueError("count must be at least 1")
        if rule.status is None and not rule.latency_seconds:
            raise ValueError("a rule needs a status, a latency, or both")
        return rule

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Fault:
    """What to do to one call."""

    latency_seconds: float
    error: ApiError | None
    after: bool


class FaultInjector:
    """Decides faults per call and counts calls; thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._random = random.Random(seed)
        self.requests: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()

    def add(self, rules: list[FaultRule], seed: int | None = None) -> None:
        with self._lock:
            self._rules.extend(rules)
            if seed is not None:
                self._random.seed(seed)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def counters(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {"requests": dict(self.requests), "faults": dict(self.faults)}

    def reset_counters(self) -> None:
        with self._lock:
            self.requests.clear()
            self.faults.clear()

    def on_call(self, rpc: str) -> Fault | None:
        """Count a call of `rpc` and decide whether a fault applies to it."""
        with self._lock:
            self.requests[rpc] += 1
            if not self._rules:
                return None
            for rule in self._rules:
                if rule.rpc and rule.rpc != rpc:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
                elif self._random.random() >= (rule.fraction or 0.0):
                    continue
                error = None
                if rule.status is not None:
                    message = rule.message or f"{rpc}: fault injected by the emulator's control plane."
                    error = _STATUSES[rule.status](message)
                    self.faults[rpc] += 1
                return Fault(rule.latency_seconds, error, rule.after)
        return None
