"""Request bodies for the tests, as the GAPIC clients take them (dicts of proto field names)."""

from __future__ import annotations

from typing import Any

from google.cloud import aiplatform_v1

from vertex_emulator._schemas import CUSTOM_TASK, TABULAR_DATASET, TUNING_TASK
from vertex_emulator.testing import GapicClients

TABULAR = TABULAR_DATASET
SERVING_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"
TRAINING_IMAGE = "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest"


def worker_pools(replicas: int = 1) -> list[dict[str, Any]]:
    pool = {"machine_spec": {"machine_type": "n1-standard-4"}, "container_spec": {"image_uri": TRAINING_IMAGE}}
    pools = [{**pool, "replica_count": 1}]
    if replicas > 1:
        pools.append({**pool, "replica_count": replicas - 1})
    return pools


def job_spec(base: str = "gs://bucket/out") -> dict[str, Any]:
    return {"worker_pool_specs": worker_pools(), "base_output_directory": {"output_uri_prefix": base}}


def dataset(display_name: str = "ds", **extra: Any) -> dict[str, Any]:
    return {
        "display_name": display_name,
        "metadata_schema_uri": TABULAR,
        "metadata": {"inputConfig": {"gcsSource": {"uri": ["gs://bucket/data.csv"]}}},
        **extra,
    }


def custom_job(display_name: str = "job", **extra: Any) -> dict[str, Any]:
    return {"display_name": display_name, "job_spec": job_spec(), **extra}


def study_spec() -> dict[str, Any]:
    return {
        "metrics": [{"metric_id": "accuracy", "goal": "MAXIMIZE"}],
        "parameters": [
            {"parameter_id": "lr", "double_value_spec": {"min_value": 0.001, "max_value": 0.1}, "scale_type": 2},
            {"parameter_id": "depth", "integer_value_spec": {"min_value": 2, "max_value": 8}},
        ],
    }


def tuning_job(display_name: str = "tune", **extra: Any) -> dict[str, Any]:
    return {
        "display_name": display_name,
        "study_spec": study_spec(),
        "max_trial_count": 3,
        "parallel_trial_count": 1,
        "trial_job_spec": job_spec(),
        **extra,
    }


def model_to_upload(display_name: str = "model") -> dict[str, Any]:
    return {"display_name": display_name, "container_spec": {"image_uri": SERVING_IMAGE}}


def custom_pipeline(
    display_name: str = "pipeline", inputs: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "display_name": display_name,
        "training_task_definition": CUSTOM_TASK,
        "training_task_inputs": inputs if inputs is not None else job_spec(),
        "model_to_upload": model_to_upload(),
        **extra,
    }


def tuning_pipeline(display_name: str = "tuning-pipeline", **extra: Any) -> dict[str, Any]:
    inputs = {
        "studySpec": {
            "metrics": [{"metricId": "rmse", "goal": "MINIMIZE"}],
            "parameters": [{"parameterId": "alpha", "discreteValueSpec": {"values": [0.1, 1.0, 10.0]}}],
        },
        "maxTrialCount": 3,
        "parallelTrialCount": 3,
        "trialJobSpec": {
            "workerPoolSpecs": [
                {
                    "machineSpec": {"machineType": "n1-standard-4"},
                    "replicaCount": "1",
                    "containerSpec": {"imageUri": TRAINING_IMAGE},
                }
            ],
            "baseOutputDirectory": {"outputUriPrefix": "gs://bucket/tuning"},
        },
    }
    return {
        "display_name": display_name,
        "training_task_definition": TUNING_TASK,
        "training_task_inputs": inputs,
        "model_to_upload": model_to_upload("tuned"),
        **extra,
    }


def upload_model(clients: GapicClients, parent: str, display_name: str = "model", **extra: Any) -> Any:
    """Upload a model and wait for the operation; returns the UploadModelResponse."""
    model = {**model_to_upload(display_name), "artifact_uri": "gs://bucket/model/", **extra.pop("model", {})}
    request = {"parent": parent, "model": model, **extra}
    return clients.model.upload_model(request=request).result(timeout=10)


def batch_prediction_job(model: str, display_name: str = "predict", **extra: Any) -> dict[str, Any]:
    return {
        "display_name": display_name,
        "model": model,
        "input_config": {"instances_format": "jsonl", "gcs_source": {"uris": ["gs://bucket/in.jsonl"]}},
        "output_config": {"predictions_format": "jsonl", "gcs_destination": {"output_uri_prefix": "gs://bucket/out"}},
        "dedicated_resources": {
            "machine_spec": {"machine_type": "n1-standard-2"},
            "starting_replica_count": 1,
            "max_replica_count": 2,
        },
        **extra,
    }


def pipeline_spec(message: str = "hello") -> dict[str, Any]:
    """A one-task compiled KFP pipeline (IR as kfp 2 writes it) whose task runs a shell command."""
    return {
        "pipelineInfo": {"name": "tiny"},
        "schemaVersion": "2.1.0",
        "sdkVersion": "kfp-2.17.3",
        "root": {
            "dag": {
                "tasks": {
                    "say": {
                        "componentRef": {"name": "comp-say"},
                        "inputs": {"parameters": {"text": {"componentInputParameter": "text"}}},
                        "taskInfo": {"name": "say"},
                    }
                }
            },
            "inputDefinitions": {"parameters": {"text": {"parameterType": "STRING", "defaultValue": message}}},
        },
        "components": {
            "comp-say": {
                "executorLabel": "exec-say",
                "inputDefinitions": {"parameters": {"text": {"parameterType": "STRING"}}},
            }
        },
        "deploymentSpec": {
            "executors": {
                "exec-say": {
                    "container": {
                        "image": "python:3.11",
                        "command": ["sh", "-c", "echo \"$0\""],
                        "args": ["{{$.inputs.parameters['text']}}"],
                    }
                }
            }
        },
    }


def pipeline_job(display_name: str = "pipeline", **extra: Any) -> dict[str, Any]:
    return {
        "display_name": display_name,
        "pipeline_spec": pipeline_spec(),
        "runtime_config": {"gcs_output_directory": "gs://bucket/pipeline-root"},
        **extra,
    }


JobState = aiplatform_v1.JobState
PipelineState = aiplatform_v1.PipelineState


def raw(endpoint: str, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    """One plain HTTP call (for what the GAPIC clients cannot send, like unknown fields): (status, JSON)."""
    import json
    import urllib.error
    import urllib.request

    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(
        f"{endpoint}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")
