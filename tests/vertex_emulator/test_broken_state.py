"""A damaged state file never starts an empty emulator silently, and a restart leaves nothing ACTIVE.

Real processes: `python -m vertex_emulator` on a data dir whose state file is empty, truncated or garbage
refuses to start with one line and exit code 3; `--reset-state` starts empty on purpose.
"""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.vertex_emulator import bodies
from tests.vertex_emulator.bodies import TRAINING_IMAGE
from vertex_emulator._cli import EXIT_BROKEN_STATE
from vertex_emulator.launch import command_line
from vertex_emulator.testing import EmulatorProcess, free_port, gapic_clients, location_parent, wait_until

SCHEDULED = ("--runner", "scheduled")


def start(data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run the emulator until it fails to start (these tests expect it to)."""
    return subprocess.run(
        command_line(free_port(), free_port(), data, *SCHEDULED, *extra), capture_output=True, text=True, timeout=60
    )


def with_resources(data: Path) -> Path:
    """A data dir with a real state file holding a few resources; the file's path."""
    with EmulatorProcess(data, *SCHEDULED) as process:
        clients = gapic_clients(process.endpoint)
        for index in range(20):
            clients.job.create_custom_job(parent=location_parent(), custom_job=bodies.custom_job(f"job-{index}"))
    return data / "state.sqlite3"


def emptied(path: Path) -> None:
    path.write_bytes(b"")


def truncated(path: Path) -> None:
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])


def garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 500)


@pytest.mark.parametrize("damage", [emptied, truncated, garbage])
def test_a_damaged_state_file_refuses_to_start_in_one_line(tmp_path: Path, damage: Callable[[Path], None]) -> None:
    state = with_resources(tmp_path / "data")
    damage(state)
    before = state.read_bytes()
    result = start(tmp_path / "data")
    assert result.returncode == EXIT_BROKEN_STATE
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(state) in lines[0]
    assert "move it aside" in lines[0]
    assert "--reset-state" in lines[0]
    assert state.read_bytes() == before  # refusing changes nothing


def test_reset_state_starts_empty_on_purpose(tmp_path: Path) -> None:
    garbage(with_resources(tmp_path / "data"))
    with EmulatorProcess(tmp_path / "data", *SCHEDULED, "--reset-state") as process:
        clients = gapic_clients(process.endpoint)
        assert list(clients.job.list_custom_jobs(parent=location_parent())) == []
    with EmulatorProcess(tmp_path / "data", *SCHEDULED) as again:  # the new state is a good one
        assert again.control.health()["status"] == "ok"


def test_a_killed_emulator_state_still_starts(tmp_path: Path) -> None:
    with EmulatorProcess(tmp_path / "data", *SCHEDULED) as process:
        clients = gapic_clients(process.endpoint)
        job = clients.job.create_custom_job(parent=location_parent(), custom_job=bodies.custom_job())
        process.kill()
    with EmulatorProcess(tmp_path / "data", *SCHEDULED) as again:
        assert gapic_clients(again.endpoint).job.get_custom_job(name=job.name).display_name == "job"


SLEEPER = textwrap.dedent("""
    import time
    time.sleep(600)
""")


def test_after_a_restart_the_trials_of_a_failed_tuning_job_are_not_active(tmp_path: Path) -> None:
    data = tmp_path / "data"
    pool = {
        "machine_spec": {"machine_type": "n1-standard-4"},
        "replica_count": 1,
        "container_spec": {"image_uri": TRAINING_IMAGE, "command": ["python", "-c", SLEEPER]},
    }
    tuning = bodies.tuning_job(max_trial_count=2, parallel_trial_count=2)
    tuning["trial_job_spec"] = {"worker_pool_specs": [pool]}
    with EmulatorProcess(data) as process:
        clients = gapic_clients(process.endpoint)
        job = clients.job.create_hyperparameter_tuning_job(parent=location_parent(), hyperparameter_tuning_job=tuning)

        def trials_active() -> bool:
            trials = clients.job.get_hyperparameter_tuning_job(name=job.name).trials
            return len(trials) == 2 and all(t.state.name == "ACTIVE" for t in trials)

        wait_until(trials_active, timeout=60, interval=0.1)
        process.kill()
    with EmulatorProcess(data) as again:
        clients = gapic_clients(again.endpoint)
        after = clients.job.get_hyperparameter_tuning_job(name=job.name)
        assert after.state.name == "JOB_STATE_FAILED"
        assert [t.state.name for t in after.trials] == ["INFEASIBLE", "INFEASIBLE"]
        assert all(t.end_time and t.infeasible_reason for t in after.trials)
        for trial in after.trials:
            assert clients.job.get_custom_job(name=trial.custom_job).state.name == "JOB_STATE_FAILED"
