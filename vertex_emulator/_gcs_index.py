"""The storage index: buckets, objects and resumable upload sessions in SQLite (WAL), like the API state.

An object row names its blob by sha256 (see `_gcs_blobs`); names are only ever keys here. Names are
compared as SQLite TEXT (memcmp of UTF-8), which is code-point order: the order GCS lists in and Python
compares in. Every call runs under `lock`; callers that combine steps (check a precondition, place a blob,
write the row) hold it across them. A new index is created under a temp name and renamed into place, so an
empty, truncated or foreign file at `index.sqlite3` is never ours: `open_index` refuses it (BrokenStorageState).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vertex_emulator._gcs_errors import BrokenStorageState

JsonDict = dict[str, Any]
INDEX_FILE = "index.sqlite3"
_FORMAT = "vertex-emulator storage index 1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS format (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
    metageneration INTEGER NOT NULL, fields TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL, name TEXT NOT NULL, generation INTEGER NOT NULL, metageneration INTEGER NOT NULL,
    blob TEXT NOT NULL, size INTEGER NOT NULL, md5 TEXT NOT NULL, crc32c TEXT NOT NULL,
    created TEXT NOT NULL, updated TEXT NOT NULL, fields TEXT NOT NULL,
    PRIMARY KEY (bucket, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS objects_by_blob ON objects (blob);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, bucket TEXT NOT NULL, name TEXT NOT NULL, fields TEXT NOT NULL,
    conditions TEXT NOT NULL, created TEXT NOT NULL
);
"""
_OBJECT_COLUMNS = "bucket, name, generation, metageneration, blob, size, md5, crc32c, created, updated, fields"


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class BucketRow:
    name: str
    created: str
    updated: str
    metageneration: int
    fields: JsonDict = field(default_factory=dict)  # what the client set: labels, location, storageClass ...


@dataclass(frozen=True)
class ObjectRow:
    bucket: str
    name: str
    generation: int
    metageneration: int
    blob: str  # sha256 of the contents
    size: int
    md5: str
    crc32c: str
    created: str
    updated: str
    fields: JsonDict = field(default_factory=dict)  # contentType, metadata, cacheControl ...


@dataclass(frozen=True)
class UploadRow:
    id: str
    bucket: str
    name: str
    fields: JsonDict
    conditions: JsonDict
    created: str


def _dumps(value: JsonDict) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _object(row: tuple[Any, ...]) -> ObjectRow:
    bucket, name, generation, metageneration, blob, size, md5, crc32c, created, updated, fields = row
    return ObjectRow(bucket, name, generation, metageneration, blob, size, md5, crc32c, created, updated,
                     json.loads(fields))  # fmt: skip


def _bucket(row: tuple[Any, ...]) -> BucketRow:
    name, created, updated, metageneration, fields = row
    return BucketRow(name, created, updated, metageneration, json.loads(fields))


class Index:
    """One storage dir's index; use `open_index`."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.lock = threading.RLock()
        self._db = db
        self._generation = db.execute("SELECT COALESCE(MAX(generation), 0) FROM objects").fetchone()[0]

    def close(self) -> None:
        with self.lock:
            self._db.close()

    def next_generation(self) -> int:
        """Microseconds since the epoch, as GCS's generations, and strictly increasing."""
        with self.lock:
            self._generation = max(time.time_ns() // 1000, self._generation + 1)
            return int(self._generation)

    # -- buckets -------------------------------------------------------------------------------------
    def bucket(self, name: str) -> BucketRow | None:
        with self.lock:
            row = self._db.execute(
                "SELECT name, created, updated, metageneration, fields FROM buckets WHERE name = ?", (name,)
            ).fetchone()
        return None if row is None else _bucket(row)

    def put_bucket(self, row: BucketRow) -> None:
        with self.lock:
            self._db.execute(
                "INSERT OR REPLACE INTO buckets (name, created, updated, metageneration, fields) "
                "VALUES (?, ?, ?, ?, ?)",
                (row.name, row.created, row.updated, row.metageneration, _dumps(row.fields)),
            )

    def delete_bucket(self, name: str) -> None:
        with self.lock:
            self._db.execute("DELETE FROM buckets WHERE name = ?", (name,))

    def buckets(self, start: str, limit: int) -> list[BucketRow]:
        """Buckets whose names are > `start`, in name order."""
        with self.lock:
            rows = self._db.execute(
                "SELECT name, created, updated, metageneration, fields FROM buckets WHERE name > ? "
                "ORDER BY name LIMIT ?",
                (start, limit),
            ).fetchall()
        return [_bucket(row) for row in rows]

    def bucket_is_empty(self, bucket: str) -> bool:
        with self.lock:
            return self._db.execute("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", (bucket,)).fetchone() is None

    # -- objects -------------------------------------------------------------------------------------
    def object(self, bucket: str, name: str) -> ObjectRow | None:
        with self.lock:
            row = self._db.execute(
                f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND name = ?", (bucket, name)
            ).fetchone()
        return None if row is None else _object(row)

    def put_object(self, row: ObjectRow) -> None:
        with self.lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO objects ({_OBJECT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row.bucket, row.name, row.generation, row.metageneration, row.blob, row.size,
                    row.md5, row.crc32c, row.created, row.updated, _dumps(row.fields),
                ),
            )  # fmt: skip

    def delete_object(self, bucket: str, name: str) -> None:
        with self.lock:
            self._db.execute("DELETE FROM objects WHERE bucket = ? AND name = ?", (bucket, name))

    def blob_in_use(self, sha256: str) -> bool:
        with self.lock:
            return self._db.execute("SELECT 1 FROM objects WHERE blob = ? LIMIT 1", (sha256,)).fetchone() is not None

    def objects(self, bucket: str, start: str, inclusive: bool, end: str | None, limit: int) -> list[ObjectRow]:
        """Up to `limit` objects of `bucket` from `start` (itself included or not) to before `end`, in name order."""
        op = ">=" if inclusive else ">"
        bound, args = ("AND name < ?", (bucket, start, end, limit)) if end is not None else ("", (bucket, start, limit))
        with self.lock:
            rows = self._db.execute(
                f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND name {op} ? {bound} ORDER BY name LIMIT ?",
                args,
            ).fetchall()
        return [_object(row) for row in rows]

    def blob_sizes(self) -> Iterator[tuple[str, int]]:
        """(sha256, size) of every blob an object references."""
        with self.lock:
            rows = self._db.execute("SELECT DISTINCT blob, size FROM objects").fetchall()
        yield from rows

    # -- resumable upload sessions --------------------------------------------------------------------
    def upload(self, upload_id: str) -> UploadRow | None:
        with self.lock:
            row = self._db.execute(
                "SELECT id, bucket, name, fields, conditions, created FROM uploads WHERE id = ?", (upload_id,)
            ).fetchone()
        if row is None:
            return None
        return UploadRow(row[0], row[1], row[2], json.loads(row[3]), json.loads(row[4]), row[5])

    def put_upload(self, row: UploadRow) -> None:
        with self.lock:
            self._db.execute(
                "INSERT INTO uploads (id, bucket, name, fields, conditions, created) VALUES (?, ?, ?, ?, ?, ?)",
                (row.id, row.bucket, row.name, _dumps(row.fields), _dumps(row.conditions), row.created),
            )

    def delete_upload(self, upload_id: str) -> None:
        with self.lock:
            self._db.execute("DELETE FROM uploads WHERE id = ?", (upload_id,))

    def upload_ids(self) -> set[str]:
        with self.lock:
            return {row[0] for row in self._db.execute("SELECT id FROM uploads")}

    def wipe(self) -> None:
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            for table in ("objects", "buckets", "uploads"):
                self._db.execute(f"DELETE FROM {table}")
            self._db.execute("COMMIT")


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode survives a killed process (only an OS crash may lose the last commits).
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def _create(path: Path) -> None:
    """A new index, built under a temp name so `path` only ever holds a complete one."""
    temp = path.with_name(path.name + ".new")
    for leftover in (temp, temp.with_name(temp.name + "-wal"), temp.with_name(temp.name + "-shm")):
        leftover.unlink(missing_ok=True)
    db = sqlite3.connect(temp, isolation_level=None)
    try:
        db.executescript(_SCHEMA)
        db.execute("INSERT INTO format (key, value) VALUES ('format', ?)", (_FORMAT,))
    finally:
        db.close()
    os.replace(temp, path)


def open_index(path: Path, has_blobs: bool) -> Index:
    """Open (or create) the index at `path`; BrokenStorageState if it is empty, damaged or not an index."""
    if not path.exists():
        if has_blobs:
            raise BrokenStorageState(path, "missing, while the blob directory beside it holds objects")
        _create(path)
    elif path.stat().st_size == 0:
        raise BrokenStorageState(path, "empty: 0 bytes")
    try:
        db = _connect(path)
        check = db.execute("PRAGMA quick_check").fetchall()
        if check != [("ok",)]:
            db.close()
            raise BrokenStorageState(path, f"damaged: SQLite quick_check says {check[0][0]!r}")
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        marker = db.execute("SELECT value FROM format WHERE key = 'format'").fetchone() if "format" in tables else None
        if marker != (_FORMAT,):
            db.close()
            raise BrokenStorageState(path, "an SQLite database, but not a storage index")
        db.executescript(_SCHEMA)
    except sqlite3.DatabaseError as err:
        raise BrokenStorageState(path, f"not an SQLite database: {err}") from None
    return Index(db)
