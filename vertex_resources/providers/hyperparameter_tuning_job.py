"""HyperparameterTuningJob: trials of a job over a study's parameters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pulumi

from ..outputs import BestTrialOutput, TrialOutput
from ..specs import HyperparameterTuningJobDefinition
from ._args import HyperparameterTuningJobArgs
from ._kind import JobKind
from ._provider import VertexProvider
from ._resource import JobResource
from ._trials import best_trial

__all__ = ["HyperparameterTuningJob", "HyperparameterTuningJobArgs", "HyperparameterTuningJobProvider"]


class HyperparameterTuningJobApi(JobKind):
    kind = "HyperparameterTuningJob"
    spec_type = HyperparameterTuningJobDefinition
    service = "jobs"
    method_stem = "hyperparameter_tuning_job"
    message_type_name = "HyperparameterTuningJob"
    extra_output_names = ("best_trial", "output_directory")

    def extra_outputs(self, resource: dict[str, Any]) -> dict[str, Any]:
        job_spec = resource.get("trialJobSpec") or {}
        return {
            "best_trial": best_trial(resource),
            "output_directory": (job_spec.get("baseOutputDirectory") or {}).get("outputUriPrefix"),
        }


class HyperparameterTuningJobProvider(VertexProvider):
    api_type = HyperparameterTuningJobApi



class HyperparameterTuningJob(JobResource, module="vertex", name="HyperparameterTuningJob"):
    if TYPE_CHECKING:  # see JobResource.error
        trials: pulumi.Output[Sequence[TrialOutput]]
        best_trial: pulumi.Output[BestTrialOutput | None]
    else:
        trials: pulumi.Output[Sequence[Mapping[str, Any]]]
        best_trial: pulumi.Output[Mapping[str, Any] | None]
    """The best succeeded trial; None if no trial succeeded (or the job is not finished)."""
    output_directory: pulumi.Output[str]
    """The directory the trials trained into (each in ``<output_directory>/<trial id>/``): the job's own under the
    base output directory (see ``unique_output_directory``)."""

    def __init__(
        self, resource_name: str, args: HyperparameterTuningJobArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(HyperparameterTuningJobProvider(), resource_name, args, opts)
