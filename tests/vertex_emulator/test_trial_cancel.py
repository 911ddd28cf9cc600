"""Cancelling a tuning trial's CustomJob through the GAPIC client stops that trial's processes (local runner).

The trial ends INFEASIBLE (done without a final measurement), its CustomJob CANCELLED, and the tuning job goes on
with its other trials.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.cloud import aiplatform_v1

from tests.vertex_emulator.bodies import TRAINING_IMAGE
from vertex_emulator import Emulator
from vertex_emulator.testing import GapicClients, gapic_clients, location_parent, wait_until

_TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GapicClients]:
    with Emulator(tmp_path_factory.mktemp("trial-cancel")) as emulator:
        yield gapic_clients(emulator.endpoint)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def tuning_job(pids: Path) -> dict[str, Any]:
    """Two trials at once: x=1 records its pids and sleeps, x=2 reports its score at once."""
    code = textwrap.dedent(f"""
        import os, subprocess, sys, time, hypertune
        x = int(sys.argv[-1].split("=")[1])
        if x == 1:
            child = subprocess.Popen(["sleep", "600"])
            with open({str(pids)!r} + ".tmp", "w") as out:
                out.write(f"{{os.getpid()}} {{child.pid}}")
            os.replace({str(pids)!r} + ".tmp", {str(pids)!r})
            time.sleep(600)
        hypertune.HyperTune().report_hyperparameter_tuning_metric(
            hyperparameter_metric_tag="score", metric_value=float(x), global_step=1)
    """)
    container = {"image_uri": TRAINING_IMAGE, "command": ["python", "-c", code]}
    return {
        "display_name": "stoppable",
        "study_spec": {
            "metrics": [{"metric_id": "score", "goal": "MAXIMIZE"}],
            "parameters": [{"parameter_id": "x", "integer_value_spec": {"min_value": 1, "max_value": 2}}],
            "algorithm": "GRID_SEARCH",
        },
        "max_trial_count": 2,
        "parallel_trial_count": 2,
        "trial_job_spec": {
            "worker_pool_specs": [
                {"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1, "container_spec": container}
            ]
        },
    }


def test_cancelling_a_trials_custom_job_stops_the_trial_and_the_tuning_job_goes_on(
    clients: GapicClients, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    job = clients.job.create_hyperparameter_tuning_job(
        parent=location_parent(), hyperparameter_tuning_job=tuning_job(pids)
    )
    wait_until(pids.exists, timeout=20)
    trainer, child = map(int, pids.read_text().split())
    sleeper = wait_until(
        lambda: next((t for t in clients.job.get_hyperparameter_tuning_job(name=job.name).trials if t.id == "1"), None)
    )
    assert sleeper.custom_job

    clients.job.cancel_custom_job(name=sleeper.custom_job)

    def finished() -> Any:
        resource = clients.job.get_hyperparameter_tuning_job(name=job.name)
        return resource if resource.state.name.rsplit("_", 1)[-1] in _TERMINAL else None

    done = wait_until(finished, timeout=30, interval=0.05)
    assert not alive(trainer)
    assert not alive(child)
    assert done.state == aiplatform_v1.JobState.JOB_STATE_SUCCEEDED, done.error.message
    trials = {trial.id: trial for trial in done.trials}
    assert trials["1"].state == aiplatform_v1.Trial.State.INFEASIBLE
    assert "cancelled" in trials["1"].infeasible_reason
    assert trials["2"].state == aiplatform_v1.Trial.State.SUCCEEDED
    stopped_job = clients.job.get_custom_job(name=sleeper.custom_job)
    assert stopped_job.state == aiplatform_v1.JobState.JOB_STATE_CANCELLED
    assert stopped_job.error.code == 1
    assert "workerpool0-0" in stopped_job.web_access_uris
