"""The runner seam: a JobRunner plugged in with `runner_factory` drives jobs through `JobEvents`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from google.api_core import exceptions

from tests.vertex_emulator import bodies
from tests.vertex_emulator.bodies import JobState, PipelineState
from vertex_emulator import Emulator, JobKind, JobTicket, RunnerContext
from vertex_emulator.testing import GapicClients, gapic_clients, location_parent


class RecordingRunner:
    """Remembers what the server asked; the test plays the execution side through the events."""

    def __init__(self, context: RunnerContext) -> None:
        self.context = context
        self.started: list[JobTicket] = []
        self.cancelled: list[str] = []
        self.closed = False

    def start(self, ticket: JobTicket) -> None:
        self.started.append(ticket)

    def cancel(self, name: str) -> None:
        self.cancelled.append(name)
        self.context.events.cancelled(name)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def plugged(tmp_path: Path) -> Iterator[tuple[Emulator, RecordingRunner, GapicClients]]:
    runners: list[RecordingRunner] = []

    def factory(context: RunnerContext) -> RecordingRunner:
        runners.append(RecordingRunner(context))
        return runners[0]

    with Emulator(tmp_path / "data", runner_factory=factory) as emulator:
        yield emulator, runners[0], gapic_clients(emulator.endpoint)
    assert runners[0].closed


def test_a_plugged_runner_drives_a_pipeline_to_its_model(
    plugged: tuple[Emulator, RecordingRunner, GapicClients],
) -> None:
    emulator, runner, clients = plugged
    assert emulator.control.health()["runner"] == "RecordingRunner"
    created = clients.pipeline.create_training_pipeline(
        parent=location_parent(), training_pipeline=bodies.custom_pipeline()
    )
    (ticket,) = runner.started
    assert (ticket.kind, ticket.name) == (JobKind.TRAINING_PIPELINE, created.name)
    assert ticket.resource["trainingTaskInputs"]["workerPoolSpecs"][0]["replicaCount"] == "1"
    assert clients.pipeline.get_training_pipeline(name=created.name).state == PipelineState.PIPELINE_STATE_PENDING

    events = runner.context.events
    running = events.running(created.name)
    backing_name = running["trainingTaskMetadata"]["backingCustomJob"]
    events.update(backing_name, {"webAccessUris": {"workerpool0-0": "http://127.0.0.1:1"}})
    events.succeeded(created.name, model_artifact_uri="gs://bucket/written-by-training/")
    events.failed(created.name, "too late: the job already succeeded")

    done = clients.pipeline.get_training_pipeline(name=created.name)
    assert done.state == PipelineState.PIPELINE_STATE_SUCCEEDED
    model = clients.model.get_model(name=done.model_to_upload.name)
    assert model.artifact_uri == "gs://bucket/written-by-training/"
    backing = clients.job.get_custom_job(name=backing_name)
    assert backing.state == JobState.JOB_STATE_SUCCEEDED
    assert backing.web_access_uris["workerpool0-0"] == "http://127.0.0.1:1"


def test_cancel_reaches_the_runner(plugged: tuple[Emulator, RecordingRunner, GapicClients]) -> None:
    _, runner, clients = plugged
    job = clients.job.create_custom_job(parent=location_parent(), custom_job=bodies.custom_job())
    runner.context.events.running(job.name)
    clients.job.cancel_custom_job(name=job.name)
    assert runner.cancelled == [job.name]
    assert clients.job.get_custom_job(name=job.name).state == JobState.JOB_STATE_CANCELLED


def test_events_refuse_what_a_runner_may_not_write(plugged: tuple[Emulator, RecordingRunner, GapicClients]) -> None:
    _, runner, clients = plugged
    job = clients.job.create_custom_job(parent=location_parent(), custom_job=bodies.custom_job())
    with pytest.raises(ValueError, match="state"):
        runner.context.events.update(job.name, {"state": "JOB_STATE_SUCCEEDED"})
    with pytest.raises(ValueError, match="CustomJob"):
        runner.context.events.update(job.name, {"notAField": 1})
    assert clients.job.get_custom_job(name=job.name).state == JobState.JOB_STATE_PENDING
    assert runner.context.events.get("projects/1/locations/x/customJobs/1") is None


def test_failure_reported_by_the_runner_reaches_the_client(
    plugged: tuple[Emulator, RecordingRunner, GapicClients],
) -> None:
    _, runner, clients = plugged
    job = clients.job.create_custom_job(parent=location_parent(), custom_job=bodies.custom_job())
    runner.context.events.running(job.name)
    runner.context.events.failed(job.name, "The replica workerpool0-0 exited with a non-zero status of 1.", code=3)
    failed = clients.job.get_custom_job(name=job.name)
    assert (failed.state, failed.error.code) == (JobState.JOB_STATE_FAILED, 3)
    with pytest.raises(exceptions.BadRequest, match="cannot be canceled"):
        clients.job.cancel_custom_job(name=job.name)
