"""Exporting a managed dataset's split for a training pipeline, as Vertex AI does before training starts.

Files: ``<gcsDestination>/dataset-<id>-<annotation type>-<timestamp>/{training,validation,test}-00000-of-00001
.{csv,jsonl}``; the training code finds them through AIP_DATA_FORMAT and AIP_{TRAINING,VALIDATION,TEST}_DATA_URI
(wildcard form ``.../training-*.csv``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from . import _spec
from ._errors import InvalidSpecError, ObjectNotFoundError, UnsupportedError
from ._object_store import ObjectStore, expand_uris, join_uri
from ._splits import SPLIT_NAMES, DataSplit, split_items, split_rows

_BIGQUERY_UNSUPPORTED = "BigQuery {what} are not supported by the local emulator; use Cloud Storage (gs://) instead."


@dataclass(frozen=True)
class ExportedData:
    """Where a split dataset was written, and the environment that tells training code about it."""

    directory: str
    data_format: str
    training_uri: str
    validation_uri: str
    test_uri: str
    counts: Mapping[str, int]

    @property
    def environment(self) -> dict[str, str]:
        return {
            "AIP_DATA_FORMAT": self.data_format,
            "AIP_TRAINING_DATA_URI": self.training_uri,
            "AIP_VALIDATION_DATA_URI": self.validation_uri,
            "AIP_TEST_DATA_URI": self.test_uri,
        }


def annotation_type(metadata_schema_uri: str, annotation_schema_uri: str | None = None) -> str:
    """The ``<annotation type>`` of the export directory: ``tables`` for tabular data, else the annotation
    (or metadata) schema's name without version, e.g. ``image_classification``."""
    schema = annotation_schema_uri or metadata_schema_uri
    name = schema.rstrip("/").rsplit("/", 1)[-1].removesuffix(".yaml")
    base = name.rsplit("_", 1)[0] if name.rsplit("_", 1)[-1][:1].isdigit() else name
    return "tables" if base == "tabular" else base


def export_dataset(
    store: ObjectStore,
    dataset: Mapping[str, Any],
    input_data_config: Mapping[str, Any],
    *,
    items: Iterable[Mapping[str, Any]] | None = None,
    now: datetime | None = None,
) -> ExportedData:
    """Split and export the dataset a training pipeline names.

    ``dataset``: the Dataset resource (proto JSON). Tabular datasets are read from
    ``metadata.inputConfig.gcsSource.uri`` (CSV with a header row); unstructured ones need ``items``, the
    imported data items (import-file JSON objects, labels in ``dataItemResourceLabels`` or ``labels``).
    """
    config = _spec.input_data_config(input_data_config)
    if "bigqueryDestination" in config:
        raise UnsupportedError(_BIGQUERY_UNSUPPORTED.format(what="destinations"))
    destination = config.get("gcsDestination", {}).get("outputUriPrefix")
    if not destination:
        raise InvalidSpecError("inputDataConfig.gcsDestination.outputUriPrefix is required to export the dataset")
    dataset_id = str(dataset.get("name", "")).rsplit("/", 1)[-1] or str(config.get("datasetId", ""))
    schema = str(dataset.get("metadataSchemaUri", ""))
    kind = annotation_type(schema, config.get("annotationSchemaUri"))
    directory = join_uri(destination, f"dataset-{dataset_id}-{kind}-{_stamp(now)}")
    if kind == "tables":
        input_config = (dataset.get("metadata") or {}).get("inputConfig", {})
        if "bigquerySource" in input_config:
            raise UnsupportedError(_BIGQUERY_UNSUPPORTED.format(what="sources"))
        uris = input_config.get("gcsSource", {}).get("uri", [])
        if isinstance(uris, str):
            uris = [uris]
        header, rows = read_csv_rows(store, uris)
        return _write_csv(store, directory, header, split_rows(rows, config))
    if items is None:
        raise InvalidSpecError(f"The dataset {dataset_id} has no imported data items to export")
    return _write_jsonl(store, directory, split_items(list(items), config))


def read_csv_rows(store: ObjectStore, uris: Sequence[str]) -> tuple[list[str], list[dict[str, str]]]:
    """All rows of the CSV files (wildcards allowed); every file must have the same header row."""
    files = expand_uris(store, list(uris))
    if not files:
        raise InvalidSpecError("The tabular dataset names no CSV source files (metadata.inputConfig.gcsSource)")
    header: list[str] | None = None
    rows: list[dict[str, str]] = []
    for uri in files:
        try:
            stream = store.open_read(uri)
        except FileNotFoundError:
            raise ObjectNotFoundError(f"The dataset source {uri} does not exist") from None
        with io.TextIOWrapper(stream, encoding="utf-8", newline="") as text:
            reader = csv.DictReader(text)
            fields = list(reader.fieldnames or [])
            if header is None:
                header = fields
            elif fields != header:
                raise InvalidSpecError(f"{uri} has the header {fields}, unlike the first file's {header}")
            rows.extend(reader)
    return header or [], rows


def read_jsonl_items(store: ObjectStore, uris: Sequence[str]) -> list[dict[str, Any]]:
    """Data items of JSONL import files (one JSON object per line)."""
    items = []
    for uri in expand_uris(store, list(uris)):
        try:
            stream = store.open_read(uri)
        except FileNotFoundError:
            raise ObjectNotFoundError(f"The import file {uri} does not exist") from None
        with io.TextIOWrapper(stream, encoding="utf-8") as text:
            for number, line in enumerate(text, start=1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except ValueError as error:
                    raise InvalidSpecError(f"{uri} line {number} is not JSON: {error}") from None
                if not isinstance(item, dict):
                    raise InvalidSpecError(f"{uri} line {number} is not a JSON object")
                items.append(item)
    return items


def _stamp(now: datetime | None) -> str:
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _exported(directory: str, data_format: str, split: DataSplit[Any]) -> ExportedData:
    uris = {name: join_uri(directory, f"{name}-*.{data_format}") for name in SPLIT_NAMES}
    return ExportedData(
        directory=directory,
        data_format=data_format,
        training_uri=uris["training"],
        validation_uri=uris["validation"],
        test_uri=uris["test"],
        counts={name: len(rows) for name, rows in split.sets().items()},
    )


def _write_csv(store: ObjectStore, directory: str, header: list[str], split: DataSplit[dict[str, str]]) -> ExportedData:
    for name, rows in split.sets().items():
        with store.open_write(join_uri(directory, f"{name}-00000-of-00001.csv")) as stream, io.TextIOWrapper(
            stream, encoding="utf-8", newline=""
        ) as text:
            writer = csv.DictWriter(text, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return _exported(directory, "csv", split)


def _write_jsonl(store: ObjectStore, directory: str, split: DataSplit[Mapping[str, Any]]) -> ExportedData:
    for name, items in split.sets().items():
        with store.open_write(join_uri(directory, f"{name}-00000-of-00001.jsonl")) as stream:
            stream.write("".join(json.dumps(item) + "\n" for item in items).encode())
    return _exported(directory, "jsonl", split)
