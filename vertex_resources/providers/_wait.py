"""Waiting for a long-running resource: jittered exponential backoff, our own deadline, progress on stderr."""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from ..errors import WaitTimedOut

__all__ = ["PollPolicy", "is_success", "is_terminal", "wait_until_terminal"]

_TERMINAL_SUFFIXES = ("_SUCCEEDED", "_FAILED", "_CANCELLED", "_EXPIRED", "_PARTIALLY_SUCCEEDED")
_SUCCESS_SUFFIXES = ("_SUCCEEDED", "_PARTIALLY_SUCCEEDED")


def is_terminal(state: str | None) -> bool:
    return bool(state) and str(state).endswith(_TERMINAL_SUFFIXES)


def is_success(state: str | None) -> bool:
    return bool(state) and str(state).endswith(_SUCCESS_SUFFIXES)


@dataclass(frozen=True)
class PollPolicy:
    """Poll intervals grow from ``initial`` by ``factor`` up to ``cap``, and never exceed ``elapsed_share`` of the
    time already waited: a job that ends is noticed within about a tenth of its duration, and a long one costs
    few calls (worst cases over every duration: ``benchmarks/provider_polling_worst_case.py``). ``initial`` is
    also the shortest interval. Each interval is shortened by a random jitter of up to ``jitter`` so many
    waiters do not poll in step (small: it adds calls to every wait). Over the first ``ramp`` seconds the share
    grows from nothing to ``elapsed_share``: with a short ``initial`` (the emulator's jobs take seconds) a job of
    a few seconds is noticed within a fraction of a second, not a tenth of its duration; with an ``initial`` of
    ``elapsed_share * ramp`` (3 s) or more, the default's 5 s included, the ramp changes no interval."""

    initial: float = 5.0
    factor: float = 1.6
    cap: float = 60.0
    elapsed_share: float = 0.098
    ramp: float = 30.0
    jitter: float = 0.02
    progress_every: float = 60.0

    def next_interval(self, previous: float | None, elapsed: float, rng: random.Random) -> float:
        grown = self.initial if previous is None else previous * self.factor
        share = self.elapsed_share * min(1.0, elapsed / self.ramp)
        bounded = min(self.cap, grown, max(self.initial, share * elapsed))
        return bounded * (1.0 - self.jitter * rng.random())


def wait_until_terminal(
    fetch_state: Callable[[], str | None],
    *,
    describe: str,
    deadline_seconds: float,
    policy: PollPolicy | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    progress: TextIO | None = None,
    rng: random.Random | None = None,
) -> str:
    """Poll ``fetch_state`` until a terminal state and return it; raise ``WaitTimedOut`` after the deadline.

    ``describe`` (kind and name) starts each progress line; a line is written on every state change and at
    least once a minute. The clock and the sleep are parameters so benchmarks can run a long job in no time.
    """
    policy = policy or PollPolicy()
    rng = rng or random.Random()
    out = progress or sys.stderr
    started = monotonic()
    last_line = started
    last_state: str | None = None
    interval: float | None = None
    while True:
        state = fetch_state()
        now = monotonic()
        elapsed = now - started
        finished = is_terminal(state)
        interval = None if finished else policy.next_interval(interval, elapsed, rng)
        # A line on every state change, and whenever waiting for the next poll would leave a minute without one.
        if state != last_state or finished or now + (interval or 0.0) - last_line > policy.progress_every:
            print(f"{describe}: {state or 'UNKNOWN'} after {elapsed:.0f}s", file=out, flush=True)
            last_line, last_state = now, state
        if finished:
            return str(state)
        if elapsed >= deadline_seconds:
            raise WaitTimedOut(
                f"{describe} is still {state} after {elapsed:.0f}s (wait_timeout); it keeps running, and the next "
                "`pulumi up` adopts it"
            )
        assert interval is not None
        sleep(min(interval, max(0.0, deadline_seconds - elapsed) + 0.001))
