from __future__ import annotations

from pathlib import Path

import pytest

from vertex_emulator.execution import (
    DirectoryObjectStore,
    GcsObjectStore,
    InvalidSpecError,
    ObjectStore,
    expand_uris,
    join_uri,
    split_gcs_uri,
)
from vertex_emulator.storage import ObjectStorage


def test_directory_store_maps_uris_to_files(tmp_path: Path) -> None:
    store = DirectoryObjectStore(tmp_path)
    with store.open_write("gs://bucket/a/b.txt") as stream:
        stream.write(b"hello")
    assert (tmp_path / "bucket" / "a" / "b.txt").read_bytes() == b"hello"
    with store.open_read("gs://bucket/a/b.txt") as stream:
        assert stream.read() == b"hello"
    store.download_to("gs://bucket/a/b.txt", tmp_path / "copy" / "b.txt")
    assert (tmp_path / "copy" / "b.txt").read_bytes() == b"hello"


def test_object_appears_only_when_the_writer_closes(store: DirectoryObjectStore) -> None:
    stream = store.open_write("gs://bucket/partial.txt")
    stream.write(b"x" * 10)
    stream.flush()
    assert store.list("gs://bucket/") == []
    stream.close()
    assert store.list("gs://bucket/") == ["gs://bucket/partial.txt"]


def test_list_is_a_string_prefix_match_sorted(store: DirectoryObjectStore) -> None:
    for name in ["dir/b.csv", "dir/a.csv", "dir2/c.csv", "dir/sub/d.csv"]:
        with store.open_write(f"gs://bucket/{name}") as stream:
            stream.write(b"1")
    assert store.list("gs://bucket/dir/") == ["gs://bucket/dir/a.csv", "gs://bucket/dir/b.csv", "gs://bucket/dir/sub/d.csv"]
    assert store.list("gs://bucket/dir") == [
        "gs://bucket/dir/a.csv", "gs://bucket/dir/b.csv", "gs://bucket/dir/sub/d.csv", "gs://bucket/dir2/c.csv",
    ]
    assert store.list("gs://other/") == []


def test_missing_objects_raise_file_not_found(store: DirectoryObjectStore, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        store.open_read("gs://bucket/nope")
    with pytest.raises(FileNotFoundError):
        store.download_to("gs://bucket/nope", tmp_path / "x")


@pytest.mark.parametrize("uri", ["gs://bucket/../etc/passwd", "gs://bucket/a/./b", "gs://.tmp/x", "s3://b/x", "gs:///x"])
def test_names_that_would_escape_are_rejected(store: DirectoryObjectStore, uri: str) -> None:
    with pytest.raises(InvalidSpecError):
        store.open_write(uri)


def test_uri_helpers(store: DirectoryObjectStore) -> None:
    assert split_gcs_uri("gs://b/x/y") == ("b", "x/y")
    assert split_gcs_uri("gs://b") == ("b", "")
    assert join_uri("gs://b/dir/", "/model/") == "gs://b/dir/model"
    for name in ["in/part-1.jsonl", "in/part-2.jsonl", "in/other.csv"]:
        with store.open_write(f"gs://b/{name}") as stream:
            stream.write(b"{}")
    assert expand_uris(store, ["gs://b/in/part-*.jsonl", "gs://b/in/x.txt"]) == [
        "gs://b/in/part-1.jsonl", "gs://b/in/part-2.jsonl", "gs://b/in/x.txt",
    ]


def test_the_emulator_storage_and_the_gcs_client_store_fit_the_protocol(gcs: ObjectStorage, tmp_path: Path) -> None:
    assert isinstance(gcs, ObjectStore)
    client_store = GcsObjectStore(gcs.host)
    assert isinstance(client_store, ObjectStore)
    with client_store.open_write("gs://bkt/protocol/x.txt") as stream:
        stream.write(b"via the GCS JSON API")
    assert gcs.read_bytes("gs://bkt/protocol/x.txt") == b"via the GCS JSON API"
    assert client_store.list("gs://bkt/protocol/") == ["gs://bkt/protocol/x.txt"]
    with client_store.open_read("gs://bkt/protocol/x.txt") as stream:
        assert stream.read() == b"via the GCS JSON API"
    client_store.download_to("gs://bkt/protocol/x.txt", tmp_path / "x.txt")
    assert (tmp_path / "x.txt").read_bytes() == b"via the GCS JSON API"
    with pytest.raises(FileNotFoundError):
        client_store.open_read("gs://bkt/protocol/missing")
