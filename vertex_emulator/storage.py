"""`gs://` storage for the emulator: a real GCS JSON API endpoint plus in-process access to the same objects.

The endpoint is gcp-storage-emulator (pinned) with its data on disk under `<data dir>/storage`, so
google-cloud-storage works against it with `STORAGE_EMULATOR_HOST=<storage_host>`. The library keeps object
metadata in a `.meta` file next to the contents and is not thread-safe, so everything — its HTTP handlers and
this module's methods — goes through one `Storage` object under one lock; nothing is written behind its back.
Two hardening changes over the stock library: files (contents and `.meta`) are replaced atomically, so a
killed emulator never leaves a torn file, and a request naming an object that would escape the data dir
answers 400 instead of dropping the connection.

Interface for emulator code (the execution package uses exactly this), all addressed by `gs://bucket/name`:

    storage = ObjectStorage(data_dir)            # opens (or creates) the on-disk store
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
    storage.local_path(uri) -> Path              # read-only view of the bytes on disk (do not write there)

`open_read`, `open_write`, `list` and `download_to` are the execution package's `ObjectStore` protocol.
Errors: `StorageError`, with `ObjectNotFound` (also a FileNotFoundError) and `InvalidObjectName` (also a
ValueError: names with `.`/`..` segments, a leading `/`, backslashes or NUL, or resolving outside the data dir).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import threading
import time
from datetime import datetime, timezone
from functools import partial
from http import server
from pathlib import Path
from typing import Any, BinaryIO, cast

import google_crc32c
from gcp_storage_emulator import settings as _gcs_settings
from gcp_storage_emulator.handlers import buckets as _gcs_buckets
from gcp_storage_emulator.server import RequestHandler as _GcsRequestHandler
from gcp_storage_emulator.storage import Storage as _GcsStorage
from gcp_storage_emulator.storage import _FileStore

__all__ = [
    "InvalidObjectName",
    "ObjectNotFound",
    "ObjectStorage",
    "StorageError",
    "parse_gs_uri",
]

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$")
_TMP_DIR = "_vertex_emulator_tmp"  # real bucket names cannot start with "_"


class StorageError(Exception):
    """A storage operation failed."""


class ObjectNotFound(StorageError, FileNotFoundError):
    """No object (or bucket) by that name."""


class InvalidObjectName(StorageError, ValueError):
    """A bucket or object name that is malformed or would escape the data dir."""


def parse_gs_uri(uri: str) -> tuple[str, str]:
    """`gs://bucket/name` -> ("bucket", "name"); the name may be empty (a bucket or prefix URI)."""
    if not uri.startswith("gs://"):
        raise InvalidObjectName(f"not a gs:// URI: {uri!r}")
    bucket, _, name = uri[len("gs://") :].partition("/")
    if not _BUCKET.match(bucket):
        raise InvalidObjectName(f"invalid bucket name in {uri!r}")
    return bucket, name


def _check_object_name(name: str) -> None:
    if not name:
        raise InvalidObjectName("empty object name")
    if "\x00" in name or "\\" in name:
        raise InvalidObjectName(f"invalid object name {name!r}")
    segments = name.split("/")
    if name.startswith("/") or any(s in (".", "..") for s in segments):
        raise InvalidObjectName(f"object name {name!r} would escape its bucket")


class _AtomicFileStore(_FileStore):  # type: ignore[misc]
    """The library's disk store, writing each file to a temp file and renaming it into place."""

    def write_bytes(self, rel: str, content: bytes) -> None:
        path: Path = self._disk_path(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class _Storage(_GcsStorage):  # type: ignore[misc]
    def __init__(self, data_dir: Path) -> None:
        super().__init__(use_memory_fs=False, data_dir=str(data_dir))
        self.root = data_dir / _gcs_settings.STORAGE_DIR
        self._store = _AtomicFileStore(use_memory=False, root=self.root)

    def commit_file(self, bucket: str, name: str, source: Path, file_obj: dict[str, Any]) -> None:
        """Move `source` into place as object `bucket/name` and record its metadata."""
        target = self.root / bucket / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        self.objects.setdefault(bucket, {})[name] = file_obj
        self._write_config_to_file()


class _LockedHandler(_GcsRequestHandler):  # type: ignore[misc]
    """The library's handler, serialized with in-process access and refusing names that escape."""

    lock: threading.Lock

    def _guarded(self, handle: Any) -> None:
        try:
            with self.lock:
                handle(self)
        except Exception as err:  # the library refusing `..` (ValueError) or failing: answer, don't hang up
            status = 400 if isinstance(err, ValueError) else 500
            message = "invalid object name" if status == 400 else "storage emulator error"
            body = json.dumps({"error": {"code": status, "message": message}}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.log_error("rejected request: %s", err)

    def do_GET(self) -> None:
        self._guarded(_GcsRequestHandler.do_GET)

    def do_POST(self) -> None:
        self._guarded(_GcsRequestHandler.do_POST)

    def do_PUT(self) -> None:
        self._guarded(_GcsRequestHandler.do_PUT)

    def do_PATCH(self) -> None:
        self._guarded(_GcsRequestHandler.do_PATCH)

    def do_DELETE(self) -> None:
        self._guarded(_GcsRequestHandler.do_DELETE)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ObjectWriter(io.RawIOBase):
    """A writable stream into a temp file; `close()` publishes the object, leaving a failed `with` discards it."""

    def __init__(self, storage: ObjectStorage, bucket: str, name: str, content_type: str, tmp_dir: Path) -> None:
        super().__init__()
        self._storage, self._bucket, self._name, self._content_type = storage, bucket, name, content_type
        fd, tmp = tempfile.mkstemp(dir=tmp_dir)
        self._path = Path(tmp)
        self._file = os.fdopen(fd, "wb")
        self.md5 = hashlib.md5()
        self.crc = google_crc32c.Checksum()  # type: ignore[no-untyped-call]
        self.size = 0
        self._discard = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.md5.update(chunk)
        self.crc.update(chunk)  # type: ignore[no-untyped-call]
        self.size += len(chunk)
        self._file.write(chunk)
        return len(chunk)

    def close(self) -> None:
        if self.closed:
            return
        try:
            self._file.close()
            if not self._discard:
                self._storage._publish(self._bucket, self._name, self._content_type, self)
        finally:
            self._path.unlink(missing_ok=True)
            super().close()

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        self._discard = kind is not None
        self.close()

    @property
    def path(self) -> Path:
        return self._path


class ObjectStorage:
    """The emulator's object store (see the module docstring for the interface)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._storage = _Storage(self.data_dir)
        self._root: Path = self._storage.root.resolve()
        self._httpd: server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.host = "http://127.0.0.1"

    # -- the GCS JSON API endpoint -------------------------------------------------------------------
    def serve(self, host: str, port: int) -> str:
        """Start the GCS endpoint; returns its base URL (the value for STORAGE_EMULATOR_HOST)."""
        handler = type("_Handler", (_LockedHandler,), {"lock": self._lock})
        self._httpd = server.ThreadingHTTPServer((host, port), partial(handler, self._storage))
        self._httpd.daemon_threads = True
        self.host = f"http://{host}:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="storage-http", daemon=True
        )
        self._thread.start()
        return self.host

    def close(self) -> None:
        if self._httpd is not None:
            if self._thread is not None and self._thread.is_alive():
                self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    # -- buckets -------------------------------------------------------------------------------------
    def create_bucket(self, bucket: str) -> None:
        """Create `bucket` unless it exists."""
        if not _BUCKET.match(bucket):
            raise InvalidObjectName(f"invalid bucket name {bucket!r}")
        with self._lock:
            _gcs_buckets.create_bucket(bucket, self._storage)

    def bucket_exists(self, bucket: str) -> bool:
        with self._lock:
            return self._storage.get_bucket(bucket) is not None

    # -- objects -------------------------------------------------------------------------------------
    def local_path(self, uri: str) -> Path:
        """Where the bytes of `uri` live on disk (read-only use); the name is validated."""
        bucket, name = parse_gs_uri(uri)
        _check_object_name(name)
        path = (self._root / bucket / name).resolve()
        if not path.is_relative_to(self._root / bucket):
            raise InvalidObjectName(f"object name {name!r} would escape the data dir")
        return path

    def exists(self, uri: str) -> bool:
        bucket, name = parse_gs_uri(uri)
        with self._lock:
            return name in self._storage.objects.get(bucket, {})

    def read_bytes(self, uri: str) -> bytes:
        with self.open_read(uri) as handle:
            return handle.read()

    def read_text(self, uri: str) -> str:
        return self.read_bytes(uri).decode("utf-8")

    def open_read(self, uri: str) -> BinaryIO:
        """A binary stream of the object (a later overwrite does not disturb an open reader)."""
        path = self.local_path(uri)
        bucket, name = parse_gs_uri(uri)
        with self._lock:
            if name not in self._storage.objects.get(bucket, {}):
                raise ObjectNotFound(f"no such object: {uri}")
            return path.open("rb")

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
        self.local_path(uri)
        bucket, name = parse_gs_uri(uri)
        if not self.bucket_exists(bucket):
            raise ObjectNotFound(f"no such bucket: gs://{bucket}")
        tmp_dir = self._root / _TMP_DIR
        tmp_dir.mkdir(parents=True, exist_ok=True)
        return cast(BinaryIO, _ObjectWriter(self, bucket, name, content_type, tmp_dir))

    def _publish(self, bucket: str, name: str, content_type: str, writer: _ObjectWriter) -> None:
        file_obj = self._object_resource(bucket, name, content_type, writer)
        with self._lock:
            if self._storage.get_bucket(bucket) is None:
                raise ObjectNotFound(f"no such bucket: gs://{bucket}")
            self._storage.commit_file(bucket, name, writer.path, file_obj)

    def list(self, prefix_uri: str) -> list[str]:
        """URIs of the objects whose names start with the prefix of `prefix_uri`, sorted."""
        bucket, prefix = parse_gs_uri(prefix_uri)
        with self._lock:
            names = sorted(n for n in self._storage.objects.get(bucket, {}) if n.startswith(prefix))
        return [f"gs://{bucket}/{n}" for n in names]

    def delete(self, uri: str) -> None:
        bucket, name = parse_gs_uri(uri)
        with self._lock:
            if name not in self._storage.objects.get(bucket, {}):
                raise ObjectNotFound(f"no such object: {uri}")
            self._storage.delete_file(bucket, name)

    def wipe(self) -> None:
        """Delete every bucket and object (the control plane's reset)."""
        with self._lock:
            self._storage.wipe()
        shutil.rmtree(self._root / _TMP_DIR, ignore_errors=True)

    def _object_resource(self, bucket: str, name: str, content_type: str, writer: _ObjectWriter) -> dict[str, Any]:
        generation = time.time_ns()
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        md5 = base64.b64encode(writer.md5.digest()).decode("ascii")
        return {
            "kind": "storage#object",
            "id": f"{bucket}/{name}/{generation}",
            "selfLink": f"/storage/v1/b/{bucket}/o/{name}",
            "name": name,
            "bucket": bucket,
            "generation": str(generation),
            "metageneration": "1",
            "contentType": content_type,
            "timeCreated": now,
            "updated": now,
            "storageClass": "STANDARD",
            "timeStorageClassUpdated": now,
            "size": writer.size,
            "md5Hash": md5,
            "mediaLink": f"{self.host}/download/storage/v1/b/{bucket}/o/{name}?generation={generation}&alt=media",
            "crc32c": base64.b64encode(writer.crc.digest()).decode("ascii"),  # type: ignore[no-untyped-call]
            "etag": md5,
            "acl": [],
        }
