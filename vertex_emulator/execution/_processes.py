"""Local processes, each in its own process group so that stopping one stops everything it started."""

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

    def start(self) -> None:
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

    @property
    def started(self) -> bool:
        return self._popen is not None

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
        return self._popen is not None and _group_alive(self._popen.pid)

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
    while any(p.group_alive() for p in running) and time.monotonic() < deadline:
        time.sleep(0.01)


def _group_alive(group: int) -> bool:
    proc = Path("/proc")
    if not proc.is_dir():  # no procfs: any member, zombies included
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if len(fields) > 2 and fields[2] == str(group) and fields[0] != "Z":
            return True
    return False


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
