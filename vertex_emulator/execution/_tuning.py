"""Hyperparameter tuning: trials from the study spec, each a TrainingRun of the trial job spec."""

from __future__ import annotations

import copy
import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from google.rpc import code_pb2

from . import _spec
from ._context import ExecutionContext
from ._errors import InvalidSpecError
from ._hypertune import Measurement, final_measurement, read_measurements
from ._object_store import join_uri
from ._run import BackgroundRun, Outcome, RunState, rfc3339_now
from ._study import ParameterValue, parameters_json, suggestions, trial_arguments
from ._training import TrainingOutcome, TrainingRun

JsonDict = dict[str, Any]


class TuningObserver:
    """Hooks for the server; override what you need (called from the tuning run's thread).

    ``attach`` gets the run once, when it is created (``run.stop_trial(trial_id)`` stops a single trial, e.g.
    when its CustomJob is cancelled); ``trial_started`` may create the trial's CustomJob resource and return
    its name (it becomes the trial's ``customJob``); ``trial_ended`` reports that job's outcome;
    ``trials_changed`` gets the whole ``trials`` list each time it changes (to update the resource while it
    runs; called from the thread that changed it, never twice at once).
    """

    def attach(self, run: TuningRun) -> None:
        return None

    def trial_started(self, trial_id: str, job_spec: JsonDict) -> str | None:
        return None

    def trial_ended(self, trial_id: str, custom_job: str | None, outcome: TrainingOutcome) -> None:
        return None

    def trials_changed(self, trials: list[JsonDict]) -> None:
        return None


@dataclass(frozen=True, kw_only=True)
class TuningOutcome(Outcome):
    """``trials`` as the HyperparameterTuningJob shows them; ``best_trial_id`` by the study's metric goal."""

    trials: list[JsonDict] = field(default_factory=list)
    best_trial_id: str | None = None

    def resource_fields(self) -> dict[str, Any]:
        return {"trials": self.trials}

    @property
    def best_trial(self) -> JsonDict | None:
        return next((t for t in self.trials if t["id"] == self.best_trial_id), None)


@dataclass
class _Trial:
    trial_id: str
    parameters: dict[str, ParameterValue]
    run: TrainingRun
    custom_job: str | None
    record: JsonDict


class TuningRun(BackgroundRun[TuningOutcome]):
    """Runs a HyperparameterTuningJob (or a tuning task's ``trainingTaskInputs``: same field names).

    At most ``parallelTrialCount`` trials run at once, ``maxTrialCount`` in all (fewer if a grid runs out);
    the job fails once ``maxFailedTrialCount`` trials failed (0: only when every trial failed). Random search
    is reproducible for a given ``seed``. Trials share one venv per package set.
    """

    _thread_name = "vertex-tuning"

    def __init__(
        self,
        job: Mapping[str, Any],
        context: ExecutionContext,
        *,
        dataset_env: Mapping[str, str] | None = None,
        seed: int = 0,
        observer: TuningObserver | None = None,
    ) -> None:
        super().__init__()
        self._raw_job = job
        self._context = context
        self._dataset_env = dict(dataset_env or {})
        self._seed = seed
        self._observer = observer or TuningObserver()
        self._lock = threading.Lock()
        self._notify_lock = threading.Lock()
        self._trials: dict[str, _Trial] = {}
        self._stop_requested: set[str] = set()  # trials stopped before they were launched
        self._best_trial_id: str | None = None
        self._observer.attach(self)

    def trials(self) -> list[JsonDict]:
        """A snapshot of the trials so far (safe from any thread)."""
        with self._lock:
            return [copy.deepcopy(t.record) for t in self._trials.values()]

    def _ended(self, state: RunState, code: int, message: str) -> TuningOutcome:
        return TuningOutcome(
            state=state, error_code=code, error_message=message, trials=self.trials(),
            best_trial_id=self._best_trial_id,
        )

    def stop_trial(self, trial_id: str) -> None:
        """Stop one trial (its CustomJob was cancelled) while the others go on: its processes are stopped and
        it ends INFEASIBLE. Safe from any thread, also before the trial is launched or after it ended."""
        with self._lock:
            trial = self._trials.get(trial_id)
            if trial is None:
                self._stop_requested.add(trial_id)
                return
            if trial.record["state"] != "ACTIVE":
                return  # ended, or stopping already
            trial.record["state"] = "STOPPING"
            run = trial.run
        run.cancel()
        self._notify()

    def _on_cancel(self) -> None:
        with self._lock:
            runs = [trial.run for trial in self._trials.values()]
        for run in runs:
            run.cancel()

    # -- execution ------------------------------------------------------------------------------
    def _execute(self) -> TuningOutcome:
        job = _spec.tuning_job(self._raw_job)
        study = job.get("studySpec", {})
        metrics = study.get("metrics", [])
        if not metrics or not metrics[0].get("metricId"):
            raise InvalidSpecError("studySpec.metrics must name the metric to optimize")
        metric_id, goal = metrics[0]["metricId"], metrics[0].get("goal", "GOAL_TYPE_UNSPECIFIED")
        if goal not in ("MAXIMIZE", "MINIMIZE"):
            raise InvalidSpecError(f"studySpec.metrics[0].goal must be MAXIMIZE or MINIMIZE, not {goal}")
        selection = study.get("measurementSelectionType", "LAST_MEASUREMENT")
        max_trials = int(job.get("maxTrialCount", 0))
        parallel = int(job.get("parallelTrialCount", 0)) or 1
        if max_trials < 1:
            raise InvalidSpecError("maxTrialCount must be at least 1")
        max_failed = int(job.get("maxFailedTrialCount", 0)) or max_trials
        trial_spec = job.get("trialJobSpec")
        if not trial_spec:
            raise InvalidSpecError("trialJobSpec is required")
        pending = suggestions(study, self._seed)

        finished: queue.Queue[tuple[str, TrainingOutcome]] = queue.Queue()
        active: set[str] = set()
        launched = failures = 0
        last_error = ""
        stopping = False
        while True:
            stopping = stopping or self.cancel_requested
            while not stopping and len(active) < parallel and launched < max_trials:
                parameters = next(pending, None)
                if parameters is None:
                    break
                launched += 1
                trial_id = str(launched)
                self._launch(trial_id, parameters, trial_spec, finished)
                active.add(trial_id)
            if not active:
                break
            try:
                trial_id, outcome = finished.get(timeout=0.1)
            except queue.Empty:
                continue
            active.discard(trial_id)
            error = self._record_result(trial_id, outcome, metric_id, goal, selection)
            if error is not None and not self.cancel_requested:
                failures += 1
                last_error = f"Trial {trial_id}: {error}"
                if failures >= max_failed and not stopping:
                    stopping = True
                    self._on_cancel()
        if self.cancel_requested:
            return self._cancelled()
        if failures >= max_failed:
            return self._ended(
                RunState.FAILED,
                code_pb2.FAILED_PRECONDITION,
                f"{failures} trials failed, which reaches maxFailedTrialCount ({max_failed}). {last_error}",
            )
        if self._best_trial_id is None:
            return self._ended(RunState.FAILED, code_pb2.FAILED_PRECONDITION, f"No trial succeeded. {last_error}")
        return TuningOutcome(state=RunState.SUCCEEDED, trials=self.trials(), best_trial_id=self._best_trial_id)

    def _launch(
        self,
        trial_id: str,
        parameters: dict[str, ParameterValue],
        trial_spec: Mapping[str, Any],
        finished: queue.Queue[tuple[str, TrainingOutcome]],
    ) -> None:
        context = self._context
        spec = _trial_job_spec(trial_spec, trial_id, trial_arguments(parameters))
        trial_dir = context.work_dir / "trials" / trial_id
        metric_file = trial_dir / "hypertune" / "output.metrics"
        run = TrainingRun(
            spec,
            context.derive(
                work_dir=trial_dir, log_dir=context.logs / f"trial-{trial_id}", venv_cache_dir=context.venvs
            ),
            dataset_env=self._dataset_env,
            trial_id=trial_id,
            extra_env={"CLOUD_ML_HP_METRIC_FILE": str(metric_file)},
        )
        custom_job = self._observer.trial_started(trial_id, spec)
        record: JsonDict = {
            "id": trial_id,
            "state": "ACTIVE",
            "parameters": parameters_json(parameters),
            "startTime": rfc3339_now(),
        }
        if custom_job:
            record["customJob"] = custom_job
        with self._lock:
            stop_now = trial_id in self._stop_requested
            if stop_now:
                record["state"] = "STOPPING"
            self._trials[trial_id] = _Trial(trial_id, parameters, run, custom_job, record)
        self._notify()
        run.start(on_done=lambda outcome: finished.put((trial_id, outcome)))
        if self.cancel_requested or stop_now:
            run.cancel()

    def _record_result(
        self, trial_id: str, outcome: TrainingOutcome, metric_id: str, goal: str, selection: str
    ) -> str | None:
        """Update the trial from its run; the failure reason if it failed."""
        trial = self._trials[trial_id]
        error: str | None = None
        measurements: list[Measurement] = []
        final: Measurement | None = None
        if outcome.state is RunState.CANCELLED and not self.cancel_requested:
            # Stopped on its own (its CustomJob was cancelled). Trial.State: STOPPING is "should stop", a
            # passing state; a trial that is done without a final_measurement is INFEASIBLE ("should not be
            # attempted again"), never SUCCEEDED. It counts as a failed trial, like any INFEASIBLE one.
            error = "The trial was stopped: its CustomJob was cancelled."
        elif outcome.succeeded:
            metric_file = self._context.work_dir / "trials" / trial_id / "hypertune" / "output.metrics"
            measurements = read_measurements(metric_file, metric_id)
            final = final_measurement(measurements, selection, goal)
            if final is None:
                error = f"the trial did not report the metric {metric_id!r} (cloudml-hypertune)"
        else:
            error = outcome.error_message
        with self._lock:
            record = trial.record
            record["endTime"] = rfc3339_now()
            if error is None and final is not None:
                record["state"] = "SUCCEEDED"
                record["finalMeasurement"] = final.to_json(metric_id)
                record["measurements"] = [m.to_json(metric_id) for m in measurements]
                self._consider_best(trial_id, final.value, goal)
            else:
                record["state"] = "INFEASIBLE"
                record["infeasibleReason"] = error
        self._observer.trial_ended(trial_id, trial.custom_job, outcome)
        self._notify()
        return error

    def _consider_best(self, trial_id: str, value: float, goal: str) -> None:
        best = self._trials[self._best_trial_id].record if self._best_trial_id else None
        if best is not None:
            best_value = best["finalMeasurement"]["metrics"][0]["value"]
            better = value > best_value if goal == "MAXIMIZE" else value < best_value
            # Equal values: the earlier trial stays best.
            if not better and not (value == best_value and int(trial_id) < int(best["id"])):
                return
        self._best_trial_id = trial_id

    def _notify(self) -> None:
        with self._notify_lock:  # in order: a later snapshot is never overwritten by an earlier one
            self._observer.trials_changed(self.trials())


def _trial_job_spec(trial_spec: Mapping[str, Any], trial_id: str, arguments: list[str]) -> JsonDict:
    """The trial job spec with the trial's arguments appended and its own base output directory."""
    spec = copy.deepcopy(dict(trial_spec))
    for pool in spec.get("workerPoolSpecs", []):
        for key in ("containerSpec", "pythonPackageSpec"):
            if key in pool:
                pool[key]["args"] = [*pool[key].get("args", []), *arguments]
    base = spec.get("baseOutputDirectory", {}).get("outputUriPrefix")
    if base:
        spec["baseOutputDirectory"] = {"outputUriPrefix": join_uri(base, trial_id)}
    return spec
