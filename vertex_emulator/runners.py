"""The seam between the API and whatever executes jobs.

The server owns resources and their state machine; a `JobRunner` owns execution. When a job is created the
server calls `runner.start(JobTicket)`; when a user cancels it the server moves the job to CANCELLING and calls
`runner.cancel(name)`. The runner reports back through `JobEvents` (from any thread, never while holding a lock
the server might wait on): `running`, `update` (output fields such as trials or completionStats), then exactly
one of `succeeded`, `failed` or `cancelled`. Late or repeated terminal reports are ignored. The server does the
rest: timestamps, backing jobs of training pipelines (created when the pipeline starts running, mirroring its
state), and the model upload of a successful pipeline (from `model_artifact_uri` if the runner gives one, else
`modelToUpload.artifactUri`, else `<baseOutputDirectory>/model/`, or `<base>/<best trial id>/model/` for tuning).

Two runners ship with the package:
- `LocalRunner` (`vertex_emulator.LocalRunner`, the default): real execution as local processes through
  `vertex_emulator.execution` (training code, tuning trials, batch prediction, dataset export and splits).
  A kind of job whose timing was set through the control plane (`config/jobs`) is handed to the scheduled
  runner instead, so a test can still hold a job in a state; a reset hands every kind back.
- `ScheduledRunner` (`Emulator(runner="scheduled")`): jobs run on a schedule set per kind (instant, after N
  seconds, or held until `release`), then succeed or fail as configured. Tuning jobs get synthetic trials (one
  per `maxTrialCount`, spread over the parameter ranges, with metric value `trial number / trial count`), each
  with a trial custom job; batch prediction jobs get an output directory and zero counts; pipeline jobs get a
  SUCCEEDED task detail per task of their root DAG. Nothing really runs.

Another runner plugs in through `Emulator(runner_factory=...)`: a callable receiving a `RunnerContext` (events,
storage, data dir, the scheduled runner for delegation) and returning a `JobRunner`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Protocol

from google.rpc import code_pb2

from vertex_emulator._limits import MAX_CONTROL_SECONDS, is_bounded_seconds
from vertex_emulator._scheduler import Scheduler, Timer
from vertex_emulator.storage import ObjectStorage

__all__ = [
    "JobEvents",
    "JobKind",
    "JobRunner",
    "JobTicket",
    "JobTiming",
    "RunnerContext",
    "RunnerFactory",
    "ScheduledRunner",
]

JsonDict = dict[str, Any]
Mode = Literal["instant", "delay", "hold"]
Outcome = Literal["succeed", "fail"]


class JobKind(str, Enum):
    """Kinds of jobs, named by their REST collection."""

    TRAINING_PIPELINE = "trainingPipelines"
    CUSTOM_JOB = "customJobs"
    HYPERPARAMETER_TUNING_JOB = "hyperparameterTuningJobs"
    BATCH_PREDICTION_JOB = "batchPredictionJobs"
    PIPELINE_JOB = "pipelineJobs"


@dataclass(frozen=True)
class JobTicket:
    """What a runner gets to start a job: its kind, full name, and its resource as proto JSON at creation."""

    kind: JobKind
    name: str
    resource: Mapping[str, Any]


class JobEvents(Protocol):
    """How a runner reports; each call returns the job's resource (proto JSON) after the change."""

    def get(self, name: str) -> JsonDict | None: ...

    def running(self, name: str) -> JsonDict: ...

    def update(self, name: str, fields: Mapping[str, Any]) -> JsonDict: ...

    def succeeded(
        self, name: str, fields: Mapping[str, Any] | None = None, *, model_artifact_uri: str | None = None
    ) -> JsonDict: ...

    def failed(
        self, name: str, message: str, *, code: int = code_pb2.INTERNAL, fields: Mapping[str, Any] | None = None
    ) -> JsonDict: ...

    def cancelled(self, name: str) -> JsonDict: ...

    def data_items(self, dataset: str) -> list[JsonDict]:
        """The data items ImportData brought into the (unstructured) dataset named `dataset`, in import order."""
        ...

    def create_custom_job(self, parent_job: str, job: Mapping[str, Any]) -> JsonDict:
        """A custom job owned by `parent_job` (a tuning trial), driven by the runner, never started by the server."""
        ...


class JobRunner(Protocol):
    def start(self, ticket: JobTicket) -> None: ...

    def cancel(self, name: str) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class JobTiming:
    """How the scheduled runner plays a kind of job.

    mode: "instant" (running and finished before the create call returns; the create response still shows
    the job PENDING), "delay" (running at once, finished after `seconds`), "hold" (running until released).
    outcome: "succeed" or "fail" (with `error_code` and `error_message`).
    cancel_seconds: how long a cancelled job stays CANCELLING before it is CANCELLED.
    """

    mode: Mode = "instant"
    seconds: float = 0.0
    outcome: Outcome = "succeed"
    error_code: int = code_pb2.INTERNAL
    error_message: str = "The job failed (outcome set through the emulator's control plane)."
    cancel_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.mode not in ("instant", "delay", "hold"):
            raise ValueError(f"mode must be instant, delay or hold, not {self.mode!r}")
        if self.outcome not in ("succeed", "fail"):
            raise ValueError(f"outcome must be succeed or fail, not {self.outcome!r}")
        for name in ("seconds", "cancel_seconds"):
            if not is_bounded_seconds(getattr(self, name)):
                raise ValueError(f"{name} must be a number of seconds between 0 and {MAX_CONTROL_SECONDS:g}")
        if isinstance(self.error_code, bool) or not isinstance(self.error_code, int) or not 1 <= self.error_code <= 16:
            raise ValueError("error_code must be a google.rpc.Code between 1 and 16")
        if not isinstance(self.error_message, str):
            raise ValueError("error_message must be a string")

    def to_json(self) -> JsonDict:
        return asdict(self)

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> JobTiming:
        known = {k: value[k] for k in cls.__dataclass_fields__ if k in value}
        unknown = set(value) - set(known)
        if unknown:
            raise ValueError(f"unknown timing fields: {sorted(unknown)}")
        return replace(cls(), **known)


@dataclass(frozen=True)
class RunnerContext:
    events: JobEvents
    storage: ObjectStorage
    data_dir: Path
    storage_host: str
    scheduled: ScheduledRunner
    api_endpoint: str = ""  # the emulator's own API, for what a pipeline's tasks create


RunnerFactory = Callable[[RunnerContext], JobRunner]


@dataclass
class _Job:
    ticket: JobTicket
    timing: JobTiming
    timer: Timer | None = None
    cancelling: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class ScheduledRunner:
    """Plays jobs on the schedule configured per kind; see `JobTiming`."""

    def __init__(self, events: JobEvents) -> None:
        self._events = events
        self._lock = threading.Lock()
        self._scheduler = Scheduler()
        self._timings: dict[JobKind, JobTiming] = {kind: JobTiming() for kind in JobKind}
        self._configured: set[JobKind] = set()
        self._jobs: dict[str, _Job] = {}

    # -- configuration -------------------------------------------------------------------------------
    def configure(self, timing: JobTiming, kind: JobKind | None = None) -> None:
        """Set the timing of one kind, or of every kind when `kind` is None (jobs already started keep theirs).

        A kind configured this way is scheduled even when another runner is active (see `is_configured`)."""
        with self._lock:
            for each in [kind] if kind else list(JobKind):
                self._timings[each] = timing
                self._configured.add(each)

    def reset_timings(self, timing: JobTiming) -> None:
        """Every kind back to `timing`, none of them configured."""
        with self._lock:
            self._timings = dict.fromkeys(JobKind, timing)
            self._configured.clear()

    def timings(self) -> dict[JobKind, JobTiming]:
        with self._lock:
            return dict(self._timings)

    def configured(self) -> dict[JobKind, JobTiming]:
        """The timings set through `configure` (what the control plane persists)."""
        with self._lock:
            return {kind: self._timings[kind] for kind in self._configured}

    def is_configured(self, kind: JobKind) -> bool:
        """Whether a test asked for this kind to be scheduled (then a real runner delegates it here)."""
        with self._lock:
            return kind in self._configured

    def held(self) -> list[str]:
        """Names of the jobs waiting for `release`."""
        with self._lock:
            return [n for n, j in self._jobs.items() if j.timing.mode == "hold" and not j.cancelling]

    def release(self, name: str, outcome: Outcome | None = None) -> bool:
        """Finish a held job now (with its configured outcome unless `outcome` is given); False if not held."""
        with self._lock:
            job = self._jobs.get(name)
            if job is None or job.timing.mode != "hold" or job.cancelling:
                return False
            if outcome is not None:
                job.timing = replace(job.timing, outcome=outcome)
        self._finish(name)
        return True

    # -- JobRunner -----------------------------------------------------------------------------------
    def start(self, ticket: JobTicket) -> None:
        with self._lock:
            job = _Job(ticket, self._timings[ticket.kind])
            self._jobs[ticket.name] = job
        self._events.running(ticket.name)
        if job.timing.mode == "instant":
            self._finish(ticket.name)
        elif job.timing.mode == "delay":
            with self._lock:
                job.timer = self._scheduler.call_later(job.timing.seconds, lambda: self._finish(ticket.name))

    def cancel(self, name: str) -> None:
        with self._lock:
            job = self._jobs.get(name)
            if job is not None:
                if job.timer is not None:
                    job.timer.cancel()
                job.cancelling = True
            delay = job.timing.cancel_seconds if job else self._timings[JobKind.CUSTOM_JOB].cancel_seconds
        if delay > 0:
            self._scheduler.call_later(delay, lambda: self._cancelled(name))
        else:
            self._cancelled(name)

    def close(self) -> None:
        self._scheduler.close()

    # -- internals -----------------------------------------------------------------------------------
    def _cancelled(self, name: str) -> None:
        with self._lock:
            self._jobs.pop(name, None)
        self._events.cancelled(name)

    def _finish(self, name: str) -> None:
        with self._lock:
            job = self._jobs.pop(name, None)
        if job is None or job.cancelling:
            return
        timing, ticket = job.timing, job.ticket
        if timing.outcome == "fail":
            self._events.failed(name, timing.error_message, code=timing.error_code)
            return
        fields: JsonDict = {}
        if ticket.kind is JobKind.HYPERPARAMETER_TUNING_JOB:
            fields = {"trials": self._trials(name, ticket.resource)}
        elif ticket.kind is JobKind.TRAINING_PIPELINE:
            current = self._events.get(name) or {}
            backing = current.get("trainingTaskMetadata", {}).get("backingHyperparameterTuningJob")
            backing_job = self._events.get(backing) if backing else None
            if backing and backing_job:
                self._events.update(backing, {"trials": self._trials(backing, backing_job)})
        elif ticket.kind is JobKind.BATCH_PREDICTION_JOB:
            model = self._events.get(str(ticket.resource.get("model", ""))) or {}
            fields = _prediction_outputs(ticket.resource, str(model.get("displayName", "model")))
        elif ticket.kind is JobKind.PIPELINE_JOB:
            fields = {"jobDetail": _pipeline_detail(ticket.resource)}
        self._events.succeeded(name, fields)

    def _trials(self, job_name: str, job: Mapping[str, Any]) -> list[JsonDict]:
        study = job.get("studySpec", {})
        count = max(1, min(int(job.get("maxTrialCount", 1)), 1000))
        spec = dict(job.get("trialJobSpec", {}))
        base = spec.get("baseOutputDirectory", {}).get("outputUriPrefix", "")
        trials = []
        for index in range(count):
            trial_id = str(index + 1)
            trial_spec = dict(spec)
            if base:
                trial_spec["baseOutputDirectory"] = {"outputUriPrefix": f"{base.rstrip('/')}/{trial_id}"}
            custom = self._events.create_custom_job(
                job_name,
                {"displayName": f"{job.get('displayName', 'tuning')}-trial-{trial_id}", "jobSpec": trial_spec},
            )
            self._events.running(custom["name"])
            self._events.succeeded(custom["name"])
            value = (index + 1) / count
            trials.append(
                {
                    "id": trial_id,
                    "state": "SUCCEEDED",
                    "parameters": [
                        {"parameterId": p.get("parameterId", ""), "value": _parameter_value(p, index, count)}
                        for p in study.get("parameters", [])
                    ],
                    "finalMeasurement": {
                        "stepCount": "1",
                        "metrics": [
                            {"metricId": m.get("metricId", ""), "value": value} for m in study.get("metrics", [])
                        ],
                    },
                    "startTime": custom.get("startTime") or _now(),
                    "endTime": _now(),
                    "customJob": custom["name"],
                }
            )
        return trials


def _parameter_value(parameter: Mapping[str, Any], index: int, count: int) -> Any:
    position = (index + 0.5) / count
    if "doubleValueSpec" in parameter:
        spec = parameter["doubleValueSpec"]
        low, high = float(spec.get("minValue", 0.0)), float(spec.get("maxValue", 0.0))
        return low + (high - low) * position
    if "integerValueSpec" in parameter:
        spec = parameter["integerValueSpec"]
        low, high = int(spec.get("minValue", 0)), int(spec.get("maxValue", 0))
        return low + min(high - low, int((high - low + 1) * position))
    for key in ("categoricalValueSpec", "discreteValueSpec"):
        if key in parameter:
            values = parameter[key].get("values", [])
            return values[index % len(values)] if values else None
    return None


def _prediction_outputs(job: Mapping[str, Any], model_display_name: str) -> JsonDict:
    destination = job.get("outputConfig", {}).get("gcsDestination", {}).get("outputUriPrefix")
    stamp = datetime.now(timezone.utc).strftime("%Y_%m_%dT%H_%M_%S_%fZ")[:-4] + "Z"
    fields: JsonDict = {
        "completionStats": {"successfulCount": "0", "failedCount": "0", "incompleteCount": "0"},
    }
    if destination:
        directory = f"{destination.rstrip('/')}/prediction-{model_display_name}-{stamp}"
        fields["outputInfo"] = {"gcsOutputDirectory": directory}
    return fields


def _pipeline_detail(job: Mapping[str, Any]) -> JsonDict:
    """Synthetic task details of a pipeline job that succeeded: its root DAG and each of its tasks SUCCEEDED."""
    spec = job.get("pipelineSpec", {})
    tasks = spec.get("root", {}).get("dag", {}).get("tasks", {})
    now = _now()
    root = {"taskId": "1", "taskName": str(spec.get("pipelineInfo", {}).get("name", "pipeline"))}
    details = [root, *({"taskId": str(i), "taskName": str(t), "parentTaskId": "1"} for i, t in enumerate(tasks, 2))]
    return {"taskDetails": [{**d, "state": "SUCCEEDED", "createTime": now, "startTime": now, "endTime": now}
                            for d in details]}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
