"""The job state machine shared by training pipelines, custom jobs, tuning jobs and batch prediction jobs.

States move as the API's do: created PENDING; RUNNING (startTime on first entry); then SUCCEEDED, FAILED
(with `error`) or, after a cancel, CANCELLING then CANCELLED (error code 1). Cancelling a finished job and
deleting an unfinished one are FAILED_PRECONDITION. `JobLifecycle` is also the `JobEvents` a runner reports to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from vertex_emulator._errors import Aborted, ApiError, Cancelled, FailedPrecondition, Internal
from vertex_emulator._models import models as registry
from vertex_emulator._names import new_id, now_timestamp, parent_of
from vertex_emulator._schemas import TUNING_TASK
from vertex_emulator._server_defaults import with_end_fields, with_job_defaults, with_trial_fields
from vertex_emulator._store import (
    BATCH_PREDICTION_JOBS,
    CUSTOM_JOBS,
    DATASETS,
    HYPERPARAMETER_TUNING_JOBS,
    MODELS,
    NOUNS,
    PIPELINE_JOBS,
    TRAINING_PIPELINES,
    Record,
    Store,
    Transaction,
)
from vertex_emulator.runners import JobKind, JobRunner, JobTicket

_log = logging.getLogger(__name__)
JsonDict = dict[str, Any]

JOB_KINDS = (TRAINING_PIPELINES, CUSTOM_JOBS, HYPERPARAMETER_TUNING_JOBS, BATCH_PREDICTION_JOBS, PIPELINE_JOBS)

_TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED", "PARTIALLY_SUCCEEDED"}
_ACTIVE = {"QUEUED", "PENDING", "RUNNING", "PAUSED", "UPDATING"}
_RESERVED = {"name", "state", "error", "createTime", "startTime", "endTime", "updateTime"}
_FINISHED_TRIAL_STATES = {"SUCCEEDED", "INFEASIBLE"}
_TRIAL_ENDED_WITH_JOB = "The tuning job ended before this trial finished."
RESTART_MESSAGE = "The emulator restarted while this job was running; the job did not finish."
_CANCELLED = Cancelled("CANCELED")


def _close_trials(body: JsonDict, now: str) -> JsonDict:
    """A tuning job that ends without succeeding leaves no trial ACTIVE: unfinished ones end INFEASIBLE."""
    trials = body.get("trials")
    if not trials or all(t.get("state") in _FINISHED_TRIAL_STATES for t in trials):
        return body
    closed = [
        t
        if t.get("state") in _FINISHED_TRIAL_STATES
        else {**t, "state": "INFEASIBLE", "endTime": now, "infeasibleReason": _TRIAL_ENDED_WITH_JOB}
        for t in trials
    ]
    return {**body, "trials": closed}


def _prefix(kind: str) -> str:
    return "PIPELINE_STATE_" if kind in (TRAINING_PIPELINES, PIPELINE_JOBS) else "JOB_STATE_"


def state_of(record: Record) -> str:
    """The state without its PIPELINE_STATE_/JOB_STATE_ prefix."""
    return str(record.body.get("state", "")).removeprefix(_prefix(record.kind))


def is_terminal(record: Record) -> bool:
    return state_of(record) in _TERMINAL


def _best_trial(job: JsonDict) -> JsonDict | None:
    metrics = job.get("studySpec", {}).get("metrics", [])
    goal = metrics[0].get("goal", "MAXIMIZE") if metrics else "MAXIMIZE"
    metric_id = metrics[0].get("metricId") if metrics else None
    scored: list[tuple[float, JsonDict]] = []
    for trial in job.get("trials", []):
        if trial.get("state") != "SUCCEEDED":
            continue
        for metric in trial.get("finalMeasurement", {}).get("metrics", []):
            if metric_id is None or metric.get("metricId") == metric_id:
                scored.append((float(metric.get("value", 0.0)), trial))
                break
    if not scored:
        return None
    # On equal values the earlier trial stays best (as the local tuning run decides).
    pick = min if goal == "MINIMIZE" else max
    return pick(scored, key=lambda pair: pair[0])[1]


class JobLifecycle:
    """Creates, cancels and checks jobs, and applies what runners report (the `JobEvents` implementation)."""

    def __init__(self, store: Store, runner: Callable[[], JobRunner]) -> None:
        self._store = store
        self._runner = runner

    # -- server side ---------------------------------------------------------------------------------
    def create(
        self,
        tx: Transaction,
        kind: str,
        location: str,
        body: JsonDict,
        internal: JsonDict | None = None,
        resource_id: str | None = None,
    ) -> Record:
        """A new job named `resource_id` (a pipeline job's caller-chosen id) or a fresh numeric id."""
        now = now_timestamp()
        body = with_job_defaults(kind, {k: v for k, v in body.items() if k not in _RESERVED})
        body.update(
            name=f"{location}/{kind}/{resource_id or new_id()}",
            state=_prefix(kind) + "PENDING",
            createTime=now,
            updateTime=now,
        )
        return tx.create(kind, body["name"], location, body, internal)

    def start(self, record: Record) -> None:
        """Hand a committed new job to the runner (never under the store lock); a runner that cannot even
        start it fails the job rather than leaving it PENDING forever."""
        try:
            self._runner().start(JobTicket(JobKind(record.kind), record.name, record.body))
        except Exception as err:
            _log.exception("the runner could not start %s", record.name)
            self.failed(record.name, f"The emulator could not start the job: {type(err).__name__}: {err}")

    def find(self, kind: str, name: str) -> Record:
        return self._store.find(kind, name)

    def request_cancel(self, kind: str, name: str) -> None:
        with self._store.transaction() as tx:
            record = tx.find(kind, name)
            state = state_of(record)
            if state in _TERMINAL:
                raise FailedPrecondition(
                    f"{NOUNS[kind]} {name} is in state {record.body['state']} and cannot be canceled."
                )
            if state == "CANCELLING":
                return
            self._set_state(tx, record, "CANCELLING")
        self._runner().cancel(name)

    def check_deletable(self, record: Record) -> None:
        if not is_terminal(record):
            raise FailedPrecondition(
                f"{NOUNS[record.kind]} {record.name} is in state {record.body.get('state')} and cannot be "
                "deleted; cancel it and wait for a terminal state first."
            )

    def recover_after_restart(self) -> None:
        """Jobs that were unfinished when the emulator stopped can no longer finish: end them now."""
        with self._store.transaction() as tx:
            for kind in JOB_KINDS:
                for record in self._store.all(kind):
                    state = state_of(record)
                    if state == "CANCELLING":
                        self._terminal(tx, record, "CANCELLED", _CANCELLED.rpc_status())
                    elif state in _ACTIVE:
                        self._terminal(tx, record, "FAILED", Aborted(RESTART_MESSAGE).rpc_status())

    def active_jobs(self) -> list[str]:
        return [r.name for kind in JOB_KINDS for r in self._store.all(kind) if not is_terminal(r)]

    # -- JobEvents -----------------------------------------------------------------------------------
    def get(self, name: str) -> JsonDict | None:
        """Any resource by name (a model reference resolves to its version)."""
        record = self._store.get(name)
        if (record is None or record.kind == MODELS) and "/models/" in name:
            try:
                record = registry.resolve(self._store, name)
            except ApiError:
                return None
        return None if record is None else dict(record.body)

    def running(self, name: str) -> JsonDict:
        with self._store.transaction() as tx:
            record = tx.get(name)
            if record is None:
                return {}
            if state_of(record) in ("PENDING", "QUEUED"):
                record = self._set_state(tx, record, "RUNNING")
                if record.kind == TRAINING_PIPELINES:
                    record = self._create_backing_job(tx, record)
            return record.body

    def update(self, name: str, fields: Mapping[str, Any]) -> JsonDict:
        reserved = _RESERVED & set(fields)
        if reserved:
            raise ValueError(f"runners may not set {sorted(reserved)}")
        with self._store.transaction() as tx:
            record = tx.get(name)
            if record is None:
                return {}
            body = {**record.body, **with_trial_fields(name, dict(fields)), "updateTime": now_timestamp()}
            return tx.put(record.evolve(body=body)).body

    def succeeded(
        self, name: str, fields: Mapping[str, Any] | None = None, *, model_artifact_uri: str | None = None
    ) -> JsonDict:
        with self._store.transaction() as tx:
            record = tx.get(name)
            if record is None or is_terminal(record):
                return {} if record is None else record.body
            if fields:
                record = record.evolve(body={**record.body, **with_trial_fields(name, dict(fields))})
            if record.kind == TRAINING_PIPELINES:
                try:
                    record = self._finish_pipeline(tx, record, model_artifact_uri)
                except ApiError as err:
                    return self._terminal(tx, record, "FAILED", err.rpc_status()).body
            return self._terminal(tx, record, "SUCCEEDED", None).body

    def failed(
        self, name: str, message: str, *, code: int = Internal.code, fields: Mapping[str, Any] | None = None
    ) -> JsonDict:
        with self._store.transaction() as tx:
            record = tx.get(name)
            if record is None or is_terminal(record):
                return {} if record is None else record.body
            if fields:
                record = record.evolve(body={**record.body, **with_trial_fields(name, dict(fields))})
            return self._terminal(tx, record, "FAILED", {"code": code, "message": message}).body

    def cancelled(self, name: str) -> JsonDict:
        with self._store.transaction() as tx:
            record = tx.get(name)
            if record is None or is_terminal(record):
                return {} if record is None else record.body
            return self._terminal(tx, record, "CANCELLED", _CANCELLED.rpc_status()).body

    def data_items(self, dataset: str) -> list[JsonDict]:
        record = self._store.get(dataset)
        return list(record.internal.get("items", [])) if record is not None and record.kind == DATASETS else []

    def create_custom_job(self, parent_job: str, job: Mapping[str, Any]) -> JsonDict:
        with self._store.transaction() as tx:
            owner = tx.get(parent_job)
            if owner is None:
                raise ValueError(f"no job named {parent_job}")
            body = {"displayName": f"{owner.body.get('displayName', 'job')}-child", **job}
            return self.create(tx, CUSTOM_JOBS, parent_of(parent_job), body, {"owner": parent_job}).body

    # -- internals -----------------------------------------------------------------------------------
    def _set_state(self, tx: Transaction, record: Record, state: str) -> Record:
        now = now_timestamp()
        body = {**record.body, "state": _prefix(record.kind) + state, "updateTime": now}
        if state == "RUNNING" and "startTime" not in body:
            body["startTime"] = now
        record = tx.put(record.evolve(body=body))
        self._mirror(tx, record)
        return record

    def _terminal(self, tx: Transaction, record: Record, state: str, error: JsonDict | None) -> Record:
        now = now_timestamp()
        body = {**record.body, "state": _prefix(record.kind) + state, "updateTime": now, "endTime": now}
        if error is not None:
            body["error"] = error
        if state != "SUCCEEDED":
            body = _close_trials(body, now)
        body = with_end_fields(record.kind, body)
        record = tx.put(record.evolve(body=body))
        self._mirror(tx, record)
        return record

    def _mirror(self, tx: Transaction, pipeline: Record) -> None:
        """A pipeline's backing job follows the pipeline's state."""
        if pipeline.kind != TRAINING_PIPELINES:
            return
        metadata = pipeline.body.get("trainingTaskMetadata", {})
        backing_name = metadata.get("backingCustomJob") or metadata.get("backingHyperparameterTuningJob")
        backing = tx.get(backing_name) if backing_name else None
        if backing is None or is_terminal(backing):
            return
        state = state_of(pipeline)
        body = {**backing.body, "state": "JOB_STATE_" + state, "updateTime": pipeline.body["updateTime"]}
        for key in ("startTime", "endTime", "error"):
            if key in pipeline.body:
                body[key] = pipeline.body[key]
        if state in _TERMINAL and state != "SUCCEEDED":
            body = _close_trials(body, pipeline.body["updateTime"])
        tx.put(backing.evolve(body=body))

    def _create_backing_job(self, tx: Transaction, pipeline: Record) -> Record:
        inputs = pipeline.body.get("trainingTaskInputs", {})
        common = {
            "displayName": f"{pipeline.body.get('displayName', 'pipeline')}-backing",
            "labels": pipeline.body.get("labels", {}),
        }
        if pipeline.body.get("trainingTaskDefinition") == TUNING_TASK:
            job = self.create(
                tx, HYPERPARAMETER_TUNING_JOBS, pipeline.parent, {**common, **inputs}, {"owner": pipeline.name}
            )
            metadata = {"backingHyperparameterTuningJob": job.name}
        else:
            job = self.create(tx, CUSTOM_JOBS, pipeline.parent, {**common, "jobSpec": inputs}, {"owner": pipeline.name})
            metadata = {"backingCustomJob": job.name}
        record = tx.put(pipeline.evolve(body={**pipeline.body, "trainingTaskMetadata": metadata}))
        self._mirror(tx, record)
        return record

    def _finish_pipeline(self, tx: Transaction, pipeline: Record, artifact_uri: str | None) -> Record:
        body = dict(pipeline.body)
        metadata = dict(body.get("trainingTaskMetadata", {}))
        inputs = body.get("trainingTaskInputs", {})
        if body.get("trainingTaskDefinition") == TUNING_TASK:
            tuning = tx.get(metadata.get("backingHyperparameterTuningJob", ""))
            best = _best_trial(tuning.body) if tuning else None
            if best is None:
                raise FailedPrecondition("No trial of the tuning job succeeded.")
            if best.get("customJob"):
                metadata["bestTrialBackingCustomJob"] = best["customJob"]
            spec = inputs.get("trialJobSpec", {})
            suffix = f"{best.get('id')}/model/"
        else:
            spec, suffix = inputs, "model/"
        body["trainingTaskMetadata"] = metadata
        upload = body.get("modelToUpload")
        if upload:
            base = spec.get("baseOutputDirectory", {}).get("outputUriPrefix", "")
            artifact = artifact_uri or upload.get("artifactUri") or (f"{base.rstrip('/')}/{suffix}" if base else "")
            model = {
                "displayName": body.get("displayName", ""),
                **upload,
                **({"artifactUri": artifact} if artifact else {}),
            }
            version = registry.register(
                tx,
                pipeline.parent,
                model,
                parent_model=body.get("parentModel", ""),
                model_id=body.get("modelId", ""),
                training_pipeline=pipeline.name,
            )
            body["modelToUpload"] = {**upload, "name": version.body["name"], "versionId": version.body["versionId"]}
        return tx.put(pipeline.evolve(body=body))
