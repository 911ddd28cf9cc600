"""Fault injection and per-RPC counters, seen through the GAPIC clients."""

from __future__ import annotations

import time

import pytest
from google.api_core import exceptions

from tests.vertex_emulator import bodies
from vertex_emulator import ControlClient, ControlError
from vertex_emulator.testing import GapicClients


def test_next_n_calls_of_one_rpc_fail(clients: GapicClients, parent: str, control: ControlClient) -> None:
    job = clients.job.create_custom_job(parent=parent, custom_job=bodies.custom_job())
    control.inject_faults("GetCustomJob", count=2, status="UNAVAILABLE")
    control.reset_counters()
    for _ in range(2):
        with pytest.raises(exceptions.ServiceUnavailable):
            clients.job.get_custom_job(name=job.name, retry=None)
    assert clients.job.get_custom_job(name=job.name).name == job.name
    assert list(clients.job.list_custom_jobs(parent=parent))  # other RPCs were never affected
    assert control.counters() == {"GetCustomJob": 3, "ListCustomJobs": 1}
    assert control.fault_counters() == {"GetCustomJob": 2}
    assert control.fault_rules() == []


def test_resource_exhausted_is_429(clients: GapicClients, parent: str, control: ControlClient) -> None:
    control.inject_faults("ListDatasets", count=1, status="RESOURCE_EXHAUSTED")
    with pytest.raises(exceptions.TooManyRequests):
        list(clients.dataset.list_datasets(parent=parent, retry=None))


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        ("PERMISSION_DENIED", exceptions.Forbidden),
        ("NOT_FOUND", exceptions.NotFound),
        ("INVALID_ARGUMENT", exceptions.BadRequest),
        ("FAILED_PRECONDITION", exceptions.BadRequest),
    ],
)
def test_a_refusal_answers_its_status_and_the_given_message(
    status: str, error_type: type[exceptions.GoogleAPICallError], clients: GapicClients, parent: str,
    control: ControlClient,
) -> None:
    message = f"Permission 'aiplatform.models.list' denied ({status})."
    control.inject_faults("ListModels", count=1, status=status, message=message)
    with pytest.raises(error_type) as caught:
        list(clients.model.list_models(parent=parent, retry=None))
    assert caught.value.response.json()["error"] == {"code": error_type.code, "message": message, "status": status}


def test_a_fraction_of_all_calls_fail_reproducibly(clients: GapicClients, parent: str, control: ControlClient) -> None:
    def failures() -> int:
        count = 0
        for _ in range(60):
            try:
                list(clients.dataset.list_datasets(parent=parent, retry=None))
            except exceptions.ServiceUnavailable:
                count += 1
        return count

    control.inject_faults(fraction=1 / 3, seed=7)
    first = failures()
    control.clear_faults()
    control.inject_faults(fraction=1 / 3, seed=7)
    assert 8 <= first <= 35
    assert failures() == first


def test_failed_calls_have_no_effect_unless_after(clients: GapicClients, parent: str, control: ControlClient) -> None:
    control.inject_faults("CreateCustomJob", count=1)
    with pytest.raises(exceptions.ServiceUnavailable):
        clients.job.create_custom_job(parent=parent, custom_job=bodies.custom_job(), retry=None)
    assert list(clients.job.list_custom_jobs(parent=parent)) == []

    control.inject_faults("CreateCustomJob", count=1, after=True)
    with pytest.raises(exceptions.ServiceUnavailable):
        clients.job.create_custom_job(parent=parent, custom_job=bodies.custom_job(), retry=None)
    assert len(list(clients.job.list_custom_jobs(parent=parent))) == 1  # the lost-response case


def test_latency_is_added(clients: GapicClients, parent: str, control: ControlClient) -> None:
    control.inject_faults("ListModels", count=1, status=None, latency_seconds=0.3)
    started = time.monotonic()
    list(clients.model.list_models(parent=parent))
    assert time.monotonic() - started >= 0.3


def test_invalid_rules_are_refused(control: ControlClient) -> None:
    with pytest.raises(ControlError, match="exactly one of fraction or count"):
        control.inject_faults("GetModel")
    with pytest.raises(ControlError, match="UNAVAILABLE"):
        control.inject_faults("GetModel", count=1, status="INTERNAL")
    with pytest.raises(ControlError, match="fraction"):
        control.inject_faults(fraction=1.5)
    with pytest.raises(ControlError, match="GetTrainingPipline"):
        control.inject_faults("GetTrainingPipline", count=1)
