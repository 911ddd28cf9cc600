"""Reading batch prediction input: formats and instanceConfig."""

from __future__ import annotations

import base64
import gzip
import io
import json
import struct
from typing import Any

import pytest

from vertex_emulator.execution import DirectoryObjectStore, InvalidSpecError, UnsupportedError
from vertex_emulator.execution._instances import Instance, InstanceReader, RecordParser


def put(store: DirectoryObjectStore, uri: str, data: bytes | str) -> str:
    with store.open_write(uri) as stream:
        stream.write(data.encode() if isinstance(data, str) else data)
    return uri


def read(store: DirectoryObjectStore, uris: list[str], fmt: str, config: dict[str, Any] | None = None) -> list[Any]:
    return list(InstanceReader(store, uris, fmt, config or {}))


def output(instance: Instance, prediction: Any = 0) -> Any:
    return json.loads(instance.output_head + json.dumps(prediction) + "}")


def test_jsonl_lines_are_instances_and_bad_lines_are_errors(store: DirectoryObjectStore) -> None:
    uri = put(store, "gs://b/in.jsonl", '[1, 2]\n\n{"a": 1}\nnot json\n"text"\n')
    instances = read(store, [uri], "jsonl")
    assert [i.model_input for i in instances] == [[1, 2], {"a": 1}, None, "text"]
    assert output(instances[0], 7) == {"instance": [1, 2], "prediction": 7}
    assert instances[2].error is not None
    assert "not valid JSON" in instances[2].error
    assert json.loads(instances[2].echo) == "not json"


def test_csv_rows_become_arrays_of_numbers_where_they_are_numbers(store: DirectoryObjectStore) -> None:
    uri = put(store, "gs://b/in.csv", "x,y,name\n1,2.5,a\n3,nan,b\n4,5\n")
    instances = read(store, [uri], "csv")
    assert [i.model_input for i in instances[:2]] == [[1, 2.5, "a"], [3, "nan", "b"]]
    assert output(instances[0]) == {"instance": [1, 2.5, "a"], "prediction": 0}
    assert instances[2].error == "The row has 2 values, the header 3"


def test_file_list_reads_each_file_as_base64(store: DirectoryObjectStore) -> None:
    put(store, "gs://b/img/1.png", b"\x89PNG")
    uri = put(store, "gs://b/list.txt", "gs://b/img/1.png\ngs://b/img/missing.png\n")
    instances = read(store, [uri], "file-list")
    assert instances[0].model_input == {"b64": base64.b64encode(b"\x89PNG").decode()}
    assert instances[1].error == "gs://b/img/missing.png does not exist"


def tf_record(data: bytes) -> bytes:
    return struct.pack("<Q", len(data)) + b"\0" * 4 + data + b"\0" * 4


@pytest.mark.parametrize("fmt", ["tf-record", "tf-record-gzip"])
def test_tf_records_become_base64_objects(store: DirectoryObjectStore, fmt: str) -> None:
    data = tf_record(b"one") + tf_record(b"second")
    uri = put(store, "gs://b/in.tfrecord", gzip.compress(data) if fmt.endswith("gzip") else data)
    assert [i.model_input for i in read(store, [uri], fmt)] == [
        {"b64": base64.b64encode(b"one").decode()}, {"b64": base64.b64encode(b"second").decode()},
    ]


ROWS = '{"id": "r1", "a": 1, "b": 2, "c": 3}\n{"id": "r2", "a": 4, "b": 5, "c": 6}\n{"id": "r3", "a": 7}\n'


def test_key_field_and_included_fields_as_array(store: DirectoryObjectStore) -> None:
    uri = put(store, "gs://b/in.jsonl", ROWS)
    config = {"keyField": "id", "includedFields": ["c", "a"], "instanceType": "array"}
    instances = read(store, [uri], "jsonl", config)
    assert [i.model_input for i in instances[:2]] == [[3, 1], [6, 4]]
    assert output(instances[0], 9) == {"key": "r1", "prediction": 9}
    assert instances[2].error == "The instance has no field 'c'"


def test_excluded_fields_are_not_sent_but_stay_in_the_output(store: DirectoryObjectStore) -> None:
    uri = put(store, "gs://b/in.jsonl", ROWS)
    instances = read(store, [uri], "jsonl", {"excludedFields": ["id", "b"]})
    assert instances[0].model_input == {"a": 1, "c": 3}
    assert output(instances[0])["instance"] == {"id": "r1", "a": 1, "b": 2, "c": 3}


def test_key_field_on_csv(store: DirectoryObjectStore) -> None:
    uri = put(store, "gs://b/in.csv", "id,x,y\nk1,1,2\n")
    [instance] = read(store, [uri], "csv", {"keyField": "id"})
    assert instance.model_input == [1, 2]
    assert output(instance) == {"key": "k1", "prediction": 0}


def test_object_instances_required_for_object_type(store: DirectoryObjectStore) -> None:
    uri = put(store, "gs://b/in.jsonl", "[1, 2]\n")
    [instance] = read(store, [uri], "jsonl", {"instanceType": "object"})
    assert instance.error == "instanceConfig needs each instance to be a JSON object"


def test_missing_files_are_partial_failures(store: DirectoryObjectStore) -> None:
    uri = put(store, "gs://b/in-1.jsonl", "[1]\n")
    reader = InstanceReader(store, [uri, "gs://b/in-2.jsonl"], "jsonl", {})
    assert [i.model_input for i in reader] == [[1]]
    assert reader.partial_failures == [{"code": 5, "message": "gs://b/in-2.jsonl does not exist"}]
    assert reader.files_read == 1


def test_unsupported_and_invalid_configs(store: DirectoryObjectStore) -> None:
    with pytest.raises(UnsupportedError, match="BigQuery"):
        InstanceReader(store, [], "bigquery", {})
    with pytest.raises(InvalidSpecError, match="instancesFormat"):
        InstanceReader(store, [], "parquet", {})
    with pytest.raises(InvalidSpecError, match="not both"):
        InstanceReader(store, [], "jsonl", {"includedFields": ["a"], "excludedFields": ["b"]})


@pytest.mark.parametrize("block_bytes", [1, 7, 64, 1 << 20])
@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("jsonl", '\ufeff[1, 2]\n\n{"a": "long ' + "x" * 100 + '"}\nnot json\n[3]'),
        ("csv", '\ufeffx,"y\ny",z\n1,"a\nb ""quoted"" c",3\n4,5,6\r\n\n7,"",9\n8,9'),
    ],
)
def test_blocks_of_whole_records_parse_to_the_same_instances(
    store: DirectoryObjectStore, fmt: str, text: str, block_bytes: int
) -> None:
    uri = put(store, f"gs://b/in.{fmt}", text)
    put(store, f"gs://b/in-2.{fmt}", text)
    reader = InstanceReader(store, [uri, f"gs://b/in-2.{fmt}", "gs://b/missing"], fmt, {})
    parser = RecordParser(fmt, {})
    from_blocks = [i for header, block in reader.blocks(block_bytes) for i in parser.parse(io.BytesIO(block), header)]
    assert from_blocks == read(store, [uri, uri], fmt)
    assert reader.files_read == 2
    assert reader.partial_failures == [{"code": 5, "message": "gs://b/missing does not exist"}]
