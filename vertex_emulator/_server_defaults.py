"""What the real API fills in on create that the request left out (see the recordings in the shared reference):
the emulator answers with the same fields, so clients that must not mistake a server default for a change are
tested against them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from vertex_emulator._names import new_id
from vertex_emulator._store import BATCH_PREDICTION_JOBS, CUSTOM_JOBS, HYPERPARAMETER_TUNING_JOBS

JsonDict = dict[str, Any]

# Recorded: every worker pool of a created custom job carries this diskSpec when the request had none.
DEFAULT_DISK_SPEC: JsonDict = {"bootDiskType": "pd-ssd", "bootDiskSizeGb": 100}
DATA_ITEM_SCHEMAS = "gs://google-cloud-aiplatform/schema/dataset/dataitem/"
# The dataset kinds whose data are data items (the rest read metadata.inputConfig) -> their data item schema.
DATA_ITEM_SCHEMA_BY_KIND = {
    "IMAGE": f"{DATA_ITEM_SCHEMAS}image_1.0.0.yaml",
    "TEXT": f"{DATA_ITEM_SCHEMAS}text_1.0.0.yaml",
    "VIDEO": f"{DATA_ITEM_SCHEMAS}video_1.0.0.yaml",
}
# What a model with its own artifacts (artifactUri: uploaded or custom-trained) can be exported as.
CUSTOM_TRAINED_EXPORT_FORMATS = [{"id": "custom-trained", "exportableContents": ["ARTIFACT"]}]
# The job spec of each kind whose worker pools the API completes.
_JOB_SPEC_FIELD = {CUSTOM_JOBS: "jobSpec", HYPERPARAMETER_TUNING_JOBS: "trialJobSpec"}


def with_job_defaults(kind: str, body: JsonDict) -> JsonDict:
    """`body` with each worker pool that names a machine given the default boot disk for what it leaves out
    (pools written as `{}` only hold a place and stay empty)."""
    field = _JOB_SPEC_FIELD.get(kind)
    if field is None:
        return body
    spec = body.get(field)
    if not isinstance(spec, dict) or not isinstance(spec.get("workerPoolSpecs"), list):
        return body
    pools = [
        {**pool, "diskSpec": {**DEFAULT_DISK_SPEC, **(pool.get("diskSpec") or {})}}
        if isinstance(pool, dict) and pool.get("machineSpec")
        else pool
        for pool in spec["workerPoolSpecs"]
    ]
    return {**body, field: {**spec, "workerPoolSpecs": pools}}


def metadata_artifact(location: str) -> str:
    """A new ML Metadata artifact's name in the location's default metadata store (datasets and models get one)."""
    return f"{location}/metadataStores/default/artifacts/{new_id()}"


def dataset_bucket(location: str) -> str:
    """The bucket the API keeps a location's dataset files in: one per project and location, stable."""
    return f"cloud-ai-platform-{uuid.uuid5(uuid.NAMESPACE_URL, location)}"


def dataset_metadata(kind: str, location: str, metadata: JsonDict) -> JsonDict:
    """A dataset's metadata with what the API adds for a kind of data items (tabular ones keep theirs)."""
    schema = DATA_ITEM_SCHEMA_BY_KIND.get(kind)
    if schema is None:
        return metadata
    return {"dataItemSchemaUri": schema, "gcsBucket": dataset_bucket(location), **metadata}


def model_fields(location: str, model: JsonDict) -> JsonDict:
    """The output-only fields the API gives a new model version: its metadata artifact and, when it has its own
    artifacts, the export formats they allow."""
    fields: JsonDict = {"metadataArtifact": metadata_artifact(location)}
    if model.get("artifactUri"):
        fields["supportedExportFormats"] = CUSTOM_TRAINED_EXPORT_FORMATS
    return fields


def with_trial_fields(job_name: str, fields: JsonDict) -> JsonDict:
    """Runner-reported fields of a job with what the API fills in every trial: its resource name (in the study
    the tuning job runs, named after the job), the client that requested it (the tuning job) and its
    measurements (at least the final one). The trial protos say what they are; the names are the emulator's."""
    trials = fields.get("trials")
    if not isinstance(trials, list):
        return fields
    location, _, job_id = job_name.partition("/hyperparameterTuningJobs/")
    filled = []
    for trial in trials:
        trial = {"name": f"{location}/studies/{job_id}/trials/{trial.get('id', '')}", "clientId": job_name, **trial}
        if "finalMeasurement" in trial and not trial.get("measurements"):
            trial["measurements"] = [trial["finalMeasurement"]]
        filled.append(trial)
    return {**fields, "trials": filled}


def _seconds(start: str, end: str) -> float:
    parse = datetime.fromisoformat
    return max((parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds(), 0.0)


def with_end_fields(kind: str, body: JsonDict) -> JsonDict:
    """A job at its end with what the API reports then: a batch prediction job's replica hours (its replicas for
    the time it ran)."""
    if kind != BATCH_PREDICTION_JOBS:
        return body
    replicas = int((body.get("dedicatedResources") or {}).get("startingReplicaCount") or 1)
    ran = _seconds(str(body.get("startTime") or body["endTime"]), str(body["endTime"]))
    return {**body, "resourcesConsumed": {"replicaHours": replicas * ran / 3600}}
