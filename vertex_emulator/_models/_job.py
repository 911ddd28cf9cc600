"""What every kind of job does on create and delete, whatever its spec: the replica quota, creating and starting
it through the job lifecycle, and refusing to delete a running one."""

from __future__ import annotations

from typing import Any

from vertex_emulator import _protos, _validation
from vertex_emulator._backend import Backend
from vertex_emulator._store import Record

JsonDict = dict[str, Any]


def create(backend: Backend, kind: str, where: str, prepared: JsonDict) -> Record:
    """Create a job of `kind` from its checked body, and start it."""
    _validation.replica_quota(kind, prepared, backend.max_replicas_per_job)
    with backend.store.transaction() as tx:
        record = backend.jobs.create(tx, kind, where, prepared)
    backend.jobs.start(record)
    return record


def delete(backend: Backend, kind: str, name: str, where: str) -> Record:
    """The delete's operation (named in `where`); FAILED_PRECONDITION while the job runs."""
    with backend.store.transaction() as tx:
        backend.jobs.check_deletable(tx.find(kind, name))
        return backend.operations.start(tx, where, _protos.DELETE_METADATA, {"delete": [name]})
