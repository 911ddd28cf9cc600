"""BatchPredictionJob: a model (or one of its versions) run over files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pulumi

from ..outputs import CompletionStatsOutput
from ..specs import BatchPredictionJobDefinition
from ._args import BatchPredictionInputConfigDict, BatchPredictionJobArgs, BatchPredictionOutputConfigDict
from ._kind import JobKind
from ._provider import VertexProvider
from ._resource import JobResource

__all__ = [
    "BatchPredictionInputConfigDict",
    "BatchPredictionJob",
    "BatchPredictionJobArgs",
    "BatchPredictionJobProvider",
    "BatchPredictionOutputConfigDict",
]


class BatchPredictionJobApi(JobKind):
    kind = "BatchPredictionJob"
    spec_type = BatchPredictionJobDefinition
    service = "jobs"
    method_stem = "batch_prediction_job"
    message_type_name = "BatchPredictionJob"
    extra_output_names = ("output_directory",)

    def extra_outputs(self, resource: dict[str, Any]) -> dict[str, Any]:
        return {"output_directory": (resource.get("outputInfo") or {}).get("gcsOutputDirectory")}


class BatchPredictionJobProvider(VertexProvider):
    api_type = BatchPredictionJobApi


class BatchPredictionJob(JobResource, module="vertex", name="BatchPredictionJob"):
    output_info: pulumi.Output[Mapping[str, Any]]
    output_directory: pulumi.Output[str]
    if TYPE_CHECKING:  # see JobResource.error: Pulumi checks runtime annotations against the values
        completion_stats: pulumi.Output[CompletionStatsOutput]
    else:
        completion_stats: pulumi.Output[Mapping[str, Any]]
    partial_failures: pulumi.Output[Sequence[Mapping[str, Any]]]
    model_version_id: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: BatchPredictionJobArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(BatchPredictionJobProvider(), resource_name, args, opts)
