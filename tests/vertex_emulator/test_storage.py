"""gs:// storage through google-cloud-storage: the GCS endpoint and the in-process interface on the same objects.

Raw-HTTP behaviour (errors, browser safety, limits, load): test_storage_http.py; names under hypothesis:
test_storage_names.py; restarts and damaged state: test_storage_state.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import google_crc32c
import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from vertex_emulator import Emulator
from vertex_emulator.storage import InvalidObjectName, ObjectNotFound, ObjectStorage

TRICKY_NAMES = [
    "a/y", "a/./y", "a//y", "/a/y", "a/y/", "a/../y", "../y", "x/", "x/child", "x//", "...", ".a", "a.",
    "a\\..\\b", "%2F", "%", "a?b#c&d=e", "sp ace", "+plus", "ü/é", "😀", "\x00nul", "\ttab", "'\"<>",
    ".well-known", "a" * 1024, "é" * 512,
]  # fmt: skip


@pytest.fixture
def client(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> gcs.Client:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.storage_host)
    return gcs.Client(project="test-project", credentials=AnonymousCredentials())


@pytest.fixture
def bucket(client: gcs.Client) -> gcs.Bucket:
    return client.create_bucket("bkt")


def test_objects_written_by_either_side_are_read_by_the_other(emulator: Emulator, client: gcs.Client) -> None:
    client.create_bucket("shared")
    client.bucket("shared").blob("from-client/data.csv").upload_from_string("a,b\n1,2\n")
    assert emulator.storage.read_text("gs://shared/from-client/data.csv") == "a,b\n1,2\n"

    emulator.storage.write_text("gs://shared/from-emulator/model.json", '{"ok": true}', "application/json")
    blob = client.bucket("shared").get_blob("from-emulator/model.json")
    assert blob is not None
    assert blob.content_type == "application/json"
    assert blob.size == 12
    assert json.loads(blob.download_as_bytes()) == {"ok": True}  # checksums verified by the client

    listed = sorted(b.name for b in client.list_blobs("shared", prefix="from-"))
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
        storage.delete("gs://atomic/a.txt")
        assert reader.read() == b"old"
    assert not storage.exists("gs://atomic/a.txt")


def test_in_process_errors(emulator: Emulator) -> None:
    storage = emulator.storage
    storage.create_bucket("safe")
    for uri in ("gs://safe/", "gs://safe/.", "gs://safe/..", "gs://safe/a\nb", "gs://safe/" + "a" * 1025):
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
    assert storage.list("gs://no-such-bucket/") == []


def test_upload_download_list_delete(bucket: gcs.Bucket, tmp_path: Path) -> None:
    source = tmp_path / "model.bin"
    source.write_bytes(os.urandom(100_000))
    bucket.blob("models/model.bin").upload_from_filename(str(source))
    bucket.blob("models/notes.txt").upload_from_string("hello", content_type="text/plain")
    bucket.blob("models/model.bin").download_to_filename(str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == source.read_bytes()
    notes = bucket.get_blob("models/notes.txt")
    assert notes is not None
    assert notes.content_type == "text/plain"
    assert notes.size == 5
    assert notes.md5_hash == base64.b64encode(hashlib.md5(b"hello").digest()).decode()
    assert notes.crc32c == base64.b64encode(google_crc32c.Checksum(b"hello").digest()).decode()  # type: ignore[no-untyped-call]
    assert bucket.blob("models/notes.txt").exists()

    bucket.blob("models/notes.txt").delete()
    assert not bucket.blob("models/notes.txt").exists()
    assert bucket.get_blob("models/notes.txt") is None
    with pytest.raises(exceptions.NotFound):
        bucket.blob("models/notes.txt").download_as_bytes()
    with pytest.raises(exceptions.NotFound):
        bucket.blob("models/notes.txt").delete()
    assert [b.name for b in bucket.list_blobs()] == ["models/model.bin"]


def test_listing_with_prefix_delimiter_and_pages(client: gcs.Client, bucket: gcs.Bucket) -> None:
    names = ["a", "a/", "a/b", "a/b/c", "a/c", "a//d", "b/x", "b/y/z", "c", "c/"]
    for name in names:
        bucket.blob(name).upload_from_string(name)

    top = client.list_blobs("bkt", delimiter="/")
    assert [b.name for b in top] == ["a", "c"]
    assert sorted(top.prefixes) == ["a/", "b/", "c/"]

    under_a = client.list_blobs("bkt", prefix="a/", delimiter="/")
    assert [b.name for b in under_a] == ["a/", "a/b", "a/c"]
    assert sorted(under_a.prefixes) == ["a//", "a/b/"]

    trailing = client.list_blobs("bkt", delimiter="/", include_trailing_delimiter=True)
    assert [b.name for b in trailing] == ["a", "a/", "c", "c/"]

    pages = list(client.list_blobs("bkt", page_size=3).pages)
    assert [len(list(page)) for page in pages] == [3, 3, 3, 1]
    paged = client.list_blobs("bkt", delimiter="/", page_size=1)
    entries = []
    for page in paged.pages:
        entries += [b.name for b in page] + sorted(page.prefixes)
    assert sorted(entries) == ["a", "a/", "b/", "c", "c/"]  # each prefix once across pages

    ranged = client.list_blobs("bkt", start_offset="a/c", end_offset="b/y")
    assert [b.name for b in ranged] == ["a/c", "b/x"]
    assert [b.name for b in client.list_blobs("bkt", prefix="nothing")] == []


def test_resumable_upload_in_chunks(bucket: gcs.Bucket, tmp_path: Path) -> None:
    data = os.urandom(3 * 256 * 1024 + 1234)
    blob = bucket.blob("chunked/data.bin")
    blob.chunk_size = 256 * 1024  # the client's smallest chunk: four PUTs, three answered 308
    source = tmp_path / "data.bin"
    source.write_bytes(data)
    blob.upload_from_filename(str(source), content_type="application/x-test")  # checksum verified by the client
    stored = bucket.get_blob("chunked/data.bin")
    assert stored is not None
    assert stored.size == len(data)
    assert stored.content_type == "application/x-test"
    assert stored.md5_hash == base64.b64encode(hashlib.md5(data).digest()).decode()
    assert bucket.blob("chunked/data.bin").download_as_bytes() == data

    with bucket.blob("chunked/written.bin").open("wb", chunk_size=256 * 1024) as writer:  # total unknown until the end
        for offset in range(0, len(data), 100_000):
            writer.write(data[offset : offset + 100_000])
    assert bucket.blob("chunked/written.bin").download_as_bytes() == data

    session = bucket.blob("chunked/session.bin").create_resumable_upload_session(size=0)
    assert "upload_id=" in session
    empty = bucket.blob("chunked/empty.bin")
    empty.chunk_size = 256 * 1024
    empty.upload_from_string(b"")
    assert bucket.blob("chunked/empty.bin").download_as_bytes() == b""


def test_ranged_and_streamed_downloads(bucket: gcs.Bucket) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    bucket.blob("ranges.bin").upload_from_string(data)
    blob = bucket.blob("ranges.bin")
    assert blob.download_as_bytes(start=10, end=19) == data[10:20]
    assert blob.download_as_bytes(start=len(data) - 5) == data[-5:]
    with bucket.blob("ranges.bin").open("rb", chunk_size=256 * 1024) as reader:  # ranged reads
        reader.seek(300_000)
        assert reader.read(1000) == data[300_000:301_000]
        assert reader.read() == data[301_000:]


def test_generation_preconditions(bucket: gcs.Bucket) -> None:
    blob = bucket.blob("guarded.txt")
    blob.upload_from_string("one", if_generation_match=0)  # create only if absent
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("guarded.txt").upload_from_string("two", if_generation_match=0)
    first = bucket.get_blob("guarded.txt")
    assert first is not None
    assert first.generation is not None
    bucket.blob("guarded.txt").upload_from_string("two", if_generation_match=first.generation)
    second = bucket.get_blob("guarded.txt")
    assert second is not None
    assert second.generation is not None
    assert second.generation > first.generation
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("guarded.txt").upload_from_string("three", if_generation_match=first.generation)
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("guarded.txt").delete(if_generation_match=first.generation)
    with pytest.raises(exceptions.NotModified):
        bucket.blob("guarded.txt").reload(if_generation_not_match=second.generation)
    assert bucket.get_blob("guarded.txt", generation=first.generation) is None
    assert bucket.blob("guarded.txt").download_as_bytes(if_generation_match=second.generation) == b"two"
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("guarded.txt").download_as_bytes(if_generation_match=first.generation)
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("absent.txt").upload_from_string("x", if_generation_match=123)

    resumable = bucket.blob("guarded-big.bin")
    resumable.chunk_size = 256 * 1024
    resumable.upload_from_string(os.urandom(300_000), if_generation_match=0)
    with pytest.raises(exceptions.PreconditionFailed):
        resumable.upload_from_string(os.urandom(300_000), if_generation_match=0)

    bucket.blob("guarded.txt").delete(if_generation_match=second.generation)
    assert bucket.get_blob("guarded.txt") is None


def test_metadata_patch(bucket: gcs.Bucket) -> None:
    bucket.blob("meta.txt").upload_from_string("x")
    blob = bucket.get_blob("meta.txt")
    assert blob is not None
    assert blob.metageneration == 1
    blob.metadata = {"owner": "team-a", "stage": "raw"}
    blob.content_type = "text/csv"
    blob.patch()
    blob.metadata = {"stage": None, "kind": "table"}  # None deletes a key, as in GCS
    blob.patch()
    stored = bucket.get_blob("meta.txt")
    assert stored is not None
    assert stored.metadata == {"owner": "team-a", "kind": "table"}
    assert stored.content_type == "text/csv"
    assert stored.metageneration == 3
    stale = bucket.blob("meta.txt")
    stale.metadata = {"late": "yes"}
    with pytest.raises(exceptions.PreconditionFailed):
        stale.patch(if_metageneration_match=1)
    assert stored.generation == bucket.get_blob("meta.txt").generation  # type: ignore[union-attr]


def test_rewrite_copy_and_compose(client: gcs.Client, bucket: gcs.Bucket) -> None:
    other = client.create_bucket("other-bkt")
    source = bucket.blob("src.txt")
    source.metadata = {"k": "v"}
    source.upload_from_string("source bytes", content_type="text/plain")

    target = other.blob("dst/copied.txt")
    token, written, total = target.rewrite(bucket.blob("src.txt"))
    assert token is None
    assert written == total == 12
    copied = other.get_blob("dst/copied.txt")
    assert copied is not None
    assert copied.metadata == {"k": "v"}
    assert copied.content_type == "text/plain"
    assert copied.download_as_bytes() == b"source bytes"

    bucket.copy_blob(bucket.blob("src.txt"), other, "dst/copy-blob.txt")
    assert other.blob("dst/copy-blob.txt").download_as_text() == "source bytes"
    with pytest.raises(exceptions.NotFound):
        bucket.copy_blob(bucket.blob("missing.txt"), other, "dst/none.txt")

    bucket.blob("part-1").upload_from_string("first,")
    bucket.blob("part-2").upload_from_string("second")
    composed = bucket.blob("whole")
    composed.content_type = "text/plain"
    composed.compose([bucket.blob("part-1"), bucket.blob("part-2")])
    assert bucket.blob("whole").download_as_text() == "first,second"

    bucket.blob("src.txt").delete()  # the copies share its bytes and keep them
    assert other.blob("dst/copied.txt").download_as_text() == "source bytes"


def test_buckets(client: gcs.Client, emulator: Emulator) -> None:
    made = client.create_bucket("data-bucket", location="us-central1")
    assert made.location == "US-CENTRAL1"
    with pytest.raises(exceptions.Conflict):
        client.create_bucket("data-bucket")
    client.create_bucket("data-other")
    client.create_bucket("logs")
    assert client.lookup_bucket("missing-bucket") is None
    assert sorted(b.name for b in client.list_buckets(prefix="data-")) == ["data-bucket", "data-other"]
    assert [len(list(page)) for page in client.list_buckets(page_size=2).pages] == [2, 1]

    made.labels = {"team": "ml"}
    made.patch()
    assert client.get_bucket("data-bucket").labels == {"team": "ml"}

    made.blob("keep.txt").upload_from_string("x")
    with pytest.raises(exceptions.Conflict):
        made.delete()
    made.delete(force=True)
    assert client.lookup_bucket("data-bucket") is None
    assert not emulator.storage.bucket_exists("data-bucket")


@pytest.mark.parametrize("name", ["abc", "a-b_c.d", "0bucket9", "a" * 63, ".".join(["a" * 63] * 3) + ".ab"])
def test_valid_bucket_names(client: gcs.Client, name: str) -> None:
    assert client.create_bucket(name).name == name


@pytest.mark.parametrize(
    "name",
    ["ab", "a" * 64, "UPPER", "x..y", "x..", ".", "..", "-start", "end-", "_x_", "a b", "a/b", "192.168.5.4",
     "goog-bucket", "my-google-data", "a." + "b" * 64, ".".join(["a" * 63] * 4), "é-bucket", "a\x00b"],
)  # fmt: skip
def test_invalid_bucket_names_are_400(emulator: Emulator, name: str) -> None:
    # Raw HTTP: google-cloud-storage refuses some of these itself before sending.
    request = urllib.request.Request(f"{emulator.storage_host}/storage/v1/b?project=p", method="POST",
                                     data=json.dumps({"name": name}).encode(),
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    assert json.load(refused.value)["error"]["errors"][0]["reason"] == "invalid"
    with pytest.raises(InvalidObjectName):
        emulator.storage.create_bucket(name)
    assert not emulator.storage.bucket_exists(name)


def test_tricky_names_are_distinct_objects(emulator: Emulator, bucket: gcs.Bucket) -> None:
    for index, name in enumerate(TRICKY_NAMES):
        bucket.blob(name).upload_from_string(f"{index}:{name}")
    for index, name in enumerate(TRICKY_NAMES):
        assert bucket.blob(name).download_as_text() == f"{index}:{name}", name
        assert emulator.storage.read_text(f"gs://bkt/{name}") == f"{index}:{name}"
    assert sorted(b.name for b in bucket.list_blobs()) == sorted(TRICKY_NAMES)

    bucket.blob("x/").delete()
    assert bucket.blob("x/child").download_as_text().endswith(":x/child")
    bucket.blob("a/y").upload_from_string("overwritten")
    assert bucket.blob("a/./y").download_as_text().endswith(":a/./y")
    assert bucket.blob("a/y/").download_as_text().endswith(":a/y/")


def test_empty_objects(emulator: Emulator, bucket: gcs.Bucket) -> None:
    bucket.blob("empty-multipart").upload_from_string(b"")
    emulator.storage.write_bytes("gs://bkt/empty-in-process", b"")
    for name in ("empty-multipart", "empty-in-process"):
        stored = bucket.get_blob(name)
        assert stored is not None
        assert stored.size == 0
        assert bucket.blob(name).download_as_bytes() == b""
        assert bucket.blob(name).download_as_bytes(start=0) == b""
    assert emulator.storage.read_bytes("gs://bkt/empty-multipart") == b""


def test_object_name_limits(bucket: gcs.Bucket) -> None:
    longest = "名" * 341 + "a"  # 1,024 bytes in UTF-8
    bucket.blob(longest).upload_from_string("long")
    assert bucket.blob(longest).download_as_text() == "long"
    for name in ("b" * 1025, "名" * 342, "line\nfeed", "carriage\rreturn", ".", "..", ".well-known/acme-challenge/x"):
        with pytest.raises(exceptions.BadRequest):
            bucket.blob(name).upload_from_string("x")
    assert [b.name for b in bucket.list_blobs()] == [longest]


@pytest.fixture
def reopened(tmp_path: Path) -> Iterator[tuple[ObjectStorage, ObjectStorage]]:
    first = ObjectStorage(tmp_path)
    first.create_bucket("durable")
    first.write_bytes("gs://durable/blob.bin", b"kept")
    first.close()
    second = ObjectStorage(tmp_path)
    yield first, second
    second.close()


def test_objects_survive_a_reopen(reopened: tuple[ObjectStorage, ObjectStorage]) -> None:
    _, second = reopened
    assert second.read_bytes("gs://durable/blob.bin") == b"kept"
    assert second.list("gs://durable/") == ["gs://durable/blob.bin"]
