"""The local runner (the emulator's default) through the real GAPIC clients: jobs really run as processes.

One emulator per module; every test writes under its own gs://bkt/<test> prefix. The training code is small
Python run by `python -c` on the prebuilt training image (mapped to the local interpreter); it reaches storage
through STORAGE_EMULATOR_HOST with a few lines of urllib (GCS_HELPERS), which starts faster than the client.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import joblib
import pytest
from google.api_core import exceptions
from sklearn.dummy import DummyClassifier

from tests.vertex_emulator.bodies import CUSTOM_TASK, SERVING_IMAGE, TABULAR, TRAINING_IMAGE, TUNING_TASK
from vertex_emulator import Emulator
from vertex_emulator.testing import EmulatorProcess, GapicClients, gapic_clients, location_parent, wait_until

TEXT = "gs://google-cloud-aiplatform/schema/dataset/metadata/text_1.0.0.yaml"
TEXT_IMPORT = "gs://google-cloud-aiplatform/schema/dataset/ioformat/text_classification_single_label_io_format_1.0.0.yaml"
BUCKET = "bkt"
GCS_HELPERS = '''
import json, os, sys, urllib.parse, urllib.request
HOST = os.environ["STORAGE_EMULATOR_HOST"]
def _split(uri):
    bucket, _, name = uri[len("gs://"):].partition("/")
    return bucket, urllib.parse.quote(name, safe="")
def upload(uri, data):
    bucket, name = _split(uri)
    request = urllib.request.Request(f"{HOST}/upload/storage/v1/b/{bucket}/o?uploadType=media&name={name}",
                                     data=data, method="POST")
    urllib.request.urlopen(request).read()
def listing(prefix_uri):
    bucket, prefix = _split(prefix_uri)
    answer = json.load(urllib.request.urlopen(f"{HOST}/storage/v1/b/{bucket}/o?prefix={prefix}"))
    return sorted(f"gs://{bucket}/{item['name']}" for item in answer.get("items", []))
def download(uri):
    bucket, name = _split(uri)
    return urllib.request.urlopen(f"{HOST}/download/storage/v1/b/{bucket}/o/{name}?alt=media").read()
'''
_TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator(tmp_path_factory.mktemp("local-runner")) as emulator:
        yield emulator


@pytest.fixture
def clients(local: Emulator) -> GapicClients:
    local.storage.create_bucket(BUCKET)  # again after a test that reset the emulator
    return gapic_clients(local.endpoint)


@pytest.fixture
def prefix(tmp_path: Path) -> str:
    return f"gs://{BUCKET}/{tmp_path.name}"


def python_pool(code: str, *, args: list[str] | None = None, env: dict[str, str] | None = None,
                replicas: int = 1) -> dict[str, Any]:
    container: dict[str, Any] = {
        "image_uri": TRAINING_IMAGE,
        "command": ["python", "-c", GCS_HELPERS + textwrap.dedent(code)],
        "args": args or [],
        "env": [{"name": k, "value": v} for k, v in (env or {}).items()],
    }
    return {"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": replicas, "container_spec": container}


def custom_job(code: str, base: str = "", **spec: Any) -> dict[str, Any]:
    job_spec: dict[str, Any] = {"worker_pool_specs": [python_pool(code)], **spec}
    if base:
        job_spec["base_output_directory"] = {"output_uri_prefix": base}
    return {"display_name": "local", "job_spec": job_spec}


def wait_done(get: Callable[..., Any], name: str, timeout: float = 60.0) -> Any:
    def finished() -> Any:
        resource = get(name=name)
        return resource if resource.state.name.rsplit("_", 1)[-1] in _TERMINAL else None

    return wait_until(finished, timeout=timeout, interval=0.05)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


# -- custom jobs ------------------------------------------------------------------------------------------
def test_every_replica_runs_with_the_vertex_environment_and_its_log(
    local: Emulator, clients: GapicClients, prefix: str
) -> None:
    assert local.control.health()["runner"] == "LocalRunner"
    code = """
        keys = ["CLOUD_ML_JOB_ID", "CLOUD_ML_PROJECT_ID", "CLOUD_ML_REGION", "AIP_MODEL_DIR", "CLUSTER_SPEC",
                "STORAGE_EMULATOR_HOST", "GREETING"]
        print(json.dumps({"argv": sys.argv[1:], **{key: os.environ.get(key) for key in keys}}))
    """
    pool = python_pool(code, args=["--say=$(GREETING)"], env={"GREETING": "hello"})
    body = custom_job(code, base=f"{prefix}/out")
    body["job_spec"]["worker_pool_specs"] = [pool, {**pool, "replica_count": 2}]
    job = clients.job.create_custom_job(parent=location_parent(), custom_job=body)
    done = wait_done(clients.job.get_custom_job, job.name)
    assert done.state.name == "JOB_STATE_SUCCEEDED", done.error.message
    assert done.start_time
    assert done.end_time
    assert sorted(done.web_access_uris) == ["workerpool0-0", "workerpool1-0", "workerpool1-1"]
    seen = {}
    for replica, uri in done.web_access_uris.items():
        assert uri.startswith("file://")
        seen[replica] = json.loads(Path(uri.removeprefix("file://")).read_text().splitlines()[-1])
    primary = seen["workerpool0-0"]
    assert primary["argv"] == ["--say=hello"]
    assert primary["CLOUD_ML_JOB_ID"] == job.name.rsplit("/", 1)[1]
    assert primary["CLOUD_ML_PROJECT_ID"] == job.name.split("/")[1]
    assert primary["CLOUD_ML_REGION"] == "us-central1"
    assert primary["AIP_MODEL_DIR"] == f"{prefix}/out/model/"
    assert primary["STORAGE_EMULATOR_HOST"] == local.storage_host
    tasks = {replica: json.loads(values["CLUSTER_SPEC"])["task"] for replica, values in seen.items()}
    assert tasks["workerpool1-1"] == {"type": "workerpool1", "index": 1}
    assert len(json.loads(primary["CLUSTER_SPEC"])["cluster"]["workerpool1"]) == 2


def test_the_command_line_runs_jobs_for_real_by_default(tmp_path: Path) -> None:
    with EmulatorProcess(tmp_path / "data") as process:
        assert process.ready_line.endswith("runner=local")
        assert process.control.health()["runner"] == "LocalRunner"
        clients = gapic_clients(process.endpoint)
        job = clients.job.create_custom_job(parent=location_parent(), custom_job=custom_job("print('ran')"))
        done = wait_done(clients.job.get_custom_job, job.name)
        assert done.state.name == "JOB_STATE_SUCCEEDED", done.error.message
        log = tmp_path / "data" / "jobs" / job.name.rsplit("/", 1)[1] / "logs" / "workerpool0-0.log"
        assert log.read_text().strip() == "ran"


def test_a_non_zero_exit_fails_the_job_with_the_code_and_the_log_tail(clients: GapicClients) -> None:
    job = clients.job.create_custom_job(
        parent=location_parent(), custom_job=custom_job("print('loading data'); print('bad things'); sys.exit(3)")
    )
    done = wait_done(clients.job.get_custom_job, job.name)
    assert done.state.name == "JOB_STATE_FAILED"
    assert done.error.code == 3
    assert "workerpool0-0 exited with a non-zero status of 3" in done.error.message
    assert "loading data\nbad things" in done.error.message


def test_scheduling_timeout_stops_the_job(clients: GapicClients) -> None:
    code = "import time; print('working', flush=True); time.sleep(30)"
    job = clients.job.create_custom_job(
        parent=location_parent(), custom_job=custom_job(code, scheduling={"timeout": "1s"})
    )
    done = wait_done(clients.job.get_custom_job, job.name, timeout=20)
    assert done.state.name == "JOB_STATE_FAILED"
    assert done.error.code == 4
    assert "scheduling.timeout of 1s" in done.error.message
    assert "working" in done.error.message


def test_cancel_kills_the_process_group_and_ends_cancelled(clients: GapicClients, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    code = f"""
        import subprocess, time
        child = subprocess.Popen(["sleep", "60"])
        with open({str(pids)!r}, "w") as out:
            out.write(f"{{os.getpid()}} {{child.pid}}")
        time.sleep(60)
    """
    job = clients.job.create_custom_job(parent=location_parent(), custom_job=custom_job(code))
    wait_until(lambda: pids.exists() and pids.read_text(), timeout=20)
    trainer, child = map(int, pids.read_text().split())
    assert alive(trainer)
    assert alive(child)
    clients.job.cancel_custom_job(name=job.name)
    done = wait_done(clients.job.get_custom_job, job.name)
    assert done.state.name == "JOB_STATE_CANCELLED"
    assert done.error.code == 1
    assert not alive(trainer)
    assert not alive(child)


def test_an_image_without_a_mapping_or_command_says_how_to_add_one(clients: GapicClients) -> None:
    body = custom_job("")
    body["job_spec"]["worker_pool_specs"][0]["container_spec"] = {"image_uri": "gcr.io/acme/trainer:1"}
    job = clients.job.create_custom_job(parent=location_parent(), custom_job=body)
    done = wait_done(clients.job.get_custom_job, job.name)
    assert done.state.name == "JOB_STATE_FAILED"
    assert done.error.code == 3
    assert "gcr.io/acme/trainer:1" in done.error.message
    assert "VERTEX_EMULATOR_IMAGES" in done.error.message


def test_a_kind_configured_through_the_control_plane_is_scheduled_until_reset(
    local: Emulator, clients: GapicClients
) -> None:
    control = local.control
    control.set_job_timing("customJobs", mode="hold")
    held_body = custom_job("")
    held_body["job_spec"]["worker_pool_specs"][0]["container_spec"] = {"image_uri": "gcr.io/acme/trainer:1"}
    held = clients.job.create_custom_job(parent=location_parent(), custom_job=held_body)
    assert clients.job.get_custom_job(name=held.name).state.name == "JOB_STATE_RUNNING"
    assert control.held_jobs() == [held.name]
    control.release(held.name)
    assert clients.job.get_custom_job(name=held.name).state.name == "JOB_STATE_SUCCEEDED"

    control.reset()  # every kind runs for real again
    local.storage.create_bucket(BUCKET)
    real = clients.job.create_custom_job(parent=location_parent(), custom_job=custom_job("print('real')"))
    assert wait_done(clients.job.get_custom_job, real.name).state.name == "JOB_STATE_SUCCEEDED"
    assert control.held_jobs() == []


# -- hyperparameter tuning --------------------------------------------------------------------------------
# A synthetic objective with a known best: score = -(x - 3)^2, highest at x = 3. The trial writes x as its model.
OBJECTIVE = """
    import hypertune
    x = float(next(arg.split("=", 1)[1] for arg in sys.argv[1:] if arg.startswith("--x=")))
    hypertune.HyperTune().report_hyperparameter_tuning_metric(
        hyperparameter_metric_tag="score", metric_value=-(x - 3) ** 2, global_step=1)
    if os.environ.get("AIP_MODEL_DIR"):
        upload(os.environ["AIP_MODEL_DIR"] + "model.json", json.dumps({"x": x}).encode())
"""


def study(low: int, high: int) -> dict[str, Any]:
    return {
        "metrics": [{"metric_id": "score", "goal": "MAXIMIZE"}],
        "parameters": [{"parameter_id": "x", "integer_value_spec": {"min_value": low, "max_value": high}}],
        "algorithm": "GRID_SEARCH",
    }


def test_tuning_finds_the_known_best_parameter(clients: GapicClients) -> None:
    job = clients.job.create_hyperparameter_tuning_job(
        parent=location_parent(),
        hyperparameter_tuning_job={
            "display_name": "objective",
            "study_spec": study(1, 5),
            "max_trial_count": 5,
            "parallel_trial_count": 2,
            "trial_job_spec": {"worker_pool_specs": [python_pool(OBJECTIVE)]},
        },
    )
    done = wait_done(clients.job.get_hyperparameter_tuning_job, job.name)
    assert done.state.name == "JOB_STATE_SUCCEEDED", done.error.message
    assert [t.state.name for t in done.trials] == ["SUCCEEDED"] * 5
    scores = {t.parameters[0].value: t.final_measurement.metrics[0].value for t in done.trials}
    assert scores == {1.0: -4.0, 2.0: -1.0, 3.0: 0.0, 4.0: -1.0, 5.0: -4.0}
    best = max(done.trials, key=lambda t: t.final_measurement.metrics[0].value)
    assert best.parameters[0].value == 3
    for trial in done.trials:
        trial_job = clients.job.get_custom_job(name=trial.custom_job)
        assert trial_job.state.name == "JOB_STATE_SUCCEEDED"
        assert trial_job.display_name == f"objective-trial-{trial.id}"
        assert trial.name.endswith(f"/studies/{job.name.rsplit('/', 1)[1]}/trials/{trial.id}")
        assert trial.client_id == job.name
        assert trial.final_measurement in list(trial.measurements)


def test_the_tuning_pipeline_uploads_the_best_trials_model(
    local: Emulator, clients: GapicClients, prefix: str
) -> None:
    base = f"{prefix}/hpt"
    pipeline = clients.pipeline.create_training_pipeline(
        parent=location_parent(),
        training_pipeline={
            "display_name": "tuned",
            "training_task_definition": TUNING_TASK,
            "training_task_inputs": {
                "study_spec": study(2, 4),
                "max_trial_count": 3,
                "parallel_trial_count": 3,
                "trial_job_spec": {
                    "worker_pool_specs": [python_pool(OBJECTIVE)],
                    "base_output_directory": {"output_uri_prefix": base},
                },
            },
            "model_to_upload": {"display_name": "best", "container_spec": {"image_uri": SERVING_IMAGE}},
        },
    )
    done = wait_done(clients.pipeline.get_training_pipeline, pipeline.name)
    assert done.state.name == "PIPELINE_STATE_SUCCEEDED", done.error.message
    tuning = clients.job.get_hyperparameter_tuning_job(
        name=done.training_task_metadata["backingHyperparameterTuningJob"]
    )
    assert tuning.state.name == "JOB_STATE_SUCCEEDED"
    best = next(t for t in tuning.trials if t.parameters[0].value == 3)
    assert done.training_task_metadata["bestTrialBackingCustomJob"] == best.custom_job
    model = clients.model.get_model(name=done.model_to_upload.name)
    assert model.artifact_uri == f"{base}/{best.id}/model/"
    assert json.loads(local.storage.read_text(f"{model.artifact_uri}model.json")) == {"x": 3.0}


def test_a_pipeline_whose_code_writes_no_model_fails(clients: GapicClients, prefix: str) -> None:
    pipeline = clients.pipeline.create_training_pipeline(
        parent=location_parent(),
        training_pipeline={
            "display_name": "no-model",
            "training_task_definition": CUSTOM_TASK,
            "training_task_inputs": custom_job("print('forgot to save')", base=f"{prefix}/out")["job_spec"],
            "model_to_upload": {"display_name": "none", "container_spec": {"image_uri": SERVING_IMAGE}},
        },
    )
    done = wait_done(clients.pipeline.get_training_pipeline, pipeline.name)
    assert done.state.name == "PIPELINE_STATE_FAILED"
    assert f"{prefix}/out/model/ is empty" in done.error.message
    assert not done.model_to_upload.name
    backing = clients.job.get_custom_job(name=done.training_task_metadata["backingCustomJob"])
    assert backing.state.name == "JOB_STATE_FAILED"
    assert "forgot to save" in Path(backing.web_access_uris["workerpool0-0"].removeprefix("file://")).read_text()


# -- datasets and the five splits -------------------------------------------------------------------------
# The trainer reports what reached it: the ids in each exported file set, as its model.
SPLIT_REPORTER = """
    import csv, io
    report = {"format": os.environ["AIP_DATA_FORMAT"]}
    for name in ("training", "validation", "test"):
        pattern = os.environ[f"AIP_{name.upper()}_DATA_URI"]
        ids = []
        for uri in listing(pattern.split("*")[0]):
            text = download(uri).decode()
            if report["format"] == "csv":
                ids += [int(row["id"]) for row in csv.DictReader(io.StringIO(text))]
            else:
                ids += [json.loads(line)["textContent"] for line in text.splitlines() if line]
        report[name] = sorted(ids)
    upload(os.environ["AIP_MODEL_DIR"] + "report.json", json.dumps(report).encode())
"""


def split_pipeline(dataset: str, prefix: str, split: dict[str, Any]) -> dict[str, Any]:
    return {
        "display_name": "split",
        "training_task_definition": CUSTOM_TASK,
        "training_task_inputs": custom_job(SPLIT_REPORTER, base=f"{prefix}/out")["job_spec"],
        "input_data_config": {
            "dataset_id": dataset.rsplit("/", 1)[1],
            "gcs_destination": {"output_uri_prefix": f"{prefix}/export"},
            **split,
        },
        "model_to_upload": {"display_name": "report", "container_spec": {"image_uri": SERVING_IMAGE}},
    }


def test_each_split_reaches_the_trainer(local: Emulator, clients: GapicClients) -> None:
    # 20 rows: ids 0-19; ml_use names the set of some rows; timestamps run backwards (id 19 is the oldest);
    # class a for 16 rows, b for 4.
    header = "id,ml_use,ts,cls\n"
    uses = ["training", "validation", "test", "unused"]
    rows = [f"{i},{uses[i % 4]},2024-01-01T00:00:{59 - i:02d}Z,{'b' if i % 5 == 0 else 'a'}\n" for i in range(20)]
    local.storage.write_text(f"gs://{BUCKET}/splits/table.csv", header + "".join(rows))
    table = clients.dataset.create_dataset(
        parent=location_parent(),
        dataset={"display_name": "table", "metadata_schema_uri": TABULAR,
                 "metadata": {"inputConfig": {"gcsSource": {"uri": [f"gs://{BUCKET}/splits/table.csv"]}}}},
    ).result(timeout=10)
    assert table.data_item_count == 20
    sets = ["train", "valid", "test", "both", "none"]
    items = "".join(
        json.dumps({"textContent": f"t{i}", "dataItemResourceLabels": {"set": sets[i % 5]}}) + "\n" for i in range(10)
    )
    local.storage.write_text(f"gs://{BUCKET}/splits/items.jsonl", items)
    text = clients.dataset.create_dataset(
        parent=location_parent(), dataset={"display_name": "text", "metadata_schema_uri": TEXT}
    ).result(timeout=10)
    import_config = {"gcs_source": {"uris": [f"gs://{BUCKET}/splits/items.jsonl"]}, "import_schema_uri": TEXT_IMPORT}
    clients.dataset.import_data(name=text.name, import_configs=[import_config]).result(timeout=10)

    fractions = {"training_fraction": 0.5, "validation_fraction": 0.25, "test_fraction": 0.25}
    splits = {
        "fraction": (table.name, {"fraction_split": fractions}),
        "predefined": (table.name, {"predefined_split": {"key": "ml_use"}}),
        "timestamp": (table.name, {"timestamp_split": {**fractions, "key": "ts"}}),
        "stratified": (table.name, {"stratified_split": {**fractions, "key": "cls"}}),
        "filter": (text.name, {"filter_split": {
            "training_filter": "labels.set=train OR labels.set=both",
            "validation_filter": "labels.set=valid OR labels.set=both",
            "test_filter": "labels.set=test",
        }}),
    }
    pipelines = {
        kind: clients.pipeline.create_training_pipeline(
            parent=location_parent(), training_pipeline=split_pipeline(dataset, f"gs://{BUCKET}/splits/{kind}", split)
        )
        for kind, (dataset, split) in splits.items()
    }
    reports = {}
    for kind, pipeline in pipelines.items():
        done = wait_done(clients.pipeline.get_training_pipeline, pipeline.name)
        assert done.state.name == "PIPELINE_STATE_SUCCEEDED", f"{kind}: {done.error.message}"
        model = clients.model.get_model(name=done.model_to_upload.name)
        reports[kind] = json.loads(local.storage.read_text(f"{model.artifact_uri}report.json"))
        assert reports[kind]["format"] == ("jsonl" if kind == "filter" else "csv")

    fraction = reports["fraction"]
    assert [len(fraction[s]) for s in ("training", "validation", "test")] == [10, 5, 5]
    assert sorted(fraction["training"] + fraction["validation"] + fraction["test"]) == list(range(20))
    assert reports["predefined"]["training"] == [0, 4, 8, 12, 16]
    assert reports["predefined"]["validation"] == [1, 5, 9, 13, 17]
    assert reports["predefined"]["test"] == [2, 6, 10, 14, 18]
    assert reports["timestamp"]["training"] == list(range(10, 20))  # the oldest half
    assert reports["timestamp"]["validation"] == [5, 6, 7, 8, 9]
    assert reports["timestamp"]["test"] == [0, 1, 2, 3, 4]  # the newest
    stratified = reports["stratified"]
    assert [sum(i % 5 == 0 for i in stratified[s]) for s in ("training", "validation", "test")] == [2, 1, 1]
    assert [len(stratified[s]) for s in ("training", "validation", "test")] == [10, 5, 5]
    assert reports["filter"]["training"] == ["t0", "t3", "t5", "t8"]  # "both" goes to the first match
    assert reports["filter"]["validation"] == ["t1", "t6"]
    assert reports["filter"]["test"] == ["t2", "t7"]


def test_bigquery_is_refused_with_a_clear_message(local: Emulator, clients: GapicClients, prefix: str) -> None:
    operation = clients.dataset.create_dataset(
        parent=location_parent(),
        dataset={"display_name": "bq", "metadata_schema_uri": TABULAR,
                 "metadata": {"inputConfig": {"bigquerySource": {"uri": "bq://p.d.t"}}}},
    )
    with pytest.raises(exceptions.MethodNotImplemented, match="BigQuery sources are not supported"):
        operation.result(timeout=10)

    local.storage.write_text(f"{prefix}/t.csv", "id,ml_use,ts,cls\n1,training,2024-01-01T00:00:00Z,a\n")
    table = clients.dataset.create_dataset(
        parent=location_parent(),
        dataset={"display_name": "t", "metadata_schema_uri": TABULAR,
                 "metadata": {"inputConfig": {"gcsSource": {"uri": [f"{prefix}/t.csv"]}}}},
    ).result(timeout=10)
    body = split_pipeline(table.name, prefix, {})
    del body["input_data_config"]["gcs_destination"]
    body["input_data_config"]["bigquery_destination"] = {"output_uri": "bq://p"}
    pipeline = clients.pipeline.create_training_pipeline(parent=location_parent(), training_pipeline=body)
    done = wait_done(clients.pipeline.get_training_pipeline, pipeline.name)
    assert done.state.name == "PIPELINE_STATE_FAILED"
    assert done.error.code == 12
    assert "BigQuery destinations are not supported by the local emulator" in done.error.message


def test_import_reads_items_and_export_writes_them(local: Emulator, clients: GapicClients, prefix: str) -> None:
    lines = [{"textContent": f"t{i}", "dataItemResourceLabels": {"n": str(i)}} for i in range(6)]
    local.storage.write_text(f"{prefix}/items.jsonl", "".join(json.dumps(line) + "\n" for line in lines))
    dataset = clients.dataset.create_dataset(
        parent=location_parent(), dataset={"display_name": "texts", "metadata_schema_uri": TEXT}
    ).result(timeout=10)
    config = {"gcs_source": {"uris": [f"{prefix}/items.jsonl"]}, "import_schema_uri": TEXT_IMPORT,
              "data_item_labels": {"source": "upload"}}
    clients.dataset.import_data(name=dataset.name, import_configs=[config]).result(timeout=10)
    clients.dataset.import_data(name=dataset.name, import_configs=[config]).result(timeout=10)  # same items
    assert clients.dataset.get_dataset(name=dataset.name).data_item_count == 6

    missing = clients.dataset.import_data(
        name=dataset.name,
        import_configs=[{"gcs_source": {"uris": [f"{prefix}/nothing.jsonl"]}, "import_schema_uri": TEXT_IMPORT}],
    )
    with pytest.raises(exceptions.NotFound, match=r"nothing\.jsonl"):
        missing.result(timeout=10)

    exported = clients.dataset.export_data(
        name=dataset.name,
        export_config={"gcs_destination": {"output_uri_prefix": f"{prefix}/export"},
                       "fraction_split": {"training_fraction": 0.5, "validation_fraction": 0.5}},
    ).result(timeout=10)
    files = list(exported.exported_files)
    assert [f.rsplit("/", 1)[1] for f in files] == [
        "training-00000-of-00001.jsonl", "validation-00000-of-00001.jsonl", "test-00000-of-00001.jsonl"
    ]
    written = [json.loads(line) for uri in files for line in local.storage.read_text(uri).splitlines()]
    assert sorted(item["textContent"] for item in written) == [f"t{i}" for i in range(6)]
    assert all(item["dataItemResourceLabels"]["source"] == "upload" for item in written)
    assert (exported.data_stats.training_data_items_count, exported.data_stats.test_data_items_count) == (3, 0)

    local.storage.write_text(f"{prefix}/rows.csv", "a,b\n1,2\n3,4\n")
    table = clients.dataset.create_dataset(
        parent=location_parent(),
        dataset={"display_name": "rows", "metadata_schema_uri": TABULAR,
                 "metadata": {"inputConfig": {"gcsSource": {"uri": [f"{prefix}/rows.*"]}}}},
    ).result(timeout=10)
    assert table.data_item_count == 2
    refused = clients.dataset.import_data(name=table.name, import_configs=[config])
    with pytest.raises(exceptions.FailedPrecondition, match="tabular dataset reads its CSV files"):
        refused.result(timeout=10)
    (csv_file,) = clients.dataset.export_data(
        name=table.name, export_config={"gcs_destination": {"output_uri_prefix": f"{prefix}/export"}}
    ).result(timeout=10).exported_files
    assert local.storage.read_text(csv_file) == "a,b\n1,2\n3,4\n"


# -- batch prediction -------------------------------------------------------------------------------------
def test_batch_prediction_uses_the_model_version_the_job_names(
    local: Emulator, clients: GapicClients, prefix: str, tmp_path: Path
) -> None:
    for label in ("first", "second"):
        joblib.dump(DummyClassifier(strategy="constant", constant=label).fit([[0], [1]], [label, label]),
                    tmp_path / "model.joblib")
        local.storage.write_bytes(f"{prefix}/{label}/model.joblib", (tmp_path / "model.joblib").read_bytes())
    model = {"display_name": "dummy", "container_spec": {"image_uri": SERVING_IMAGE}}
    first = clients.model.upload_model(
        parent=location_parent(), model={**model, "artifact_uri": f"{prefix}/first/"}
    ).result(timeout=10)
    second = clients.model.upload_model(
        request={"parent": location_parent(), "model": {**model, "artifact_uri": f"{prefix}/second/"},
                 "parent_model": first.model}
    ).result(timeout=10)
    assert second.model_version_id == "2"
    local.storage.write_text(f"{prefix}/instances.jsonl", "[1]\n[2]\n[3]\n")

    def predict(model_name: str) -> list[Any]:
        job = clients.job.create_batch_prediction_job(
            parent=location_parent(),
            batch_prediction_job={
                "display_name": "predict",
                "model": model_name,
                "input_config": {"instances_format": "jsonl", "gcs_source": {"uris": [f"{prefix}/instances.jsonl"]}},
                "output_config": {"predictions_format": "jsonl",
                                  "gcs_destination": {"output_uri_prefix": f"{prefix}/predictions"}},
            },
        )
        done = wait_done(clients.job.get_batch_prediction_job, job.name)
        assert done.state.name == "JOB_STATE_SUCCEEDED", done.error.message
        assert done.completion_stats.successful_count == 3
        directory = done.output_info.gcs_output_directory
        assert directory.startswith(f"{prefix}/predictions/prediction-dummy-")
        results = local.storage.read_text(f"{directory}/prediction.results-00000-of-00001")
        return [json.loads(line)["prediction"] for line in results.splitlines()]

    assert predict(f"{first.model}@2") == ["second"] * 3
    assert predict(first.model) == ["first"] * 3  # the default version
    assert predict(f"{first.model}@default") == ["first"] * 3


def test_two_starting_replicas_each_write_a_shard_of_the_predictions(
    local: Emulator, clients: GapicClients, prefix: str, tmp_path: Path
) -> None:
    joblib.dump(DummyClassifier(strategy="constant", constant="yes").fit([[0], [1]], ["yes", "yes"]),
                tmp_path / "model.joblib")
    local.storage.write_bytes(f"{prefix}/m/model.joblib", (tmp_path / "model.joblib").read_bytes())
    model = clients.model.upload_model(
        parent=location_parent(),
        model={"display_name": "dummy", "artifact_uri": f"{prefix}/m/", "container_spec": {"image_uri": SERVING_IMAGE}},
    ).result(timeout=10)
    local.storage.write_text(f"{prefix}/in.jsonl", "".join(f"[{i}]\n" for i in range(3000)) + "oops\n")
    job = clients.job.create_batch_prediction_job(
        parent=location_parent(),
        batch_prediction_job={
            "display_name": "predict",
            "model": model.model,
            "input_config": {"instances_format": "jsonl", "gcs_source": {"uris": [f"{prefix}/in.jsonl"]}},
            "output_config": {"predictions_format": "jsonl", "gcs_destination": {"output_uri_prefix": prefix}},
            "dedicated_resources": {"machine_spec": {"machine_type": "n1-standard-2"},
                                    "starting_replica_count": 2, "max_replica_count": 2},
        },
    )
    done = wait_done(clients.job.get_batch_prediction_job, job.name)
    assert done.state.name == "JOB_STATE_SUCCEEDED", done.error.message
    assert (done.completion_stats.successful_count, done.completion_stats.failed_count) == (3000, 1)
    directory = done.output_info.gcs_output_directory
    assert sorted(uri.rsplit("/", 1)[-1] for uri in local.storage.list(f"{directory}/")) == [
        "prediction.errors_stats-00000-of-00002", "prediction.errors_stats-00001-of-00002",
        "prediction.results-00000-of-00002", "prediction.results-00001-of-00002",
    ]
    results = [json.loads(line) for i in (0, 1)
               for line in local.storage.read_text(f"{directory}/prediction.results-0000{i}-of-00002").splitlines()]
    assert sorted(r["instance"][0] for r in results) == list(range(3000))
    assert {r["prediction"] for r in results} == {"yes"}


def test_a_model_without_its_artifacts_fails_the_job(clients: GapicClients, prefix: str) -> None:
    uploaded = clients.model.upload_model(
        parent=location_parent(),
        model={"display_name": "empty", "artifact_uri": f"{prefix}/m/", "container_spec": {"image_uri": SERVING_IMAGE}},
    ).result(timeout=10)
    job = clients.job.create_batch_prediction_job(
        parent=location_parent(),
        batch_prediction_job={
            "display_name": "predict",
            "model": uploaded.model,
            "input_config": {"instances_format": "jsonl", "gcs_source": {"uris": [f"{prefix}/in.jsonl"]}},
            "output_config": {"predictions_format": "jsonl", "gcs_destination": {"output_uri_prefix": prefix}},
        },
    )
    done = wait_done(clients.job.get_batch_prediction_job, job.name)
    assert done.state.name == "JOB_STATE_FAILED"
    assert f"{prefix}/m/" in done.error.message, done.error.message
