"""The default runner: jobs really run, as local processes, through `vertex_emulator.execution`.

- CustomJob: its jobSpec (python packages installed into a per-package-set venv, containers mapped to local
  runtimes), every replica a process group; logs under `<data dir>/jobs/<job id>/logs/`, named on the job as
  `webAccessUris` (`workerpool0-0` -> `file://...log`; there are no interactive shells here).
- HyperparameterTuningJob: trials from the study spec, each a CustomJob owned by the tuning job; `trials` on the
  job while it runs.
- TrainingPipeline: export and split of its dataset (`inputDataConfig`), then the custom or tuning task; the
  backing job carries the logs or the trials; the server uploads the model from the artifact URI the run
  found (an empty model directory fails the pipeline).
- BatchPredictionJob: the model version the job names (`modelVersionId`), streamed in batches.
- PipelineJob: the compiled KFP pipeline's DAG, task by task; container tasks and GCPC's Vertex components
  create their CustomJobs, models and batch prediction jobs through the emulator's own API
  (`execution._pipeline_job`, `execution._kfp_tasks`); `jobDetail.taskDetails` follows the run.

A kind whose timing was set through the control plane (`config/jobs`) goes to the scheduled runner, so tests
can hold a job in a state; cancels of jobs this runner does not run (those, and backing jobs cancelled
directly) go there too. Cancelling a tuning trial's CustomJob stops that trial (it ends INFEASIBLE, its job
CANCELLED) while the other trials go on.

On close, running processes are stopped and their jobs left as they are, so a restart marks them failed like
any job the emulator was running when it stopped. Every process of a job is marked and recorded in
`<data dir>/jobs/<id>/processes/` while it runs (`execution._ledger`): after a SIGKILL of the emulator, the next
start on the data dir stops what is left before it fails those jobs.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from vertex_emulator.execution import (
    JOB_ENV,
    LEDGER_DIR,
    BackgroundRun,
    BatchPredictionRun,
    ExecutionContext,
    ExecutionError,
    ImageRegistry,
    ObjectNotFoundError,
    Outcome,
    PipelineJobRun,
    PipelineOutcome,
    ProcessLedger,
    RunState,
    TrainingOutcome,
    TrainingPipelineRun,
    TrainingRun,
    TuningObserver,
    TuningRun,
    VertexApi,
    close_ledger,
    open_ledger,
)
from vertex_emulator.runners import JobEvents, JobKind, JobTicket, RunnerContext

__all__ = ["LocalRunner"]

_log = logging.getLogger(__name__)
JsonDict = dict[str, Any]
_CLOSE_WAIT_SECONDS = 10.0


class LocalRunner:
    """Runs jobs for real on this machine (see the module docstring).

    images: the image mappings (default: re-read for each job from the file named by VERTEX_EMULATOR_IMAGES, so
    edits apply without a restart). python: the interpreter for `python` commands and package venvs.
    env: extra environment variables for every process a job starts.
    """

    def __init__(
        self,
        context: RunnerContext,
        *,
        images: ImageRegistry | None = None,
        python: str = sys.executable,
        env: Mapping[str, str] | None = None,
        kill_grace_seconds: float = 3.0,
    ) -> None:
        self._context = context
        self._events = context.events
        self._images = images
        self._python = python
        self._env = dict(env or {})
        self._kill_grace_seconds = kill_grace_seconds
        self._lock = threading.Lock()
        self._runs: dict[str, BackgroundRun[Any]] = {}
        self._starting: set[str] = set()  # between `start` and the run's registration
        self._cancel_pending: set[str] = set()  # cancelled meanwhile
        self._trial_jobs: dict[str, Callable[[], None]] = {}  # a running trial's CustomJob -> stop that trial
        self._closed = False

    # -- JobRunner -----------------------------------------------------------------------------------
    def start(self, ticket: JobTicket) -> None:
        if self._context.scheduled.is_configured(ticket.kind):
            self._context.scheduled.start(ticket)
            return
        name = ticket.name
        with self._lock:
            self._starting.add(name)
        try:
            resource = self._events.running(name)
            state = str(resource.get("state", ""))
            if not state.endswith("_RUNNING"):
                if state.endswith("_CANCELLING"):  # cancelled before it could start
                    self._events.cancelled(name)
                return
            ledger: ProcessLedger | None = None
            try:
                context = self._execution_context(name, _backing_job_id(resource))
                # Opened before anything starts: after a crash, the next start finds what the job left running.
                ledger = open_ledger(context.work_dir / LEDGER_DIR, name)
                run = self._run_for(ticket.kind, name, resource, context)
            except ExecutionError as error:
                if ledger is not None:
                    close_ledger(ledger)
                self._events.failed(name, error.message, code=error.code)
                return
            with self._lock:
                if self._closed:
                    close_ledger(ledger)
                    return
                self._runs[name] = run
                cancel_now = name in self._cancel_pending
            run.start(on_done=functools.partial(self._done, name, resource, context, ledger))
            if cancel_now:
                run.cancel()
        finally:
            with self._lock:
                self._starting.discard(name)
                self._cancel_pending.discard(name)

    def cancel(self, name: str) -> None:
        with self._lock:
            run = self._runs.get(name)
            if run is None and name in self._starting:
                self._cancel_pending.add(name)  # `start` cancels the run once it exists
                return
            stop_trial = self._trial_jobs.get(name)
        if run is not None:
            run.cancel()
        elif stop_trial is not None:
            stop_trial()
        else:
            self._context.scheduled.cancel(name)  # a scheduled job, or one this runner does not run

    def close(self) -> None:
        with self._lock:
            self._closed = True
            runs = list(self._runs.values())
        for run in runs:
            run.cancel()
        for run in runs:
            run.wait(_CLOSE_WAIT_SECONDS)

    def running_jobs(self) -> list[str]:
        """Names of the jobs whose processes run now."""
        with self._lock:
            return list(self._runs)

    # -- building runs ---------------------------------------------------------------------------------
    def _execution_context(self, name: str, job_id: str | None = None) -> ExecutionContext:
        parts = name.split("/")  # projects/<number>/locations/<region>/<collection>/<id>
        own_id = parts[-1]
        data_dir = self._context.data_dir
        return ExecutionContext(
            store=self._context.storage,
            work_dir=data_dir / "jobs" / own_id,
            project=parts[1],
            region=parts[3],
            job_id=job_id or own_id,
            storage_emulator_host=self._context.storage_host,
            images=self._images if self._images is not None else ImageRegistry.from_env(),
            python=self._python,
            venv_cache_dir=data_dir / "venvs",
            env={**self._env, JOB_ENV: name},  # marks every process of the job (see execution._ledger)
            kill_grace_seconds=self._kill_grace_seconds,
        )

    def _run_for(self, kind: JobKind, name: str, resource: JsonDict, context: ExecutionContext) -> BackgroundRun[Any]:
        if kind is JobKind.CUSTOM_JOB:
            return TrainingRun(resource.get("jobSpec", {}), context)
        if kind is JobKind.HYPERPARAMETER_TUNING_JOB:
            observer = self._trial_jobs_of(name, str(resource.get("displayName", "tuning")))
            return TuningRun(resource, context, observer=observer)
        if kind is JobKind.BATCH_PREDICTION_JOB:
            return BatchPredictionRun(resource, self._model_of(resource), context)
        if kind is JobKind.PIPELINE_JOB:
            return PipelineJobRun(
                resource,
                context,
                VertexApi(self._context.api_endpoint),
                on_detail=lambda detail: self._events.update(name, {"jobDetail": detail}),
                cache_dir=self._context.data_dir / "pipeline-cache",
            )
        return self._pipeline_run(name, resource, context)

    def _model_of(self, job: Mapping[str, Any]) -> JsonDict:
        """The model version the job names: its `@version`/`@alias`, else the version resolved at creation; or the
        job's `unmanagedContainerModel`."""
        unmanaged = job.get("unmanagedContainerModel")
        if not job.get("model") and isinstance(unmanaged, dict):
            # A model that is not in the registry (GCPC's unmanaged_container_model): its files and container.
            return {"displayName": str(job.get("displayName") or "model"), **unmanaged}
        reference = str(job.get("model", ""))
        version = job.get("modelVersionId")
        if "@" not in reference and version:
            reference = f"{reference}@{version}"
        model = self._events.get(reference) if reference else None
        if not model:
            raise ObjectNotFoundError(f"The model {reference or '(none)'} of this job does not exist (any more).")
        return model

    def _pipeline_run(self, name: str, pipeline: JsonDict, context: ExecutionContext) -> TrainingPipelineRun:
        tuning_job_name = pipeline.get("trainingTaskMetadata", {}).get("backingHyperparameterTuningJob")
        observer = None
        if tuning_job_name:
            tuning_job = self._events.get(tuning_job_name) or {}
            observer = self._trial_jobs_of(tuning_job_name, str(tuning_job.get("displayName", "tuning")))
        dataset: JsonDict | None = None
        items: list[JsonDict] | None = None
        dataset_id = pipeline.get("inputDataConfig", {}).get("datasetId")
        if dataset_id:
            dataset_name = f"{'/'.join(name.split('/')[:4])}/datasets/{dataset_id}"
            dataset = self._events.get(dataset_name)
            if not dataset:
                raise ObjectNotFoundError(f"The dataset {dataset_name} of this pipeline does not exist (any more).")
            items = self._events.data_items(dataset_name) or None  # None: "nothing imported", not empty files
        return TrainingPipelineRun(pipeline, context, dataset=dataset, items=items, observer=observer)

    def _trial_jobs_of(self, tuning_job: str, display_name: str) -> _TrialJobs:
        return _TrialJobs(self._events, tuning_job, display_name, self._lock, self._trial_jobs)

    # -- reporting -------------------------------------------------------------------------------------
    def _done(
        self, name: str, resource: JsonDict, context: ExecutionContext, ledger: ProcessLedger, outcome: Outcome
    ) -> None:
        close_ledger(ledger)  # the run stopped every process it started
        with self._lock:
            self._runs.pop(name, None)
            if self._closed:
                return  # the emulator is stopping: the job is left for the restart to settle
        try:
            if isinstance(outcome, PipelineOutcome):
                self._report_backing_job(resource, outcome, context)
            report(self._events, name, outcome)
        except Exception:
            _log.exception("could not report the end of %s", name)

    def _report_backing_job(self, pipeline: JsonDict, outcome: PipelineOutcome, context: ExecutionContext) -> None:
        """What the backing job ran (replica logs, trials) goes on it; its state follows the pipeline's."""
        metadata = pipeline.get("trainingTaskMetadata", {})
        if metadata.get("backingCustomJob"):
            # From the log directory: the run's outcome has no logs when a later step (the model) failed it.
            logs = {path.stem: str(path) for path in sorted(context.logs.glob("*.log"))}
            if logs:
                self._events.update(metadata["backingCustomJob"], _log_fields(logs))
        if outcome.tuning is not None and metadata.get("backingHyperparameterTuningJob"):
            self._events.update(metadata["backingHyperparameterTuningJob"], outcome.tuning.resource_fields())


def report(events: JobEvents, name: str, outcome: Outcome) -> None:
    """Put a run's outcome on its job: output fields, then the terminal state."""
    fields = {**outcome.resource_fields()}
    if isinstance(outcome, TrainingOutcome) and outcome.logs:
        fields.update(_log_fields(outcome.logs))
    if outcome.state is RunState.SUCCEEDED:
        artifact = outcome.model_artifact_uri if isinstance(outcome, PipelineOutcome) else None
        events.succeeded(name, fields, model_artifact_uri=artifact)
    elif outcome.state is RunState.CANCELLED:
        if fields:
            events.update(name, fields)
        events.cancelled(name)
    else:
        events.failed(name, outcome.error_message, code=outcome.error_code or 13, fields=fields)


def _log_fields(logs: Mapping[str, str]) -> JsonDict:
    """Replica logs as `webAccessUris` (replica name -> file:// URI): the job's pointer to them."""
    return {"webAccessUris": {replica: Path(path).resolve().as_uri() for replica, path in logs.items()}}


def _backing_job_id(resource: Mapping[str, Any]) -> str | None:
    """A pipeline's training runs as its backing job: CLOUD_ML_JOB_ID is that job's id."""
    metadata = resource.get("trainingTaskMetadata", {})
    backing = metadata.get("backingCustomJob") or metadata.get("backingHyperparameterTuningJob")
    return str(backing).rsplit("/", 1)[-1] if backing else None


class _TrialJobs(TuningObserver):
    """Each tuning trial as a CustomJob owned by the tuning job, and the job's `trials` kept current.

    While a trial runs, `stoppers` (the runner's, under its `lock`) maps its CustomJob to stopping the trial,
    so that cancelling that job stops the trial's processes.
    """

    def __init__(
        self,
        events: JobEvents,
        tuning_job: str,
        display_name: str,
        lock: threading.Lock,
        stoppers: dict[str, Callable[[], None]],
    ) -> None:
        self._events = events
        self._tuning_job = tuning_job
        self._display_name = display_name
        self._lock = lock
        self._stoppers = stoppers
        self._run: TuningRun | None = None

    def attach(self, run: TuningRun) -> None:
        self._run = run

    def trial_started(self, trial_id: str, job_spec: JsonDict) -> str | None:
        job = self._events.create_custom_job(
            self._tuning_job, {"displayName": f"{self._display_name}-trial-{trial_id}", "jobSpec": job_spec}
        )
        name = str(job["name"])
        stop = functools.partial(self._stop, trial_id)
        with self._lock:
            self._stoppers[name] = stop
        # A cancel between the creation and the line above went past the runner (it ended the job CANCELLED
        # directly, or left it CANCELLING): the job's state tells.
        state = str(self._events.running(name).get("state", ""))
        if not state.endswith("_RUNNING"):
            stop()
        return name

    def trial_ended(self, trial_id: str, custom_job: str | None, outcome: TrainingOutcome) -> None:
        if custom_job:
            with self._lock:
                self._stoppers.pop(custom_job, None)
            report(self._events, custom_job, outcome)

    def _stop(self, trial_id: str) -> None:
        if self._run is not None:
            self._run.stop_trial(trial_id)

    def trials_changed(self, trials: list[JsonDict]) -> None:
        self._events.update(self._tuning_job, {"trials": trials})
