"""Custom jobs through the real JobServiceClient (REST)."""

from __future__ import annotations

import pytest
from google.api_core import exceptions

from tests.vertex_emulator import bodies
from tests.vertex_emulator.bodies import JobState
from vertex_emulator import ControlClient
from vertex_emulator.testing import GapicClients


def test_lifecycle_create_get_list_delete(clients: GapicClients, parent: str) -> None:
    created = clients.job.create_custom_job(parent=parent, custom_job=bodies.custom_job(labels={"owner": "me"}))
    assert created.state == JobState.JOB_STATE_PENDING
    assert created.name.split("/")[-2:][0] == "customJobs"
    assert created.name.rsplit("/", 1)[1].isdigit()
    done = clients.job.get_custom_job(name=created.name)
    assert done.state == JobState.JOB_STATE_SUCCEEDED
    assert done.end_time
    assert [j.name for j in clients.job.list_custom_jobs(parent=parent)] == [created.name]

    operation = clients.job.delete_custom_job(name=created.name)
    assert operation.operation.name.split("/")[4] == "operations"
    operation.result(timeout=10)
    with pytest.raises(exceptions.NotFound):
        clients.job.get_custom_job(name=created.name)


def test_configured_failure_sets_error(clients: GapicClients, parent: str, control: ControlClient) -> None:
    control.set_job_timing("customJobs", outcome="fail", error_code=3, error_message="replica exited with 1")
    created = clients.job.create_custom_job(parent=parent, custom_job=bodies.custom_job())
    failed = clients.job.get_custom_job(name=created.name)
    assert failed.state == JobState.JOB_STATE_FAILED
    assert (failed.error.code, failed.error.message) == (3, "replica exited with 1")


def test_cancel_of_a_finished_job_is_failed_precondition(clients: GapicClients, parent: str) -> None:
    created = clients.job.create_custom_job(parent=parent, custom_job=bodies.custom_job())
    with pytest.raises(exceptions.BadRequest, match="JOB_STATE_SUCCEEDED and cannot be canceled") as caught:
        clients.job.cancel_custom_job(name=created.name)
    assert caught.value.response.json()["error"]["status"] == "FAILED_PRECONDITION"


def test_running_job_cannot_be_deleted_until_cancelled(
    clients: GapicClients, parent: str, control: ControlClient
) -> None:
    control.set_job_timing("customJobs", mode="hold")
    created = clients.job.create_custom_job(parent=parent, custom_job=bodies.custom_job())
    with pytest.raises(exceptions.BadRequest, match="cannot be deleted"):
        clients.job.delete_custom_job(name=created.name)
    clients.job.cancel_custom_job(name=created.name)
    cancelled = clients.job.get_custom_job(name=created.name)
    assert cancelled.state == JobState.JOB_STATE_CANCELLED
    assert cancelled.error.code == 1
    clients.job.delete_custom_job(name=created.name).result(timeout=10)


def test_invalid_job_spec_is_rejected_with_every_problem(clients: GapicClients, parent: str) -> None:
    spec = bodies.job_spec("s3://elsewhere")
    spec["worker_pool_specs"][0]["machine_spec"]["accelerator_type"] = "NVIDIA_TESLA_T4"
    with pytest.raises(exceptions.BadRequest) as caught:
        clients.job.create_custom_job(parent=parent, custom_job={"display_name": "x" * 129, "job_spec": spec})
    message = caught.value.message
    assert "custom_job.display_name" in message
    assert "accelerator_count" in message
    assert "custom_job.job_spec.base_output_directory" in message
    with pytest.raises(exceptions.BadRequest, match="job_spec"):
        clients.job.create_custom_job(parent=parent, custom_job={"display_name": "x"})


def test_missing_job_is_not_found(clients: GapicClients, parent: str) -> None:
    for call in (clients.job.get_custom_job, clients.job.cancel_custom_job, clients.job.delete_custom_job):
        with pytest.raises(exceptions.NotFound):
            call(name=f"{parent}/customJobs/42")
