"""Valid inputs of every kind, as a program would pass them (snake_case, plain values)."""

from __future__ import annotations

from typing import Any

from vertex_resources.providers import (
    BatchPredictionJobProvider,
    CustomJobProvider,
    DatasetProvider,
    HyperparameterTuningJobProvider,
    ModelProvider,
    TrainingPipelineProvider,
)
from vertex_resources.providers._provider import VertexProvider

POOL: dict[str, Any] = {
    "machine_spec": {"machine_type": "n1-standard-4"},
    "container_spec": {"image_uri": "gcr.io/acme/trainer:1", "args": ["--epochs=2"]},
}
JOB_SPEC: dict[str, Any] = {
    "worker_pool_specs": [POOL],
    "base_output_directory": {"output_uri_prefix": "gs://acme/out"},
}
SERVING: dict[str, Any] = {"image_uri": "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"}
STUDY: dict[str, Any] = {
    "metrics": [{"metric_id": "auc", "goal": "MAXIMIZE"}],
    "parameters": [{"parameter_id": "alpha", "double_value_spec": {"min_value": 0.1, "max_value": 1.0}}],
    "algorithm": "RANDOM_SEARCH",
}

INPUTS: dict[str, tuple[type[VertexProvider], dict[str, Any]]] = {
    "Dataset": (
        DatasetProvider,
        {
            "display_name": "fraud-data",
            "metadata_schema_uri": "tabular",
            "metadata": {"input_config": {"gcs_source": {"uri": ["gs://acme/data/train.csv"]}}},
            "labels": {"team": "ml"},
        },
    ),
    "Model": (
        ModelProvider,
        {
            "display_name": "fraud-model",
            "artifact_uri": "gs://acme/models/1/",
            "container_spec": SERVING,
            "labels": {"team": "ml"},
        },
    ),
    "CustomJob": (CustomJobProvider, {"display_name": "train", "job_spec": JOB_SPEC, "labels": {"team": "ml"}}),
    "HyperparameterTuningJob": (
        HyperparameterTuningJobProvider,
        {
            "display_name": "tune",
            "study_spec": STUDY,
            "max_trial_count": 2,
            "parallel_trial_count": 1,
            "trial_job_spec": JOB_SPEC,
        },
    ),
    "TrainingPipeline": (
        TrainingPipelineProvider,
        {
            "display_name": "pipeline",
            "custom_task": JOB_SPEC,
            "model_to_upload": {"display_name": "fraud-model", "container_spec": SERVING},
            "labels": {"team": "ml"},
        },
    ),
    "BatchPredictionJob": (
        BatchPredictionJobProvider,
        {
            "display_name": "score",
            "model": "projects/acme-ml/locations/us-central1/models/1",
            "input_config": {"instances_format": "jsonl", "gcs_source": {"uris": ["gs://acme/in/instances.jsonl"]}},
            "output_config": {
                "predictions_format": "jsonl",
                "gcs_destination": {"output_uri_prefix": "gs://acme/predictions"},
            },
        },
    ),
}

# A field whose change must replace the resource, with a new value.
REPLACING_CHANGE: dict[str, tuple[str, Any]] = {
    "Dataset": ("metadata", {"input_config": {"gcs_source": {"uri": ["gs://acme/data/v2.csv"]}}}),
    "Model": ("artifact_uri", "gs://acme/models/2/"),
    "CustomJob": (
        "job_spec",
        {
            **JOB_SPEC,
            "worker_pool_specs": [{**POOL, "replica_count": 1, "machine_spec": {"machine_type": "n1-highmem-8"}}],
        },
    ),
    "HyperparameterTuningJob": ("max_trial_count", 3),
    "TrainingPipeline": ("display_name", "pipeline-v2"),
    "BatchPredictionJob": ("display_name", "score-v2"),
}
