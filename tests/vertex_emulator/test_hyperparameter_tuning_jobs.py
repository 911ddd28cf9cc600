"""Hyperparameter tuning jobs through the real JobServiceClient (REST)."""

from __future__ import annotations

import pytest
from google.api_core import exceptions

from tests.vertex_emulator import bodies
from tests.vertex_emulator.bodies import JobState
from vertex_emulator import ControlClient
from vertex_emulator.testing import GapicClients


def test_succeeds_with_one_trial_per_max_trial_count(clients: GapicClients, parent: str) -> None:
    created = clients.job.create_hyperparameter_tuning_job(parent=parent, hyperparameter_tuning_job=bodies.tuning_job())
    assert created.state == JobState.JOB_STATE_PENDING
    assert not created.trials
    done = clients.job.get_hyperparameter_tuning_job(name=created.name)
    assert done.state == JobState.JOB_STATE_SUCCEEDED
    assert [t.id for t in done.trials] == ["1", "2", "3"]
    for trial in done.trials:
        lr = next(p.value for p in trial.parameters if p.parameter_id == "lr")
        depth = next(p.value for p in trial.parameters if p.parameter_id == "depth")
        assert 0.001 <= lr <= 0.1
        assert 2 <= depth <= 8
        assert trial.final_measurement.metrics[0].metric_id == "accuracy"
        # Output-only fields the real API fills in every trial (Trial's proto).
        job_id = created.name.rsplit("/", 1)[1]
        assert trial.name == f"{created.name.split('/hyperparameterTuningJobs/')[0]}/studies/{job_id}/trials/{trial.id}"
        assert trial.client_id == created.name
        assert list(trial.measurements) == [trial.final_measurement]
        trial_job = clients.job.get_custom_job(name=trial.custom_job)
        assert trial_job.state == JobState.JOB_STATE_SUCCEEDED
        assert trial_job.job_spec.base_output_directory.output_uri_prefix == f"gs://bucket/out/{trial.id}"


def test_study_spec_is_validated(clients: GapicClients, parent: str) -> None:
    job = bodies.tuning_job(parallel_trial_count=5)
    job["study_spec"]["parameters"][0]["double_value_spec"] = {"min_value": 1.0, "max_value": 0.5}
    job["study_spec"]["metrics"] = []
    with pytest.raises(exceptions.BadRequest) as caught:
        clients.job.create_hyperparameter_tuning_job(parent=parent, hyperparameter_tuning_job=job)
    message = caught.value.message
    assert "study_spec.metrics" in message
    assert "min_value must be less than max_value" in message
    assert "parallel_trial_count" in message


def test_held_job_can_be_cancelled(clients: GapicClients, parent: str, control: ControlClient) -> None:
    control.set_job_timing("hyperparameterTuningJobs", mode="hold")
    created = clients.job.create_hyperparameter_tuning_job(parent=parent, hyperparameter_tuning_job=bodies.tuning_job())
    assert clients.job.get_hyperparameter_tuning_job(name=created.name).state == JobState.JOB_STATE_RUNNING
    clients.job.cancel_hyperparameter_tuning_job(name=created.name)
    cancelled = clients.job.get_hyperparameter_tuning_job(name=created.name)
    assert cancelled.state == JobState.JOB_STATE_CANCELLED
    assert control.held_jobs() == []
    listed = clients.job.list_hyperparameter_tuning_jobs(
        request={"parent": parent, "filter": "state=JOB_STATE_CANCELLED"}
    )
    assert [j.name for j in listed] == [created.name]
    clients.job.delete_hyperparameter_tuning_job(name=created.name).result(timeout=10)
