"""gs:// storage: the GCS endpoint google-cloud-storage talks to, and the in-process interface on the same objects."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from vertex_emulator import Emulator
from vertex_emulator.storage import InvalidObjectName, ObjectNotFound, ObjectStorage


@pytest.fixture
def gcs_client(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[gcs.Client]:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.storage_host)
    return gcs.Client(project="test-project", credentials=AnonymousCredentials())


def test_objects_written_by_either_side_are_read_by_the_other(emulator: Emulator, gcs_client: gcs.Client) -> None:
    gcs_client.create_bucket("shared")
    gcs_client.bucket("shared").blob("from-client/data.csv").upload_from_string("a,b\n1,2\n")
    assert emulator.storage.read_text("gs://shared/from-client/data.csv") == "a,b\n1,2\n"

    emulator.storage.write_text("gs://shared/from-emulator/model.json", '{"ok": true}', "application/json")
    blob = gcs_client.bucket("shared").get_blob("from-emulator/model.json")
    assert blob is not None
    assert blob.content_type == "application/json"
    assert blob.size == 12
    assert json.loads(blob.download_as_bytes()) == {"ok": True}  # checksums verified by the client

    listed = sorted(b.name for b in gcs_client.list_blobs("shared", prefix="from-"))
    assert listed == ["from-client/data.csv", "from-emulator/model.json"]
    assert emulator.storage.list("gs://shared/from-") == [
        "gs://shared/from-client/data.csv",
        "gs://shared/from-emulator/model.json",
    ]


def test_streams_large_objects(emulator: Emulator, tmp_path: Path) -> None:
    emulator.storage.create_bucket("big")
    line = b'{"x": [1, 2, 3]}\n'
    with emulator.storage.open_write("gs://big/in.jsonl") as stream:
        for _ in range(50_000):
            stream.write(line)
    assert not emulator.storage.exists("gs://big/missing")
    with emulator.storage.open_read("gs://big/in.jsonl") as stream:
        assert sum(1 for _ in stream) == 50_000
    emulator.storage.download_to("gs://big/in.jsonl", tmp_path / "copy.jsonl")
    assert (tmp_path / "copy.jsonl").stat().st_size == 50_000 * len(line)


def test_a_failed_write_leaves_nothing_and_readers_keep_their_version(emulator: Emulator) -> None:
    storage = emulator.storage
    storage.create_bucket("atomic")
    storage.write_text("gs://atomic/a.txt", "old")

    def crash_while_writing() -> None:
        with storage.open_write("gs://atomic/a.txt") as stream:
            stream.write(b"half")
            raise RuntimeError("writer crashed")

    with pytest.raises(RuntimeError):
        crash_while_writing()
    assert storage.read_text("gs://atomic/a.txt") == "old"

    with storage.open_read("gs://atomic/a.txt") as reader:
        storage.write_text("gs://atomic/a.txt", "new")
        assert reader.read() == b"old"
    assert storage.read_text("gs://atomic/a.txt") == "new"


def test_names_that_escape_the_data_dir_are_rejected(emulator: Emulator) -> None:
    storage = emulator.storage
    storage.create_bucket("safe")
    for uri in ("gs://safe/../../etc/passwd", "gs://safe/a/./b", "gs://safe/a\\..\\b", "gs://safe//abs", "gs://safe/"):
        with pytest.raises(InvalidObjectName):
            storage.write_text(uri, "x")
    with pytest.raises(InvalidObjectName):
        storage.read_bytes("gs://Bad_Bucket/x")
    with pytest.raises(ObjectNotFound):
        storage.read_bytes("gs://safe/nothing")
    with pytest.raises(FileNotFoundError):
        storage.open_read("gs://safe/nothing")
    with pytest.raises(ObjectNotFound, match="bucket"):
        storage.write_text("gs://no-such-bucket/x", "x")


def test_the_endpoint_refuses_escaping_names_with_400(emulator: Emulator) -> None:
    emulator.storage.create_bucket("safe")
    url = f"{emulator.storage_host}/upload/storage/v1/b/safe/o?uploadType=media&name=../../../escape.txt"
    request = urllib.request.Request(url, data=b"x", method="POST", headers={"Content-Type": "text/plain"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400
    assert not (emulator.data_dir.parent / "escape.txt").exists()
    assert not any(p.name == "escape.txt" for p in emulator.data_dir.parent.rglob("escape.txt"))


def test_objects_survive_a_reopen(tmp_path: Path) -> None:
    first = ObjectStorage(tmp_path)
    first.create_bucket("durable")
    first.write_bytes("gs://durable/blob.bin", os.urandom(1024))
    expected = first.read_bytes("gs://durable/blob.bin")
    second = ObjectStorage(tmp_path)
    assert second.read_bytes("gs://durable/blob.bin") == expected
