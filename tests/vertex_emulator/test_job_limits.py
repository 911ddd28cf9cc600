"""Bounded execution: a job may start only so many replica processes, and its processes get the environment
Vertex gives a job, not the emulator's own (real GAPIC clients; the environment test really runs a job)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.api_core import exceptions

from tests.vertex_emulator import bodies
from tests.vertex_emulator.bodies import TRAINING_IMAGE
from vertex_emulator import Emulator
from vertex_emulator._limits import DEFAULT_MAX_REPLICAS_PER_JOB
from vertex_emulator.testing import GapicClients, gapic_clients, location_parent, wait_until


def pools(*replicas: int) -> list[dict[str, Any]]:
    return [{**bodies.job_spec()["worker_pool_specs"][0], "replica_count": count} for count in replicas]


def test_a_job_over_the_replica_cap_is_a_quota_error_at_create(clients: GapicClients, parent: str) -> None:
    job = bodies.custom_job()
    job["job_spec"]["worker_pool_specs"] = pools(1, 40)
    with pytest.raises(exceptions.BadRequest, match="exceed quota limits") as caught:
        clients.job.create_custom_job(parent=parent, custom_job=job)
    assert f"starts 41 replica processes at once, the limit is {DEFAULT_MAX_REPLICAS_PER_JOB}" in str(caught.value)
    assert list(clients.job.list_custom_jobs(parent=parent)) == []
    job["job_spec"]["worker_pool_specs"] = pools(1, DEFAULT_MAX_REPLICAS_PER_JOB - 1)
    assert clients.job.create_custom_job(parent=parent, custom_job=job).name


def test_parallel_trials_count_towards_the_cap(clients: GapicClients, parent: str) -> None:
    tuning = bodies.tuning_job(max_trial_count=10, parallel_trial_count=5)
    tuning["trial_job_spec"]["worker_pool_specs"] = pools(1, 1)
    with pytest.raises(exceptions.BadRequest, match="10 replica processes"):
        clients.job.create_hyperparameter_tuning_job(parent=parent, hyperparameter_tuning_job=tuning)
    tuning["parallel_trial_count"] = 4
    assert clients.job.create_hyperparameter_tuning_job(parent=parent, hyperparameter_tuning_job=tuning).name


@pytest.fixture
def capped() -> Iterator[Emulator]:
    with Emulator(runner="scheduled", max_replicas_per_job=2) as emulator:
        yield emulator


def test_the_cap_is_configurable(capped: Emulator) -> None:
    clients = gapic_clients(capped.endpoint)
    job = bodies.custom_job()
    job["job_spec"]["worker_pool_specs"] = pools(1, 2)
    with pytest.raises(exceptions.BadRequest, match="the limit is 2"):
        clients.job.create_custom_job(parent=location_parent(), custom_job=job)
    with pytest.raises(ValueError, match="at least 1"):
        Emulator(max_replicas_per_job=0)


DUMP_ENV = """
import json, os, sklearn
print(json.dumps(dict(os.environ)))
"""


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Emulator]:
    with Emulator(tmp_path / "data") as emulator:
        yield emulator


def test_job_processes_get_a_job_environment_not_the_emulators(
    running: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The emulator's own environment (this process's) carries secrets a job must not see.
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cret")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/home/me/key.json")
    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    clients = gapic_clients(running.endpoint)
    pool = {
        "machine_spec": {"machine_type": "n1-standard-4"},
        "replica_count": 1,
        "container_spec": {
            "image_uri": TRAINING_IMAGE,
            "command": ["python", "-c", DUMP_ENV],
            "env": [{"name": "MINE", "value": "set in the spec"}],
        },
    }
    job = clients.job.create_custom_job(
        parent=location_parent(), custom_job={"display_name": "env", "job_spec": {"worker_pool_specs": [pool]}}
    )
    done = wait_until(
        lambda: (found := clients.job.get_custom_job(name=job.name)).end_time and found, timeout=60, interval=0.05
    )
    assert done.state.name == "JOB_STATE_SUCCEEDED", done.error.message
    log = Path(done.web_access_uris["workerpool0-0"].removeprefix("file://"))
    env = json.loads(log.read_text().splitlines()[-1])
    for leaked in ("AWS_SECRET_ACCESS_KEY", "GOOGLE_APPLICATION_CREDENTIALS", "PYTHONPATH", "HTTPS_PROXY"):
        assert leaked not in env
    assert env["MINE"] == "set in the spec"
    assert env["CLOUD_ML_JOB_ID"] == job.name.rsplit("/", 1)[1]
    assert env["STORAGE_EMULATOR_HOST"] == running.storage_host
    assert env["PATH"].split(":")[0] == str(Path(sys.executable).parent)
    home = Path(env["HOME"])
    assert home.is_dir()
    assert home.is_relative_to(running.data_dir / "jobs" / job.name.rsplit("/", 1)[1])
    assert env["LANG"]
