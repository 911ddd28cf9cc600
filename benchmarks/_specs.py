"""The 200-resource mix of the preview benchmarks: realistic inputs of the four kinds a stack uses most.

Shared by ``provider_preview.py`` (Check and Diff through the provider server) and ``pulumi_preview.py`` (the real
``pulumi preview``); importing it is light (the specs only), so a Pulumi program can use it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pulumi.runtime import rpc

from vertex_resources.specs import (
    BatchDedicatedResources,
    BatchPredictionInputConfig,
    BatchPredictionJobDefinition,
    BatchPredictionOutputConfig,
    CustomJobDefinition,
    DatasetDefinition,
    DatasetInputConfig,
    DatasetMetadata,
    FractionSplit,
    GcsDestination,
    GcsSource,
    InputDataConfig,
    MachineSpec,
    ModelContainerSpec,
    ModelToUpload,
    TabularGcsSource,
    TrainingPipelineDefinition,
    container_job,
    python_package_job,
)

PROJECT, LOCATION, PROJECT_NUMBER = "acme-ml", "us-central1", "123456789012"
TRAINING_IMAGE = "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest"
SERVING_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"
LABELS = {"team": "forecasting", "env": "dev", "cost-center": "ml-42"}
CREATED = {
    "create_time": "2026-11-20T09:15:02.123456Z",
    "update_time": "2026-11-20T09:41:17.654321Z",
}
FINISHED = {"state": "JOB_STATE_SUCCEEDED", "start_time": "2026-11-20T09:15:40Z", "end_time": "2026-11-20T09:41:17Z"}


# --- the resources ----------------------------------------------------------------------------------------------
def pipeline(i: int, unknown: bool) -> dict[str, Any]:
    task = python_package_job(
        executor_image_uri=TRAINING_IMAGE,
        package_uris=[f"gs://acme-ml-staging/trainer/trainer-1.{i}.0.tar.gz"],
        python_module="trainer.task",
        args=["--epochs", "40", "--learning-rate", "0.01", "--target", "demand"],
        env={"MODE": "full", "SEED": str(i)},
        machine_type="n1-standard-8",
        replica_count=1 + i % 3,
        base_output_directory=f"gs://acme-ml-output/pipelines/train-{i}",
        timeout=timedelta(hours=4),
    )
    spec = TrainingPipelineDefinition(
        display_name=f"train-demand-{i}",
        custom_task=task,
        input_data_config=InputDataConfig(
            dataset_id=str(4_000_000 + i),
            split=FractionSplit(training_fraction=0.8, validation_fraction=0.1, test_fraction=0.1),
            gcs_destination=GcsDestination(output_uri_prefix=f"gs://acme-ml-output/splits/{i}"),
        ),
        model_to_upload=ModelToUpload(
            display_name=f"demand-model-{i}",
            description="Gradient-boosted demand model",
            container_spec=ModelContainerSpec(image_uri=SERVING_IMAGE),
            labels=LABELS,
        ),
        labels=LABELS,
    ).to_plain()
    if unknown:  # the dataset is being replaced: its id is not known until apply
        spec["input_data_config"]["dataset_id"] = rpc.UNKNOWN
    return spec


def custom_job(i: int, unknown: bool) -> dict[str, Any]:
    spec = CustomJobDefinition(
        display_name=f"feature-prep-{i}",
        job_spec=container_job(
            image_uri=f"us-central1-docker.pkg.dev/acme-ml/images/prep:1.{i}",
            command=["python", "-m", "prep.run"],
            args=["--input", f"gs://acme-ml-data/raw/{i}/", "--shards", "16"],
            env={"LOG_LEVEL": "info"},
            machine_type="n1-highmem-16",
            replica_count=2,
            base_output_directory=f"gs://acme-ml-output/prep/{i}",
            timeout=timedelta(hours=1),
        ),
        labels=LABELS,
    ).to_plain()
    if unknown:
        spec["job_spec"]["base_output_directory"]["output_uri_prefix"] = rpc.UNKNOWN
    return spec


def batch_job(i: int, unknown: bool) -> dict[str, Any]:
    spec = BatchPredictionJobDefinition(
        display_name=f"score-demand-{i}",
        model=f"projects/{PROJECT}/locations/{LOCATION}/models/{7_000_000 + i}@2",
        input_config=BatchPredictionInputConfig(
            instances_format="jsonl", gcs_source=GcsSource(uris=[f"gs://acme-ml-data/score/{i}/part-*.jsonl"])
        ),
        output_config=BatchPredictionOutputConfig(
            predictions_format="jsonl", gcs_destination=GcsDestination(output_uri_prefix=f"gs://acme-ml-output/{i}")
        ),
        dedicated_resources=BatchDedicatedResources(
            machine_spec=MachineSpec(machine_type="n1-standard-4"), starting_replica_count=1, max_replica_count=4
        ),
        labels=LABELS,
    ).to_plain()
    if unknown:  # the training pipeline is being replaced: its model is not known until apply
        spec["model"] = rpc.UNKNOWN
    return spec


def dataset(i: int, unknown: bool) -> dict[str, Any]:
    spec = DatasetDefinition(
        display_name=f"demand-{i}",
        description="Daily demand per store and item",
        metadata_schema_uri="tabular",
        metadata=DatasetMetadata(
            input_config=DatasetInputConfig(gcs_source=TabularGcsSource(uri=[f"gs://acme-ml-data/demand/{i}.csv"]))
        ),
        labels=LABELS,
    ).to_plain()
    if unknown:
        spec["labels"] = {**LABELS, "owner": rpc.UNKNOWN}
    return spec


def changed(kind: str, inputs: dict[str, Any]) -> dict[str, Any]:
    if kind == "Dataset":
        return {**inputs, "description": "Daily demand per store and item (v2)"}  # updatable in place
    return {**inputs, "display_name": f"{inputs['display_name']}-v2"}  # replaces


