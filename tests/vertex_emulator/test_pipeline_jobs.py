"""PipelineJob API on the scheduled runner: create (with and without an id), get, list, cancel, delete, and the
checks of a create body (the compiled pipeline, the pipeline root, parameter values by name and type)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.api_core import exceptions
from google.cloud import aiplatform_v1

from examples.pipelines.seed_pipeline import compile_to
from tests.vertex_emulator import kfp_pipelines
from tests.vertex_emulator.bodies import raw
from vertex_emulator import ControlClient, Emulator
from vertex_emulator.testing import EmulatorProcess, GapicClients, sdk_init, wait_until

ROOT = "gs://pipelines/root"
PARAMETERS = kfp_pipelines.SEED_PARAMETERS


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
    assert names(filter=f'create_time>"{created.create_time.isoformat()}"') == [unnamed.name]
    assert names(filter=f'create_time<="{created.create_time.isoformat()}" AND labels.team:*') == [created.name]
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


# -- real execution (the local runner) ------------------------------------------------------------------------
DATA = Path(__file__).resolve().parents[2] / "examples" / "data"
BUCKET = "pipelines"
SDK_ROOT = "gs://sdk-pipeline-root/root"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator(tmp_path_factory.mktemp("pipelines")) as emulator:
        emulator.storage.create_bucket(BUCKET)
        emulator.storage.write_bytes(PARAMETERS["training_data"], (DATA / "train.csv").read_bytes())
        emulator.storage.write_bytes(PARAMETERS["instances"], (DATA / "instances.jsonl").read_bytes())
        yield emulator


@pytest.fixture
def sdk(local: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    from google.cloud.aiplatform import initializer, pipeline_jobs

    # The SDK polls every 5 s, then 10, 20 ...: poll every second so the test does not wait for the SDK.
    monkeypatch.setattr(pipeline_jobs, "_JOB_WAIT_TIME", 1)
    monkeypatch.setattr(pipeline_jobs, "_WAIT_TIME_MULTIPLIER", 1)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", local.storage_host)
    sdk_init(local.endpoint, local.storage_host, f"gs://{BUCKET}")
    yield local
    initializer.global_config.__init__()  # type: ignore[misc]  # forget this endpoint: the SDK config is global


def test_seed_pipeline_through_the_sdk_trains_uploads_and_predicts(sdk: Emulator, tmp_path: Path) -> None:
    from google.cloud import aiplatform

    template = compile_to(tmp_path / "seed.yaml")
    job = aiplatform.PipelineJob(
        display_name="seed",
        template_path=str(template),
        # A bucket that does not exist yet, and a service account: the SDK then creates the bucket instead of
        # asking Cloud Resource Manager (not emulated: 40 s of retries) whether an existing one is the project's.
        pipeline_root=SDK_ROOT,
        parameter_values=dict(PARAMETERS),
        enable_caching=False,
    )
    job.run(sync=True, service_account="pipelines@test-project.iam.gserviceaccount.com")
    assert job.state == aiplatform_v1.PipelineState.PIPELINE_STATE_SUCCEEDED
    tasks = {t.task_name: t for t in job.task_details}
    assert {n: t.state.name for n, t in tasks.items() if n != "seed-train-upload-predict"} == {
        "train": "SUCCEEDED", "importer": "SUCCEEDED", "model-upload": "SUCCEEDED", "model-batch-predict": "SUCCEEDED"
    }
    # The training ran as a CustomJob of the replicated cluster: two pools of one replica, the same machine.
    training = aiplatform.CustomJob.get(tasks["train"].executor_detail.custom_job_detail.job)
    assert training.labels["vertex-ai-pipelines-run-billing-id"] == job.name  # as GCPC's launchers label it
    pools = training.job_spec.worker_pool_specs
    assert [(p.replica_count, p.machine_spec.machine_type) for p in pools] == [(1, "n1-standard-4")] * 2
    assert sorted(Path(uri.removeprefix("file://")).name for uri in training.web_access_uris.values()) == [
        "workerpool0-0.log", "workerpool1-0.log"
    ]
    assert json.loads(tasks["train"].execution.metadata["output:gcp_resources"])["resources"][0] == {
        "resourceType": "CustomJob",
        "resourceUri": f"https://us-central1-aiplatform.googleapis.com/v1/{training.resource_name}",
    }
    trained = tasks["train"].outputs["model"].artifacts[0]
    assert trained.uri.startswith(f"{SDK_ROOT}/")
    assert trained.uri.endswith("/model")
    assert sdk.storage.exists(f"{trained.uri}/model.joblib")
    assert tasks["train"].execution.metadata["output:Output"] == pytest.approx(trained.metadata["accuracy"])

    model_name = tasks["model-upload"].outputs["model"].artifacts[0].metadata["resourceName"]
    model = aiplatform.Model(model_name)
    assert model.display_name == "seed-model"
    assert model.uri.rstrip("/") == PARAMETERS["model_dir"]
    prediction = tasks["model-batch-predict"].outputs["batchpredictionjob"].artifacts[0].metadata
    batch_job = aiplatform.BatchPredictionJob(prediction["resourceName"])
    assert batch_job.gca_resource.model.startswith(model.resource_name)
    output_dir = tasks["model-batch-predict"].outputs["gcs_output_directory"].artifacts[0].uri
    assert output_dir == prediction["gcsOutputDirectory"] == batch_job.output_info.gcs_output_directory
    results = [u for u in sdk.storage.list(output_dir + "/") if "prediction.results" in u]
    lines = [json.loads(line) for u in results for line in sdk.storage.read_text(u).splitlines() if line]
    instances = [json.loads(line) for line in (DATA / "instances.jsonl").read_text().splitlines() if line]
    assert [line["instance"] for line in lines] == instances
    assert {line["prediction"] for line in lines} <= {"setosa", "versicolor", "virginica"}


def _submit(emulator: Emulator | EmulatorProcess, pipeline: Any, tmp_path: Path, **values: Any) -> str:
    from kfp import compiler

    path = tmp_path / f"{pipeline.name}.yaml"
    compiler.Compiler().compile(pipeline, str(path))
    body = {
        "displayName": pipeline.name,
        "pipelineSpec": yaml.safe_load(path.read_text()),
        "runtimeConfig": {"gcsOutputDirectory": ROOT, "parameterValues": values},
    }
    status, job = raw(emulator.endpoint, "POST", "/v1/projects/p/locations/us-central1/pipelineJobs", body)
    assert status == 200, job
    return str(job["name"])


def _finished(emulator: Emulator, name: str, timeout: float = 120) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        job = raw(emulator.endpoint, "GET", f"/v1/{name}")[1]
        done = job["state"] in ("PIPELINE_STATE_SUCCEEDED", "PIPELINE_STATE_FAILED", "PIPELINE_STATE_CANCELLED")
        return job if done else None

    job: dict[str, Any] = wait_until(ended, timeout=timeout, interval=0.5)
    return job


def _tasks(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The job's tasks by name (not its root DAG); none before the run reported any."""
    return {t["taskName"]: t for t in job.get("jobDetail", {}).get("taskDetails", [])[1:]}


def test_parameters_and_artifacts_flow_between_tasks_and_a_second_run_is_cached(
    local: Emulator, tmp_path: Path
) -> None:
    first = _finished(local, _submit(local, kfp_pipelines.word_count, tmp_path, text="to be or not"))
    assert first["state"] == "PIPELINE_STATE_SUCCEEDED", first.get("error")
    tasks = _tasks(first)
    assert tasks["describe"]["execution"]["metadata"]["output:Output"] == "4 words"
    assert tasks["count-words"]["execution"]["metadata"]["output:Output"] == 4
    written = tasks["write-text"]["outputs"]["data"]["artifacts"][0]
    assert written["uri"].startswith(f"{ROOT}/")
    assert written["schemaTitle"] == "system.Dataset"
    assert written["metadata"] == {"characters": 12.0}
    assert local.storage.read_text(written["uri"]) == "to be or not"
    assert tasks["count-words"]["inputs"]["data"]["artifacts"][0]["uri"] == written["uri"]
    job_of = {n: t["executorDetail"]["containerDetail"]["mainJob"] for n, t in tasks.items()}
    assert len(set(job_of.values())) == 3  # every container task ran as its own CustomJob

    second = _finished(local, _submit(local, kfp_pipelines.word_count, tmp_path, text="to be or not"))
    assert second["state"] == "PIPELINE_STATE_SUCCEEDED"
    again = _tasks(second)
    assert {n: t["state"] for n, t in again.items()} == dict.fromkeys(tasks, "SKIPPED")
    assert {n: t["execution"]["state"] for n, t in again.items()} == dict.fromkeys(tasks, "CACHED")
    assert again["describe"]["execution"]["metadata"]["output:Output"] == "4 words"
    assert again["write-text"]["outputs"]["data"]["artifacts"][0]["uri"] == written["uri"]


def test_a_failed_task_names_itself_and_its_error(local: Emulator, tmp_path: Path) -> None:
    job = _finished(local, _submit(local, kfp_pipelines.failing, tmp_path, message="row 7 is bad"))
    assert job["state"] == "PIPELINE_STATE_FAILED"
    assert "The failed tasks are: [fail]" in job["error"]["message"]
    assert "ValueError: row 7 is bad" in job["error"]["message"]
    tasks = _tasks(job)
    assert tasks["fail"]["state"] == "FAILED"
    assert "ValueError: row 7 is bad" in tasks["fail"]["error"]["message"]
    assert tasks["describe"]["state"] == "NOT_TRIGGERED"
    assert tasks["write-text"]["state"] == "SUCCEEDED"  # fail slow: what does not depend on it still runs


def test_a_component_the_emulator_does_not_understand_fails_clearly(local: Emulator, tmp_path: Path) -> None:
    job = _finished(local, _submit(local, kfp_pipelines.unknown_component, tmp_path), timeout=30)
    assert job["state"] == "PIPELINE_STATE_FAILED"
    message = _tasks(job)["endpoint-create"]["error"]["message"]
    assert "v1.endpoint.create_endpoint.launcher" in message
    assert "does not understand" in message


def test_cancel_stops_the_running_task_and_its_job(local: Emulator, tmp_path: Path) -> None:
    name = _submit(local, kfp_pipelines.sleeping, tmp_path, seconds=300)

    def running_job() -> str | None:
        tasks = _tasks(raw(local.endpoint, "GET", f"/v1/{name}")[1]).get("sleep", {})
        return tasks.get("executorDetail", {}).get("containerDetail", {}).get("mainJob")

    custom_job = wait_until(running_job, timeout=60, interval=0.5)
    wait_until(lambda: raw(local.endpoint, "GET", f"/v1/{custom_job}")[1]["state"] == "JOB_STATE_RUNNING")
    assert raw(local.endpoint, "POST", f"/v1/{name}:cancel", {})[0] == 200
    job = _finished(local, name, timeout=60)
    assert job["state"] == "PIPELINE_STATE_CANCELLED"
    assert job["error"]["code"] == 1
    assert _tasks(job)["sleep"]["state"] == "CANCELLED"
    assert raw(local.endpoint, "GET", f"/v1/{custom_job}")[1]["state"] == "JOB_STATE_CANCELLED"


def test_a_task_with_a_retry_policy_runs_again(local: Emulator, tmp_path: Path) -> None:
    job = _finished(local, _submit(local, kfp_pipelines.retried, tmp_path, marker=str(tmp_path / "marker")))
    assert job["state"] == "PIPELINE_STATE_SUCCEEDED", job.get("error")
    task = _tasks(job)["flaky"]
    assert task["execution"]["metadata"]["output:Output"] == "second attempt"
    assert [s["state"] for s in task["pipelineTaskStatus"]] == ["FAILED"]
    assert "first attempt fails" in task["pipelineTaskStatus"][0]["error"]["message"]


def test_a_template_uri_in_storage_is_read_at_create(emulator: Emulator, seed_spec: dict[str, Any]) -> None:
    emulator.storage.create_bucket("templates")
    emulator.storage.write_text("gs://templates/seed.yaml", yaml.safe_dump(seed_spec))
    path = "/v1/projects/p/locations/us-central1/pipelineJobs"
    body = {"templateUri": "gs://templates/seed.yaml",
            "runtimeConfig": {"gcsOutputDirectory": ROOT, "parameterValues": PARAMETERS}}
    status, job = raw(emulator.endpoint, "POST", path, body)
    assert status == 200, job
    assert job["templateUri"] == "gs://templates/seed.yaml"
    assert job["pipelineSpec"]["pipelineInfo"]["name"] == "seed-train-upload-predict"
    status, answer = raw(emulator.endpoint, "POST", path, {**body, "templateUri": "gs://templates/missing.yaml"})
    assert status == 400
    assert "pipeline_job.template_uri" in answer["error"]["message"]


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in items:
        yield from _paths(child, (*prefix, key))


def _replaced(value: Any, path: tuple[str | int, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    return [_replaced(v, rest, new) if i == head else v for i, v in enumerate(value)]


def test_any_part_of_the_spec_of_the_wrong_type_is_a_400_or_runs(emulator: Emulator) -> None:
    from tests.vertex_emulator.bodies import pipeline_spec

    spec = pipeline_spec()
    statuses = set()
    for path in _paths(spec):
        for wrong in ("x", 7, [], {}, None, [1], {"a": 1}):
            body = {"pipelineSpec": _replaced(spec, path, wrong),
                    "runtimeConfig": {"gcsOutputDirectory": "gs://bucket/root"}}
            status, answer = raw(emulator.endpoint, "POST", "/v1/projects/p/locations/us-central1/pipelineJobs", body)
            assert status in (200, 400), (path, wrong, answer)
            statuses.add(status)
    assert statuses == {200, 400}


def test_conditions_nested_pipelines_and_loops(local: Emulator, tmp_path: Path) -> None:
    job = _finished(local, _submit(local, kfp_pipelines.branching, tmp_path, side="tails"), timeout=180)
    assert job["state"] == "PIPELINE_STATE_SUCCEEDED", job.get("error")
    details = job["jobDetail"]["taskDetails"]
    by_id = {d["taskId"]: d for d in details}

    def under(name: str) -> list[tuple[str, str]]:
        (parent,) = [d for d in details if d["taskName"] == name]
        return sorted((d["taskName"], d["state"]) for d in details if d.get("parentTaskId") == parent["taskId"])

    assert under("condition-branches-1") == [("condition-2", "NOT_TRIGGERED"), ("condition-3", "SUCCEEDED")]
    assert under("condition-3") == [("echo-3", "SUCCEEDED")]
    assert under("inner") == [("echo", "SUCCEEDED")]
    inner = next(d for d in details if d["taskName"] == "inner")
    assert inner["execution"]["metadata"]["output:Output"] == "from the nested pipeline"
    oneof = next(d for d in details if d["taskName"] == "echo-4")  # dsl.OneOf of the two branches
    assert oneof["execution"]["metadata"]["input:text"] == "was tails"
    assert under("for-loop-5") == [("echo-5", "SUCCEEDED"), ("echo-5", "SUCCEEDED")]
    looped = [d for d in details if d["taskName"] == "echo-5"]
    assert sorted(d["execution"]["metadata"]["output:Output"] for d in looped) == ["a", "b"]
    assert all(by_id[d["parentTaskId"]]["taskName"] == "for-loop-5" for d in looped)


def test_the_scheduled_runner_reports_every_task_succeeded(
    clients: GapicClients, parent: str, seed_spec: dict[str, Any]
) -> None:
    job = clients.pipeline.create_pipeline_job(parent=parent, pipeline_job=pipeline_job(seed_spec))
    done = wait_until(lambda: (j := clients.pipeline.get_pipeline_job(name=job.name)).job_detail.task_details and j)
    assert {t.task_name: t.state.name for t in done.job_detail.task_details} == {
        "seed-train-upload-predict": "SUCCEEDED",
        "train": "SUCCEEDED",
        "importer": "SUCCEEDED",
        "model-upload": "SUCCEEDED",
        "model-batch-predict": "SUCCEEDED",
    }


def test_a_pipeline_job_running_when_the_emulator_is_killed_ends_failed_with_its_job(tmp_path: Path) -> None:
    from vertex_emulator._jobs import RESTART_MESSAGE

    data_dir = tmp_path / "data"
    first = EmulatorProcess(data_dir).start()
    try:
        name = _submit(first, kfp_pipelines.sleeping, tmp_path, seconds=300)

        def running_job() -> str | None:
            tasks = _tasks(raw(first.endpoint, "GET", f"/v1/{name}")[1]).get("sleep", {})
            job = tasks.get("executorDetail", {}).get("containerDetail", {}).get("mainJob")
            return job if job and raw(first.endpoint, "GET", f"/v1/{job}")[1]["state"] == "JOB_STATE_RUNNING" else None

        custom_job = wait_until(running_job, timeout=60, interval=0.5)
    finally:
        first.kill()
        first.stop()
    with EmulatorProcess(data_dir) as second:
        job = raw(second.endpoint, "GET", f"/v1/{name}")[1]
        assert job["state"] == "PIPELINE_STATE_FAILED"
        assert job["error"]["message"] == RESTART_MESSAGE
        assert raw(second.endpoint, "GET", f"/v1/{custom_job}")[1]["state"] == "JOB_STATE_FAILED"
        ledger = data_dir / "jobs" / custom_job.rsplit("/", 1)[1] / "processes"
        assert not list(ledger.glob("*.json"))  # its processes were stopped before the job was marked FAILED


def test_an_exit_handler_runs_after_a_failure_and_gets_the_final_status(local: Emulator, tmp_path: Path) -> None:
    job = _finished(local, _submit(local, kfp_pipelines.exit_handler, tmp_path, message="row 9 is bad"))
    assert job["state"] == "PIPELINE_STATE_FAILED"
    tasks = _tasks(job)
    assert tasks["fail"]["state"] == "FAILED"
    assert tasks["exit-handler-1"]["state"] == "FAILED"
    assert tasks["notify"]["state"] == "SUCCEEDED"
    status = tasks["notify"]["execution"]["metadata"]["output:Output"]
    assert status.startswith("exit-handler-1 FAILED: ")
    assert "row 9 is bad" in status


def test_a_loop_over_dicts_collects_its_outputs(local: Emulator, tmp_path: Path) -> None:
    job = _finished(local, _submit(local, kfp_pipelines.collecting, tmp_path))
    assert job["state"] == "PIPELINE_STATE_SUCCEEDED", job.get("error")
    assert _tasks(job)["join"]["execution"]["metadata"]["output:Output"] == "x,y"


def test_batch_prediction_with_an_unmanaged_container_model(local: Emulator, tmp_path: Path) -> None:
    import joblib
    from sklearn.tree import DecisionTreeClassifier

    joblib.dump(DecisionTreeClassifier().fit([[0, 0, 0, 0], [9, 9, 9, 9]], ["low", "high"]), tmp_path / "m.joblib")
    local.storage.write_bytes("gs://pipelines/unmanaged/model.joblib", (tmp_path / "m.joblib").read_bytes())
    name = _submit(local, kfp_pipelines.unmanaged_predict, tmp_path, model_dir="gs://pipelines/unmanaged",
                   instances=PARAMETERS["instances"], predictions_prefix="gs://pipelines/unmanaged-predictions")
    job = _finished(local, name)
    assert job["state"] == "PIPELINE_STATE_SUCCEEDED", job.get("error")
    output_dir = _tasks(job)["model-batch-predict"]["outputs"]["gcs_output_directory"]["artifacts"][0]["uri"]
    results = [u for u in local.storage.list(output_dir + "/") if "prediction.results" in u]
    lines = [json.loads(line) for u in results for line in local.storage.read_text(u).splitlines() if line]
    assert len(lines) == len([line for line in (DATA / "instances.jsonl").read_text().splitlines() if line])
    assert {line["prediction"] for line in lines} <= {"low", "high"}
