"""API economy: GET calls spent waiting for a 10-minute job, the providers' policy against the high-level SDK's.

    venv/bin/python benchmarks/provider_polling.py

A CustomJob is created on the emulator and held RUNNING (``set_job_timing("customJobs", mode="hold")``). Two
waiters wait for it, each on its own job, with a ``fetch_state`` that does a real ``GetCustomJob`` through the
GAPIC ``JobServiceClient`` (REST transport, anonymous credentials):

- the providers: ``vertex_resources.providers._wait.wait_until_terminal`` with the policy a provider uses by
  default (``PollPolicy(initial=vertex:pollInitialInterval)``, default 2 s), over several jitter seeds;
- the SDK: a faithful copy of ``_RunnableJob._block_until_complete`` (see ``sdk_block_until_complete``).

Nobody waits 10 real minutes: the clock is virtual. ``sleep`` advances it at once; the real time spent in GETs is
added as it passes. When a waiter's clock has passed the job's 600 s, the job is released through the control plane
(it succeeds), so the next GET sees it finished. GETs are counted by the emulator's request counters.
Targets: at most one third of the SDK's GETs, and completion noticed within 10% of the job's duration.
It measures; it does not assert (exit status 0).
"""

from __future__ import annotations

import io
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from google.auth.credentials import AnonymousCredentials  # noqa: E402
from google.cloud.aiplatform_v1 import JobServiceClient  # noqa: E402

from vertex_emulator import ControlClient, Emulator  # noqa: E402
from vertex_resources.providers._config import ProviderConfig  # noqa: E402
from vertex_resources.providers._provider import DEFAULT_WAIT  # noqa: E402
from vertex_resources.providers._wait import PollPolicy, wait_until_terminal  # noqa: E402

JOB_SECONDS = 600.0
SEEDS = 10
OTHER_DURATIONS = (60.0, 180.0, 1800.0, 3600.0)
TARGET_SHARE = 1 / 3
TARGET_LAG = 0.10
PARENT = "projects/acme-ml/locations/us-central1"
GET_RPC = "GetCustomJob"
IMAGE = "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest"

# The SDK's terminal states for jobs (google/cloud/aiplatform/jobs.py, _JOB_COMPLETE_STATES, lines 69-78).
SDK_COMPLETE_STATES = ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_PAUSED")
SDK_JOB_WAIT_TIME = 5  # jobs.py line 102: `_JOB_WAIT_TIME = 5  # start at five seconds` (it never changes)


class VirtualClock:
    """Seconds since creation: every ``sleep`` jumps ahead at once, real time (spent in GETs) still passes."""

    def __init__(self) -> None:
        self._started = time.monotonic()
        self._skipped = 0.0

    def monotonic(self) -> float:
        return time.monotonic() - self._started + self._skipped

    def sleep(self, seconds: float) -> None:
        self._skipped += seconds


@dataclass
class Run:
    gets: int  # counted by the emulator
    duration: float  # of the job, virtual seconds
    noticed_at: float  # virtual seconds after the job started
    polls: list[float]  # virtual time of each GET, since the job started

    @property
    def lag(self) -> float:
        return self.noticed_at - self.duration


class HeldJob:
    """A CustomJob held RUNNING on the emulator, released once the clock passes its duration."""

    def __init__(self, client: Any, control: ControlClient, clock: VirtualClock, duration: float) -> None:
        self.client, self.control, self.clock = client, control, clock
        job = client.create_custom_job(
            parent=PARENT,
            custom_job={
                "display_name": "ten-minute-job",
                "job_spec": {
                    "worker_pool_specs": [
                        {
                            "machine_spec": {"machine_type": "n1-standard-4"},
                            "replica_count": 1,
                            "container_spec": {"image_uri": IMAGE},
                        }
                    ]
                },
            },
        )
        self.name: str = job.name
        self.started_at = clock.monotonic()
        self.ends_at = self.started_at + duration
        self.released = False
        self.polls: list[float] = []

    def fetch_state(self) -> str:
        """One real GET, as a provider's ``fetch_state`` does; the job finishes at ``ends_at``."""
        now = self.clock.monotonic()
        if now >= self.ends_at and not self.released:
            self.control.release(self.name)
            self.released = True
        self.polls.append(now - self.started_at)
        return str(self.client.get_custom_job(name=self.name).state.name)


def sdk_block_until_complete(
    fetch_state: Callable[[], str], monotonic: Callable[[], float], sleep: Callable[[float], None]
) -> None:
    """``_RunnableJob._block_until_complete`` (google-cloud-aiplatform 2.7.0, google/cloud/aiplatform/jobs.py lines
    1643-1660), which ``CustomJob.run``/``wait`` use, with its logging reduced to what costs calls (none):

        while self.state not in _JOB_COMPLETE_STATES:     # `state` (lines 161-173) calls _sync_gca_resource(),
            current_time = time.time()                    #   i.e. one GET (base.py lines 695-698)
            if current_time - previous_time >= _LOG_WAIT_TIME:
                self._log_job_state()                     # logs the cached resource: no call
                ...
            self._log_web_access_uris()                   # cached resource too (lines 1929-1936): no call
            time.sleep(_JOB_WAIT_TIME)                    # always 5 s: only the log interval grows

    So: one GET, then a fixed 5 s sleep, until a complete state.
    """
    del monotonic  # the SDK only reads the clock for its log lines
    while fetch_state() not in SDK_COMPLETE_STATES:
        sleep(SDK_JOB_WAIT_TIME)


def provider_wait(seed: int) -> Callable[[HeldJob, VirtualClock], None]:
    policy = PollPolicy(initial=ProviderConfig().poll_initial_interval)  # what VertexProvider._poll_policy gives

    def wait(job: HeldJob, clock: VirtualClock) -> None:
        wait_until_terminal(
            job.fetch_state,
            describe=f"CustomJob {job.name}",
            deadline_seconds=DEFAULT_WAIT.total_seconds(),
            policy=policy,
            monotonic=clock.monotonic,
            sleep=clock.sleep,
            progress=io.StringIO(),
            rng=random.Random(seed),
        )

    return wait


def sdk_wait(job: HeldJob, clock: VirtualClock) -> None:
    sdk_block_until_complete(job.fetch_state, clock.monotonic, clock.sleep)


def measure(
    client: Any, control: ControlClient, wait: Callable[[HeldJob, VirtualClock], None], duration: float = JOB_SECONDS
) -> Run:
    clock = VirtualClock()
    job = HeldJob(client, control, clock, duration)
    control.reset_counters()
    wait(job, clock)
    noticed_at = clock.monotonic() - job.started_at
    gets = control.counters().get(GET_RPC, 0)
    assert gets == len(job.polls), (gets, len(job.polls))  # the emulator saw exactly our polls
    return Run(gets, duration, noticed_at, job.polls)


def main() -> None:
    started = time.perf_counter()
    with Emulator() as emulator:
        control = emulator.control
        control.set_job_timing("customJobs", mode="hold")
        client = JobServiceClient(
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            transport="rest",
            client_options={"api_endpoint": emulator.endpoint},
        )
        sdk = measure(client, control, sdk_wait)
        ours = [measure(client, control, provider_wait(seed)) for seed in range(SEEDS)]
        other_durations = {
            duration: (
                measure(client, control, sdk_wait, duration),
                [measure(client, control, provider_wait(seed), duration) for seed in range(SEEDS)],
            )
            for duration in OTHER_DURATIONS
        }

    gets = [run.gets for run in ours]
    lags = [run.lag for run in ours]
    median_gets, worst_gets = statistics.median(gets), max(gets)
    worst_lag = max(lags)
    print(f"API economy: GETs while waiting for a {JOB_SECONDS / 60:.0f}-minute CustomJob (emulator, virtual clock)")
    print(
        f"  SDK (fixed {SDK_JOB_WAIT_TIME} s)     : {sdk.gets} GETs, noticed {sdk.lag:.1f} s after the end "
        f"({sdk.lag / JOB_SECONDS:.1%} of the duration)"
    )
    print(
        f"  providers ({SEEDS} jitter seeds): {median_gets:g} GETs median ({min(gets)}-{worst_gets}), noticed "
        f"{statistics.median(lags):.1f} s median / {worst_lag:.1f} s worst after the end "
        f"({statistics.median(lags) / JOB_SECONDS:.1%} / {worst_lag / JOB_SECONDS:.1%})"
    )
    print(f"  provider poll times, seed 0 (s): {', '.join(f'{t:.0f}' for t in ours[0].polls)}")
    share = worst_gets / sdk.gets
    print(
        f"  ratio: {median_gets / sdk.gets:.2f} median, {share:.2f} worst of the SDK's GETs "
        f"(target <= {TARGET_SHARE:.2f}) -> {'met' if share <= TARGET_SHARE else 'NOT met'}"
    )
    print(
        f"  detection lag: {worst_lag / JOB_SECONDS:.1%} worst (target <= {TARGET_LAG:.0%}) -> "
        f"{'met' if worst_lag <= TARGET_LAG * JOB_SECONDS else 'NOT met'}"
    )
    print("  other durations (not targets; same policies):")
    for duration, (sdk_run, runs) in other_durations.items():
        worst = max(run.lag for run in runs)
        print(
            f"    {duration / 60:4.0f} min: SDK {sdk_run.gets:4d} GETs; providers "
            f"{statistics.median(run.gets for run in runs):3g} GETs median, worst lag {worst:5.1f} s "
            f"({worst / duration:.1%} of the duration)"
        )
    print(f"  (ran in {time.perf_counter() - started:.1f} s of real time)")


if __name__ == "__main__":
    main()
