"""What every run needs from its host: storage, a scratch directory, identity, and local runtimes."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from ._images import ImageRegistry
from ._object_store import ObjectStore


@dataclass(frozen=True)
class ExecutionContext:
    """One job's execution context.

    store: where gs:// URIs live. work_dir: this job's scratch dir (packages, venv, trial files), created on
    demand. project/region/job_id: what CLOUD_ML_PROJECT_ID, CLOUD_ML_REGION and CLOUD_ML_JOB_ID say (job_id
    is the resource's numeric id). log_dir: replica logs (default ``work_dir/logs``). storage_emulator_host:
    STORAGE_EMULATOR_HOST for the job's processes so google-cloud-storage reaches the emulator (None: passed
    through from this process's environment if set there). venv_cache_dir: where per-package-set venvs live
    (default ``work_dir/venvs``; tuning trials share their tuning job's). env: extra variables for every process.
    """

    store: ObjectStore
    work_dir: Path
    project: str = "local-project"
    region: str = "us-central1"
    job_id: str = "1"
    log_dir: Path | None = None
    storage_emulator_host: str | None = None
    images: ImageRegistry = field(default_factory=ImageRegistry)
    python: str = sys.executable
    venv_cache_dir: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    kill_grace_seconds: float = 3.0

    @property
    def logs(self) -> Path:
        return self.log_dir if self.log_dir is not None else self.work_dir / "logs"

    @property
    def venvs(self) -> Path:
        return self.venv_cache_dir if self.venv_cache_dir is not None else self.work_dir / "venvs"

    def derive(self, **changes: object) -> ExecutionContext:
        """A copy with some fields changed (e.g. a tuning trial's own work_dir and log_dir)."""
        return replace(self, **changes)  # type: ignore[arg-type]
