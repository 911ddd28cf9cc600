"""The control plane: health, reset, timing settings, release."""

from __future__ import annotations

import pytest

from tests.vertex_emulator import bodies
from vertex_emulator import ControlClient, ControlError, Emulator
from vertex_emulator.testing import GapicClients


def test_health_names_both_endpoints(emulator: Emulator, control: ControlClient) -> None:
    health = control.health()
    assert health["status"] == "ok"
    assert health["endpoint"] == emulator.endpoint
    assert health["storage_emulator_host"] == emulator.storage_host
    assert health["data_dir"] == str(emulator.data_dir)
    assert control.counters() == {}  # the control plane itself is never counted


def test_reset_wipes_resources_storage_and_settings(
    emulator: Emulator, clients: GapicClients, parent: str, control: ControlClient
) -> None:
    control.set_job_timing("customJobs", mode="hold")
    control.set_operation_timing(5)
    held = clients.job.create_custom_job(parent=parent, custom_job=bodies.custom_job())
    emulator.storage.create_bucket("wiped")
    emulator.storage.write_text("gs://wiped/a.txt", "a")
    control.inject_faults("GetModel", count=5)

    control.reset()

    assert control.fault_rules() == []
    assert control.counters() == {}
    assert list(clients.job.list_custom_jobs(parent=parent)) == []
    assert not emulator.storage.bucket_exists("wiped")
    assert control.held_jobs() == []
    config = control.config()
    assert config["operations"] == {"seconds": None, "create_seconds": 1.0}, "back to the defaults"
    assert all(timing["mode"] == "instant" for timing in config["jobs"].values())
    assert held.name


def test_timing_is_validated(control: ControlClient) -> None:
    with pytest.raises(ControlError, match="mode"):
        control.set_job_timing("customJobs", mode="sometimes")
    with pytest.raises(ControlError) as caught:
        control.set_job_timing("notAKind")
    assert caught.value.status == 400
    with pytest.raises(ControlError, match="error_code"):
        control.set_job_timing(outcome="fail", error_code=99)


def test_release_of_a_job_that_is_not_held_is_not_found(control: ControlClient) -> None:
    with pytest.raises(ControlError) as caught:
        control.release("projects/1/locations/us-central1/customJobs/1")
    assert caught.value.status == 404


def test_timing_for_all_kinds(clients: GapicClients, parent: str, control: ControlClient) -> None:
    control.set_job_timing("*", mode="hold")
    job = clients.job.create_custom_job(parent=parent, custom_job=bodies.custom_job())
    tuning = clients.job.create_hyperparameter_tuning_job(parent=parent, hyperparameter_tuning_job=bodies.tuning_job())
    assert sorted(control.held_jobs()) == sorted([job.name, tuning.name])
    control.release(job.name)
    assert control.held_jobs() == [tuning.name]
