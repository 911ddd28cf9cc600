"""The Dataset resource: a managed dataset, tabular (rows from CSV or BigQuery) or of imported data items."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo

from ..errors import Problem
from ._base import OUTPUT_ONLY, PLACEMENT, REPLACE, ApiModel, updatable
from ._resource import ResourceBase
from ._rules import exactly_one
from ._types import BigQueryTable, DisplayName, GcsUri, Int64, Labels, ResourceLabels, is_lenient
from .job import EncryptionSpec

__all__ = [
    "DATASET_SCHEMAS",
    "IMPORT_SCHEMAS",
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
"""The dataset metadata schemas Vertex AI has (google.cloud.aiplatform.schema.dataset.metadata), by kind; the
kinds are accepted as shorthands for ``metadata_schema_uri``."""
_IO_FORMAT = "gs://google-cloud-aiplatform/schema/dataset/ioformat/"
IMPORT_SCHEMAS = {
    "image": tuple(
        f"{_IO_FORMAT}image_{name}_io_format_1.0.0.yaml"
        for name in ("classification_single_label", "classification_multi_label", "bounding_box", "segmentation")
    ),
    "text": tuple(
        f"{_IO_FORMAT}text_{name}_io_format_1.0.0.yaml"
        for name in ("classification_single_label", "classification_multi_label", "extraction", "sentiment")
    ),
    "video": tuple(
        f"{_IO_FORMAT}video_{name}_io_format_1.0.0.yaml"
        for name in ("classification", "action_recognition", "object_tracking")
    ),
}
"""The import schemas of each kind of dataset that imports data items
(google.cloud.aiplatform.schema.dataset.ioformat)."""
_KIND_OF_SCHEMA = {uri: kind for kind, uri in DATASET_SCHEMAS.items()}


def _expand_kind(value: Any) -> Any:
    return DATASET_SCHEMAS.get(value, value) if isinstance(value, str) else value


def _known_schema(value: str, info: ValidationInfo) -> str:
    if value not in _KIND_OF_SCHEMA and not is_lenient(info):
        kinds = ", ".join(DATASET_SCHEMAS)
        raise ValueError(
            f"must be one of {kinds} (or its schema URI {DATASET_SCHEMAS['tabular']} ...), got {value[:120]!r}"
        )
    return value


def _known_import_schema(value: str, info: ValidationInfo) -> str:
    if not any(value in schemas for schemas in IMPORT_SCHEMAS.values()) and not is_lenient(info):
        raise ValueError(f"must be one of the import schemas under {_IO_FORMAT}, got {value[:120]!r}")
    return value


class GcsSource(ApiModel):
    uris: list[GcsUri] = Field(min_length=1)


class TabularGcsSource(ApiModel):
    """CSV files of a tabular dataset (the metadata field is named ``uri`` even though it is a list)."""

    uri: list[GcsUri] = Field(min_length=1)
    """The CSV files (``gs://bucket/path.csv``, wildcards allowed), each with a header row."""


class TabularBigQuerySource(ApiModel):
    uri: BigQueryTable
    """The table, ``bq://project.dataset.table``."""


class DatasetInputConfig(ApiModel):
    gcs_source: TabularGcsSource | None = None
    """Rows from CSV files in Cloud Storage (exactly one of gcs_source and bigquery_source)."""
    bigquery_source: TabularBigQuerySource | None = None
    """Rows from a BigQuery table."""

    def _problems(self) -> Iterator[Problem]:
        yield from exactly_one(
            {"gcs_source": self.gcs_source, "bigquery_source": self.bigquery_source},
            ["gcs_source", "bigquery_source"],
        )


class DatasetMetadata(ApiModel):
    """The Dataset's free-form metadata; tabular datasets keep their data source here (the API answers ``{}``
    for other kinds)."""

    input_config: DatasetInputConfig | None = None
    """Where a tabular or time-series dataset reads its rows (required for those kinds)."""


class ImportDataConfig(ApiModel):
    """Data items to import after creation: import files (JSONL or CSV) and the import schema that reads them."""

    gcs_source: GcsSource
    import_schema_uri: Annotated[str, AfterValidator(_known_import_schema)]
    data_item_labels: Labels | None = None


class DatasetDefinition(ResourceBase):
    """A managed dataset. ``metadata_schema_uri`` takes a schema URI or one of: tabular, image, text, video,
    time_series."""

    display_name: Annotated[DisplayName, updatable("display_name")]
    description: Annotated[str | None, updatable("description")] = None
    labels: Annotated[ResourceLabels | None, updatable("labels")] = None
    metadata_schema_uri: Annotated[str, BeforeValidator(_expand_kind), AfterValidator(_known_schema), REPLACE]
    metadata: Annotated[DatasetMetadata | None, REPLACE] = None
    data_import_configs: Annotated[list[ImportDataConfig] | None, PLACEMENT] = None
    """Data items imported once the dataset is created (image, text and video datasets), read by each
    config's import schema; a change replaces the dataset."""
    """Imported once after creation through ImportData (not part of the Dataset message); a change replaces."""
    encryption_spec: Annotated[EncryptionSpec | None, REPLACE] = None
    data_item_count: Annotated[Int64 | None, OUTPUT_ONLY] = None

    @property
    def is_tabular(self) -> bool:
        return self.metadata_schema_uri in (DATASET_SCHEMAS["tabular"], DATASET_SCHEMAS["time_series"])

    @property
    def kind(self) -> str:
        return _KIND_OF_SCHEMA.get(self.metadata_schema_uri, "unknown")

    def _problems(self) -> Iterator[Problem]:
        for index, config in enumerate(() if self.is_tabular else self.data_import_configs or ()):
            if config.import_schema_uri not in IMPORT_SCHEMAS.get(self.kind, ()):
                yield Problem(
                    ("data_import_configs", index, "import_schema_uri"),
                    f"a {self.kind} dataset imports with one of: {', '.join(IMPORT_SCHEMAS.get(self.kind, ()))}",
                )
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
