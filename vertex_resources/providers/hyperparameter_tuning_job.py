"""HyperparameterTuningJob: trials of a job over a study's parameters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from ..outputs import BestTrialOutput, TrialOutput
from ..specs import CustomJobSpec, HyperparameterTuningJobDefinition, StudySpec
from ._kind import JobKind
from ._provider import VertexProvider
from ._resource import JobArgs, JobResource
from ._trials import best_trial

__all__ = ["HyperparameterTuningJob", "HyperparameterTuningJobArgs", "HyperparameterTuningJobProvider"]


class HyperparameterTuningJobApi(JobKind):
    kind = "HyperparameterTuningJob"
    spec_type = HyperparameterTuningJobDefinition
    service = "jobs"
    method_stem = "hyperparameter_tuning_job"
    message_type_name = "HyperparameterTuningJob"
    extra_output_names = ("best_trial",)

    def extra_outputs(self, resource: dict[str, Any]) -> dict[str, Any]:
        return {"best_trial": best_trial(resource)}


class HyperparameterTuningJobProvider(VertexProvider):
    api_type = HyperparameterTuningJobApi


@dataclass(kw_only=True)
class HyperparameterTuningJobArgs(JobArgs):
    """Inputs of a HyperparameterTuningJob; every field replaces the job when it changes."""

    display_name: pulumi.Input[str]
    study_spec: pulumi.Input[StudySpec | Mapping[str, Any]]
    max_trial_count: pulumi.Input[int]
    parallel_trial_count: pulumi.Input[int]
    trial_job_spec: pulumi.Input[CustomJobSpec | Mapping[str, Any]]
    max_failed_trial_count: pulumi.Input[int] | None = None


class HyperparameterTuningJob(JobResource, module="vertex", name="HyperparameterTuningJob"):
    trials: pulumi.Output[Sequence[TrialOutput]]
    best_trial: pulumi.Output[BestTrialOutput | None]
    """The best succeeded trial; None if no trial succeeded (or the job is not finished)."""

    def __init__(
        self, resource_name: str, args: HyperparameterTuningJobArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(HyperparameterTuningJobProvider(), resource_name, args, opts)
