"""End to end on the emulator's default (local) runner: train with real code, upload the model it wrote, predict
with it. Through the GAPIC clients and through the high-level SDK (CustomTrainingJob from a script,
CustomContainerTrainingJob with a command, CustomPythonPackageTrainingJob with the example trainer's sdist, then
`model.batch_predict`). Predictions are compared with the saved model.joblib predicting in this process.
"""

from __future__ import annotations

import importlib.util
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib
import pytest

from tests.vertex_emulator.bodies import CUSTOM_TASK, SERVING_IMAGE, TABULAR, TRAINING_IMAGE
from vertex_emulator import Emulator
from vertex_emulator.storage import ObjectStorage
from vertex_emulator.testing import gapic_clients, location_parent, sdk_init, wait_until

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "examples" / "data"
INSTANCES = [json.loads(line) for line in (DATA / "instances.jsonl").read_text().splitlines() if line]
BUCKET = "e2e"
TRAIN_CSV = f"gs://{BUCKET}/data/train.csv"
INSTANCES_JSONL = f"gs://{BUCKET}/data/instances.jsonl"


def _build_trainer_sdist(out_dir: Path) -> Path:
    spec = importlib.util.spec_from_file_location("make_sdist", REPO / "examples" / "trainer" / "make_sdist.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path: Path = module.build_sdist(out_dir)
    return path


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator(tmp_path_factory.mktemp("e2e")) as emulator:
        storage = emulator.storage
        storage.create_bucket(BUCKET)
        storage.write_bytes(TRAIN_CSV, (DATA / "train.csv").read_bytes())
        storage.write_bytes(INSTANCES_JSONL, (DATA / "instances.jsonl").read_bytes())
        sdist = _build_trainer_sdist(tmp_path_factory.mktemp("sdist"))
        storage.write_bytes(f"gs://{BUCKET}/packages/{sdist.name}", sdist.read_bytes())
        yield emulator


@pytest.fixture
def package_uri(local: Emulator) -> str:
    (uri,) = local.storage.list(f"gs://{BUCKET}/packages/")
    return uri


def predicted_in_process(storage: ObjectStorage, model_dir: str, tmp_path: Path) -> list[Any]:
    storage.download_to(f"{model_dir.rstrip('/')}/model.joblib", tmp_path / "model.joblib")
    predictions: list[Any] = joblib.load(tmp_path / "model.joblib").predict(INSTANCES).tolist()
    return predictions


def prediction_results(storage: ObjectStorage, directory: str) -> list[Any]:
    lines = storage.read_text(f"{directory}/prediction.results-00000-of-00001").splitlines()
    return [json.loads(line) for line in lines]


def test_gapic_pipeline_trains_the_package_on_its_dataset_and_its_model_predicts(
    local: Emulator, package_uri: str, tmp_path: Path
) -> None:
    clients = gapic_clients(local.endpoint)
    dataset = clients.dataset.create_dataset(
        parent=location_parent(),
        dataset={"display_name": "iris", "metadata_schema_uri": TABULAR,
                 "metadata": {"inputConfig": {"gcsSource": {"uri": [TRAIN_CSV]}}}},
    ).result(timeout=10)
    assert dataset.data_item_count == 150
    base = f"gs://{BUCKET}/gapic"
    pool = {
        "machine_spec": {"machine_type": "n1-standard-4"},
        "replica_count": 1,
        "python_package_spec": {"executor_image_uri": TRAINING_IMAGE, "package_uris": [package_uri],
                                "python_module": "trainer.task", "args": ["--target-column=species"]},
    }
    pipeline = clients.pipeline.create_training_pipeline(
        parent=location_parent(),
        training_pipeline={
            "display_name": "iris-gapic",
            "training_task_definition": CUSTOM_TASK,
            "training_task_inputs": {"worker_pool_specs": [pool], "base_output_directory": {"output_uri_prefix": base}},
            "input_data_config": {
                "dataset_id": dataset.name.rsplit("/", 1)[1],
                "fraction_split": {"training_fraction": 0.8, "validation_fraction": 0.1, "test_fraction": 0.1},
                "gcs_destination": {"output_uri_prefix": f"{base}/data"},
            },
            "model_to_upload": {"display_name": "iris", "container_spec": {"image_uri": SERVING_IMAGE}},
        },
    )
    done = wait_until(
        lambda: (p := clients.pipeline.get_training_pipeline(name=pipeline.name)).end_time and p, timeout=60
    )
    assert done.state.name == "PIPELINE_STATE_SUCCEEDED", done.error.message
    backing = clients.job.get_custom_job(name=done.training_task_metadata["backingCustomJob"])
    assert backing.state.name == "JOB_STATE_SUCCEEDED"
    log = Path(backing.web_access_uris["workerpool0-0"].removeprefix("file://")).read_text()
    assert "trained on 120 rows" in log
    assert "on 15 validation rows" in log
    model = clients.model.get_model(name=f"{done.model_to_upload.name}@{done.model_to_upload.version_id}")
    assert model.artifact_uri == f"{base}/model/"
    assert model.training_pipeline == done.name

    job = clients.job.create_batch_prediction_job(
        parent=location_parent(),
        batch_prediction_job={
            "display_name": "iris-predict",
            "model": model.name,
            "input_config": {"instances_format": "jsonl", "gcs_source": {"uris": [INSTANCES_JSONL]}},
            "output_config": {"predictions_format": "jsonl",
                              "gcs_destination": {"output_uri_prefix": f"{base}/predictions"}},
            "manual_batch_tuning_parameters": {"batch_size": 5},
        },
    )
    predicted = wait_until(
        lambda: (j := clients.job.get_batch_prediction_job(name=job.name)).end_time and j, timeout=30
    )
    assert predicted.state.name == "JOB_STATE_SUCCEEDED", predicted.error.message
    assert predicted.model_version_id == "1"
    stats = predicted.completion_stats
    assert (stats.successful_count, stats.failed_count, stats.incomplete_count) == (len(INSTANCES), 0, 0)
    expected = predicted_in_process(local.storage, model.artifact_uri, tmp_path)
    assert set(expected) <= {"setosa", "versicolor", "virginica"}
    assert prediction_results(local.storage, predicted.output_info.gcs_output_directory) == [
        {"instance": instance, "prediction": label} for instance, label in zip(INSTANCES, expected, strict=True)
    ]


# -- the high-level SDK -----------------------------------------------------------------------------------
@pytest.fixture
def sdk(local: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from google.cloud import aiplatform
    from google.cloud.aiplatform import initializer, jobs, training_jobs

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", local.storage_host)
    # The SDK polls every 5 s; local jobs take a second or two.
    monkeypatch.setattr(training_jobs, "_JOB_WAIT_TIME", 0.1)
    monkeypatch.setattr(jobs, "_JOB_WAIT_TIME", 0.1)
    sdk_init(local.endpoint, local.storage_host, f"gs://{BUCKET}")
    yield aiplatform
    initializer.global_config.__init__()  # type: ignore[misc]  # the SDK's configuration is global


SCRIPT = """
    import csv, io, os
    import joblib
    from google.cloud import storage
    from sklearn.linear_model import LogisticRegression

    client = storage.Client.create_anonymous_client()
    bucket, _, pattern = os.environ["AIP_TRAINING_DATA_URI"][len("gs://"):].partition("/")
    rows = []
    for blob in client.list_blobs(bucket, prefix=pattern.split("*")[0]):
        rows += list(csv.DictReader(io.StringIO(blob.download_as_text())))
    features = [[float(row[k]) for k in ("sepal_length", "sepal_width", "petal_length", "petal_width")] for row in rows]
    model = LogisticRegression(max_iter=500).fit(features, [row["species"] for row in rows])
    joblib.dump(model, "model.joblib")
    bucket, _, directory = os.environ["AIP_MODEL_DIR"][len("gs://"):].partition("/")
    client.bucket(bucket).blob(directory + "model.joblib").upload_from_filename("model.joblib")
    print(f"script trained on {len(rows)} rows")
"""


def _train_then_predict(aiplatform: Any, job: Any, name: str, tmp_path: Path, local: Emulator, **run: Any) -> None:
    dataset = aiplatform.TabularDataset.create(display_name=f"{name}-data", gcs_source=[TRAIN_CSV])
    base = f"gs://{BUCKET}/{name}"
    model = job.run(
        dataset=dataset,
        model_display_name=f"{name}-model",
        base_output_dir=base,
        replica_count=1,
        machine_type="n1-standard-4",
        training_fraction_split=0.8,
        validation_fraction_split=0.1,
        test_fraction_split=0.1,
        **run,
    )
    assert job.state.name == "PIPELINE_STATE_SUCCEEDED"
    assert model.uri == f"{base}/model/"
    assert model.version_id == "1"

    prediction = model.batch_predict(
        job_display_name=f"{name}-predict",
        gcs_source=INSTANCES_JSONL,
        gcs_destination_prefix=f"{base}/predictions",
        instances_format="jsonl",
        predictions_format="jsonl",
        machine_type="n1-standard-2",
    )
    assert prediction.state.name == "JOB_STATE_SUCCEEDED"
    directory = prediction.output_info.gcs_output_directory
    assert directory.startswith(f"{base}/predictions/prediction-{name}-model-")
    expected = predicted_in_process(local.storage, model.uri, tmp_path)
    assert [line["prediction"] for line in prediction_results(local.storage, directory)] == expected


def test_sdk_custom_training_job_from_a_script(sdk: Any, local: Emulator, tmp_path: Path) -> None:
    script = tmp_path / "task.py"
    script.write_text(textwrap.dedent(SCRIPT))
    job = sdk.CustomTrainingJob(
        display_name="script",
        script_path=str(script),
        container_uri=TRAINING_IMAGE,
        model_serving_container_image_uri=SERVING_IMAGE,
    )
    _train_then_predict(sdk, job, "script", tmp_path, local)
    staged = [uri for uri in local.storage.list(f"gs://{BUCKET}/") if uri.endswith("trainer_script-0.1.tar.gz")]
    assert len(staged) == 1, "the SDK staged the script as an sdist in the staging bucket"


def test_sdk_custom_container_training_job_with_a_python_command(sdk: Any, local: Emulator, tmp_path: Path) -> None:
    job = sdk.CustomContainerTrainingJob(
        display_name="container",
        container_uri=TRAINING_IMAGE,
        command=["python", "-m", "trainer.task"],
        model_serving_container_image_uri=SERVING_IMAGE,
    )
    _train_then_predict(
        sdk, job, "container", tmp_path, local,
        args=["--target-column=species"],
        environment_variables={"PYTHONPATH": str(REPO / "examples" / "trainer")},
    )


def test_sdk_python_package_training_job(sdk: Any, local: Emulator, package_uri: str, tmp_path: Path) -> None:
    job = sdk.CustomPythonPackageTrainingJob(
        display_name="package",
        python_package_gcs_uri=package_uri,
        python_module_name="trainer.task",
        container_uri=TRAINING_IMAGE,
        model_serving_container_image_uri=SERVING_IMAGE,
    )
    _train_then_predict(sdk, job, "package", tmp_path, local, args=["--target-column=species", "--max-depth=3"])


def test_sdk_sees_a_failed_training_with_its_exit_code(sdk: Any) -> None:
    job = sdk.CustomContainerTrainingJob(
        display_name="broken",
        container_uri=TRAINING_IMAGE,
        command=["python", "-c", "import sys; print('no data here'); sys.exit(7)"],
    )
    with pytest.raises(RuntimeError, match="non-zero status of 7") as failure:
        job.run(replica_count=1, machine_type="n1-standard-4", base_output_dir=f"gs://{BUCKET}/broken")
    assert "no data here" in str(failure.value)
    assert job.state.name == "PIPELINE_STATE_FAILED"
