"""Local processes, each in its own process group so that stopping one stops everything it started.

Each process is marked with the job it runs for (``VERTEX_EMULATOR_JOB``) and, while that job's ledger is open,
recorded there from its start until its whole group is gone (see ``_ledger``): what a killed emulator leaves
running is stopped when it starts again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from ._errors import DependencyError
from ._ledger import JOB_ENV, ProcessLedger, ledger_for

_TAIL_BYTES = 4096
_TAIL_LINES = 20


class LocalProcess:
    """One command, output (stdout and stderr) appended to ``log_path``, in a new session/process group."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        log_path: Path,
        cwd: str | Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = log_path
        self.cwd = cwd
        self.stopped_by_us = False
        self._popen: subprocess.Popen[bytes] | None = None
        self._ledger: ProcessLedger | None = None

    def start(self) -> None:
        job, ledger = ledger_for(self.env)
        if job:
            self.env[JOB_ENV] = job
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            try:
                self._popen = subprocess.Popen(
                    self.argv,
                    env=self.env,
                    cwd=self.cwd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as error:
                log.write(f"cannot start {self.argv[0]!r}: {error}\n".encode())
                raise DependencyError(
                    f"The replica {self.name} could not start {self.argv[0]!r}: {error.strerror or error}"
                ) from None
        if ledger is not None:
            self._record(ledger)

    def _record(self, ledger: ProcessLedger) -> None:
        """Right after the start: a group nobody could stop after a crash must not run at all."""
        assert self._popen is not None
        try:
            ledger.record(self._popen.pid, self.name, self.argv)
        except OSError as error:
            stop_all([self], 0)
            raise DependencyError(
                f"The process {self.name} could not be recorded in {ledger.directory}: {error}"
            ) from None
        self._ledger = ledger

    def forget(self) -> None:
        """Drop the record once the whole group is gone."""
        if self._ledger is not None and self._popen is not None:
            self._ledger.forget(self._popen.pid)
            self._ledger = None

    @property
    def started(self) -> bool:
        return self._popen is not None

    @property
    def pid(self) -> int:
        """The process id, which is also its group's id (0 before the start)."""
        return self._popen.pid if self._popen is not None else 0

    def poll(self) -> int | None:
        return self._popen.poll() if self._popen is not None else None

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode if self._popen is not None else None

    def signal_group(self, signum: int) -> None:
        if self._popen is None:
            return
        # The group outlives its leader while children run; ESRCH means it is all gone.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._popen.pid, signum)

    def group_alive(self) -> bool:
        """Whether a process of the group still runs (zombies waiting for their reaper do not count)."""
        return self._popen is not None and bool(_live_groups({self._popen.pid}))

    def wait_exit(self, timeout: float) -> None:
        if self._popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(timeout=timeout)

    def tail(self) -> str:
        return log_tail(self.log_path)


def stop_all(processes: Sequence[LocalProcess], grace_seconds: float) -> None:
    """SIGTERM every process group, wait up to ``grace_seconds`` for the leaders, then SIGKILL the groups."""
    running = [p for p in processes if p.started]
    for process in running:
        if process.poll() is None:
            process.stopped_by_us = True
        process.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and any(p.poll() is None for p in running):
        time.sleep(0.02)
    for process in running:
        process.signal_group(signal.SIGKILL)
    for process in running:
        process.wait_exit(5)
    # SIGKILL is delivered asynchronously: wait (briefly) until every group is gone, so that a job reported
    # stopped has no process left.
    deadline = time.monotonic() + 2.0
    alive = _live_groups({p.pid for p in running})
    while alive and time.monotonic() < deadline:
        time.sleep(0.01)
        alive = _live_groups(alive)
    for process in running:
        if process.pid not in alive:
            process.forget()


def _live_groups(groups: set[int]) -> set[int]:
    """Those of ``groups`` in which a process still runs (one pass over /proc for all of them)."""
    if not groups:
        return set()
    proc = Path("/proc")
    if not proc.is_dir():  # no procfs: any member, zombies included
        alive = set()
        for group in groups:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                continue
            except PermissionError:
                pass
            alive.add(group)
        return alive
    wanted = {str(group): group for group in groups}
    alive = set()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if len(fields) > 2 and fields[2] in wanted and fields[0] != "Z":
            alive.add(wanted[fields[2]])
    return alive


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was terminated by {name}"
    return f"exited with a non-zero status of {returncode}"


def log_tail(path: Path) -> str:
    """The last lines of a log (at most a few KiB), for error messages."""
    try:
        with path.open("rb") as log:
            log.seek(0, os.SEEK_END)
            size = log.tell()
            log.seek(max(0, size - _TAIL_BYTES))
            data = log.read()
    except OSError:
        return ""
    lines = data.decode("utf-8", errors="replace").splitlines()
    if size > _TAIL_BYTES and lines:
        lines = lines[1:]  # the first line is probably cut
    return "\n".join(lines[-_TAIL_LINES:])


def run_to_completion(
    process: LocalProcess, *, cancel: threading.Event, timeout_seconds: float, grace_seconds: float
) -> int | None:
    """Run one helper process (e.g. pip); None if cancelled or timed out (it is stopped then)."""
    process.start()
    deadline = time.monotonic() + timeout_seconds
    while process.poll() is None:
        if cancel.wait(0.05) or time.monotonic() > deadline:
            stop_all([process], grace_seconds)
            return None
    stop_all([process], 0)  # anything the helper left in its group
    return process.returncode
