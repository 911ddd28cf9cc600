"""The HyperparameterTuningJob resource: trials of a job over a study's parameters."""

from __future__ import annotations

from typing import Annotated

from ._base import OUTPUT_ONLY, REPLACE
from ._resource import TrainingOutputs
from ._types import DisplayName, ResourceLabels
from .job import EncryptionSpec
from .study import HyperparameterTuningTask, Trial

__all__ = ["HyperparameterTuningJobDefinition"]


class HyperparameterTuningJobDefinition(HyperparameterTuningTask, TrainingOutputs):
    """The tuning task's fields (study, trial budget, trial job) plus the job's own; ``trials`` is reported."""

    display_name: Annotated[DisplayName, REPLACE]
    labels: Annotated[ResourceLabels | None, REPLACE] = None
    encryption_spec: Annotated[EncryptionSpec | None, REPLACE] = None
    trials: Annotated[list[Trial] | None, OUTPUT_ONLY] = None

    def base_output_directory_holder(self) -> tuple[str, ...]:
        return ("trial_job_spec",)
