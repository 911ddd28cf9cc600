from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest

from vertex_emulator.execution import (
    DirectoryObjectStore,
    ObjectNotFoundError,
    UnsupportedError,
    annotation_type,
    export_dataset,
    read_jsonl_items,
)

TABULAR = "gs://google-cloud-aiplatform/schema/dataset/metadata/tabular_1.0.0.yaml"
TEXT = "gs://google-cloud-aiplatform/schema/dataset/metadata/text_1.0.0.yaml"
NOW = datetime(2024, 3, 5, 6, 7, 8, 912345, tzinfo=timezone.utc)


def write(store: DirectoryObjectStore, uri: str, text: str) -> None:
    with store.open_write(uri) as stream:
        stream.write(text.encode())


def read_csv(store: DirectoryObjectStore, uri: str) -> list[dict[str, str]]:
    with store.open_read(uri) as stream:
        return list(csv.DictReader(io.TextIOWrapper(stream, encoding="utf-8")))


def tabular_dataset(uris: list[str]) -> dict[str, object]:
    return {
        "name": "projects/p/locations/us-central1/datasets/123",
        "metadataSchemaUri": TABULAR,
        "metadata": {"inputConfig": {"gcsSource": {"uri": uris}}},
    }


def test_tabular_export_writes_three_csv_files_and_the_environment(store: DirectoryObjectStore) -> None:
    write(store, "gs://data/part-1.csv", "id,split\n" + "".join(f"{i},training\n" for i in range(6)))
    write(store, "gs://data/part-2.csv", "id,split\n7,validation\n8,test\n9,test\n10,elsewhere\n")
    exported = export_dataset(
        store,
        tabular_dataset(["gs://data/part-*.csv"]),
        {"predefinedSplit": {"key": "split"}, "gcsDestination": {"outputUriPrefix": "gs://out/exports/"}},
        now=NOW,
    )
    directory = "gs://out/exports/dataset-123-tables-2024-03-05T06:07:08.912Z"
    assert exported.directory == directory
    assert exported.environment == {
        "AIP_DATA_FORMAT": "csv",
        "AIP_TRAINING_DATA_URI": f"{directory}/training-*.csv",
        "AIP_VALIDATION_DATA_URI": f"{directory}/validation-*.csv",
        "AIP_TEST_DATA_URI": f"{directory}/test-*.csv",
    }
    assert dict(exported.counts) == {"training": 6, "validation": 1, "test": 2}
    assert store.list(directory) == [
        f"{directory}/test-00000-of-00001.csv",
        f"{directory}/training-00000-of-00001.csv",
        f"{directory}/validation-00000-of-00001.csv",
    ]
    assert [r["id"] for r in read_csv(store, f"{directory}/test-00000-of-00001.csv")] == ["8", "9"]
    assert read_csv(store, f"{directory}/validation-00000-of-00001.csv") == [{"id": "7", "split": "validation"}]


def test_item_export_writes_jsonl(store: DirectoryObjectStore) -> None:
    lines = [
        {"textContent": f"t{i}", "classificationAnnotation": {"displayName": "x"},
         "dataItemResourceLabels": {"aiplatform.googleapis.com/ml_use": use}}
        for i, use in enumerate(["training", "training", "test"])
    ]
    write(store, "gs://data/import.jsonl", "".join(json.dumps(line) + "\n" for line in lines))
    items = read_jsonl_items(store, ["gs://data/import.jsonl"])
    exported = export_dataset(
        store,
        {"name": "projects/p/locations/l/datasets/9", "metadataSchemaUri": TEXT},
        {"filterSplit": {"trainingFilter": "labels.aiplatform.googleapis.com/ml_use=training",
                         "validationFilter": "-", "testFilter": "labels.aiplatform.googleapis.com/ml_use=test"},
         "gcsDestination": {"outputUriPrefix": "gs://out"},
         "annotationSchemaUri": "gs://google-cloud-aiplatform/schema/dataset/annotation/text_classification_1.0.0.yaml"},
        items=items,
        now=NOW,
    )
    assert exported.data_format == "jsonl"
    assert exported.training_uri == "gs://out/dataset-9-text_classification-2024-03-05T06:07:08.912Z/training-*.jsonl"
    with store.open_read(exported.directory + "/training-00000-of-00001.jsonl") as stream:
        assert [json.loads(line) for line in stream] == lines[:2]
    with store.open_read(exported.directory + "/validation-00000-of-00001.jsonl") as stream:
        assert stream.read() == b""


def test_annotation_types() -> None:
    assert annotation_type(TABULAR) == "tables"
    assert annotation_type(TEXT) == "text"
    assert annotation_type("gs://x/image_1.0.0.yaml", "gs://x/image_classification_single_label_io_format_1.0.0.yaml") \
        == "image_classification_single_label_io_format"


def test_bigquery_is_unsupported_here(store: DirectoryObjectStore) -> None:
    with pytest.raises(UnsupportedError, match="BigQuery"):
        export_dataset(store, tabular_dataset(["gs://x.csv"]), {"bigqueryDestination": {"outputUri": "bq://p.d"}})
    dataset = {"name": "d/1", "metadataSchemaUri": TABULAR,
               "metadata": {"inputConfig": {"bigquerySource": {"uri": "bq://p.d.t"}}}}
    with pytest.raises(UnsupportedError, match="BigQuery"):
        export_dataset(store, dataset, {"gcsDestination": {"outputUriPrefix": "gs://out"}})


def test_a_missing_source_file_is_named(store: DirectoryObjectStore) -> None:
    with pytest.raises(ObjectNotFoundError, match=r"gs://data/none\.csv"):
        export_dataset(store, tabular_dataset(["gs://data/none.csv"]), {"gcsDestination": {"outputUriPrefix": "gs://o"}})
