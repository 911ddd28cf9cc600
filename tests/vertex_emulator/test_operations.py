"""Long-running operations: polling, both URL prefixes, wait, cancel, delete, list, and int/name enums."""

from __future__ import annotations

import pytest
from google.api_core import exceptions

from tests.vertex_emulator import bodies
from vertex_emulator import ControlClient, Emulator
from vertex_emulator.testing import GapicClients


def test_delayed_upload_is_polled_until_done(clients: GapicClients, parent: str, control: ControlClient) -> None:
    control.set_operation_timing(1.0)
    control.reset_counters()
    operation = clients.model.upload_model(
        parent=parent, model={**bodies.model_to_upload(), "artifact_uri": "gs://b/m/"}
    )
    assert not operation.done()
    assert operation.result(timeout=10).model_version_id == "1"
    assert control.counters()["GetOperation"] >= 1


def test_operations_answer_under_v1_and_ui(emulator: Emulator, clients: GapicClients, parent: str) -> None:
    name = clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset()).operation.name
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
