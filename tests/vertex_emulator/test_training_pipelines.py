"""Training pipelines through the real PipelineServiceClient (REST), with the scheduled runner."""

from __future__ import annotations

from typing import Any

import pytest
from google.api_core import exceptions

from tests.vertex_emulator import bodies
from tests.vertex_emulator.bodies import JobState, PipelineState
from vertex_emulator import ControlClient
from vertex_emulator.testing import GapicClients, wait_until


def _create(clients: GapicClients, parent: str, body: dict[str, Any]) -> Any:
    return clients.pipeline.create_training_pipeline(parent=parent, training_pipeline=body)


def test_created_pending_then_succeeds_and_uploads_its_model(clients: GapicClients, parent: str) -> None:
    created = _create(clients, parent, bodies.custom_pipeline())
    assert created.state == PipelineState.PIPELINE_STATE_PENDING
    assert created.create_time
    assert not created.start_time
    assert not created.end_time

    done = clients.pipeline.get_training_pipeline(name=created.name)
    assert done.state == PipelineState.PIPELINE_STATE_SUCCEEDED
    assert done.start_time
    assert done.end_time >= done.start_time
    assert not done.error.message
    model = clients.model.get_model(name=done.model_to_upload.name)
    assert done.model_to_upload.version_id == model.version_id == "1"
    assert model.artifact_uri == "gs://bucket/out/model/"
    assert model.training_pipeline == done.name

    backing = clients.job.get_custom_job(name=done.training_task_metadata["backingCustomJob"])
    assert backing.state == JobState.JOB_STATE_SUCCEEDED
    assert backing.job_spec.worker_pool_specs[0].container_spec.image_uri == bodies.TRAINING_IMAGE


def test_training_task_inputs_accept_snake_and_camel_case(clients: GapicClients, parent: str) -> None:
    snake = {
        "worker_pool_specs": [
            {
                "machine_spec": {"machine_type": "n1-standard-4"},
                "replica_count": 1.0,
                "container_spec": {"image_uri": bodies.TRAINING_IMAGE},
            }
        ],
        "base_output_directory": {"output_uri_prefix": "gs://bucket/snake"},
    }
    camel = {
        "workerPoolSpecs": [
            {
                "machineSpec": {"machineType": "n1-standard-4"},
                "replicaCount": "1",
                "containerSpec": {"imageUri": bodies.TRAINING_IMAGE},
            }
        ],
        "baseOutputDirectory": {"outputUriPrefix": "gs://bucket/snake"},
    }
    first = clients.pipeline.create_training_pipeline(
        parent=parent, training_pipeline=bodies.custom_pipeline(inputs=snake)
    )
    second = clients.pipeline.create_training_pipeline(
        parent=parent, training_pipeline=bodies.custom_pipeline(inputs=camel)
    )
    assert first.training_task_inputs == second.training_task_inputs
    assert first.training_task_inputs["workerPoolSpecs"][0]["replicaCount"] == "1"


def test_training_task_inputs_are_validated_against_the_task(clients: GapicClients, parent: str) -> None:
    unknown = {**bodies.job_spec(), "worker_pool_spec": []}
    with pytest.raises(exceptions.BadRequest, match="worker_pool_spec"):
        clients.pipeline.create_training_pipeline(
            parent=parent, training_pipeline=bodies.custom_pipeline(inputs=unknown)
        )

    two_kinds = bodies.job_spec()
    two_kinds["worker_pool_specs"][0]["python_package_spec"] = {"executor_image_uri": "x", "python_module": "m"}
    with pytest.raises(exceptions.BadRequest, match=r"worker_pool_specs\[0\]"):
        clients.pipeline.create_training_pipeline(
            parent=parent, training_pipeline=bodies.custom_pipeline(inputs=two_kinds)
        )

    no_machine = bodies.job_spec()
    no_machine["worker_pool_specs"][0]["machine_spec"] = {}
    no_machine["worker_pool_specs"][0]["replica_count"] = 2
    with pytest.raises(exceptions.BadRequest) as caught:
        clients.pipeline.create_training_pipeline(
            parent=parent, training_pipeline=bodies.custom_pipeline(inputs=no_machine)
        )
    assert "worker_pool_specs[0].machine_spec.machine_type" in caught.value.message
    assert "worker_pool_specs[0].replica_count" in caught.value.message

    tuning = bodies.tuning_pipeline()
    tuning["training_task_inputs"] = {**tuning["training_task_inputs"], "workerPoolSpecs": []}
    with pytest.raises(exceptions.BadRequest, match="workerPoolSpecs"):
        _create(clients, parent, tuning)


def test_missing_required_fields_are_reported_together(clients: GapicClients, parent: str) -> None:
    with pytest.raises(exceptions.BadRequest) as caught:
        _create(clients, parent, {"labels": {"Bad Key": "x"}})
    message = caught.value.message
    assert "training_pipeline.display_name" in message
    assert "training_pipeline.training_task_definition" in message
    assert "Invalid label key" in message


def test_model_upload_needs_an_artifact_location(clients: GapicClients, parent: str) -> None:
    inputs = bodies.job_spec()
    del inputs["base_output_directory"]
    with pytest.raises(exceptions.BadRequest, match="artifact_uri"):
        clients.pipeline.create_training_pipeline(
            parent=parent, training_pipeline=bodies.custom_pipeline(inputs=inputs)
        )


def test_dataset_must_exist_in_the_pipelines_region(clients: GapicClients, parent: str) -> None:
    body = bodies.custom_pipeline(input_data_config={"dataset_id": "123", "fraction_split": {"training_fraction": 0.8}})
    with pytest.raises(exceptions.NotFound, match="123"):
        _create(clients, parent, body)

    dataset = clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset()).result(timeout=10)
    dataset_id = dataset.name.rsplit("/", 1)[1]
    body["input_data_config"]["dataset_id"] = dataset_id
    created = _create(clients, parent, body)
    assert created.input_data_config.dataset_id == dataset_id
    other_region = parent.replace("us-central1", "europe-west4")
    with pytest.raises(exceptions.NotFound):
        clients.pipeline.create_training_pipeline(parent=other_region, training_pipeline=body)

    bad_split = bodies.custom_pipeline(
        input_data_config={"dataset_id": dataset_id, "fraction_split": {"training_fraction": 0.8, "test_fraction": 0.5}}
    )
    with pytest.raises(exceptions.BadRequest, match="sum to at most 1"):
        _create(clients, parent, bad_split)


def test_parent_model_and_model_id_make_versions(clients: GapicClients, parent: str) -> None:
    first = clients.pipeline.create_training_pipeline(
        parent=parent, training_pipeline=bodies.custom_pipeline(model_id="my-model")
    )
    first = clients.pipeline.get_training_pipeline(name=first.name)
    assert first.model_to_upload.name.endswith("/models/my-model")
    second = clients.pipeline.create_training_pipeline(
        parent=parent, training_pipeline=bodies.custom_pipeline(parent_model=first.model_to_upload.name)
    )
    second = clients.pipeline.get_training_pipeline(name=second.name)
    assert second.model_to_upload.name == first.model_to_upload.name
    assert second.model_to_upload.version_id == "2"

    with pytest.raises(exceptions.Conflict):
        clients.pipeline.create_training_pipeline(
            parent=parent, training_pipeline=bodies.custom_pipeline(model_id="my-model")
        )
    with pytest.raises(exceptions.BadRequest, match="model_id"):
        clients.pipeline.create_training_pipeline(
            parent=parent, training_pipeline=bodies.custom_pipeline(model_id="9lives")
        )
    with pytest.raises(exceptions.NotFound):
        clients.pipeline.create_training_pipeline(
            parent=parent, training_pipeline=bodies.custom_pipeline(parent_model=f"{parent}/models/404")
        )


def test_tuning_pipeline_uploads_the_best_trials_model(clients: GapicClients, parent: str) -> None:
    created = _create(clients, parent, bodies.tuning_pipeline())
    done = clients.pipeline.get_training_pipeline(name=created.name)
    assert done.state == PipelineState.PIPELINE_STATE_SUCCEEDED
    metadata = done.training_task_metadata
    tuning = clients.job.get_hyperparameter_tuning_job(name=metadata["backingHyperparameterTuningJob"])
    assert len(tuning.trials) == 3
    best = min(tuning.trials, key=lambda t: t.final_measurement.metrics[0].value)  # the goal is MINIMIZE
    assert metadata["bestTrialBackingCustomJob"] == best.custom_job
    model = clients.model.get_model(name=done.model_to_upload.name)
    assert model.artifact_uri == f"gs://bucket/tuning/{best.id}/model/"


def test_held_pipeline_runs_until_released(clients: GapicClients, parent: str, control: ControlClient) -> None:
    control.set_job_timing("trainingPipelines", mode="hold")
    created = _create(clients, parent, bodies.custom_pipeline())
    running = clients.pipeline.get_training_pipeline(name=created.name)
    assert running.state == PipelineState.PIPELINE_STATE_RUNNING
    assert running.start_time
    backing = clients.job.get_custom_job(name=running.training_task_metadata["backingCustomJob"])
    assert backing.state == JobState.JOB_STATE_RUNNING
    assert control.held_jobs() == [created.name]

    with pytest.raises(exceptions.BadRequest, match="cannot be deleted"):
        clients.pipeline.delete_training_pipeline(name=created.name)

    control.release(created.name, outcome="fail")
    failed = clients.pipeline.get_training_pipeline(name=created.name)
    assert failed.state == PipelineState.PIPELINE_STATE_FAILED
    assert failed.error.code == 13
    assert failed.error.message
    assert not failed.model_to_upload.name
    assert clients.job.get_custom_job(name=backing.name).state == JobState.JOB_STATE_FAILED


def test_cancel_moves_through_cancelling_to_cancelled(
    clients: GapicClients, parent: str, control: ControlClient
) -> None:
    control.set_job_timing("trainingPipelines", mode="hold", cancel_seconds=1.0)
    created = _create(clients, parent, bodies.custom_pipeline())
    clients.pipeline.cancel_training_pipeline(name=created.name)
    assert clients.pipeline.get_training_pipeline(name=created.name).state == PipelineState.PIPELINE_STATE_CANCELLING

    def cancelled() -> object:
        pipeline = clients.pipeline.get_training_pipeline(name=created.name)
        return pipeline if pipeline.state == PipelineState.PIPELINE_STATE_CANCELLED else None

    pipeline = wait_until(cancelled, timeout=5)
    assert pipeline.error.code == 1
    assert pipeline.end_time

    with pytest.raises(exceptions.BadRequest, match="PIPELINE_STATE_CANCELLED and cannot be canceled"):
        clients.pipeline.cancel_training_pipeline(name=created.name)
    clients.pipeline.delete_training_pipeline(name=created.name).result(timeout=10)
    with pytest.raises(exceptions.NotFound):
        clients.pipeline.get_training_pipeline(name=created.name)


def test_delayed_pipeline_finishes_on_schedule(clients: GapicClients, parent: str, control: ControlClient) -> None:
    control.set_job_timing("trainingPipelines", mode="delay", seconds=1.0)
    created = _create(clients, parent, bodies.custom_pipeline())
    assert clients.pipeline.get_training_pipeline(name=created.name).state == PipelineState.PIPELINE_STATE_RUNNING
    wait_until(
        lambda: (
            clients.pipeline.get_training_pipeline(name=created.name).state == PipelineState.PIPELINE_STATE_SUCCEEDED
        ),
        timeout=5,
    )


def test_list_filters_by_state_and_labels(clients: GapicClients, parent: str, control: ControlClient) -> None:
    clients.pipeline.create_training_pipeline(
        parent=parent, training_pipeline=bodies.custom_pipeline("a", labels={"k": "1"})
    )
    control.set_job_timing("trainingPipelines", mode="hold")
    clients.pipeline.create_training_pipeline(
        parent=parent, training_pipeline=bodies.custom_pipeline("b", labels={"k": "1"})
    )
    running = clients.pipeline.list_training_pipelines(
        request={"parent": parent, "filter": "state=PIPELINE_STATE_RUNNING AND labels.k=1"}
    )
    assert [p.display_name for p in running] == ["b"]
    assert len(list(clients.pipeline.list_training_pipelines(request={"parent": parent, "filter": "labels.k:*"}))) == 2
