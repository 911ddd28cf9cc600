"""A CustomJobSpec run locally: every replica of every worker pool as its own process (group)."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.rpc import code_pb2

from . import _spec
from ._context import ExecutionContext
from ._environment import (
    base_environment,
    cluster_environment,
    expand_references,
    free_local_address,
    output_directories,
    spec_env,
)
from ._errors import InvalidSpecError
from ._images import LocalCommand
from ._ledger import JOB_ENV, acting_for
from ._packages import fetch_packages, prepare_venv
from ._processes import LocalProcess, describe_exit, stop_all
from ._run import BackgroundRun, Outcome, RunState

_POLL_SECONDS = 0.05


@dataclass(frozen=True, kw_only=True)
class TrainingOutcome(Outcome):
    """``logs``: replica name (``workerpool0-0``) -> log file; ``exit_codes``: replica name -> exit code
    (None for a replica that never ended on its own)."""

    logs: dict[str, str] = field(default_factory=dict)
    exit_codes: dict[str, int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class _Pool:
    index: int
    replica_count: int
    command: LocalCommand


class TrainingRun(BackgroundRun[TrainingOutcome]):
    """Runs a CustomJobSpec (``CustomJob.jobSpec`` or a custom task's ``trainingTaskInputs``).

    ``dataset_env``: AIP_DATA_FORMAT and AIP_*_DATA_URI of an exported managed dataset.
    ``trial_id`` / ``extra_env``: set by hyperparameter tuning for each trial.
    ``shutdown_grace_seconds``: after the primary replica succeeds, how long the other replicas get to finish
    before they are stopped (parameter servers never exit by themselves).
    """

    _thread_name = "vertex-training"

    def __init__(
        self,
        spec: Mapping[str, Any],
        context: ExecutionContext,
        *,
        dataset_env: Mapping[str, str] | None = None,
        trial_id: str | None = None,
        extra_env: Mapping[str, str] | None = None,
        shutdown_grace_seconds: float = 5.0,
    ) -> None:
        super().__init__()
        self._raw_spec = spec
        self._context = context
        self._dataset_env = dict(dataset_env or {})
        self._trial_id = trial_id
        self._extra_env = dict(extra_env or {})
        self._shutdown_grace = shutdown_grace_seconds
        self._processes: list[LocalProcess] = []

    def _ended(self, state: RunState, code: int, message: str) -> TrainingOutcome:
        return TrainingOutcome(
            state=state, error_code=code, error_message=message, logs=self._logs(), exit_codes=self._exit_codes()
        )

    def _logs(self) -> dict[str, str]:
        return {p.name: str(p.log_path) for p in self._processes}

    def _exit_codes(self) -> dict[str, int | None]:
        return {p.name: None if p.stopped_by_us else p.returncode for p in self._processes}

    # -- execution ------------------------------------------------------------------------------
    def _execute(self) -> TrainingOutcome:
        # Helpers (pip) run with the emulator's environment: they still belong to this run's job.
        with acting_for(self._context.env.get(JOB_ENV)):
            return self._train()

    def _train(self) -> TrainingOutcome:
        spec = _spec.custom_job_spec(self._raw_spec)
        pools = []
        for index, pool_spec in _worker_pools(spec):
            command = self._pool_command(index, pool_spec)
            if command is None:
                return self._cancelled()
            pools.append(_Pool(index, int(pool_spec.get("replicaCount", 1)), command))
        cluster = {pool.index: [free_local_address() for _ in range(pool.replica_count)] for pool in pools}
        base_output = spec.get("baseOutputDirectory", {}).get("outputUriPrefix")
        processes = [
            self._replica(pool, replica, cluster, base_output)
            for pool in pools
            for replica in range(pool.replica_count)
        ]
        self._processes = processes
        timeout = _spec.duration_seconds(spec.get("scheduling", {}).get("timeout"))
        try:
            for process in processes:
                if self.cancel_requested:
                    return self._cancelled()
                process.start()
            return self._supervise(processes, timeout)
        finally:
            stop_all(processes, self._context.kill_grace_seconds)

    def _pool_command(self, index: int, pool: Mapping[str, Any]) -> LocalCommand | None:
        context = self._context
        if "pythonPackageSpec" in pool:
            package_spec = pool["pythonPackageSpec"]
            module = package_spec.get("pythonModule")
            if not module:
                raise InvalidSpecError(f"workerPoolSpecs[{index}].pythonPackageSpec.pythonModule is required")
            files = fetch_packages(
                context.store, package_spec.get("packageUris", []), context.work_dir / "packages" / str(index)
            )
            python = prepare_venv(
                files,
                venvs_dir=context.venvs,
                python=context.python,
                cancel=self._cancel_requested,
                grace_seconds=context.kill_grace_seconds,
            )
            if python is None:
                return None
            return LocalCommand(
                argv=[str(python), "-m", module, *package_spec.get("args", [])],
                env={**spec_env(package_spec.get("env", [])), "VIRTUAL_ENV": str(python.parent.parent)},
                working_dir=None,
                python_path=[],
            )
        container = pool["containerSpec"]
        image = container.get("imageUri")
        if not image:
            raise InvalidSpecError(f"workerPoolSpecs[{index}].containerSpec.imageUri is required")
        command = context.images.resolve(
            image, container.get("command", []), container.get("args", []), python=context.python
        )
        command.env.update(spec_env(container.get("env", [])))
        return command

    def _replica(
        self, pool: _Pool, replica: int, cluster: Mapping[int, Sequence[str]], base_output: str | None
    ) -> LocalProcess:
        context = self._context
        name = f"workerpool{pool.index}-{replica}"
        env = base_environment(context.work_dir / "home")
        env.update(context.env)
        env.update(pool.command.env)
        if context.storage_emulator_host:
            env["STORAGE_EMULATOR_HOST"] = context.storage_emulator_host
        env.update(output_directories(base_output))
        env.update(self._dataset_env)
        env.update(
            CLOUD_ML_JOB_ID=context.job_id,
            CLOUD_ML_PROJECT_ID=context.project,
            CLOUD_ML_REGION=context.region,
            PYTHONUNBUFFERED="1",
        )
        env.update(cluster_environment(cluster, pool.index, replica, self._trial_id))
        if self._trial_id is not None:
            env["CLOUD_ML_TRIAL_ID"] = self._trial_id
        env.update(self._extra_env)
        if "VIRTUAL_ENV" in env:
            env["PATH"] = os.pathsep.join([str(Path(env["VIRTUAL_ENV"]) / "bin"), env.get("PATH", "")])
        if pool.command.python_path:
            env["PYTHONPATH"] = os.pathsep.join(
                [*pool.command.python_path, *filter(None, [env.get("PYTHONPATH")])]
            )
        working_dir = pool.command.working_dir or context.work_dir / "replicas" / name
        Path(working_dir).mkdir(parents=True, exist_ok=True)
        return LocalProcess(
            name,
            expand_references(pool.command.argv, env),
            env=env,
            log_path=context.logs / f"{name}.log",
            cwd=working_dir,
        )

    def _supervise(self, processes: Sequence[LocalProcess], timeout: float | None) -> TrainingOutcome:
        primary = processes[0]
        started = time.monotonic()
        primary_done_at: float | None = None
        while True:
            if self._cancel_requested.wait(_POLL_SECONDS):
                stop_all(processes, self._context.kill_grace_seconds)
                return self._cancelled()
            now = time.monotonic()
            failed = next((p for p in processes if p.poll() not in (None, 0) and not p.stopped_by_us), None)
            if failed is not None:
                stop_all(processes, self._context.kill_grace_seconds)
                return self._failed(failed)
            if all(p.poll() is not None for p in processes):
                return self._succeeded()
            if primary.poll() == 0:
                primary_done_at = primary_done_at or now
                if now - primary_done_at > self._shutdown_grace:
                    stop_all(processes, self._context.kill_grace_seconds)
                    return self._succeeded()
            elif timeout is not None and now - started > timeout:
                stop_all(processes, self._context.kill_grace_seconds)
                return self._ended(
                    RunState.FAILED,
                    code_pb2.DEADLINE_EXCEEDED,
                    f"The job ran longer than its scheduling.timeout of {timeout:g}s and was stopped.\n"
                    f"Last lines of the log of {primary.name} ({primary.log_path}):\n{primary.tail()}",
                )

    def _succeeded(self) -> TrainingOutcome:
        return TrainingOutcome(state=RunState.SUCCEEDED, logs=self._logs(), exit_codes=self._exit_codes())

    def _failed(self, process: LocalProcess) -> TrainingOutcome:
        assert process.returncode is not None
        return self._ended(
            RunState.FAILED,
            code_pb2.INVALID_ARGUMENT,
            f"The replica {process.name} {describe_exit(process.returncode)}. Termination reason: Error.\n"
            f"Last lines of its log ({process.log_path}):\n{process.tail()}",
        )


def _worker_pools(spec: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    """Non-empty worker pools with their index (later pools may be empty placeholders ``{}``)."""
    pools = []
    for index, pool in enumerate(spec.get("workerPoolSpecs", [])):
        has_code = "pythonPackageSpec" in pool or "containerSpec" in pool
        count = int(pool.get("replicaCount", 0 if not has_code else 1))
        if not has_code and count == 0:
            continue
        if not has_code:
            raise InvalidSpecError(f"workerPoolSpecs[{index}] needs a containerSpec or a pythonPackageSpec")
        if count < 1:
            continue
        if index == 0 and count != 1:
            raise InvalidSpecError("workerPoolSpecs[0] is the primary replica: its replicaCount must be 1")
        pools.append((index, pool))
    if not pools or pools[0][0] != 0:
        raise InvalidSpecError("workerPoolSpecs[0] (the primary replica) must run code")
    return pools
