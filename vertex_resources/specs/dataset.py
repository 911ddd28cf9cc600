"""The Dataset resource: a managed dataset, tabular (rows from CSV or BigQuery) or of imported data items."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from ..errors import Problem
from ._base import OUTPUT_ONLY, PLACEMENT, REPLACE, ApiModel, updatable
from ._resource import ResourceBase
from ._rules import display_name_problems, exactly_one, label_problems, uri_problems
from ._wire import Int64
from .job import EncryptionSpec

__all__ = [
    "DATASET_SCHEMAS",
    "DatasetDefinition",
    "DatasetInputConfig",
    "DatasetMetadata",
    "GcsSource",
    "ImportDataConfig",
    "TabularBigQuerySource",
    "TabularGcsSource",
]

_SCHEMA_PREFIX = "gs://google-cloud-aiplatform/schema/dataset/metadata/"
DATASET_SCHEMAS = {
    kind: f"{_SCHEMA_PREFIX}{kind}_1.0.0.yaml" for kind in ("tabular", "image", "text", "video", "time_series")
}
"""Shorthand kinds accepted for ``metadata_schema_uri``."""


def _expand_kind(value: Any) -> Any:
    return DATASET_SCHEMAS.get(value, value) if isinstance(value, str) else value


class GcsSource(ApiModel):
    uris: list[str] = Field(min_length=1)

    def _problems(self) -> Iterator[Problem]:
        yield from uri_problems(self.uris, "gs://", ("uris",))


class TabularGcsSource(ApiModel):
    """CSV files of a tabular dataset (the metadata field is named ``uri`` even though it is a list)."""

    uri: list[str] = Field(min_length=1)

    def _problems(self) -> Iterator[Problem]:
        yield from uri_problems(self.uri, "gs://", ("uri",))


class TabularBigQuerySource(ApiModel):
    uri: str

    def _problems(self) -> Iterator[Problem]:
        yield from uri_problems(self.uri, "bq://", ("uri",))


class DatasetInputConfig(ApiModel):
    gcs_source: TabularGcsSource | None = None
    bigquery_source: TabularBigQuerySource | None = None

    def _problems(self) -> Iterator[Problem]:
        yield from exactly_one(
            {"gcs_source": self.gcs_source, "bigquery_source": self.bigquery_source},
            ["gcs_source", "bigquery_source"],
        )


class DatasetMetadata(ApiModel):
    """The Dataset's free-form metadata; tabular datasets keep their data source here (the API answers ``{}``
    for other kinds)."""

    input_config: DatasetInputConfig | None = None


class ImportDataConfig(ApiModel):
    """Data items to import after creation: import files (JSONL or CSV) and the import schema that reads them."""

    gcs_source: GcsSource
    import_schema_uri: str = Field(min_length=1)
    data_item_labels: dict[str, str] | None = None


class DatasetDefinition(ResourceBase):
    """A managed dataset. ``metadata_schema_uri`` takes a schema URI or one of: tabular, image, text, video,
    time_series."""

    display_name: Annotated[str, updatable("display_name")]
    description: Annotated[str | None, updatable("description")] = None
    labels: Annotated[dict[str, str] | None, updatable("labels")] = None
    metadata_schema_uri: Annotated[str, BeforeValidator(_expand_kind), REPLACE]
    metadata: Annotated[DatasetMetadata | None, REPLACE] = None
    data_import_configs: Annotated[list[ImportDataConfig] | None, PLACEMENT] = None
    """Imported once after creation through ImportData (not part of the Dataset message); a change replaces."""
    encryption_spec: Annotated[EncryptionSpec | None, REPLACE] = None
    data_item_count: Annotated[Int64 | None, OUTPUT_ONLY] = None

    @property
    def is_tabular(self) -> bool:
        return self.metadata_schema_uri in (DATASET_SCHEMAS["tabular"], DATASET_SCHEMAS["time_series"])

    def _problems(self) -> Iterator[Problem]:
        yield from display_name_problems(self.display_name)
        yield from label_problems(self.labels)
        yield from uri_problems(self.metadata_schema_uri, "gs://", ("metadata_schema_uri",))
        if self.is_tabular and (self.metadata is None or self.metadata.input_config is None):
            yield Problem(
                ("metadata",),
                "a tabular dataset needs metadata.input_config with its gcs_source CSV files or bigquery_source table",
            )
        if self.is_tabular and self.data_import_configs:
            yield Problem(
                ("data_import_configs",),
                "tabular datasets take their data from metadata.input_config, not from imports",
            )
        if not self.is_tabular and self.metadata is not None and self.metadata.input_config is not None:
            yield Problem(("metadata",), "only tabular and time-series datasets take an input_config")
