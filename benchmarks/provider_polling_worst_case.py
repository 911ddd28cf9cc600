"""Polling, worst case: for every job duration from 1 minute to 24 hours and every moment it may end, how late the
providers' default policy notices the end, and how many GETs it spends, against the Vertex SDK's fixed 5 s.

    venv/bin/python benchmarks/provider_polling_worst_case.py

No emulator and no sampling: ``wait_until_terminal`` polls at once, then after each ``PollPolicy.next_interval``;
the poll times are computed from the policy itself (``vertex_resources.providers._wait``) with the jitter at its
two extremes (no shortening: the longest gaps, so the latest notice; full shortening: the most GETs). A job that
ends just after a poll is noticed one gap later, so the worst lag for durations in ``(t_k, t_k+1]`` is
``t_k+1 - t_k`` relative to ``t_k``. Targets: at most 10% of the duration for every job of a minute or more; at
most one third of the SDK's GETs at 10 minutes and one eighth at an hour. It measures; it does not assert.
"""

from __future__ import annotations

import itertools
import math
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vertex_resources.providers._config import ProviderConfig  # noqa: E402
from vertex_resources.providers._wait import PollPolicy  # noqa: E402

DAY = 24 * 3600.0
SDK_INTERVAL = 5.0  # aiplatform.jobs._JOB_WAIT_TIME
TARGET_LAG = 0.10
TARGET_GETS = {600.0: 1 / 3, 3600.0: 1 / 8}


class _Fixed(random.Random):
    """A ``random()`` that always answers ``value``: the jitter at one extreme."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def poll_times(policy: PollPolicy, jitter_draw: float, until: float = DAY) -> list[float]:
    times, interval, now = [0.0], None, 0.0
    rng = _Fixed(jitter_draw)
    while now <= until:
        interval = policy.next_interval(interval, now, rng)
        now += interval
        times.append(now)
    return times


def worst_lag(times: list[float], shortest: float = 60.0) -> tuple[float, float]:
    """The largest (lag / duration) over durations >= ``shortest``, and the duration where it happens."""
    worst, at = 0.0, shortest
    for earlier, later in itertools.pairwise(times):
        if later < shortest:
            continue
        duration = max(earlier, shortest)  # the job ends just after ``earlier`` (or at ``shortest``)
        if (later - duration) / duration > worst:
            worst, at = (later - duration) / duration, duration
    return worst, at


def gets_until(times: list[float], duration: float) -> int:
    """GETs of a wait for a job of ``duration``: every poll up to the first one at or after its end."""
    return next(index for index, moment in enumerate(times) if moment >= duration) + 1


def main() -> None:
    policy = PollPolicy(initial=ProviderConfig().poll_initial_interval)
    longest = poll_times(policy, jitter_draw=0.0)
    busiest = poll_times(policy, jitter_draw=1.0)
    print("Polling, worst case over every job duration from 1 min to 24 h and every end time")
    print(
        f"  policy: initial {policy.initial:g} s, x{policy.factor:g} per poll, at most {policy.elapsed_share:.0%} of "
        f"the time waited, cap {policy.cap:g} s, jitter up to -{policy.jitter:.0%}"
    )
    lag, at = worst_lag(longest)
    verdict = "met" if lag <= TARGET_LAG else "NOT met"
    print(f"  worst detection lag: {lag:.1%} of the duration (a {at:.0f} s job)", end=" ")
    print(f"(target <= {TARGET_LAG:.0%}) -> {verdict}")
    for duration, target in TARGET_GETS.items():
        sdk = math.ceil(duration / SDK_INTERVAL) + 1
        ours = gets_until(busiest, duration)
        fewest = gets_until(longest, duration)
        share = ours / sdk
        print(
            f"  {duration / 60:3.0f} min job: {fewest}-{ours} GETs (by jitter) vs the SDK's {sdk}: at most {share:.3f} "
            f"(target <= {target:.3f}) -> {'met' if share <= target else 'NOT met'}"
        )
    for duration in (60.0, 300.0, 6 * 3600.0, DAY):
        print(
            f"  {duration / 60:5.0f} min job: {gets_until(busiest, duration):4d} GETs at most vs the SDK's "
            f"{math.ceil(duration / SDK_INTERVAL) + 1}"
        )


if __name__ == "__main__":
    main()
