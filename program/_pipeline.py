"""The pipeline variant of the ML stack (``vertex-ml:flow: pipeline``): the data -> train -> batch prediction flow
as one ``PipelineJob`` running the seed documents' Kubeflow pipeline (``examples/pipelines/seed_pipeline.py``):
train with ``create_custom_training_job_from_component`` over 2 replicas on the staged CSV, upload the model
(``ModelUploadOp``), batch-predict the staged instances (``ModelBatchPredictOp``). The pipeline is compiled with
kfp in the program; kfp and Google Cloud Pipeline Components are needed by this variant only."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pulumi

from vertex_resources import PipelineJob, PipelineJobArgs
from vertex_resources.specs import PipelineRuntimeConfig, compile_pipeline

from .config import ProgramConfig

__all__ = ["SEED_PIPELINE_MODULE", "PipelineStack", "build_pipeline_stack"]

SEED_PIPELINE_MODULE = "examples.pipelines.seed_pipeline"


@dataclass(frozen=True)
class PipelineStack:
    run: PipelineJob


def build_pipeline_stack(
    config: ProgramConfig,
    *,
    service_account: pulumi.Output[str] | None = None,
    depends_on: list[pulumi.Resource] | None = None,
) -> PipelineStack:
    # Imports kfp and GCPC (untyped, and needed by this variant only): loaded by name, outside the type check.
    seed_pipeline = importlib.import_module(SEED_PIPELINE_MODULE).seed_pipeline

    run = PipelineJob(
        "pipeline",
        PipelineJobArgs(
            display_name=f"{config.name_prefix}-pipeline",
            pipeline_spec=compile_pipeline(seed_pipeline),
            runtime_config=PipelineRuntimeConfig(
                gcs_output_directory=config.pipeline_root_uri,
                parameter_values={
                    "training_data": config.training_data_uri,
                    "model_dir": f"{config.pipeline_output_uri}/model",
                    "instances": config.batch_input_uri,
                    "predictions_prefix": config.predictions_output_uri,
                    "location": config.location,
                },
            ),
            service_account=service_account,
            labels=config.labels,
            project=config.project,
            location=config.location,
        ),
        pulumi.ResourceOptions(depends_on=depends_on or []),
    )
    return PipelineStack(run=run)
