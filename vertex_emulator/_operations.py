"""Long-running operations: created by the RPCs that answer with one, done now or after a delay.

As on the real API (recorded), a create's operation (CreateDataset, UploadModel) is still pending in the first
answer and done a little later: `create_seconds` after it started (1 s unless the emulator was started with
another value; 0 makes creates done in the first answer). Other operations (deletes, as recorded, imports,
exports) are done in the first answer. The control plane's `config/operations {"seconds"}` sets one delay for
every operation instead, until a reset.

An operation stores what completing it does as data (its "effect"), so a pending operation survives a restart
and is resumed honestly: overdue ones complete at startup, the others at their due time. Effects:
    {"snapshot": name, "type": T}   respond with the named resource as it is at completion (create calls);
                                    optional "without": [field or "a.b" path] and "with": {field: object merged
                                    in}, for a response the real API shapes unlike the resource
    {"respond": {...}, "type": T}   respond with a fixed message
    {"delete": [names...]}          delete those records, respond google.protobuf.Empty
    {"error": {"code", "message"}}  fail with that google.rpc.Status (e.g. an import file that is missing)
"""

from __future__ import annotations

import functools
import math
import threading
import time
from typing import Any

from vertex_emulator import _protos
from vertex_emulator._errors import Cancelled, InvalidArgument, NotFound
from vertex_emulator._limits import (
    DEFAULT_CREATE_OPERATION_SECONDS,
    MAX_CONTROL_SECONDS,
    MAX_WAIT_SECONDS,
    is_bounded_seconds,
)
from vertex_emulator._names import new_id, now_timestamp
from vertex_emulator._scheduler import Scheduler
from vertex_emulator._store import OPERATIONS, Record, Store, Transaction

JsonDict = dict[str, Any]
OPERATION_DELAY_SETTING = "operation_seconds"


class Operations:
    def __init__(
        self, store: Store, scheduler: Scheduler, create_seconds: float = DEFAULT_CREATE_OPERATION_SECONDS
    ) -> None:
        if not is_bounded_seconds(create_seconds):
            raise ValueError(f"create_seconds must be between 0 and {MAX_CONTROL_SECONDS:g}")
        self._store = store
        self._scheduler = scheduler
        self._done = threading.Condition()
        self.create_seconds = float(create_seconds)
        saved = store.setting(OPERATION_DELAY_SETTING)
        # None: the defaults (creates pending for create_seconds, others done at once); else every operation's delay
        self.delay_seconds: float | None = None if saved is None else float(saved)

    def set_delay(self, seconds: float | None) -> None:
        """One delay for every operation; None goes back to the defaults."""
        if seconds is not None and not is_bounded_seconds(seconds):
            raise ValueError(f"seconds must be between 0 and {MAX_CONTROL_SECONDS:g}")
        self.delay_seconds = seconds
        self._store.put_setting(OPERATION_DELAY_SETTING, seconds)

    def _delay(self, creates: bool) -> float:
        if self.delay_seconds is not None:
            return self.delay_seconds
        return self.create_seconds if creates else 0.0

    def start(
        self,
        tx: Transaction,
        owner: str,
        metadata_type: str,
        effect: JsonDict,
        metadata: JsonDict | None = None,
        *,
        creates: bool = False,
    ) -> Record:
        """Create an operation named `<owner>/operations/<id>`; complete it now unless it is delayed (`creates`:
        the operation of a create, pending for a while by default)."""
        now = now_timestamp()
        name = f"{owner}/operations/{new_id()}"
        body: JsonDict = {
            "name": name,
            "metadata": _protos.packed(
                metadata_type, {"genericMetadata": {"createTime": now, "updateTime": now}, **(metadata or {})}
            ),
        }
        delay = self._delay(creates)
        record = tx.create(OPERATIONS, name, _location(owner), body, {"effect": effect, "due": time.time() + delay})
        if delay <= 0:
            return self._complete(tx, record)
        self._scheduler.call_later(delay, lambda: self.complete(record.name))
        return record

    def complete(self, name: str) -> None:
        with self._store.transaction() as tx:
            record = tx.get(name)
            if record is not None and not record.body.get("done"):
                self._complete(tx, record)
        self._notify()

    def resume(self) -> None:
        """After a restart: complete overdue operations, schedule the others."""
        for record in self._store.all(OPERATIONS):
            if record.body.get("done"):
                continue
            remaining = float(record.internal.get("due", 0)) - time.time()
            if remaining <= 0:
                self.complete(record.name)
            else:
                self._scheduler.call_later(remaining, functools.partial(self.complete, record.name))

    def _complete(self, tx: Transaction, record: Record) -> Record:
        effect = record.internal.get("effect", {})
        body = dict(record.body)
        if "error" in effect:
            body["error"] = dict(effect["error"])
        elif "delete" in effect:
            for name in effect["delete"]:
                if tx.get(name) is not None:
                    tx.delete(name)
            body["response"] = _protos.packed(_protos.EMPTY, {})
        elif "snapshot" in effect:
            target = tx.get(effect["snapshot"])
            if target is None:
                body["error"] = NotFound(f"{effect['snapshot']} no longer exists.").rpc_status()
            else:
                body["response"] = _protos.packed(effect["type"], _snapshot(target.body, effect))
        else:
            body["response"] = _protos.packed(effect["type"], effect.get("respond", {}))
        return self._finish(tx, record, body)

    def _finish(self, tx: Transaction, record: Record, body: JsonDict) -> Record:
        body["done"] = True
        metadata = dict(body["metadata"])
        metadata["genericMetadata"] = {**metadata.get("genericMetadata", {}), "updateTime": now_timestamp()}
        body["metadata"] = metadata
        return tx.put(record.evolve(body=body, internal={}))

    def _notify(self) -> None:
        with self._done:
            self._done.notify_all()

    # -- the operations service ---------------------------------------------------------------------
    def get(self, name: str) -> Record:
        return self._store.find(OPERATIONS, name)

    def cancel(self, name: str) -> None:
        with self._store.transaction() as tx:
            record = tx.find(OPERATIONS, name)
            if not record.body.get("done"):
                body = dict(record.body)
                body["error"] = Cancelled("Operation cancelled.").rpc_status()
                self._finish(tx, record, body)
        self._notify()

    def delete(self, name: str) -> None:
        with self._store.transaction() as tx:
            tx.find(OPERATIONS, name)
            tx.delete(name)

    def wait(self, name: str, timeout_value: object) -> Record:
        timeout = _seconds(timeout_value) if timeout_value not in (None, "") else 60.0
        deadline = time.monotonic() + timeout
        with self._done:
            while True:
                record = self.get(name)
                remaining = deadline - time.monotonic()
                if record.body.get("done") or remaining <= 0:
                    return record
                self._done.wait(remaining)

    def under(self, prefix: str) -> list[Record]:
        """Operations whose name is `<prefix>/operations/<id>`."""
        return [r for r in self._store.all(OPERATIONS) if r.name.rpartition("/operations/")[0] == prefix]


def _location(owner: str) -> str:
    return "/".join(owner.split("/")[:4])


def _seconds(value: object) -> float:
    """A WaitOperation timeout (`"30s"` or a number); longer than MAX_WAIT_SECONDS waits that long, as the real
    API caps it; NaN, infinities, negatives and text are INVALID_ARGUMENT."""
    text = value.strip().removesuffix("s") if isinstance(value, str) else value
    try:
        seconds = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise InvalidArgument(f'Invalid timeout {value!r}: expected a duration such as "30s".') from err
    if not math.isfinite(seconds) or seconds < 0:
        raise InvalidArgument(f'Invalid timeout {value!r}: expected a non-negative duration such as "30s".')
    return min(seconds, MAX_WAIT_SECONDS)


def _snapshot(resource: JsonDict, effect: JsonDict) -> JsonDict:
    """`resource` as a snapshot effect's response: without its "without" paths, with its "with" objects merged."""
    shaped = {key: dict(value) if isinstance(value, dict) else value for key, value in resource.items()}
    for path in effect.get("without", ()):
        field, _, inner = path.partition(".")
        if not inner:
            shaped.pop(field, None)
        elif isinstance(shaped.get(field), dict):
            shaped[field].pop(inner, None)
    for field, extra in effect.get("with", {}).items():
        shaped[field] = {**(shaped.get(field) or {}), **extra}
    return shaped
