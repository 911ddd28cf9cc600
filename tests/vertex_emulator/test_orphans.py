"""A killed emulator leaves nothing running: the next start on its data dir stops its jobs' processes first.

Real processes throughout: `python -m vertex_emulator` in a subprocess, a custom job whose container command
sleeps (with a child of its own in the same process group), SIGKILL, restart.
"""

from __future__ import annotations

import contextlib
import os
import signal
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.cloud import aiplatform_v1

from tests.vertex_emulator.bodies import TRAINING_IMAGE
from vertex_emulator.testing import EmulatorProcess, gapic_clients, location_parent, wait_until


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


@pytest.fixture
def pids(tmp_path: Path) -> Iterator[Path]:
    """Where the job writes the pids of its replica (a process group leader) and its child; whatever is left of
    that group is killed after the test, whatever the test found."""
    path = tmp_path / "pids"
    yield path
    if path.exists():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(int(path.read_text().split()[0]), signal.SIGKILL)


def sleeping_job(pids: Path) -> dict[str, object]:
    code = textwrap.dedent(f"""
        import os, subprocess, time
        child = subprocess.Popen(["sleep", "600"])
        with open({str(pids)!r} + ".tmp", "w") as out:
            out.write(f"{{os.getpid()}} {{child.pid}}")
        os.replace({str(pids)!r} + ".tmp", {str(pids)!r})
        time.sleep(600)
    """)
    container = {"image_uri": TRAINING_IMAGE, "command": ["python", "-c", code]}
    pool = {"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1, "container_spec": container}
    return {"display_name": "sleeper", "job_spec": {"worker_pool_specs": [pool]}}


def test_a_restart_stops_what_a_killed_emulator_left_running_then_fails_the_job(tmp_path: Path, pids: Path) -> None:
    data_dir = tmp_path / "data"
    first = EmulatorProcess(data_dir).start()
    try:
        job = gapic_clients(first.endpoint).job.create_custom_job(
            parent=location_parent(), custom_job=sleeping_job(pids)
        )
        wait_until(pids.exists, timeout=20)
        trainer, child = map(int, pids.read_text().split())
        job_dir = data_dir / "jobs" / job.name.rsplit("/", 1)[1]
        assert (job_dir / "processes" / f"{trainer}.json").exists()
    finally:
        first.kill()
        first.stop()
    assert alive(trainer), "the job's process outlives a SIGKILL of the emulator"
    assert alive(child)

    with EmulatorProcess(data_dir) as second:
        assert not alive(trainer)
        assert not alive(child)
        assert not (job_dir / "processes").exists()
        done = gapic_clients(second.endpoint).job.get_custom_job(name=job.name)
    assert done.state == aiplatform_v1.JobState.JOB_STATE_FAILED
    assert "emulator restarted" in done.error.message


def test_a_stopped_emulator_leaves_no_record_behind(tmp_path: Path, pids: Path) -> None:
    data_dir = tmp_path / "data"
    with EmulatorProcess(data_dir) as process:
        job = gapic_clients(process.endpoint).job.create_custom_job(
            parent=location_parent(), custom_job=sleeping_job(pids)
        )
        wait_until(pids.exists, timeout=20)
        trainer, child = map(int, pids.read_text().split())
    assert not alive(trainer)
    assert not alive(child)
    assert not (data_dir / "jobs" / job.name.rsplit("/", 1)[1] / "processes").exists()
