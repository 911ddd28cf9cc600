"""Batch prediction jobs through the real JobServiceClient (REST)."""

from __future__ import annotations

import pytest
from google.api_core import exceptions

from tests.vertex_emulator import bodies
from tests.vertex_emulator.bodies import JobState
from vertex_emulator import ControlClient
from vertex_emulator.testing import GapicClients


def test_predicts_with_a_model_version(clients: GapicClients, parent: str) -> None:
    uploaded = bodies.upload_model(clients, parent, "scorer")
    created = clients.job.create_batch_prediction_job(
        parent=parent, batch_prediction_job=bodies.batch_prediction_job(f"{uploaded.model}@1")
    )
    assert created.state == JobState.JOB_STATE_PENDING
    assert created.model_version_id == "1"
    done = clients.job.get_batch_prediction_job(name=created.name)
    assert done.state == JobState.JOB_STATE_SUCCEEDED
    assert done.output_info.gcs_output_directory.startswith("gs://bucket/out/prediction-scorer-")
    assert done.completion_stats.successful_count == 0


def test_model_must_exist(clients: GapicClients, parent: str) -> None:
    with pytest.raises(exceptions.NotFound):
        clients.job.create_batch_prediction_job(
            parent=parent, batch_prediction_job=bodies.batch_prediction_job(f"{parent}/models/1")
        )


def test_formats_and_sources_must_match(clients: GapicClients, parent: str) -> None:
    uploaded = bodies.upload_model(clients, parent)
    job = bodies.batch_prediction_job(uploaded.model)
    job["input_config"] = {"instances_format": "bigquery", "gcs_source": {"uris": ["gs://bucket/in.jsonl"]}}
    job["output_config"]["predictions_format"] = "parquet"
    job["dedicated_resources"]["starting_replica_count"] = 5
    with pytest.raises(exceptions.BadRequest) as caught:
        clients.job.create_batch_prediction_job(parent=parent, batch_prediction_job=job)
    message = caught.value.message
    assert "bigquery_source" in message
    assert "Unsupported format 'parquet'" in message
    assert "starting_replica_count" in message


def test_cancel_while_running(clients: GapicClients, parent: str, control: ControlClient) -> None:
    control.set_job_timing("batchPredictionJobs", mode="delay", seconds=30)
    uploaded = bodies.upload_model(clients, parent)
    created = clients.job.create_batch_prediction_job(
        parent=parent, batch_prediction_job=bodies.batch_prediction_job(uploaded.model)
    )
    assert clients.job.get_batch_prediction_job(name=created.name).state == JobState.JOB_STATE_RUNNING
    clients.job.cancel_batch_prediction_job(name=created.name)
    assert clients.job.get_batch_prediction_job(name=created.name).state == JobState.JOB_STATE_CANCELLED
