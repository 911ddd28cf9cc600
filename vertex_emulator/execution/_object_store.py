"""The storage seam: a four-method protocol over gs:// URIs, plus a directory-backed implementation.

The server adapts its own storage to ``ObjectStore``; tests use ``DirectoryObjectStore`` (gs://bucket/name is
the file root/bucket/name) or ``GcsObjectStore`` (any GCS JSON API endpoint, e.g. the storage emulator).
"""

from __future__ import annotations

import fnmatch
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from ._errors import InvalidSpecError, ObjectNotFoundError

_SCHEME = "gs://"


@runtime_checkable
class ObjectStore(Protocol):
    """What the execution package needs from storage. URIs are always ``gs://bucket/object-name``.

    - ``open_read(uri)``: a readable binary stream; raises ``FileNotFoundError`` if there is no such object.
    - ``open_write(uri)``: a writable binary stream; the object exists (whole) once the stream is closed.
    - ``list(prefix_uri)``: the full URIs of all objects whose URI starts with ``prefix_uri``, sorted.
    - ``download_to(uri, path)``: copy one object to a local file (its directory exists);
      ``FileNotFoundError`` if the object is missing.
    """

    def open_read(self, uri: str) -> BinaryIO: ...

    def open_write(self, uri: str) -> BinaryIO: ...

    def list(self, prefix_uri: str) -> list[str]: ...

    def download_to(self, uri: str, path: Path) -> None: ...


def split_gcs_uri(uri: str) -> tuple[str, str]:
    """``gs://bucket/a/b`` -> ``("bucket", "a/b")``; the name may be empty (a bucket-wide prefix)."""
    if not uri.startswith(_SCHEME):
        raise InvalidSpecError(f"{uri!r} is not a gs:// URI")
    bucket, _, name = uri[len(_SCHEME) :].partition("/")
    if not bucket:
        raise InvalidSpecError(f"{uri!r} names no bucket")
    return bucket, name


def join_uri(base: str, *parts: str) -> str:
    """Join URI parts with exactly one ``/`` between them (``gs://b/dir/`` + ``x`` -> ``gs://b/dir/x``)."""
    uri = base.rstrip("/")
    for part in parts:
        uri = f"{uri}/{part.strip('/')}"
    return uri


def expand_uris(store: ObjectStore, patterns: list[str]) -> list[str]:
    """Resolve ``*``/``?`` wildcards in object names (as Vertex AI gcsSource URIs allow); order kept.

    A pattern without wildcards is returned as it is, so a missing object surfaces when it is read.
    """
    uris: list[str] = []
    for pattern in patterns:
        if not any(ch in pattern for ch in "*?["):
            uris.append(pattern)
            continue
        literal = pattern[: min(pattern.index(ch) for ch in "*?[" if ch in pattern)]
        uris.extend(uri for uri in store.list(literal) if fnmatch.fnmatchcase(uri, pattern))
    return uris


def read_object(store: ObjectStore, uri: str) -> bytes:
    """Whole object content; ``ObjectNotFoundError`` with the URI if it is missing."""
    try:
        with store.open_read(uri) as stream:
            return stream.read()
    except FileNotFoundError:
        raise ObjectNotFoundError(f"{uri} does not exist") from None


def write_object(store: ObjectStore, uri: str, content: bytes) -> None:
    with store.open_write(uri) as stream:
        stream.write(content)


class _RenameOnClose(io.FileIO):
    """A temp file that becomes the final file when closed, so readers never see half an object."""

    def __init__(self, temp_path: str, final_path: Path) -> None:
        super().__init__(temp_path, "wb")
        self._temp_path = temp_path
        self._final_path = final_path

    def close(self) -> None:
        if self.closed:
            return
        super().close()
        self._final_path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._temp_path, self._final_path)


class DirectoryObjectStore:
    """``gs://bucket/name`` is the file ``root/bucket/name``; names that would escape the root are rejected."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self._temp_dir = self.root / ".tmp"

    def path_for(self, uri: str) -> Path:
        bucket, name = split_gcs_uri(uri)
        parts = [bucket, *name.split("/")] if name else [bucket]
        if any(part in ("", ".", "..") or "\\" in part or "\0" in part for part in parts):
            raise InvalidSpecError(f"{uri!r} is not a valid object name here")
        if bucket.startswith("."):
            raise InvalidSpecError(f"{uri!r} names an invalid bucket")
        return self.root.joinpath(*parts)

    def open_read(self, uri: str) -> BinaryIO:
        path = self.path_for(uri)
        if not path.is_file():
            raise FileNotFoundError(uri)
        return path.open("rb")

    def open_write(self, uri: str) -> BinaryIO:
        final_path = self.path_for(uri)
        self._temp_dir.mkdir(parents=True, exist_ok=True)
        handle, temp_path = tempfile.mkstemp(dir=self._temp_dir)
        os.close(handle)
        return io.BufferedWriter(_RenameOnClose(temp_path, final_path), buffer_size=1 << 20)

    def list(self, prefix_uri: str) -> list[str]:
        bucket, prefix = split_gcs_uri(prefix_uri)
        bucket_dir = self.path_for(f"{_SCHEME}{bucket}")
        # Walk only below the deepest directory the prefix names.
        start = bucket_dir.joinpath(*prefix.split("/")[:-1]) if "/" in prefix else bucket_dir
        if not start.is_dir():
            return []
        uris = []
        for directory, _, files in os.walk(start):
            for file_name in files:
                name = Path(directory, file_name).relative_to(bucket_dir).as_posix()
                if name.startswith(prefix):
                    uris.append(f"{_SCHEME}{bucket}/{name}")
        return sorted(uris)

    def download_to(self, uri: str, path: Path) -> None:
        source = self.path_for(uri)
        if not source.is_file():
            raise FileNotFoundError(uri)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
