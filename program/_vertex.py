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
    CustomJobSpec,
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

@dataclass(frozen=True)
class MlStack:
    dataset: Dataset
    training: TrainingPipeline
    tuning: TrainingPipeline | None
    batch_prediction: BatchPredictionJob


def _placement(config: ProgramConfig) -> dict[str, Any]:
    return {"project": config.project, "location": config.location}


def _trainer_job(config: ProgramConfig, output_uri: str, service_account: pulumi.Output[str] | None) -> CustomJobSpec:
    """The custom job that runs the trainer package (the service account is an output of the cloud foundation)."""
    return python_package_job(
        executor_image_uri=config.executor_image_uri,
        package_uris=[config.trainer_package_uri],
        python_module=config.trainer_module,
        args=config.trainer_args,
        machine_type=config.training_machine_type,
        base_output_directory=output_uri,
        service_account=service_account,
    )


def _input_data(config: ProgramConfig, dataset: Dataset) -> InputDataConfig:
    return InputDataConfig(
        dataset_id=dataset.resource_id,
        split=config.split,
        gcs_destination=GcsDestination(output_uri_prefix=config.split_output_uri),
    )


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
            custom_task=_trainer_job(config, config.training_output_uri, service_account),
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
        tuning_task = HyperparameterTuningTask(
            study_spec=config.tuning.study_spec,
            max_trial_count=config.tuning.max_trial_count,
            parallel_trial_count=config.tuning.parallel_trial_count,
            max_failed_trial_count=config.tuning.max_failed_trial_count,
            trial_job_spec=_trainer_job(config, config.tuning_output_uri, service_account),
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
