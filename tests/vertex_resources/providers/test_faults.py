"""Faults lose nothing and duplicate nothing: a killed provider server, and an API answering 503 and 429."""

from __future__ import annotations

import threading
import time

import grpc
import pytest

from vertex_emulator import ControlClient, Emulator
from vertex_emulator.testing import gapic_clients

from .conftest import LOCATION, PROJECT
from .harness import ProviderServer
from .specs import INPUTS

PARENT = f"projects/{PROJECT}/locations/{LOCATION}"


def _config(emulator: Emulator) -> dict[str, str]:
    return {
        "vertex:project": PROJECT,
        "vertex:location": LOCATION,
        "vertex:endpoint": emulator.endpoint,
        "vertex:retryInitialDelay": "0.02",
        "vertex:pollInitialInterval": "0.05",
    }


def test_interrupted_create_adopts_the_running_job(control: ControlClient, emulator: Emulator) -> None:
    control.set_job_timing("trainingPipelines", mode="hold")
    provider_type, inputs = INPUTS["TrainingPipeline"]
    first = ProviderServer(_config(emulator))
    resource = first.resource(provider_type(), "interrupted")
    checked = resource.check(inputs).inputs
    failure: list[BaseException] = []

    def create() -> None:
        try:
            resource.create(checked)
        except grpc.RpcError as error:
            failure.append(error)

    waiter = threading.Thread(target=create)
    waiter.start()
    clients = gapic_clients(emulator.endpoint)
    deadline = time.monotonic() + 20
    while not list(clients.pipeline.list_training_pipelines(parent=PARENT)) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # the create is now waiting for the held pipeline
    first.kill()  # `pulumi up` interrupted: the engine and the provider die
    waiter.join(10)
    assert failure, "the create was cut off"

    second = ProviderServer(_config(emulator))
    try:
        again = second.resource(provider_type(), "interrupted")
        for name in control.held_jobs():
            control.release(name)
        id_, outs = again.create(again.check(inputs).inputs)
    finally:
        second.kill()
    pipelines = list(clients.pipeline.list_training_pipelines(parent=PARENT))
    assert [p.name for p in pipelines] == [id_], "adopted, not duplicated"
    assert outs["state"] == "PIPELINE_STATE_SUCCEEDED"
    assert control.counters().get("CreateTrainingPipeline") == 1


@pytest.mark.parametrize("status", ["UNAVAILABLE", "RESOURCE_EXHAUSTED"])
def test_every_lifecycle_survives_a_third_of_calls_failing(
    status: str, control: ControlClient, emulator: Emulator
) -> None:
    server = ProviderServer(_config(emulator))
    try:
        control.inject_faults("", fraction=1 / 3, status=status, seed=7)
        created: dict[str, str] = {}
        for kind in ("Dataset", "Model", "CustomJob", "TrainingPipeline"):
            provider_type, inputs = INPUTS[kind]
            resource = server.resource(provider_type(), f"flaky-{kind.lower()}")
            id_, outs = resource.create(resource.check(inputs).inputs)
            assert resource.diff(id_, outs, inputs).changes is False
            assert resource.read(id_, outs)[0] == id_
            created[kind] = id_
            resource.delete(id_, outs)
        faults = control.fault_counters()
        control.clear_faults()
    finally:
        server.kill()
    assert sum(faults.values()) > 5, f"faults were injected: {faults}"
    counters = control.counters()
    for rpc in ("CreateDataset", "UploadModel", "CreateCustomJob", "CreateTrainingPipeline"):
        assert counters.get(rpc, 0) - faults.get(rpc, 0) <= 1, f"{rpc} took effect at most once"
    clients = gapic_clients(emulator.endpoint)
    assert list(clients.dataset.list_datasets(parent=PARENT)) == []
    assert list(clients.pipeline.list_training_pipelines(parent=PARENT)) == []
    remaining_jobs = [job.name for job in clients.job.list_custom_jobs(parent=PARENT)]
    assert created["CustomJob"] not in remaining_jobs  # (a pipeline's backing job is its artifact: it stays)
