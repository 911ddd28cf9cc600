"""Object contents, content-addressed: `blobs/<sha256[:2]>/<sha256>` under the storage dir, never a name.

Bytes are first written to a temp file in `tmp/` (hashing sha256, MD5 and CRC32C as they stream), then
renamed into place by `place`, which the index does under its lock together with the row that references the
blob; removing an unreferenced blob happens under the same lock, so a blob is never removed under a new row.
Two objects with the same bytes share one blob. Readers open the file, so a later delete or overwrite does not
disturb a download in progress.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import google_crc32c

from vertex_emulator._gcs_errors import BrokenStorageState, Conflict

_CHUNK = 1 << 20


@dataclass(frozen=True)
class StagedBlob:
    """Bytes in a temp file, hashed, not yet referenced by any object."""

    path: Path
    size: int
    sha256: str
    md5: str  # base64, as GCS's md5Hash
    crc32c: str  # base64 of the big-endian CRC32C, as GCS's crc32c


class _Hashes:
    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5()
        self.crc = google_crc32c.Checksum()  # type: ignore[no-untyped-call]
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self.sha256.update(chunk)
        self.md5.update(chunk)
        self.crc.update(chunk)  # type: ignore[no-untyped-call]
        self.size += len(chunk)

    def staged(self, path: Path) -> StagedBlob:
        crc: bytes = self.crc.digest()  # type: ignore[no-untyped-call]
        return StagedBlob(
            path,
            self.size,
            self.sha256.hexdigest(),
            base64.b64encode(self.md5.digest()).decode("ascii"),
            base64.b64encode(crc).decode("ascii"),
        )


class BlobWriter:
    """A temp file that hashes what is written; `finish()` gives the StagedBlob, `discard()` removes it."""

    def __init__(self, tmp_dir: Path) -> None:
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="blob-")
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._hashes = _Hashes()

    @property
    def size(self) -> int:
        return self._hashes.size

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._hashes.update(chunk)
        self._file.write(chunk)
        return len(chunk)

    def finish(self) -> StagedBlob:
        self._file.close()
        return self._hashes.staged(self.path)

    def discard(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


class BlobStore:
    """The `blobs/` and `tmp/` directories of one storage dir."""

    def __init__(self, root: Path) -> None:
        self.blob_dir = root / "blobs"
        self.tmp_dir = root / "tmp"
        for directory in (self.blob_dir, self.tmp_dir):
            if directory.exists() and not directory.is_dir():
                raise BrokenStorageState(directory, "not a directory")
            directory.mkdir(parents=True, exist_ok=True)

    def writer(self) -> BlobWriter:
        return BlobWriter(self.tmp_dir)

    def stage(self, read: Callable[[int], bytes], length: int) -> StagedBlob:
        """Exactly `length` bytes from `read` into a staged blob (a short read is an error: the client left)."""
        writer = self.writer()
        try:
            left = length
            while left:
                chunk = read(min(_CHUNK, left))
                if not chunk:
                    raise ConnectionError(f"the request body ended after {length - left} of {length} bytes")
                writer.write(chunk)
                left -= len(chunk)
            return writer.finish()
        except BaseException:
            writer.discard()
            raise

    def stage_range(self, source: Path, start: int, length: int) -> StagedBlob:
        """`length` bytes of the file `source` from `start`, as a staged blob."""
        with source.open("rb") as handle:
            handle.seek(start)
            return self.stage(handle.read, length)

    def adopt(self, path: Path) -> StagedBlob:
        """A complete file in `tmp/` (a finished resumable upload) as a staged blob, hashed where it lies."""
        hashes = _Hashes()
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                hashes.update(chunk)
        return hashes.staged(path)

    def stage_concatenation(self, handles: list[BinaryIO]) -> StagedBlob:
        """The bytes of the open streams, one after the other, as a staged blob."""
        writer = self.writer()
        try:
            for handle in handles:
                while chunk := handle.read(_CHUNK):
                    writer.write(chunk)
            return writer.finish()
        except BaseException:
            writer.discard()
            raise

    def path(self, sha256: str) -> Path:
        return self.blob_dir / sha256[:2] / sha256

    def open(self, sha256: str) -> BinaryIO:
        return self.path(sha256).open("rb")

    def place(self, staged: StagedBlob) -> None:
        """Move a staged blob into place (or drop it if those bytes are already stored)."""
        target = self.path(staged.sha256)
        if target.exists():
            staged.path.unlink(missing_ok=True)
            return
        target.parent.mkdir(exist_ok=True)
        try:
            os.replace(staged.path, target)
        except FileNotFoundError:
            raise Conflict("The storage was reset while this upload was in progress.") from None

    def remove(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def sizes(self) -> Iterator[tuple[str, int]]:
        """Every stored blob and its size."""
        for shard in self.blob_dir.iterdir():
            if shard.is_dir():
                for blob in shard.iterdir():
                    if blob.is_file():  # anything else is not ours and is left alone
                        yield blob.name, blob.stat().st_size

    def clear_tmp(self) -> None:
        """Forget half-written uploads of a process that died (kept: resumable sessions' files)."""
        for entry in self.tmp_dir.glob("blob-*"):
            entry.unlink(missing_ok=True)

    def wipe(self) -> None:
        """Remove every blob and temp file (the caller holds the index lock, so nothing is being placed)."""
        shutil.rmtree(self.blob_dir, ignore_errors=True)
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        for entry in self.tmp_dir.iterdir():
            entry.unlink(missing_ok=True)

    def session_path(self, upload_id: str) -> Path:
        """The growing file of one resumable upload (`upload_id` is ours: random hex, never a name)."""
        return self.tmp_dir / f"session-{upload_id}"
