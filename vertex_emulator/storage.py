"""`gs://` storage for the emulator: a GCS JSON API endpoint plus in-process access to the same objects.

The store is the emulator's own (modules `_gcs_*`): object contents are content-addressed blobs
(`<dir>/blobs/<sha256>`), buckets, objects and resumable uploads are rows in `<dir>/index.sqlite3`; no
filesystem path is ever derived from a bucket or object name, so every name GCS allows is a distinct object.
google-cloud-storage works against `serve()` with `STORAGE_EMULATOR_HOST=<storage_host>`.

Interface for emulator code (the execution package uses exactly this), all addressed by `gs://bucket/name`:

    storage = ObjectStorage(data_dir)            # opens (or creates) the store; BrokenStorageState if damaged
    storage.serve("127.0.0.1", 0) -> "http://127.0.0.1:PORT"   # start the GCS endpoint
    storage.create_bucket("b")                   # idempotent
    storage.write_bytes("gs://b/x.txt", b"...", content_type="text/plain")
    storage.write_text / read_text(uri)          # UTF-8 conveniences
    storage.read_bytes(uri) -> bytes             # ObjectNotFound when missing
    storage.exists(uri) -> bool
    storage.list(prefix_uri) -> ["gs://b/...", ...]   # URIs starting with prefix_uri, sorted
    with storage.open_read(uri) as f: ...        # a binary stream of a (large) object
    with storage.open_write(uri) as f: ...       # stream into a new object: whole once closed, discarded if
                                                 # the with-block raises; `f = open_write(uri); f.close()` too
    storage.download_to(uri, path)               # copy one object to a local file
    storage.delete(uri)

`open_read`, `open_write`, `list` and `download_to` are the execution package's `ObjectStore` protocol.
Errors: `StorageError`, with `ObjectNotFound` (also a FileNotFoundError) and `InvalidObjectName` (also a
ValueError: a name GCS refuses; see `_gcs_names`).
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO, cast

from vertex_emulator._gcs_blobs import BlobStore, BlobWriter
from vertex_emulator._gcs_errors import (
    BrokenStorageState,
    Conflict,
    InvalidObjectName,
    ObjectNotFound,
    StorageError,
)
from vertex_emulator._gcs_http import GcsServer
from vertex_emulator._gcs_index import INDEX_FILE, Index, open_index
from vertex_emulator._gcs_legacy import LEGACY_DIR, import_legacy
from vertex_emulator._gcs_names import check_bucket_name, check_object_name, object_uri, parse_gs_uri
from vertex_emulator._gcs_resources import NO_CONDITIONS, object_fields
from vertex_emulator._gcs_routes import GcsApi
from vertex_emulator._gcs_service import GcsService, ListQuery
from vertex_emulator._guard import is_loopback_address

__all__ = [
    "BrokenStorageState",
    "InvalidObjectName",
    "ObjectNotFound",
    "ObjectStorage",
    "StorageError",
    "parse_gs_uri",
]


class _ObjectWriter(io.RawIOBase):
    """A writable stream into a staged blob; `close()` publishes the object, leaving a failed `with` discards it."""

    def __init__(self, storage: ObjectStorage, bucket: str, name: str, content_type: str) -> None:
        super().__init__()
        self._storage, self._bucket, self._name, self._content_type = storage, bucket, name, content_type
        self._writer: BlobWriter = storage._blobs.writer()
        self._discard = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return self._writer.write(data)

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._discard:
                self._writer.discard()
            else:
                staged = self._writer.finish()
                fields = object_fields({"contentType": self._content_type})
                self._storage._service.commit(self._bucket, self._name, staged, fields, NO_CONDITIONS)
        finally:
            super().close()

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        self._discard = kind is not None
        self.close()


def _object(uri: str) -> tuple[str, str]:
    bucket, name = parse_gs_uri(uri)
    return bucket, check_object_name(name)


class ObjectStorage:
    """The emulator's object store (see the module docstring for the interface).

    reset: delete the index and every blob first (`--reset-state`); otherwise a damaged index or blob
    directory raises BrokenStorageState instead of starting empty.
    """

    def __init__(self, data_dir: Path, *, reset: bool = False) -> None:
        self.data_dir = Path(data_dir).resolve()
        if reset:
            _remove_store(self.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._blobs = BlobStore(self.data_dir)
        stored = dict(self._blobs.sizes())
        self._index: Index = open_index(self.data_dir / INDEX_FILE, has_blobs=bool(stored))
        try:
            self._recover(stored)
        except BaseException:
            self._index.close()
            raise
        self._service = GcsService(self._index, self._blobs)
        import_legacy(self.data_dir, self._service)
        self._api = GcsApi(self._service)
        self._server: GcsServer | None = None
        self.host = "http://127.0.0.1"

    def _recover(self, stored: dict[str, int]) -> None:
        """Refuse an index whose blobs are missing or truncated; drop what a killed process left half-done."""
        referenced = dict(self._index.blob_sizes())
        damaged = [sha for sha, size in referenced.items() if stored.get(sha) != size]
        if damaged:
            raise BrokenStorageState(
                self._blobs.blob_dir, f"the contents of {len(damaged)} objects are missing or truncated"
            )
        for sha in stored.keys() - referenced.keys():  # placed, but the row was never written
            self._blobs.remove(sha)
        self._blobs.clear_tmp()
        live = self._index.upload_ids()
        for session in self._blobs.tmp_dir.glob("session-*"):
            if session.name.removeprefix("session-") not in live:
                session.unlink(missing_ok=True)

    # -- the GCS JSON API endpoint -------------------------------------------------------------------
    def serve(self, host: str, port: int, allowed_hosts: Iterable[str] = ()) -> str:
        """Start the GCS endpoint; returns its base URL (the value for STORAGE_EMULATOR_HOST).

        Served: requests addressed to a loopback name with this port, to `host` itself, or to `allowed_hosts`.
        """
        # A specific address bound is a name clients use (an address: DNS cannot rebind it).
        bound = [] if host in ("", "0.0.0.0", "::") or is_loopback_address(host) else [host]
        names = [*allowed_hosts, *bound]
        self._server = GcsServer(host, port, self._api, names)
        self.host = f"http://{_url_host(host)}:{self._server.port}"
        return self.host

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._index.close()

    # -- buckets -------------------------------------------------------------------------------------
    def create_bucket(self, bucket: str) -> None:
        """Create `bucket` unless it exists."""
        check_bucket_name(bucket)
        with contextlib.suppress(Conflict):
            self._service.insert_bucket({"name": bucket})

    def bucket_exists(self, bucket: str) -> bool:
        return self._index.bucket(bucket) is not None

    # -- objects -------------------------------------------------------------------------------------
    def exists(self, uri: str) -> bool:
        bucket, name = parse_gs_uri(uri)
        return bool(name) and self._index.object(bucket, name) is not None

    def read_bytes(self, uri: str) -> bytes:
        with self.open_read(uri) as handle:
            return handle.read()

    def read_text(self, uri: str) -> str:
        return self.read_bytes(uri).decode("utf-8")

    def open_read(self, uri: str) -> BinaryIO:
        """A binary stream of the object (a later overwrite or delete does not disturb an open reader)."""
        return self._service.open(*_object(uri))[1]

    def download_to(self, uri: str, path: Path) -> None:
        """Copy object `uri` to the local file `path`."""
        with self.open_read(uri) as source, Path(path).open("wb") as target:
            shutil.copyfileobj(source, target, 1 << 20)

    def write_bytes(self, uri: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        with self.open_write(uri, content_type) as handle:
            handle.write(data)

    def write_text(self, uri: str, text: str, content_type: str = "text/plain") -> None:
        self.write_bytes(uri, text.encode("utf-8"), content_type)

    def open_write(self, uri: str, content_type: str = "application/octet-stream") -> BinaryIO:
        """A writable stream; the object appears (replacing any old one) when the stream is closed."""
        bucket, name = _object(uri)
        self._service.bucket(bucket)
        return cast(BinaryIO, _ObjectWriter(self, bucket, name, content_type))

    def list(self, prefix_uri: str) -> list[str]:
        """URIs of the objects whose names start with the prefix of `prefix_uri`, sorted."""
        bucket, prefix = parse_gs_uri(prefix_uri)
        if self._index.bucket(bucket) is None:
            return []
        uris: list[str] = []
        token: str | None = None
        while True:
            page = self._service.list(bucket, ListQuery(prefix=prefix, page_token=token))
            uris.extend(object_uri(bucket, row.name) for row in page.items)
            token = page.next_page_token
            if token is None:
                return uris

    def delete(self, uri: str) -> None:
        self._service.delete(*_object(uri))

    def wipe(self) -> None:
        """Delete every bucket, object and upload session (the control plane's reset)."""
        with self._index.lock:
            self._index.wipe()
            self._blobs.wipe()


def _url_host(host: str) -> str:
    """How a local client reaches an address bound: a wildcard bind is reached on loopback."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _remove_store(directory: Path) -> None:
    """The index (with its WAL companions), the blobs and temp files of a storage dir."""
    index = directory / INDEX_FILE
    for path in (index, index.with_name(index.name + "-wal"), index.with_name(index.name + "-shm")):
        path.unlink(missing_ok=True)
    for sub in ("blobs", "tmp", LEGACY_DIR):
        path = directory / sub
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
