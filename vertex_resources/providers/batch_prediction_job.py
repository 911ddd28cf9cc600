"""BatchPredictionJob: a model (or one of its versions) run over files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import pulumi

from ..outputs import CompletionStatsOutput, InstancesFormat, PredictionsFormat
from ..specs import (
    BatchDedicatedResources,
    BatchPredictionInputConfig,
    BatchPredictionJobDefinition,
    BatchPredictionOutputConfig,
    BigQueryDestination,
    BigQuerySource,
    GcsDestination,
    GcsSource,
    InstanceConfig,
    ManualBatchTuningParameters,
)
from ._kind import JobKind
from ._provider import VertexProvider
from ._resource import JobArgs, JobResource

__all__ = [
    "BatchPredictionInputConfigDict",
    "BatchPredictionJob",
    "BatchPredictionJobArgs",
    "BatchPredictionJobProvider",
    "BatchPredictionOutputConfigDict",
]


class _InstancesFormat(TypedDict):
    instances_format: InstancesFormat


class BatchPredictionInputConfigDict(_InstancesFormat, total=False):
    """``input_config`` as a dict: ``bigquery`` reads ``bigquery_source``, every other format ``gcs_source``."""

    gcs_source: GcsSource | Mapping[str, Any]
    bigquery_source: BigQuerySource | Mapping[str, Any]


class _PredictionsFormat(TypedDict):
    predictions_format: PredictionsFormat


class BatchPredictionOutputConfigDict(_PredictionsFormat, total=False):
    """``output_config`` as a dict: ``bigquery`` writes to ``bigquery_destination``, jsonl and csv to
    ``gcs_destination``."""

    gcs_destination: GcsDestination | Mapping[str, Any]
    bigquery_destination: BigQueryDestination | Mapping[str, Any]


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


@dataclass(kw_only=True)
class BatchPredictionJobArgs(JobArgs):
    """Inputs of a BatchPredictionJob; every field replaces the job when it changes. ``model`` takes a model
    name (``TrainingPipeline.model_name``), optionally with ``@version`` or ``@alias``."""

    display_name: pulumi.Input[str]
    model: pulumi.Input[str]
    input_config: pulumi.Input[BatchPredictionInputConfig | BatchPredictionInputConfigDict]
    output_config: pulumi.Input[BatchPredictionOutputConfig | BatchPredictionOutputConfigDict]
    dedicated_resources: pulumi.Input[BatchDedicatedResources | Mapping[str, Any]] | None = None
    manual_batch_tuning_parameters: pulumi.Input[ManualBatchTuningParameters | Mapping[str, Any]] | None = None
    model_parameters: pulumi.Input[Any] | None = None
    instance_config: pulumi.Input[InstanceConfig | Mapping[str, Any]] | None = None
    generate_explanation: pulumi.Input[bool] | None = None
    service_account: pulumi.Input[str] | None = None


class BatchPredictionJob(JobResource, module="vertex", name="BatchPredictionJob"):
    output_info: pulumi.Output[Mapping[str, Any]]
    output_directory: pulumi.Output[str]
    completion_stats: pulumi.Output[CompletionStatsOutput]
    partial_failures: pulumi.Output[Sequence[Mapping[str, Any]]]
    model_version_id: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: BatchPredictionJobArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(BatchPredictionJobProvider(), resource_name, args, opts)
