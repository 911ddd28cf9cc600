"""PipelineJob API on the scheduled runner: create (with and without an id), get, list, cancel, delete, and the
checks of a create body (the compiled pipeline, the pipeline root, parameter values by name and type)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.api_core import exceptions
from google.cloud import aiplatform_v1

from examples.pipelines.seed_pipeline import compile_to
from tests.vertex_emulator.bodies import raw
from vertex_emulator import ControlClient, Emulator
from vertex_emulator.testing import GapicClients, wait_until

ROOT = "gs://pipelines/root"
PARAMETERS = {
    "training_data": "gs://pipelines/data/train.csv",
    "model_dir": "gs://pipelines/model",
    "instances": "gs://pipelines/data/instances.jsonl",
    "predictions_prefix": "gs://pipelines/predictions",
}


@functools.cache
def _compiled(directory: str) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(compile_to(Path(directory) / "seed.yaml").read_text())
    return spec


@pytest.fixture(scope="module")
def seed_spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _compiled(str(tmp_path_factory.mktemp("seed")))


def pipeline_job(spec: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "display_name": "seed",
        "pipeline_spec": spec,
        "runtime_config": {"gcs_output_directory": ROOT, "parameter_values": dict(PARAMETERS)},
        **extra,
    }


def test_create_get_list_delete(clients: GapicClients, parent: str, seed_spec: dict[str, Any]) -> None:
    created = clients.pipeline.create_pipeline_job(
        parent=parent, pipeline_job=pipeline_job(seed_spec, labels={"team": "ml"}), pipeline_job_id="seed-1"
    )
    assert created.name.endswith("/pipelineJobs/seed-1")
    assert created.state == aiplatform_v1.PipelineState.PIPELINE_STATE_PENDING
    assert created.pipeline_spec["pipelineInfo"]["name"] == "seed-train-upload-predict"
    job = wait_until(
        lambda: (j := clients.pipeline.get_pipeline_job(name=created.name)).state
        == aiplatform_v1.PipelineState.PIPELINE_STATE_SUCCEEDED
        and j
    )
    assert job.runtime_config.parameter_values["model_dir"] == PARAMETERS["model_dir"]
    unnamed = clients.pipeline.create_pipeline_job(parent=parent, pipeline_job=pipeline_job(seed_spec))
    assert unnamed.name.rsplit("/", 1)[-1].isdigit()

    def names(**kwargs: Any) -> list[str]:
        request = aiplatform_v1.ListPipelineJobsRequest(parent=parent, **kwargs)
        return [j.name for j in clients.pipeline.list_pipeline_jobs(request=request)]

    assert names() == [created.name, unnamed.name]
    assert names(filter="labels.team=ml") == [created.name]
    assert names(filter='pipeline_name="seed-train-upload-predict" AND display_name="seed"') == names()
    assert names(filter="state=PIPELINE_STATE_SUCCEEDED", page_size=1) == names()
    with pytest.raises(exceptions.BadRequest, match="Unsupported field"):
        names(filter="colour=red")

    operation = clients.pipeline.delete_pipeline_job(name=created.name)
    operation.result(timeout=10)
    with pytest.raises(exceptions.NotFound, match="PipelineJob"):
        clients.pipeline.get_pipeline_job(name=created.name)


def test_duplicate_id_is_already_exists(clients: GapicClients, parent: str, seed_spec: dict[str, Any]) -> None:
    clients.pipeline.create_pipeline_job(parent=parent, pipeline_job=pipeline_job(seed_spec), pipeline_job_id="twice")
    with pytest.raises(exceptions.Conflict, match="already exists"):
        clients.pipeline.create_pipeline_job(
            parent=parent, pipeline_job=pipeline_job(seed_spec), pipeline_job_id="twice"
        )


def test_cancel_a_running_job_and_not_a_finished_one(
    clients: GapicClients, control: ControlClient, parent: str, seed_spec: dict[str, Any]
) -> None:
    control.set_job_timing("pipelineJobs", "hold")
    job = clients.pipeline.create_pipeline_job(parent=parent, pipeline_job=pipeline_job(seed_spec))
    with pytest.raises(exceptions.BadRequest, match="cannot be deleted"):
        clients.pipeline.delete_pipeline_job(name=job.name)
    clients.pipeline.cancel_pipeline_job(name=job.name)
    cancelled = wait_until(
        lambda: (j := clients.pipeline.get_pipeline_job(name=job.name)).state
        == aiplatform_v1.PipelineState.PIPELINE_STATE_CANCELLED
        and j
    )
    assert cancelled.error.code == 1
    with pytest.raises(exceptions.BadRequest, match="PIPELINE_STATE_CANCELLED and cannot be canceled"):
        clients.pipeline.cancel_pipeline_job(name=job.name)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda b: b.pop("pipelineSpec"), "pipeline_job.pipeline_spec", "Required"),
        (lambda b: b["runtimeConfig"].pop("gcsOutputDirectory"), "pipeline_job.runtime_config.gcs_output_directory",
         "pipeline root"),
        (lambda b: b["runtimeConfig"].update(gcsOutputDirectory="/tmp/x"),
         "pipeline_job.runtime_config.gcs_output_directory", "not a Cloud Storage URI"),
        (lambda b: b["runtimeConfig"]["parameterValues"].update(max_depth="deep"),
         "pipeline_job.runtime_config.parameter_values.max_depth", "Must be an integer"),
        (lambda b: b["runtimeConfig"]["parameterValues"].update(colour="red"),
         "pipeline_job.runtime_config.parameter_values.colour", "no input parameter 'colour'"),
        (lambda b: b["runtimeConfig"]["parameterValues"].pop("model_dir"),
         "pipeline_job.runtime_config.parameter_values.model_dir", "no default value"),
        (lambda b: b["pipelineSpec"]["root"]["dag"]["tasks"]["train"].update(componentRef={"name": "comp-gone"}),
         "pipeline_job.pipeline_spec.root.dag.tasks.train.componentRef.name", "No component 'comp-gone'"),
        (lambda b: b["pipelineSpec"]["root"]["dag"]["tasks"]["train"].update(dependentTasks=["nowhere"]),
         "pipeline_job.pipeline_spec.root.dag.tasks.train.dependentTasks", "No task 'nowhere'"),
        (lambda b: b["labels"].update({"Bad Key": "x"}), "pipeline_job.labels", "Invalid label key"),
    ],
)
def test_bad_bodies_are_400_with_the_field_path(
    emulator: Emulator, seed_spec: dict[str, Any], change: Any, field: str, message: str
) -> None:
    import copy

    body = {
        "displayName": "seed",
        "pipelineSpec": copy.deepcopy(seed_spec),
        "runtimeConfig": {"gcsOutputDirectory": ROOT, "parameterValues": dict(PARAMETERS)},
        "labels": {},
    }
    change(body)
    status, answer = raw(emulator.endpoint, "POST", "/v1/projects/p/locations/us-central1/pipelineJobs", body)
    assert status == 400, answer
    assert answer["error"]["status"] == "INVALID_ARGUMENT"
    assert f"Field: {field}; Message: " in answer["error"]["message"]
    assert message in answer["error"]["message"]


def test_unknown_fields_bad_ids_and_names(emulator: Emulator, seed_spec: dict[str, Any]) -> None:
    path = "/v1/projects/p/locations/us-central1/pipelineJobs"
    status, answer = raw(emulator.endpoint, "POST", path, {"pipelineSpec": seed_spec, "colour": "red"})
    assert status == 400
    assert "colour" in answer["error"]["message"]
    status, answer = raw(emulator.endpoint, "POST", f"{path}?pipelineJobId=Bad_Id", {})
    assert status == 400
    assert "pipeline_job_id" in answer["error"]["message"]
    status, answer = raw(emulator.endpoint, "GET", f"{path}/Bad_Id")
    assert status == 400
    assert "Invalid PipelineJob resource name" in answer["error"]["message"]
    assert raw(emulator.endpoint, "GET", f"{path}/no-such-job")[0] == 404
