"""The high-level SDK (google.cloud.aiplatform) against the emulator, REST transport and anonymous credentials."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vertex_emulator import Emulator
from vertex_emulator.testing import sdk_init

SERVING_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"


@pytest.fixture
def sdk(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    from google.cloud.aiplatform import initializer

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.storage_host)
    emulator.storage.create_bucket("staging")
    emulator.storage.write_text("gs://staging/data/train.csv", "x,y\n1,2\n3,4\n")
    emulator.storage.write_text("gs://staging/data/instances.jsonl", '{"x": 1}\n')
    sdk_init(emulator.endpoint, emulator.storage_host, "gs://staging")
    yield emulator
    initializer.global_config.__init__()  # type: ignore[misc]  # forget this endpoint: the SDK config is global


def test_dataset_container_training_and_batch_prediction(sdk: Emulator) -> None:
    from google.cloud import aiplatform

    dataset = aiplatform.TabularDataset.create(display_name="table", gcs_source=["gs://staging/data/train.csv"])
    assert dataset.resource_name.split("/")[-1].isdigit()
    assert sorted(dataset.column_names) == ["x", "y"]  # the SDK reads the CSV header from emulator storage

    job = aiplatform.CustomContainerTrainingJob(
        display_name="train",
        container_uri="us-docker.pkg.dev/my-project/trainers/train:1",
        command=["python", "-m", "trainer"],
        model_serving_container_image_uri=SERVING_IMAGE,
    )
    model = job.run(
        dataset=dataset,
        model_display_name="sdk-model",
        replica_count=1,
        machine_type="n1-standard-4",
        base_output_dir="gs://staging/output",
    )
    assert job.state.name == "PIPELINE_STATE_SUCCEEDED"
    assert model.display_name == "sdk-model"
    assert model.version_id == "1"
    assert model.uri == "gs://staging/output/model/"

    prediction = model.batch_predict(
        job_display_name="predict",
        gcs_source="gs://staging/data/instances.jsonl",
        gcs_destination_prefix="gs://staging/predictions",
        instances_format="jsonl",
        machine_type="n1-standard-2",
    )
    assert prediction.state.name == "JOB_STATE_SUCCEEDED"
    assert prediction.output_info.gcs_output_directory.startswith("gs://staging/predictions/prediction-sdk-model-")


def test_script_training_stages_its_package_in_emulator_storage(sdk: Emulator, tmp_path: Path) -> None:
    from google.cloud import aiplatform

    script = tmp_path / "task.py"
    script.write_text("print('training')\n")
    job = aiplatform.CustomTrainingJob(
        display_name="script",
        script_path=str(script),
        container_uri="us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest",
    )
    job.run(replica_count=1, machine_type="n1-standard-4", base_output_dir="gs://staging/script-output")
    staged = [uri for uri in sdk.storage.list("gs://staging/") if uri.endswith(".tar.gz")]
    assert len(staged) == 1
    assert "aiplatform_custom_trainer_script-0.1.tar.gz" in staged[0]
    inputs = job.gca_resource.training_task_inputs
    assert inputs["workerPoolSpecs"][0]["pythonPackageSpec"]["packageUris"] == staged
