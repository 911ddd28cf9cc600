"""One stack: the cloud foundation (cloud stacks only), the ML resources on top of it, and the stack exports."""

from __future__ import annotations

import pulumi

from ._pipeline import PipelineStack, build_pipeline_stack
from ._vertex import MlStack, build_ml_stack
from .config import ProgramConfig

__all__ = ["build"]


def build(config: ProgramConfig) -> MlStack | PipelineStack:
    builder = build_pipeline_stack if config.flow == "pipeline" else build_ml_stack
    if config.is_local:
        built = builder(config)  # the emulator holds the buckets; up-local stages the data into them
    else:
        from ._cloud import build_foundation  # pulumi-gcp: only cloud stacks import it

        foundation = build_foundation(config)
        built = builder(config, service_account=foundation.service_account_email, depends_on=foundation.depends_on)
        pulumi.export("staging_bucket", foundation.staging_bucket.url)
        pulumi.export("output_bucket", foundation.output_bucket.url)
        pulumi.export("training_service_account", foundation.service_account_email)
    pulumi.export("environment", config.environment)
    pulumi.export("location", config.location)
    if isinstance(built, PipelineStack):
        _export_pipeline(built)
        return built
    ml = built
    pulumi.export("dataset", ml.dataset.name)
    pulumi.export("training_pipeline", ml.training.name)
    pulumi.export("model", ml.training.model_name)
    pulumi.export("model_version", ml.training.model_version_id)
    pulumi.export("training_job", ml.training.backing_custom_job)
    if ml.tuning is not None:
        pulumi.export("tuning_pipeline", ml.tuning.name)
        pulumi.export("tuned_model_version", ml.tuning.model_version_id)
        pulumi.export("best_trial", ml.tuning.best_trial)
    pulumi.export("batch_prediction_job", ml.batch_prediction.name)
    pulumi.export("predictions", ml.batch_prediction.output_directory)
    return ml


def _export_pipeline(stack: PipelineStack) -> None:
    run = stack.run
    pulumi.export("pipeline_job", run.name)
    pulumi.export("pipeline_state", run.state)
    pulumi.export("task_states", run.task_states)
    pulumi.export("model", run.model_name)
    pulumi.export("batch_prediction_job", run.batch_prediction_job)
    pulumi.export("predictions", run.output_artifacts.apply(_predictions_directory))


def _predictions_directory(artifacts: object) -> str | None:
    """The batch prediction's output directory: the ``gcs_output_directory`` artifact of ``ModelBatchPredictOp``."""
    for outputs in (artifacts or {}).values() if isinstance(artifacts, dict) else ():
        for artifact in (outputs or {}).get("gcs_output_directory") or []:
            if artifact.get("uri"):
                return str(artifact["uri"])
    return None
