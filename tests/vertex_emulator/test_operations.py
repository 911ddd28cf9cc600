"""Long-running operations: polling, both URL prefixes, wait, cancel, delete, list, and int/name enums."""

from __future__ import annotations

import time

import pytest
from google.api_core import exceptions

from tests.vertex_emulator import bodies
from vertex_emulator import ControlClient, Emulator
from vertex_emulator.testing import GapicClients, gapic_clients, location_parent


@pytest.fixture
def emulator(default_timing_emulator: Emulator) -> Emulator:
    return default_timing_emulator  # the default timing of operations is part of what this module checks


def test_delayed_upload_is_polled_until_done(clients: GapicClients, parent: str, control: ControlClient) -> None:
    control.set_operation_timing(1.0)
    control.reset_counters()
    operation = clients.model.upload_model(
        parent=parent, model={**bodies.model_to_upload(), "artifact_uri": "gs://b/m/"}
    )
    assert not operation.done()
    assert operation.result(timeout=10).model_version_id == "1"
    assert control.counters()["GetOperation"] >= 1


def test_creates_are_pending_for_a_while_and_deletes_done_at_once_by_default(
    emulator: Emulator, clients: GapicClients, parent: str, control: ControlClient
) -> None:
    """As recorded on the real API: a dataset create's first answer has no `done`; its delete's has."""
    assert control.config()["operations"] == {"seconds": None, "create_seconds": 1.0}
    started = time.monotonic()
    dataset_op = clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset())
    upload_op = clients.model.upload_model(parent=parent, model=bodies.model_to_upload())
    assert not dataset_op.done()
    assert not upload_op.done()
    dataset = dataset_op.result(timeout=10)
    assert upload_op.result(timeout=10).model_version_id == "1"
    assert time.monotonic() - started >= 1.0
    status, deleted = bodies.raw(emulator.endpoint, "DELETE", f"/v1/{dataset.name}")
    assert (status, deleted["done"]) == (200, True)

    control.set_operation_timing(0)  # instant, for tests that ask
    assert clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset()).done()
    control.set_operation_timing(None)  # the defaults again
    assert not clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset()).done()


def test_the_create_delay_is_set_when_the_emulator_starts() -> None:
    with Emulator(runner="scheduled", create_operation_seconds=0) as instant:
        operation = gapic_clients(instant.endpoint).dataset.create_dataset(
            parent=location_parent(), dataset=bodies.dataset()
        )
        assert operation.done()
        instant.control.reset()
        assert instant.control.config()["operations"] == {"seconds": None, "create_seconds": 0.0}
    with pytest.raises(ValueError, match="create_operation_seconds"):
        Emulator(create_operation_seconds=float("nan"))


def test_operations_answer_under_v1_and_ui(emulator: Emulator, clients: GapicClients, parent: str) -> None:
    operation = clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset())
    operation.result(timeout=10)
    name = operation.operation.name
    for prefix in ("v1", "ui"):
        status, answer = bodies.raw(emulator.endpoint, "GET", f"/{prefix}/{name}")
        assert status == 200
        assert answer["done"] is True
        assert answer["metadata"]["@type"].endswith("CreateDatasetOperationMetadata")
        assert answer["response"]["@type"] == "type.googleapis.com/google.cloud.aiplatform.v1.Dataset"
    status, answer = bodies.raw(emulator.endpoint, "GET", f"/ui/{parent}/operations/123")
    assert (status, answer["error"]["status"]) == (404, "NOT_FOUND")


def test_wait_cancel_delete_and_list(
    emulator: Emulator, clients: GapicClients, parent: str, control: ControlClient
) -> None:
    control.set_operation_timing(0.2)
    dataset_op = clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset())
    name = dataset_op.operation.name
    status, waited = bodies.raw(emulator.endpoint, "POST", f"/v1/{name}:wait?timeout=5s", {})
    assert status == 200
    assert waited["done"] is True

    control.set_operation_timing(30)
    dataset = clients.dataset.get_dataset(name=name.split("/operations/")[0])
    delete_op = clients.dataset.delete_dataset(name=dataset.name)
    status, _ = bodies.raw(emulator.endpoint, "POST", f"/ui/{delete_op.operation.name}:cancel", {})
    assert status == 200
    cancelled = bodies.raw(emulator.endpoint, "GET", f"/v1/{delete_op.operation.name}")[1]
    assert cancelled["done"] is True
    assert cancelled["error"]["code"] == 1
    assert clients.dataset.get_dataset(name=dataset.name)  # a cancelled delete deleted nothing

    status, listed = bodies.raw(emulator.endpoint, "GET", f"/v1/{dataset.name}/operations")
    assert status == 200
    assert [op["name"] for op in listed["operations"]] == [name]
    assert bodies.raw(emulator.endpoint, "DELETE", f"/v1/{name}")[0] == 200
    assert bodies.raw(emulator.endpoint, "GET", f"/v1/{name}")[0] == 404


def test_enums_are_integers_only_when_asked(emulator: Emulator, clients: GapicClients, parent: str) -> None:
    created = clients.job.create_custom_job(parent=parent, custom_job=bodies.custom_job())
    by_name = bodies.raw(emulator.endpoint, "GET", f"/v1/{created.name}")[1]
    as_int = bodies.raw(emulator.endpoint, "GET", f"/v1/{created.name}?%24alt=json%3Benum-encoding%3Dint")[1]
    assert by_name["state"] == "JOB_STATE_SUCCEEDED"
    assert as_int["state"] == 4
    assert by_name["jobSpec"]["workerPoolSpecs"][0]["replicaCount"] == "1"


def test_unknown_routes_are_not_found(emulator: Emulator, parent: str) -> None:
    status, answer = bodies.raw(emulator.endpoint, "GET", f"/v1/{parent}/endpoints")
    assert (status, answer["error"]["status"]) == (404, "NOT_FOUND")
    assert "does not serve GET" in answer["error"]["message"]


def test_operations_of_deleted_jobs_are_named_by_location(clients: GapicClients, parent: str) -> None:
    job = clients.job.create_custom_job(parent=parent, custom_job=bodies.custom_job())
    operation = clients.job.delete_custom_job(name=job.name)
    project, location = job.name.split("/")[1], job.name.split("/")[3]
    assert operation.operation.name.startswith(f"projects/{project}/locations/{location}/operations/")
    operation.result(timeout=10)
    with pytest.raises(exceptions.NotFound):
        clients.job.get_custom_job(name=job.name)
