"""The ML stack itself, through ``vertex_resources``: a tabular dataset, a training pipeline that trains the
example package on it and uploads the model, an optional tuning pipeline, and a batch prediction job that runs
the trained model over the configured instances."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from vertex_resources import (
    BatchPredictionJob,
    BatchPredictionJobArgs,
    Dataset,
    DatasetArgs,
    TrainingPipeline,
    TrainingPipelineArgs,
)
from vertex_resources.specs import (
    BatchDedicatedResources,
    BatchPredictionInputConfig,
    BatchPredictionOutputConfig,
    DatasetInputConfig,
    DatasetMetadata,
    GcsDestination,
    GcsSource,
    HyperparameterTuningTask,
    InputDataConfig,
    MachineSpec,
    ModelContainerSpec,
    ModelToUpload,
    TabularGcsSource,
    python_package_job,
)

from .config import ProgramConfig

__all__ = ["MlStack", "build_ml_stack"]

_DATASET_PLACEHOLDER = "dataset-id-not-known-yet"
"""Stands in for the dataset id while a spec is validated here; the real value is an Output put in its place."""


@dataclass(frozen=True)
class MlStack:
    dataset: Dataset
    training: TrainingPipeline
    tuning: TrainingPipeline | None
    batch_prediction: BatchPredictionJob


def _placement(config: ProgramConfig) -> dict[str, Any]:
    return {"project": config.project, "location": config.location}


def _training_job(
    config: ProgramConfig, output_uri: str, service_account: pulumi.Output[str] | None
) -> dict[str, Any] | pulumi.Output[dict[str, Any]]:
    """The custom job spec that runs the trainer package, validated now; the service account (an output of the
    cloud foundation) is put in once known."""
    spec = python_package_job(
        executor_image_uri=config.executor_image_uri,
        package_uris=[config.trainer_package_uri],
        python_module=config.trainer_module,
        args=config.trainer_args,
        machine_type=config.training_machine_type,
        base_output_directory=output_uri,
    ).to_plain()
    if service_account is None:
        return spec
    return service_account.apply(lambda email: {**spec, "service_account": email})


def _input_data(config: ProgramConfig, dataset: Dataset) -> dict[str, Any]:
    plain = InputDataConfig(
        dataset_id=_DATASET_PLACEHOLDER,
        split=config.split,
        gcs_destination=GcsDestination(output_uri_prefix=config.split_output_uri),
    ).to_plain()
    return {**plain, "dataset_id": dataset.resource_id}


def build_ml_stack(
    config: ProgramConfig,
    *,
    service_account: pulumi.Output[str] | None = None,
    depends_on: list[pulumi.Resource] | None = None,
) -> MlStack:
    placement = _placement(config)
    opts = pulumi.ResourceOptions(depends_on=depends_on or [])
    prefix = config.name_prefix

    dataset = Dataset(
        "dataset",
        DatasetArgs(
            display_name=f"{prefix}-data",
            metadata_schema_uri="tabular",
            metadata=DatasetMetadata(
                input_config=DatasetInputConfig(gcs_source=TabularGcsSource(uri=[config.training_data_uri]))
            ),
            labels=config.labels,
            **placement,
        ),
        opts,
    )

    training = TrainingPipeline(
        "training",
        TrainingPipelineArgs(
            display_name=f"{prefix}-train",
            custom_task=_training_job(config, config.training_output_uri, service_account),
            input_data_config=_input_data(config, dataset),
            model_to_upload=ModelToUpload(
                display_name=f"{prefix}-model",
                container_spec=ModelContainerSpec(image_uri=config.serving_image_uri),
                labels=config.labels,
            ),
            parent_model=config.parent_model,
            labels=config.labels,
            delete_artifacts=config.delete_artifacts,
            **placement,
        ),
        opts,
    )

    tuning = None
    if config.tuning is not None:
        trial_job = python_package_job(
            executor_image_uri=config.executor_image_uri,
            package_uris=[config.trainer_package_uri],
            python_module=config.trainer_module,
            args=config.trainer_args,
            machine_type=config.training_machine_type,
            base_output_directory=config.tuning_output_uri,
        )
        task = HyperparameterTuningTask(
            study_spec=config.tuning.study_spec,
            max_trial_count=config.tuning.max_trial_count,
            parallel_trial_count=config.tuning.parallel_trial_count,
            max_failed_trial_count=config.tuning.max_failed_trial_count,
            trial_job_spec=trial_job,
        ).to_plain()
        tuning_task: dict[str, Any] | pulumi.Output[dict[str, Any]] = task
        if service_account is not None:
            tuning_task = service_account.apply(
                lambda email: {**task, "trial_job_spec": {**task["trial_job_spec"], "service_account": email}}
            )
        tuning = TrainingPipeline(
            "tuning",
            TrainingPipelineArgs(
                display_name=f"{prefix}-tune",
                tuning_task=tuning_task,
                input_data_config=_input_data(config, dataset),
                model_to_upload=ModelToUpload(
                    display_name=f"{prefix}-model",
                    container_spec=ModelContainerSpec(image_uri=config.serving_image_uri),
                    version_description="best trial of the tuning pipeline",
                    labels=config.labels,
                ),
                # The best trial's model becomes a new version of the model the training pipeline uploaded.
                parent_model=training.model_name,
                labels=config.labels,
                delete_artifacts=config.delete_artifacts,
                **placement,
            ),
            opts,
        )

    batch_prediction = BatchPredictionJob(
        "batch-prediction",
        BatchPredictionJobArgs(
            display_name=f"{prefix}-score",
            model=training.model_name,
            input_config=BatchPredictionInputConfig(
                instances_format="jsonl", gcs_source=GcsSource(uris=[config.batch_input_uri])
            ),
            output_config=BatchPredictionOutputConfig(
                predictions_format="jsonl",
                gcs_destination=GcsDestination(output_uri_prefix=config.predictions_output_uri),
            ),
            dedicated_resources=BatchDedicatedResources(
                machine_spec=MachineSpec(machine_type=config.prediction_machine_type),
                starting_replica_count=1,
                max_replica_count=config.prediction_max_replicas,
            ),
            service_account=service_account,
            labels=config.labels,
            **placement,
        ),
        opts,
    )
    return MlStack(dataset=dataset, training=training, tuning=tuning, batch_prediction=batch_prediction)
