"""One stack: the cloud foundation (cloud stacks only), the ML resources on top of it, and the stack exports."""

from __future__ import annotations

import pulumi

from ._vertex import MlStack, build_ml_stack
from .config import ProgramConfig

__all__ = ["build"]


def build(config: ProgramConfig) -> MlStack:
    if config.is_local:
        ml = build_ml_stack(config)  # the emulator holds the buckets; up-local stages the data into them
    else:
        from ._cloud import build_foundation  # pulumi-gcp: only cloud stacks import it

        foundation = build_foundation(config)
        ml = build_ml_stack(config, service_account=foundation.service_account_email, depends_on=foundation.depends_on)
        pulumi.export("staging_bucket", foundation.staging_bucket.url)
        pulumi.export("output_bucket", foundation.output_bucket.url)
        pulumi.export("training_service_account", foundation.service_account_email)
    pulumi.export("environment", config.environment)
    pulumi.export("location", config.location)
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
