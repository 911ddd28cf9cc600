"""The whole chain a training pipeline runs, with the real example trainer package against real GCS storage:
export the dataset split -> install and run the sdist -> model.joblib -> batch prediction; and tuning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib
import pytest

from vertex_emulator.execution import (
    BatchPredictionRun,
    ExecutionContext,
    RunState,
    TrainingRun,
    TuningRun,
    export_dataset,
)
from vertex_emulator.storage import ObjectStorage

from .conftest import REPO

DATA = REPO / "examples" / "data"
TRAINING_IMAGE = "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest"
SERVING_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"


def package_job(package_uri: str, base: str) -> dict[str, Any]:
    # The snake_case and float spelling the high-level SDK sends in trainingTaskInputs.
    return {
        "worker_pool_specs": [{
            "machine_spec": {"machine_type": "n1-standard-4"},
            "replica_count": 1.0,
            "python_package_spec": {"executor_image_uri": TRAINING_IMAGE, "package_uris": [package_uri],
                                    "python_module": "trainer.task", "args": ["--target-column=species"]},
        }],
        "base_output_directory": {"output_uri_prefix": base},
    }


@pytest.fixture
def staged(gcs: ObjectStorage, trainer_sdist: Path, tmp_path: Path) -> dict[str, str]:
    prefix = f"gs://bkt/e2e-{tmp_path.name}"
    gcs.write_bytes(f"{prefix}/data/train.csv", (DATA / "train.csv").read_bytes())
    gcs.write_bytes(f"{prefix}/data/instances.jsonl", (DATA / "instances.jsonl").read_bytes())
    gcs.write_bytes(f"{prefix}/staging/{trainer_sdist.name}", trainer_sdist.read_bytes())
    return {"prefix": prefix, "package": f"{prefix}/staging/{trainer_sdist.name}"}


@pytest.mark.slow
def test_training_pipeline_chain_trains_the_example_and_predicts_with_its_model(
    gcs: ObjectStorage, gcs_context: ExecutionContext, staged: dict[str, str], tmp_path: Path
) -> None:
    prefix = staged["prefix"]
    dataset = {
        "name": "projects/p/locations/us-central1/datasets/77",
        "metadataSchemaUri": "gs://google-cloud-aiplatform/schema/dataset/metadata/tabular_1.0.0.yaml",
        "metadata": {"inputConfig": {"gcsSource": {"uri": [f"{prefix}/data/train.csv"]}}},
    }
    exported = export_dataset(gcs, dataset, {
        "fractionSplit": {"trainingFraction": 0.8, "validationFraction": 0.2},
        "gcsDestination": {"outputUriPrefix": f"{prefix}/exports"},
    })
    assert dict(exported.counts) == {"training": 120, "validation": 30, "test": 0}

    training = TrainingRun(package_job(staged["package"], f"{prefix}/run"), gcs_context,
                           dataset_env=exported.environment).run()
    assert training.state is RunState.SUCCEEDED, training.error_message
    log = Path(training.logs["workerpool0-0"]).read_text()
    assert "trained on 120 rows" in log
    assert gcs.list(f"{prefix}/run/model/") == [f"{prefix}/run/model/model.joblib"]

    job = {
        "displayName": "score",
        "inputConfig": {"instancesFormat": "jsonl", "gcsSource": {"uris": [f"{prefix}/data/instances.jsonl"]}},
        "outputConfig": {"predictionsFormat": "jsonl", "gcsDestination": {"outputUriPrefix": f"{prefix}/predictions"}},
    }
    model = {"displayName": "iris", "artifactUri": f"{prefix}/run/model/", "containerSpec": {"imageUri": SERVING_IMAGE}}
    prediction = BatchPredictionRun(job, model, gcs_context.derive(work_dir=tmp_path / "predict")).run()
    assert prediction.state is RunState.SUCCEEDED, prediction.error_message

    gcs.download_to(f"{prefix}/run/model/model.joblib", tmp_path / "model.joblib")
    instances = [json.loads(line) for line in (DATA / "instances.jsonl").read_text().splitlines()]
    expected = joblib.load(tmp_path / "model.joblib").predict(instances).tolist()
    results = gcs.read_text(f"{prediction.output_info['gcsOutputDirectory']}/prediction.results-00000-of-00001")
    assert [json.loads(line) for line in results.splitlines()] == [
        {"instance": i, "prediction": p} for i, p in zip(instances, expected, strict=True)
    ]
    assert prediction.completion_stats["successfulCount"] == str(len(instances))


@pytest.mark.slow
def test_tuning_the_example_trainer_finds_the_better_depth(
    gcs: ObjectStorage, gcs_context: ExecutionContext, staged: dict[str, str]
) -> None:
    prefix = staged["prefix"]
    trial_spec = package_job(staged["package"], f"{prefix}/hpt")
    trial_spec["worker_pool_specs"][0]["python_package_spec"]["args"].append(f"--training-data={prefix}/data/train.csv")
    job = {
        "studySpec": {"metrics": [{"metricId": "accuracy", "goal": "MAXIMIZE"}], "algorithm": "GRID_SEARCH",
                      "parameters": [{"parameterId": "max-depth", "integerValueSpec": {"minValue": 1, "maxValue": 3}}]},
        "maxTrialCount": 3, "parallelTrialCount": 2, "trialJobSpec": trial_spec,
    }
    outcome = TuningRun(job, gcs_context).run()
    assert outcome.state is RunState.SUCCEEDED, outcome.error_message
    best = outcome.best_trial
    assert best is not None
    assert best["parameters"] != [{"parameterId": "max-depth", "value": 1}]
    assert best["finalMeasurement"]["metrics"][0]["value"] > 0.9
    assert gcs.exists(f"{prefix}/hpt/{outcome.best_trial_id}/model/model.joblib")
    assert len(list((gcs_context.work_dir / "venvs").glob("*/.ready"))) == 1  # trials share one venv
