"""The BatchPredictionJob resource: a model (or one of its versions) run over files or a table."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field

from ..errors import Problem
from ._base import OUTPUT_ONLY, REPLACE, ApiModel
from ._resource import JobOutputs, Status
from ._types import BigQueryTable, Bool, DisplayName, Int32, Int64, ResourceLabels, ServiceAccount, VersionedModelName
from .data import BigQueryDestination
from .dataset import GcsSource
from .job import EncryptionSpec, GcsDestination, MachineSpec

__all__ = [
    "INSTANCE_FORMATS",
    "PREDICTION_FORMATS",
    "BatchDedicatedResources",
    "BatchPredictionInputConfig",
    "BatchPredictionJobDefinition",
    "BatchPredictionOutputConfig",
    "BigQuerySource",
    "CompletionStats",
    "InstanceConfig",
    "InstancesFormat",
    "ManualBatchTuningParameters",
    "OutputInfo",
    "PredictionsFormat",
]

InstancesFormat = Literal["jsonl", "csv", "tf-record", "tf-record-gzip", "file-list", "bigquery"]
"""What a BatchPredictionJob reads (``input_config.instances_format``): files of these formats, or a BigQuery
table."""
PredictionsFormat = Literal["jsonl", "csv", "bigquery"]
"""What a BatchPredictionJob writes (``output_config.predictions_format``)."""
INSTANCE_FORMATS: tuple[str, ...] = typing.get_args(InstancesFormat)
PREDICTION_FORMATS: tuple[str, ...] = typing.get_args(PredictionsFormat)


class BigQuerySource(ApiModel):
    input_uri: BigQueryTable


def _format_problems(
    config: ApiModel,
    format_field: str,
    allowed: tuple[str, ...],
    gcs_field: str,
    bigquery_field: str,
    direction: tuple[str, str],
) -> Iterator[Problem]:
    """The format must be known, and it names the one place data comes from or goes to: BigQuery for
    ``bigquery``, Cloud Storage for every other format."""
    fmt = getattr(config, format_field)
    if fmt not in allowed:
        yield Problem((format_field,), f"must be one of {', '.join(allowed)}, got {fmt!r}")
        return
    wanted, other = (bigquery_field, gcs_field) if fmt == "bigquery" else (gcs_field, bigquery_field)
    if getattr(config, wanted) is None:
        yield Problem((wanted,), f"{format_field} {fmt!r} {direction[0]} {wanted}")
    if getattr(config, other) is not None:
        yield Problem((other,), f"{format_field} {fmt!r} does not {direction[1]} {other}")


class BatchPredictionInputConfig(ApiModel):
    """``instances_format`` bigquery reads ``bigquery_source``; every other format reads ``gcs_source`` files."""

    instances_format: InstancesFormat
    gcs_source: GcsSource | None = None
    bigquery_source: BigQuerySource | None = None

    def _problems(self) -> Iterator[Problem]:
        yield from _format_problems(
            self, "instances_format", INSTANCE_FORMATS, "gcs_source", "bigquery_source", ("reads from", "read from")
        )


class BatchPredictionOutputConfig(ApiModel):
    """``predictions_format`` bigquery writes to ``bigquery_destination``; jsonl and csv to ``gcs_destination``."""

    predictions_format: PredictionsFormat
    gcs_destination: GcsDestination | None = None
    bigquery_destination: BigQueryDestination | None = None

    def _problems(self) -> Iterator[Problem]:
        yield from _format_problems(
            self,
            "predictions_format",
            PREDICTION_FORMATS,
            "gcs_destination",
            "bigquery_destination",
            ("writes to", "write to"),
        )


class BatchDedicatedResources(ApiModel):
    machine_spec: MachineSpec
    starting_replica_count: Annotated[Int32 | None, Field(ge=1)] = None
    max_replica_count: Annotated[Int32 | None, Field(ge=1)] = None

    def _problems(self) -> Iterator[Problem]:
        start, most = self.starting_replica_count, self.max_replica_count
        if start is not None and most is not None and start > most:
            yield Problem(("starting_replica_count",), f"at most max_replica_count ({most}), got {start}")


class ManualBatchTuningParameters(ApiModel):
    batch_size: Annotated[Int32, Field(ge=1)]


class InstanceConfig(ApiModel):
    """How rows become instances: ``instance_type`` object or array, a key field, included/excluded fields."""

    instance_type: Literal["object", "array"] | None = None
    key_field: str | None = None
    included_fields: list[str] | None = None
    excluded_fields: list[str] | None = None

    def _problems(self) -> Iterator[Problem]:
        if self.included_fields and self.excluded_fields:
            yield Problem(("excluded_fields",), "set at most one of included_fields or excluded_fields")


class OutputInfo(ApiModel):
    gcs_output_directory: str | None = None
    bigquery_output_dataset: str | None = None
    bigquery_output_table: str | None = None


class CompletionStats(ApiModel):
    successful_count: Int64 | None = None
    failed_count: Int64 | None = None
    incomplete_count: Int64 | None = None


class BatchPredictionJobDefinition(JobOutputs):
    """``model`` is a model name, optionally with ``@version`` or ``@alias``."""

    display_name: Annotated[DisplayName, REPLACE]
    model: Annotated[VersionedModelName, REPLACE]
    input_config: Annotated[BatchPredictionInputConfig, REPLACE]
    output_config: Annotated[BatchPredictionOutputConfig, REPLACE]
    dedicated_resources: Annotated[BatchDedicatedResources | None, REPLACE] = None
    manual_batch_tuning_parameters: Annotated[ManualBatchTuningParameters | None, REPLACE] = None
    model_parameters: Annotated[Any, REPLACE] = None
    instance_config: Annotated[InstanceConfig | None, REPLACE] = None
    generate_explanation: Annotated[Bool | None, REPLACE] = None
    service_account: Annotated[ServiceAccount | None, REPLACE] = None
    labels: Annotated[ResourceLabels | None, REPLACE] = None
    encryption_spec: Annotated[EncryptionSpec | None, REPLACE] = None
    output_info: Annotated[OutputInfo | None, OUTPUT_ONLY] = None
    completion_stats: Annotated[CompletionStats | None, OUTPUT_ONLY] = None
    partial_failures: Annotated[list[Status] | None, OUTPUT_ONLY] = None
    model_version_id: Annotated[str | None, OUTPUT_ONLY] = None
