"""Durable records of the process groups a job starts, so that a restart stops what a killed emulator left.

Every process started for a job carries ``VERTEX_EMULATOR_JOB=<job name>`` in its environment. While the
job's ledger is open (``<data dir>/jobs/<id>/processes/``, opened before the job starts anything), it holds
``job.json`` (the job's name) and one ``<pgid>.json`` per process group (pgid, the leader's start time, the
boot id), written as soon as the group starts and removed once it is gone; closing the ledger removes it.
After a crash the files are what is left of the job: ``stop_orphaned_processes`` stops what they name.

It never stops an unrelated process that reused a pid: a group is signalled only while its leader is the
recorded process (same start time since the same boot); other processes only if their environment carries
the recorded job's marker (members whose leader is gone, or descendants that started their own session).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "JOB_ENV",
    "LEDGER_DIR",
    "ProcessLedger",
    "acting_for",
    "close_ledger",
    "ledger_for",
    "open_ledger",
    "stop_orphaned_processes",
]

_log = logging.getLogger(__name__)

JOB_ENV = "VERTEX_EMULATOR_JOB"
LEDGER_DIR = "processes"  # under a job's work dir: <data dir>/jobs/<id>/processes/
_JOB_FILE = "job.json"
_PROC = Path("/proc")
_SETTLE_SECONDS = 2.0


@dataclass(frozen=True)
class ProcessLedger:
    """The records of one job: ``directory`` holds one file per started process group."""

    directory: Path
    job: str

    def record(self, pgid: int, name: str, argv: Sequence[str]) -> None:
        entry = {"pgid": pgid, "start": _start_ticks(pgid), "name": name, "argv": list(argv[:4])}
        self._write(f"{pgid}.json", entry)

    def forget(self, pgid: int) -> None:
        (self.directory / f"{pgid}.json").unlink(missing_ok=True)

    def _write(self, file_name: str, entry: Mapping[str, object]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = self.directory / f".{file_name}.tmp"
        partial.write_text(json.dumps({**entry, "job": self.job, "boot": _boot_id()}))
        os.replace(partial, self.directory / file_name)  # whole or absent, never half written


# Open ledgers by job name: a process finds its job's ledger through the marker in its environment.
_ledgers: dict[str, ProcessLedger] = {}
_ledgers_lock = threading.Lock()
_acting = threading.local()


def open_ledger(directory: Path, job: str) -> ProcessLedger:
    """Record the processes started for ``job`` (those whose environment names it) in ``directory``.

    The job's own record comes first: a process killed with the emulator between its start and its record is
    still found by its marker."""
    ledger = ProcessLedger(directory, job)
    ledger._write(_JOB_FILE, {})
    with _ledgers_lock:
        _ledgers[job] = ledger
    return ledger


def close_ledger(ledger: ProcessLedger) -> None:
    """Once the job's processes are all stopped: nothing of it is left to find."""
    with _ledgers_lock:
        if _ledgers.get(ledger.job) is ledger:
            del _ledgers[ledger.job]
    (ledger.directory / _JOB_FILE).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        ledger.directory.rmdir()  # unless a group outlived its stop (its record stays for the next start)


@contextlib.contextmanager
def acting_for(job: str | None) -> Iterator[None]:
    """Processes started by this thread meanwhile belong to ``job``, whatever environment they are given
    (helpers such as pip run with the emulator's own environment)."""
    previous = getattr(_acting, "job", None)
    _acting.job = job or previous
    try:
        yield
    finally:
        _acting.job = previous


def ledger_for(env: Mapping[str, str]) -> tuple[str | None, ProcessLedger | None]:
    """The job a process about to start with ``env`` belongs to, and that job's open ledger (if any)."""
    job = getattr(_acting, "job", None) or env.get(JOB_ENV)
    if not job:
        return None, None
    with _ledgers_lock:
        return job, _ledgers.get(job)


# -- after a restart ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Proc:
    pid: int
    pgid: int
    start: int


@dataclass(frozen=True)
class _Entry:
    path: Path
    pgid: int | None  # None: the job's own record
    start: int | None
    boot: str | None
    job: str


def stop_orphaned_processes(jobs_dir: Path, grace_seconds: float = 1.0) -> list[str]:
    """Stop what the records under ``jobs_dir/*/processes/`` name and still runs: SIGTERM, up to
    ``grace_seconds`` to exit, then SIGKILL. Removes the records; returns the jobs that had processes left."""
    entries = [entry for path in sorted(jobs_dir.glob(f"*/{LEDGER_DIR}/*.json")) if (entry := _read(path))]
    for partial in jobs_dir.glob(f"*/{LEDGER_DIR}/.*.tmp"):
        partial.unlink(missing_ok=True)
    boot = _boot_id()
    # Records from before a reboot name nothing that runs; without procfs nothing can be told apart safely.
    current = [e for e in entries if e.boot == boot] if _PROC.is_dir() else []
    verified: set[int] = set()
    groups, pids, jobs = _orphans(current, verified)
    if groups or pids:
        _log.warning("stopping processes left running by jobs of a previous run: %s", ", ".join(sorted(jobs)))
        _signal(groups, pids, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        while (groups or pids) and time.monotonic() < deadline:
            time.sleep(0.02)
            groups, pids, _ = _orphans(current, verified)
        _signal(groups, pids, signal.SIGKILL)
        deadline = time.monotonic() + _SETTLE_SECONDS  # SIGKILL lands asynchronously
        while (groups or pids) and time.monotonic() < deadline:
            time.sleep(0.01)
            groups, pids, _ = _orphans(current, verified)
    for entry in entries:
        entry.path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            entry.path.parent.rmdir()
    return sorted(jobs)


def _orphans(entries: Sequence[_Entry], verified: set[int]) -> tuple[set[int], dict[int, int], set[str]]:
    """Groups to signal and single processes (pid -> start time) to signal, and the jobs they belong to.

    A group is ours once its leader was seen to be the recorded process (same start time); it stays ours while
    any member lives, because the kernel does not reuse a pid that still names a process group. Any other
    process is ours only if its environment carries a recorded job's marker. Zombies do not count.
    """
    table = _process_table()
    live_groups = {proc.pgid for proc in table.values()}
    jobs: set[str] = set()
    pids: dict[int, int] = {}
    for entry in entries:
        if entry.pgid is None:
            continue
        leader = table.get(entry.pgid)
        if leader is not None and entry.start is not None and leader.start == entry.start:
            verified.add(entry.pgid)
            if leader.pgid != entry.pgid:  # the leader moved to a group of its own
                pids[leader.pid] = leader.start
        if entry.pgid in verified and (entry.pgid in live_groups or leader is not None):
            jobs.add(entry.job)
    groups = verified & live_groups
    markers = {f"{JOB_ENV}={entry.job}".encode(): entry.job for entry in entries}
    for proc in table.values():
        if proc.pgid in groups or proc.pid in pids or proc.pid == os.getpid():
            continue
        job = _marked_job(proc.pid, markers)
        if job is not None:
            pids[proc.pid] = proc.start
            jobs.add(job)
    return groups, pids, jobs


def _signal(groups: set[int], pids: Mapping[int, int], signum: int) -> None:
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signum)
    for pid, start in pids.items():
        if _start_ticks(pid) != start:
            continue  # gone meanwhile, and the pid may be another process's now
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def _process_table() -> dict[int, _Proc]:
    """Live (non-zombie) processes: pid -> process group and start time."""
    table: dict[int, _Proc] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is None or fields[0] in ("Z", "X"):
            continue
        table[int(entry.name)] = _Proc(int(entry.name), int(fields[2]), int(fields[19]))
    return table


def _marked_job(pid: int, markers: Mapping[bytes, str]) -> str | None:
    try:
        variables = (_PROC / str(pid) / "environ").read_bytes().split(b"\0")
    except OSError:  # gone, or another user's process
        return None
    return next((markers[v] for v in variables if v in markers), None)


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: [state, ppid, pgrp, session, ..., starttime at 19, ...]."""
    try:
        fields = (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields if len(fields) > 19 else None


def _start_ticks(pid: int) -> int | None:
    """When the process started (clock ticks since boot): with the pid, it names one process."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields is not None else None


def _boot_id() -> str | None:
    try:
        return (_PROC / "sys" / "kernel" / "random" / "boot_id").read_text().strip()
    except OSError:
        return None


def _read(path: Path) -> _Entry | None:
    try:
        data = json.loads(path.read_text())
        pgid = None if path.name == _JOB_FILE else int(data["pgid"])
        return _Entry(path, pgid, data.get("start"), data.get("boot"), str(data["job"]))
    except (OSError, ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)  # unreadable: nothing can be verified against it
        return None
