"""Durable state: every resource and operation in SQLite (WAL) under the data dir, mirrored in memory.

Reads (`Store.get`, `Store.children`) are lock-free lookups of immutable `Record`s, each caching its wire
bytes, so a GET costs a dict lookup. Writes happen in `Store.transaction()`: changes are buffered, written to
SQLite in one transaction, and only then published to memory, so a SIGKILL at any moment leaves either the
old or the new state on disk, never a mix.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from google.protobuf.message import Message

from vertex_emulator import _protos
from vertex_emulator._errors import NotFound

JsonDict = dict[str, Any]

DATASETS = "datasets"
TRAINING_PIPELINES = "trainingPipelines"
CUSTOM_JOBS = "customJobs"
HYPERPARAMETER_TUNING_JOBS = "hyperparameterTuningJobs"
BATCH_PREDICTION_JOBS = "batchPredictionJobs"
PIPELINE_JOBS = "pipelineJobs"
MODELS = "models"  # model-level bookkeeping (version counter); the served bodies are the versions
MODEL_VERSIONS = "modelVersions"
OPERATIONS = "operations"

# What the API calls one resource of each kind, in NOT_FOUND messages.
NOUNS = {
    DATASETS: "Dataset",
    TRAINING_PIPELINES: "TrainingPipeline",
    CUSTOM_JOBS: "CustomJob",
    HYPERPARAMETER_TUNING_JOBS: "HyperparameterTuningJob",
    BATCH_PREDICTION_JOBS: "BatchPredictionJob",
    PIPELINE_JOBS: "PipelineJob",
    MODELS: "Model",
    MODEL_VERSIONS: "Model",
    OPERATIONS: "Operation",
}

MESSAGE_TYPES: dict[str, type[Message] | None] = {
    DATASETS: _protos.DATASET,
    TRAINING_PIPELINES: _protos.TRAINING_PIPELINE,
    CUSTOM_JOBS: _protos.CUSTOM_JOB,
    HYPERPARAMETER_TUNING_JOBS: _protos.HYPERPARAMETER_TUNING_JOB,
    BATCH_PREDICTION_JOBS: _protos.BATCH_PREDICTION_JOB,
    PIPELINE_JOBS: _protos.PIPELINE_JOB,
    MODELS: None,
    MODEL_VERSIONS: _protos.MODEL,
    OPERATIONS: _protos.OPERATION,
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    parent TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    internal TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True, eq=False)
class Record:
    """One stored resource: its canonical proto JSON `body` plus emulator-only `internal` state.

    Treat both dicts as read-only; change a record with `evolve` and `Transaction.put`.
    """

    name: str
    kind: str
    parent: str
    seq: int
    body: JsonDict
    internal: JsonDict = field(default_factory=dict)
    _wire: dict[bool, bytes] = field(default_factory=dict, repr=False)

    def evolve(self, body: JsonDict | None = None, internal: JsonDict | None = None) -> Record:
        return replace(
            self,
            body=self.body if body is None else body,
            internal=self.internal if internal is None else internal,
            _wire={},
        )

    def wire(self, int_enums: bool) -> bytes:
        """The body as the API answers it, cached per enum encoding."""
        cached = self._wire.get(int_enums)
        if cached is None:
            message_class = MESSAGE_TYPES[self.kind]
            if message_class is None:
                raise TypeError(f"{self.kind} records are not served")
            cached = _protos.render(message_class, self.body, int_enums)
            self._wire[int_enums] = cached
        return cached


def found(record: Record | None, kind: str, name: str, what: str | None = None, *, detail: str = "") -> Record:
    """`record` when it is one of `kind`; otherwise the API's NOT_FOUND for `name` (the one not-found answer;
    `what` names it instead of `name`, `detail` follows "not found")."""
    if record is None or record.kind != kind:
        raise NotFound(f"{NOUNS.get(kind, kind)} {what or name} not found{detail}.")
    return record


class Transaction:
    """Buffered changes; reads see them, other threads do not until commit."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.pending: dict[str, Record | None] = {}

    def get(self, name: str) -> Record | None:
        if name in self.pending:
            return self.pending[name]
        return self._store.get(name)

    def find(self, kind: str, name: str) -> Record:
        """The record `name` of `kind`, NOT_FOUND otherwise."""
        return found(self.get(name), kind, name)

    def children(self, kind: str, parent: str) -> list[Record]:
        merged = {r.name: r for r in self._store.children(kind, parent)}
        for name, record in self.pending.items():
            if record is None:
                merged.pop(name, None)
            elif record.kind == kind and record.parent == parent:
                merged[name] = record
        return sorted(merged.values(), key=lambda r: r.seq)

    def create(self, kind: str, name: str, parent: str, body: JsonDict, internal: JsonDict | None = None) -> Record:
        record = Record(name, kind, parent, self._store.next_seq(), {}, internal or {})
        return self.put(record.evolve(body=body))

    def put(self, record: Record) -> Record:
        message_class = MESSAGE_TYPES[record.kind]
        if message_class is not None:
            before = self.get(record.name)
            if before is not None and before.kind == record.kind:
                body = _protos.canonical_change(message_class, before.body, record.body)
            else:
                body = _protos.canonical(message_class, record.body)
            record = record.evolve(body=body)
        self.pending[record.name] = record
        return record

    def delete(self, name: str) -> None:
        self.pending[name] = None


class BrokenStateError(Exception):
    """The state file exists but cannot be read: the emulator refuses to start rather than start empty."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"the state file {path} is unreadable ({reason}); move it aside to keep it, or start with "
            "--reset-state to start empty on purpose"
        )
        self.path = path
        self.reason = reason


def remove_state(path: Path) -> None:
    """Delete the state file and its WAL companions (`--reset-state`)."""
    for companion in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        companion.unlink(missing_ok=True)


def _create_state(path: Path) -> None:
    """A new state file is built beside its final name and renamed into place, so a file at `path` that is
    empty or torn was damaged after the fact and is refused, never mistaken for a new one."""
    building = path.with_name(path.name + ".new")
    remove_state(building)
    db = sqlite3.connect(building, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)
    finally:
        db.close()
    building.replace(path)


class Store:
    """The emulator's state; one per data dir. BrokenStateError when the file exists but is not readable."""

    def __init__(self, path: Path) -> None:
        self.lock = threading.RLock()
        self._local = threading.local()
        self._records: dict[str, Record] = {}
        self._by_parent: dict[tuple[str, str], dict[str, Record]] = {}
        self._seq = 0
        if not path.exists():
            _create_state(path)
        elif path.stat().st_size == 0:
            raise BrokenStateError(path, "it is empty")
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._open(path)
        except sqlite3.Error as err:
            if hasattr(self, "_db"):
                self._db.close()
            raise BrokenStateError(path, f"not an emulator state database: {err}") from err
        except (ValueError, TypeError) as err:
            self._db.close()
            raise BrokenStateError(path, f"a record cannot be read: {err}") from err

    def _open(self, path: Path) -> None:
        db = self._db
        problems = [row[0] for row in db.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError(f"integrity check: {problems[0]}")
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"records", "settings"} <= tables:
            raise sqlite3.DatabaseError(f"tables {sorted(tables)} are not the emulator's")
        db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a killed process (only an OS crash may lose the last commits).
        db.execute("PRAGMA synchronous=NORMAL")
        rows = db.execute("SELECT name, kind, parent, seq, body, internal FROM records ORDER BY seq")
        for name, kind, parent, seq, body, internal in rows:
            if kind not in MESSAGE_TYPES:
                raise ValueError(f"{name} has an unknown kind {kind!r}")
            record = Record(str(name), kind, str(parent), int(seq), json.loads(body), json.loads(internal))
            if not isinstance(record.body, dict) or not isinstance(record.internal, dict):
                raise ValueError(f"{name} is not a JSON object")
            self._publish(record)
            self._seq = max(self._seq, record.seq)
        for (value,) in db.execute("SELECT value FROM settings"):
            json.loads(value)

    def close(self) -> None:
        with self.lock:
            self._db.close()

    def get(self, name: str) -> Record | None:
        return self._records.get(name)

    def find(self, kind: str, name: str) -> Record:
        """The record `name` of `kind`, NOT_FOUND otherwise."""
        return found(self.get(name), kind, name)

    def children(self, kind: str, parent: str) -> list[Record]:
        """Records of `kind` under `parent`, oldest first."""
        return list(self._by_parent.get((kind, parent), {}).values())

    def all(self, kind: str) -> list[Record]:
        return sorted((r for r in self._records.values() if r.kind == kind), key=lambda r: r.seq)

    def next_seq(self) -> int:
        with self.lock:
            self._seq += 1
            return self._seq

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A transaction; nested calls on the same thread join the outer one."""
        with self.lock:
            current: Transaction | None = getattr(self._local, "tx", None)
            if current is not None:
                yield current
                return
            tx = Transaction(self)
            self._local.tx = tx
            try:
                yield tx
            finally:
                self._local.tx = None
            if tx.pending:
                self._commit(tx.pending)

    def _commit(self, pending: dict[str, Record | None]) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for name, record in pending.items():
                if record is None:
                    db.execute("DELETE FROM records WHERE name = ?", (name,))
                else:
                    db.execute(
                        "INSERT OR REPLACE INTO records (name, kind, parent, seq, body, internal) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            record.name,
                            record.kind,
                            record.parent,
                            record.seq,
                            json.dumps(record.body, separators=(",", ":")),
                            json.dumps(record.internal, separators=(",", ":")),
                        ),
                    )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        for name, record in pending.items():
            if record is None:
                self._unpublish(name)
            else:
                self._publish(record)

    def _publish(self, record: Record) -> None:
        self._records[record.name] = record
        self._by_parent.setdefault((record.kind, record.parent), {})[record.name] = record

    def _unpublish(self, name: str) -> None:
        record = self._records.pop(name, None)
        if record is not None:
            siblings = self._by_parent.get((record.kind, record.parent), {})
            siblings.pop(name, None)

    def setting(self, key: str) -> Any:
        with self.lock:
            row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put_setting(self, key: str, value: Any) -> None:
        with self.lock:
            self._db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def wipe(self) -> None:
        """Forget everything (the control plane's reset)."""
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM records")
            self._db.execute("DELETE FROM settings")
            self._db.execute("COMMIT")
            self._records.clear()
            self._by_parent.clear()
