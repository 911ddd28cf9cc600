"""Waiting: backoff that starts near 2 s and caps near 60 s, a progress line at least once a minute, our own
deadline, and a job that outlives it is adopted by the next create."""

from __future__ import annotations

import io
import itertools
import random

import pytest

from vertex_emulator import ControlClient
from vertex_resources import WaitTimedOut
from vertex_resources.providers._wait import PollPolicy, wait_until_terminal

from .harness import ProviderServer
from .specs import INPUTS


class VirtualClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _run(duration: float, policy: PollPolicy | None = None) -> tuple[VirtualClock, list[str], float]:
    clock = VirtualClock()
    out = io.StringIO()
    finished_at: list[float] = []

    def state() -> str:
        if clock.now >= duration:
            finished_at.append(clock.now)
            return "JOB_STATE_SUCCEEDED"
        return "JOB_STATE_RUNNING"

    result = wait_until_terminal(
        state,
        describe="CustomJob projects/p/locations/l/customJobs/1",
        deadline_seconds=86400,
        policy=policy,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
        progress=out,
        rng=random.Random(3),
    )
    assert result == "JOB_STATE_SUCCEEDED"
    return clock, out.getvalue().splitlines(), finished_at[0] - duration


def test_backoff_starts_near_five_seconds_and_caps_near_a_minute() -> None:
    clock, _, _ = _run(3600)
    assert 4.9 <= clock.sleeps[0] <= 5.0
    assert max(clock.sleeps) <= 60.0
    assert max(clock.sleeps) >= 45.0
    assert len({round(s, 3) for s in clock.sleeps[-10:]}) > 1, "jittered"


def test_a_ten_minute_job_costs_few_calls_and_is_noticed_within_ten_percent() -> None:
    clock, _, lag = _run(600)
    sdk_calls = 600 // 5
    assert len(clock.sleeps) + 1 <= sdk_calls / 3
    assert lag <= 60


@pytest.mark.parametrize("duration", [60, 61, 68, 90, 270, 601, 3599, 7200, 86000])
def test_a_job_of_a_minute_or_more_is_noticed_within_ten_percent_whenever_it_ends(duration: int) -> None:
    _clock, _, lag = _run(duration)
    assert lag <= 0.1 * duration


def test_progress_line_at_least_once_a_minute_with_kind_name_state_and_elapsed() -> None:
    _clock, lines, _ = _run(1800)
    assert lines[0] == "CustomJob projects/p/locations/l/customJobs/1: JOB_STATE_RUNNING after 0s"
    assert lines[-1].startswith("CustomJob projects/p/locations/l/customJobs/1: JOB_STATE_SUCCEEDED after ")
    times = [float(line.rsplit(" after ", 1)[1].rstrip("s")) for line in lines]
    assert max(b - a for a, b in itertools.pairwise(times)) <= 61


def test_deadline_raises_and_says_the_job_keeps_running() -> None:
    clock = VirtualClock()
    with pytest.raises(WaitTimedOut, match=r"still JOB_STATE_RUNNING after 300s.*next `pulumi up` adopts it"):
        wait_until_terminal(
            lambda: "JOB_STATE_RUNNING",
            describe="CustomJob x",
            deadline_seconds=300,
            monotonic=clock.monotonic,
            sleep=clock.sleep,
            progress=io.StringIO(),
        )


def test_create_past_its_wait_timeout_fails_then_the_next_create_adopts(
    server: ProviderServer, control: ControlClient
) -> None:
    control.set_job_timing("customJobs", mode="hold")
    provider_type, inputs = INPUTS["CustomJob"]
    resource = server.resource(provider_type(), "slow")
    timed = {**inputs, "wait_timeout": "1s"}
    with pytest.raises(Exception, match=r"still JOB_STATE_(QUEUED|PENDING|RUNNING)"):
        resource.create(resource.check(timed).inputs)
    for name in control.held_jobs():
        control.release(name)
    _, outs = resource.create(resource.check(timed).inputs)
    assert outs["state"] == "JOB_STATE_SUCCEEDED"
    assert control.counters()["CreateCustomJob"] == 1
