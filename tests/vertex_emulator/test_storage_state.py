"""Storage across restarts: objects survive SIGKILL; a damaged index or blob directory refuses to start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from vertex_emulator.launch import command_line
from vertex_emulator.storage import BrokenStorageState, ObjectStorage
from vertex_emulator.testing import EmulatorProcess, free_port

SCHEDULED = ("--runner", "scheduled")
NAMES = ["a/y", "a/./y", "a//y", "/a/y", "a/y/", "x/", "x/child", "empty", "é" * 512]


def _client(host: str, monkeypatch: pytest.MonkeyPatch) -> gcs.Client:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
    return gcs.Client(project="p", credentials=AnonymousCredentials())


def test_objects_and_a_resumable_session_survive_sigkill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    big = os.urandom(600_000)
    with EmulatorProcess(data, *SCHEDULED) as first:
        bucket = _client(first.storage_host, monkeypatch).create_bucket("kept")
        for name in NAMES:
            bucket.blob(name).upload_from_string(b"" if name == "empty" else name.encode())
        chunked = bucket.blob("big.bin")
        chunked.chunk_size = 256 * 1024
        chunked.upload_from_string(big)
        generations = {blob.name: blob.generation for blob in bucket.list_blobs()}
        first.kill()

    with EmulatorProcess(data, *SCHEDULED) as second:
        bucket = _client(second.storage_host, monkeypatch).bucket("kept")
        assert {blob.name: blob.generation for blob in bucket.list_blobs()} == generations
        for name in NAMES:
            assert bucket.blob(name).download_as_bytes() == (b"" if name == "empty" else name.encode())
        assert bucket.blob("big.bin").download_as_bytes() == big


def _refused(data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = command_line(free_port(), free_port(), data, *SCHEDULED, *extra)
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def _stored(data: Path) -> Path:
    storage = ObjectStorage(data / "storage")
    storage.create_bucket("bkt")
    for index in range(200):
        storage.write_text(f"gs://bkt/object-{index}", f"content {index} " * 50)
    storage.close()
    return data / "storage"


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage", "foreign", "blobs-gone", "blob-truncated"])
def test_a_damaged_store_refuses_to_start_with_one_line(tmp_path: Path, damage: str) -> None:
    root = _stored(tmp_path / "data")
    index = root / "index.sqlite3"
    blobs = sorted((root / "blobs").rglob("*"))
    if damage == "empty":
        index.write_bytes(b"")
    elif damage == "truncated":
        index.write_bytes(index.read_bytes()[: index.stat().st_size // 2])
    elif damage == "garbage":
        index.write_bytes(os.urandom(20_000))
    elif damage == "foreign":
        index.unlink()
        subprocess.run([sys.executable, "-c", f"import sqlite3; sqlite3.connect({str(index)!r}).execute("
                        "'CREATE TABLE t (x)').connection.commit()"], check=True)  # fmt: skip
    elif damage == "blobs-gone":
        for blob in blobs:
            if blob.is_file():
                blob.unlink()
    else:
        victim = next(blob for blob in blobs if blob.is_file())
        victim.write_bytes(victim.read_bytes()[:5])

    with pytest.raises(BrokenStorageState):
        ObjectStorage(root)
    done = _refused(tmp_path / "data")
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert str(index if "blob" not in damage else root / "blobs") in lines[0]
    assert "--reset-state" in lines[0]
    assert "move it aside" in lines[0]

    with EmulatorProcess(tmp_path / "data", *SCHEDULED, "--reset-state") as fresh:  # empty, on purpose
        client = gcs.Client(project="p", credentials=AnonymousCredentials(),
                            client_options={"api_endpoint": fresh.storage_host})  # fmt: skip
        assert list(client.list_buckets()) == []
        client.create_bucket("again").blob("x").upload_from_string("works")
        assert client.bucket("again").blob("x").download_as_text() == "works"


def test_an_index_missing_beside_stored_blobs_is_refused(tmp_path: Path) -> None:
    root = _stored(tmp_path / "data")
    (root / "index.sqlite3").unlink()
    with pytest.raises(BrokenStorageState, match="missing"):
        ObjectStorage(root)


def test_leftovers_of_a_killed_process_are_dropped(tmp_path: Path) -> None:
    root = _stored(tmp_path / "data")
    orphan = root / "blobs" / "ff" / ("f" * 64)
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"placed, never indexed")
    half_upload = root / "tmp" / "blob-123"
    half_upload.write_bytes(b"half")
    storage = ObjectStorage(root)
    try:
        assert not orphan.exists()
        assert not half_upload.exists()
        assert len(storage.list("gs://bkt/")) == 200
    finally:
        storage.close()


def test_a_data_dir_of_the_old_layout_is_imported_once(tmp_path: Path) -> None:
    legacy = tmp_path / "storage" / ".cloudstorage"
    (legacy / "old-bucket" / "dir").mkdir(parents=True)
    (legacy / "old-bucket" / "dir" / "model.json").write_text('{"a": 1}')
    (legacy / "old-bucket" / "top.txt").write_text("top")
    (tmp_path / "outside.txt").write_text("never imported")
    meta = {
        "buckets": {"old-bucket": {"name": "old-bucket"}},
        "objects": {"old-bucket": {
            "dir/model.json": {"name": "dir/model.json", "contentType": "application/json", "metadata": {"k": "v"}},
            "top.txt": {"name": "top.txt", "contentType": "text/plain"},
            "../../outside.txt": {"name": "../../outside.txt"},
        }},
    }  # fmt: skip
    (legacy / ".meta").write_text(json.dumps(meta))
    storage = ObjectStorage(tmp_path / "storage")
    try:
        assert storage.list("gs://old-bucket/") == ["gs://old-bucket/dir/model.json", "gs://old-bucket/top.txt"]
        assert storage.read_text("gs://old-bucket/dir/model.json") == '{"a": 1}'
        assert not legacy.exists()
        assert (tmp_path / "storage" / ".cloudstorage.imported" / "old-bucket" / "top.txt").exists()
    finally:
        storage.close()
