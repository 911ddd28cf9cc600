"""PipelineJob through Pulumi's provider server against the emulator (scheduled runner): check reads the compiled
pipeline file, create waits and reports the tasks, diff replaces on what defines the run, refresh reads state,
delete cancels, waits and deletes; a create whose answer was lost finds its own run."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from google.api_core import exceptions as gexc

from examples.pipelines.seed_pipeline import compile_to
from tests.vertex_emulator.kfp_pipelines import SEED_PARAMETERS
from vertex_emulator import ControlClient, Emulator
from vertex_emulator.testing import gapic_clients
from vertex_resources.providers import PipelineJobProvider
from vertex_resources.providers.pipeline_job import pipeline_job_id

from .harness import UNKNOWN, ProviderServer

PARAMETERS = SEED_PARAMETERS


@functools.cache
def _compiled(directory: str) -> Path:
    return compile_to(Path(directory) / "seed.yaml")


@pytest.fixture(scope="module")
def seed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _compiled(str(tmp_path_factory.mktemp("seed")))


def _inputs(seed_file: Path, **extra: Any) -> dict[str, Any]:
    return {
        "display_name": "seed",
        "pipeline_spec": str(seed_file),
        "runtime_config": {"gcs_output_directory": "gs://pipelines/root", "parameter_values": dict(PARAMETERS)},
        "labels": {"team": "ml"},
        **extra,
    }


def _with_parameters(inputs: dict[str, Any], **values: Any) -> dict[str, Any]:
    config = inputs["runtime_config"]
    return {**inputs, "runtime_config": {**config, "parameter_values": {**config["parameter_values"], **values}}}


def _runs(emulator: Emulator) -> list[str]:
    clients = gapic_clients(emulator.endpoint)
    return [job.name for job in clients.pipeline.list_pipeline_jobs(parent="projects/acme-ml/locations/us-central1")]


def _get(emulator: Emulator, name: str) -> Any:
    return gapic_clients(emulator.endpoint).pipeline.get_pipeline_job(name=name)


def test_full_lifecycle(server: ProviderServer, control: ControlClient, emulator: Emulator, seed_file: Path) -> None:
    resource = server.resource(PipelineJobProvider(), "seed-run")
    inputs = _inputs(seed_file)
    control.reset_counters()

    preview = resource.check(
        {**inputs, "runtime_config": {**inputs["runtime_config"], "gcs_output_directory": UNKNOWN}}
    )
    assert preview.failures == []
    checked = resource.check(inputs)
    assert checked.failures == []
    assert control.counters() == {}, "check never calls the API"
    ir = yaml.safe_load(seed_file.read_text())
    assert checked.inputs["pipeline_spec"] == ir, "check read the file: the IR is what the stack keeps"

    id_, outs = resource.create(checked.inputs)
    assert outs["name"] == id_
    assert outs["state"] == "PIPELINE_STATE_SUCCEEDED"
    assert outs["resource_id"] == id_.rsplit("/", 1)[-1]
    assert outs["resource_id"].startswith("seed-run-"), "the run's id is chosen from the create key"
    remote = _get(emulator, id_)
    assert remote.labels["team"] == "ml"
    assert {"pulumi-create-key", "pulumi-resource-key"} <= set(remote.labels)
    assert outs["resource_id"] == pipeline_job_id("vertex-ml/test/seed-run", remote.labels["pulumi-create-key"])

    assert resource.diff(id_, outs, checked.inputs).changes is False, "an unchanged program previews no changes"
    changed = _with_parameters(inputs, max_depth=4)
    replacing = resource.diff(id_, outs, resource.check(changed).inputs)
    assert (replacing.changes, replacing.replaces) == (True, ["runtime_config"])
    assert resource.diff(id_, outs, resource.check({**inputs, "enable_caching": False}).inputs).replaces == [
        "enable_caching"
    ]

    read_id, read_outs, _read_inputs = resource.read(id_, outs)
    assert read_id == id_
    assert read_outs["state"] == "PIPELINE_STATE_SUCCEEDED"
    assert resource.diff(id_, read_outs, checked.inputs).changes is False, "a refresh of an unchanged run is quiet"

    resource.delete(id_, outs)
    with pytest.raises(gexc.NotFound):
        _get(emulator, id_)
    resource.delete(id_, outs)  # deleting what is already gone is done
    assert resource.read(id_, outs)[0] == "", "refresh reads a deleted run as gone"


def test_a_second_create_of_the_same_run_adopts_it(
    server: ProviderServer, control: ControlClient, emulator: Emulator, seed_file: Path
) -> None:
    resource = server.resource(PipelineJobProvider(), "adopted")
    checked = resource.check(_inputs(seed_file)).inputs
    first, _ = resource.create(checked)
    again, outs = resource.create(checked)  # an interrupted `up` runs the create again
    assert again == first
    assert outs["state"] == "PIPELINE_STATE_SUCCEEDED"
    assert _runs(emulator) == [first]


def test_a_create_whose_answer_was_lost_finds_its_own_run(
    server: ProviderServer, control: ControlClient, emulator: Emulator, seed_file: Path
) -> None:
    resource = server.resource(PipelineJobProvider(), "lost-answer")
    checked = resource.check(_inputs(seed_file)).inputs
    control.inject_faults("CreatePipelineJob", count=1, status="UNAVAILABLE", after=True)
    id_, outs = resource.create(checked)
    assert outs["state"] == "PIPELINE_STATE_SUCCEEDED"
    assert _runs(emulator) == [id_], "one run, not two"


def test_a_failed_run_fails_the_create_and_the_next_create_replaces_it(
    server: ProviderServer, control: ControlClient, emulator: Emulator, seed_file: Path
) -> None:
    resource = server.resource(PipelineJobProvider(), "failing")
    checked = resource.check(_inputs(seed_file)).inputs
    control.set_job_timing("pipelineJobs", "instant", outcome="fail", error_message="the train task broke")
    with pytest.raises(grpc.RpcError) as caught:
        resource.create(checked)
    details = caught.value.details()
    assert "ended PIPELINE_STATE_FAILED" in details
    assert "the train task broke" in details
    control.set_job_timing("pipelineJobs", "instant")
    id_, outs = resource.create(checked)
    assert outs["state"] == "PIPELINE_STATE_SUCCEEDED"
    assert _runs(emulator) == [id_], "the failed leftover was deleted before the run was made again"


def test_delete_of_a_running_job_cancels_waits_and_deletes(
    server: ProviderServer, control: ControlClient, emulator: Emulator, seed_file: Path
) -> None:
    control.set_job_timing("pipelineJobs", "hold", cancel_seconds=0.3)
    resource = server.resource(PipelineJobProvider(), "held")
    id_, outs = resource.create(resource.check(_inputs(seed_file, wait_for_completion=False)).inputs)
    assert outs["state"] in ("PIPELINE_STATE_PENDING", "PIPELINE_STATE_RUNNING")
    resource.delete(id_, outs)
    with pytest.raises(gexc.NotFound):
        _get(emulator, id_)


def test_check_failures_name_the_field_path(server: ProviderServer, control: ControlClient, seed_file: Path) -> None:
    resource = server.resource(PipelineJobProvider(), "bad")
    inputs = _inputs(seed_file)
    bad = _with_parameters(inputs, max_depth="deep")
    failures = resource.check(bad).failures
    assert [where for where, _ in failures] == ["runtime_config.parameter_values.max_depth"]
    assert "NUMBER_INTEGER" in failures[0][1]
    failures = resource.check({**inputs, "pipeline_spec": str(seed_file) + ".missing.yaml"}).failures
    assert [where for where, _ in failures] == ["pipeline_spec"]


def _task(task_id: int, name: str, state: str, parent: int | None = 1, **extra: Any) -> dict[str, Any]:
    detail = {"taskId": str(task_id), "taskName": name, "state": state, **extra}
    if parent is not None:
        detail["parentTaskId"] = str(parent)
    return detail


MODEL = "projects/1/locations/us-central1/models/7"
BATCH = "projects/1/locations/us-central1/batchPredictionJobs/9"
RUN: dict[str, Any] = {
    "jobDetail": {
        "taskDetails": [
            _task(1, "seed-train-upload-predict", "RUNNING", parent=None),
            _task(2, "train", "SUCCEEDED", outputs={"model": {"artifacts": [
                {"uri": "gs://pipelines/root/1/train/model", "schemaTitle": "system.Model"}]}}),
            _task(3, "importer", "SUCCEEDED"),
            _task(4, "model-upload", "SUCCEEDED", outputs={"model": {"artifacts": [
                {"uri": f"https://aiplatform.googleapis.com/v1/{MODEL}", "schemaTitle": "google.VertexModel",
                 "metadata": {"resourceName": MODEL}}]}}),
            _task(5, "model-batch-predict", "RUNNING", outputs={"batchpredictionjob": {"artifacts": [
                {"uri": "https://x/v1/" + BATCH, "schemaTitle": "google.VertexBatchPredictionJob",
                 "metadata": {"resourceName": BATCH}}]}}),
        ]
    }
}


def test_outputs_report_task_states_artifacts_the_model_and_the_batch_prediction_job() -> None:
    from vertex_resources.providers.pipeline_job import PipelineJobApi

    outs = PipelineJobApi(None).extra_outputs(RUN)  # type: ignore[arg-type]  # outputs need no API call
    assert outs["task_states"] == {
        "seed-train-upload-predict": "RUNNING",
        "train": "SUCCEEDED",
        "importer": "SUCCEEDED",
        "model-upload": "SUCCEEDED",
        "model-batch-predict": "RUNNING",
    }
    assert outs["output_artifacts"]["train"]["model"] == [
        {"uri": "gs://pipelines/root/1/train/model", "schema_title": "system.Model"}
    ]
    assert outs["output_artifacts"]["model-upload"]["model"][0]["resource_name"] == MODEL
    assert (outs["model_name"], outs["batch_prediction_job"]) == (MODEL, BATCH)
    assert PipelineJobApi(None).extra_outputs({}) == {  # type: ignore[arg-type]
        "task_states": None, "output_artifacts": None, "model_name": None, "batch_prediction_job": None
    }


def test_progress_names_the_running_tasks_not_the_dag_around_them() -> None:
    from vertex_resources.providers.pipeline_job import progress

    assert progress(RUN) == "running model-batch-predict (3 of 4 tasks done)"


def test_a_failure_names_the_failed_task_and_its_error() -> None:
    from vertex_resources.providers.pipeline_job import failure_message

    failed = {"jobDetail": {"taskDetails": [
        _task(1, "seed", "FAILED", parent=None, error={"message": "1 task failed"}),
        _task(2, "train", "FAILED", error={"code": 13, "message": "replica workerpool1-0 exited with 1"}),
        _task(3, "model-upload", "NOT_TRIGGERED"),
    ]}}
    assert failure_message(failed, "the train task failed") == (
        "task train FAILED: replica workerpool1-0 exited with 1; pipeline: the train task failed"
    )
    assert failure_message({}, "cancelled") == "cancelled"
    pipeline_error = "The DAG failed because some tasks failed. Task train: replica workerpool1-0 exited with 1"
    assert failure_message(failed, pipeline_error) == "task train FAILED: replica workerpool1-0 exited with 1"


def test_run_ids_are_in_the_api_alphabet_and_one_per_create_key() -> None:
    key = "0123456789abcdef0123456789abcdef01234567"
    assert pipeline_job_id("vertex-ml/dev/Seed_Run", key) == "seed-run-0123456789abcdef0123"
    assert pipeline_job_id("vertex-ml/dev/9lives", key) == "run-9lives-0123456789abcdef0123"
    assert pipeline_job_id(None, key) == "run-0123456789abcdef0123"
    long = pipeline_job_id("p/s/" + "x" * 300, key)
    assert len(long) <= 128
    import re

    for made in (long, pipeline_job_id("p/s/---", key), pipeline_job_id("p/s/ümlaut", key)):
        assert re.fullmatch(r"[a-z][a-z0-9-]{0,127}", made), made
        assert made[-1].isalnum()


def test_a_template_in_cloud_storage_fails_the_check(server: ProviderServer, seed_file: Path) -> None:
    # The API fetches templates from Artifact Registry or https only (the Vertex SDK reads a gs:// file itself).
    resource = server.resource(PipelineJobProvider(), "templated")
    inputs = {**_inputs(seed_file), "template_uri": "gs://templates/seed.yaml"}
    del inputs["pipeline_spec"]
    failures = resource.check(inputs).failures
    assert [where for where, _ in failures] == ["template_uri"]
    assert "Cloud Storage" in failures[0][1]
    registry = {**inputs, "template_uri": "https://us-central1-kfp.pkg.dev/local-project/pipelines/seed/latest"}
    assert resource.check(registry).failures == []
    failures = resource.check({**registry, "enable_caching": True}).failures
    assert [where for where, _ in failures] == ["enable_caching"]


def test_tasks_inside_dags_and_loop_iterations_keep_names_of_their_own() -> None:
    from vertex_resources.providers.pipeline_job import PipelineJobApi

    run = {"jobDetail": {"taskDetails": [
        _task(1, "seed", "SUCCEEDED", parent=None),
        _task(2, "for-loop-2", "SUCCEEDED"),
        _task(3, "train", "SUCCEEDED", parent=2),
        _task(4, "train", "FAILED", parent=2),
        _task(5, "score", "SUCCEEDED", taskUniqueName="outer.score"),
    ]}}
    states = PipelineJobApi(None).extra_outputs(run)["task_states"]  # type: ignore[arg-type]
    assert states == {
        "seed": "SUCCEEDED",
        "for-loop-2": "SUCCEEDED",
        "for-loop-2.train": "SUCCEEDED",
        "for-loop-2.train#2": "FAILED",
        "outer.score": "SUCCEEDED",
    }
    from vertex_resources.providers.pipeline_job import failure_message

    assert failure_message(run, "x").startswith("task for-loop-2.train#2 FAILED")
    cyclic = {"jobDetail": {"taskDetails": [_task(1, "a", "RUNNING", parent=2), _task(2, "b", "RUNNING", parent=1)]}}
    assert len(PipelineJobApi(None).extra_outputs(cyclic)["task_states"]) == 2  # type: ignore[arg-type]  # no hang


def test_a_run_already_there_under_the_create_keys_id_is_adopted(
    server: ProviderServer, control: ControlClient, emulator: Emulator, seed_file: Path
) -> None:
    """A create that reached the API while the list before it could not see it yet: the id meets ALREADY_EXISTS
    and the run is taken as the create's own, not made twice."""
    resource = server.resource(PipelineJobProvider(), "raced")
    checked = resource.check(_inputs(seed_file)).inputs
    first, outs = resource.create(checked)
    resource.delete(first, outs)
    clients = gapic_clients(emulator.endpoint)
    job_id = first.rsplit("/", 1)[-1]
    body = {
        "display_name": "seed",
        "pipeline_spec": yaml.safe_load(seed_file.read_text()),
        "runtime_config": {"gcs_output_directory": "gs://pipelines/root", "parameter_values": dict(PARAMETERS)},
    }  # no labels: the look-up by label does not find it
    clients.pipeline.create_pipeline_job(
        parent="projects/acme-ml/locations/us-central1", pipeline_job=body, pipeline_job_id=job_id
    )
    again, outs = resource.create(checked)
    assert again == first
    assert outs["state"] == "PIPELINE_STATE_SUCCEEDED"
    assert _runs(emulator) == [first]
