"""The process ledger: what a crashed emulator left running is stopped, and nothing else ever is.

Real processes: each test starts its own and kills whatever is left of them at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from vertex_emulator.execution._ledger import (
    JOB_ENV,
    LEDGER_DIR,
    ProcessLedger,
    acting_for,
    close_ledger,
    open_ledger,
    stop_orphaned_processes,
)
from vertex_emulator.execution._processes import LocalProcess, stop_all
from vertex_emulator.testing import wait_until

JOB = "projects/1/locations/us-central1/customJobs/123"


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


@pytest.fixture
def spawned() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test starts (each in its own session); whatever is left of their groups is killed after."""
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def sleeper(spawned: list[subprocess.Popen[bytes]], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(["sleep", "600"], env=env, start_new_session=True)
    spawned.append(process)
    return process


def ledger(tmp_path: Path, job: str = JOB) -> ProcessLedger:
    return ProcessLedger(tmp_path / "jobs" / "123" / LEDGER_DIR, job)


def test_a_recorded_group_is_stopped_and_its_record_removed(
    tmp_path: Path, spawned: list[subprocess.Popen[bytes]]
) -> None:
    process = sleeper(spawned)  # no marker: the leader's start time alone proves it is the recorded one
    ledger(tmp_path).record(process.pid, "workerpool0-0", ["sleep", "600"])
    assert stop_orphaned_processes(tmp_path / "jobs") == [JOB]
    assert process.wait(5) == -signal.SIGTERM
    assert not (tmp_path / "jobs" / "123" / LEDGER_DIR).exists()


def test_a_process_that_reused_a_recorded_pid_is_left_alone(
    tmp_path: Path, spawned: list[subprocess.Popen[bytes]]
) -> None:
    unrelated = sleeper(spawned)
    records = ledger(tmp_path)
    records.record(unrelated.pid, "workerpool0-0", ["sleep", "600"])
    path = records.directory / f"{unrelated.pid}.json"
    entry = json.loads(path.read_text())
    path.write_text(json.dumps({**entry, "start": entry["start"] - 1}))  # the recorded process started earlier
    assert stop_orphaned_processes(tmp_path / "jobs") == []
    assert alive(unrelated.pid)
    assert not path.exists()


def test_records_from_before_a_reboot_are_dropped(tmp_path: Path, spawned: list[subprocess.Popen[bytes]]) -> None:
    process = sleeper(spawned)
    records = ledger(tmp_path)
    records.record(process.pid, "workerpool0-0", ["sleep", "600"])
    path = records.directory / f"{process.pid}.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "boot": "another-boot"}))
    assert stop_orphaned_processes(tmp_path / "jobs") == []
    assert alive(process.pid)
    assert not path.exists()


def test_members_whose_leader_is_gone_are_found_by_their_marker(
    tmp_path: Path, spawned: list[subprocess.Popen[bytes]]
) -> None:
    records = open_ledger(tmp_path / "jobs" / "123" / LEDGER_DIR, JOB)
    pid_file = tmp_path / "member"
    process = LocalProcess(
        "workerpool0-0",
        ["sh", "-c", f"sleep 600 & echo $! > {pid_file}.tmp && mv {pid_file}.tmp {pid_file}"],
        env={**os.environ, JOB_ENV: JOB},
        log_path=tmp_path / "log",
    )
    process.start()  # the leader (sh) exits at once; its child keeps the group and the marker
    wait_until(lambda: process.poll() is not None and pid_file.exists())
    member = int(pid_file.read_text())
    close_ledger(records)  # as if the emulator had died: the group's record stays
    assert (records.directory / f"{process.pid}.json").exists()
    unmarked = sleeper(spawned)
    try:
        assert stop_orphaned_processes(tmp_path / "jobs") == [JOB]
        assert not alive(member)
        assert alive(unmarked.pid)
    finally:
        stop_all([process], 0)


def test_the_jobs_own_record_finds_marked_processes_not_recorded_yet(
    tmp_path: Path, spawned: list[subprocess.Popen[bytes]]
) -> None:
    records = open_ledger(tmp_path / "jobs" / "123" / LEDGER_DIR, JOB)
    marked = sleeper(spawned, env={**os.environ, JOB_ENV: JOB})  # killed between its start and its record
    other_job = sleeper(spawned, env={**os.environ, JOB_ENV: JOB + "4"})
    try:
        assert stop_orphaned_processes(tmp_path / "jobs") == [JOB]
        assert marked.wait(5) == -signal.SIGTERM
        assert alive(other_job.pid)
    finally:
        close_ledger(records)


def test_a_process_is_recorded_while_it_runs_and_marked_with_its_job(tmp_path: Path) -> None:
    records = open_ledger(tmp_path / "jobs" / "123" / LEDGER_DIR, JOB)
    try:
        with acting_for(JOB):  # e.g. pip, started with the emulator's own environment
            process = LocalProcess(
                "pip",
                [sys.executable, "-c", f"import os, time; print(os.environ[{JOB_ENV!r}], flush=True); time.sleep(60)"],
                env=dict(os.environ),
                log_path=tmp_path / "log",
            )
            process.start()
        record = records.directory / f"{process.pid}.json"
        assert json.loads(record.read_text())["job"] == JOB
        wait_until(lambda: (tmp_path / "log").read_text().strip() == JOB)
        stop_all([process], 1.0)
        assert not record.exists()
    finally:
        close_ledger(records)
    assert not records.directory.exists()


def test_processes_of_jobs_without_an_open_ledger_are_not_recorded(tmp_path: Path) -> None:
    process = LocalProcess("x", [sys.executable, "-c", "pass"], env={JOB_ENV: "unknown"}, log_path=tmp_path / "log")
    process.start()
    process.wait_exit(10)
    stop_all([process], 1.0)
    assert process.returncode == 0
    assert not (tmp_path / "jobs").exists()
