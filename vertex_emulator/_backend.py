"""Everything a handler needs, in one object: state, storage, the job lifecycle, operations, runners, faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vertex_emulator._faults import FaultInjector
from vertex_emulator._jobs import JobLifecycle
from vertex_emulator._limits import DEFAULT_MAX_REPLICAS_PER_JOB
from vertex_emulator._operations import Operations
from vertex_emulator._store import Store
from vertex_emulator.runners import JobKind, JobRunner, JobTiming, ScheduledRunner
from vertex_emulator.storage import ObjectStorage

TIMING_SETTING = "job_timings"


@dataclass
class Backend:
    store: Store
    storage: ObjectStorage
    jobs: JobLifecycle
    operations: Operations
    scheduled: ScheduledRunner
    data_dir: Path
    runner: JobRunner | None = None
    faults: FaultInjector = field(default_factory=FaultInjector)
    endpoint: str = ""
    storage_host: str = ""
    default_timing: JobTiming = field(default_factory=JobTiming)
    # Datasets read and write their data (CSV sources, import files, exports); off in the scheduled mode,
    # where ImportData only records its configs and nothing is read.
    reads_data: bool = True
    max_replicas_per_job: int = DEFAULT_MAX_REPLICAS_PER_JOB

    def active_runner(self) -> JobRunner:
        return self.runner if self.runner is not None else self.scheduled

    def load_timings(self) -> None:
        """Timings persisted by the control plane win over the defaults given at start."""
        self.scheduled.reset_timings(self.default_timing)
        saved = self.store.setting(TIMING_SETTING) or {}
        for kind, timing in saved.items():
            self.scheduled.configure(JobTiming.from_json(timing), JobKind(kind))

    def save_timings(self) -> None:
        timings = {kind.value: timing.to_json() for kind, timing in self.scheduled.configured().items()}
        self.store.put_setting(TIMING_SETTING, timings)
