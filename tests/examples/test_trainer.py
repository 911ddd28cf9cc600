"""The example training package, run the way Vertex AI runs it (``python -m trainer.task``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import joblib

from vertex_emulator.storage import ObjectStorage

REPO = Path(__file__).resolve().parents[2]
TRAINER = REPO / "examples" / "trainer"
DATA = REPO / "examples" / "data"


def run_trainer(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AIP_", "CLOUD_ML_"))}
    full_env.update(env, PYTHONPATH=str(TRAINER))
    return subprocess.run([sys.executable, "-m", "trainer.task", *args], env=full_env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def instances() -> list[list[float]]:
    return [json.loads(line) for line in (DATA / "instances.jsonl").read_text().splitlines()]


def test_trains_on_the_shipped_csv_reports_accuracy_and_writes_the_model(tmp_path: Path) -> None:
    metrics = tmp_path / "hypertune" / "metrics"
    result = run_trainer(
        ["--training-data", str(DATA / "train.csv"), "--target-column=species", "--max_depth=3"],
        {"AIP_MODEL_DIR": str(tmp_path / "model"), "CLOUD_ML_HP_METRIC_FILE": str(metrics), "CLOUD_ML_TRIAL_ID": "4"},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    model = joblib.load(tmp_path / "model" / "model.joblib")
    assert model.get_depth() <= 3
    assert set(model.predict(instances()).tolist()) <= {"setosa", "versicolor", "virginica"}
    [report] = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert report["trial"] == "4"
    assert float(report["accuracy"]) > 0.85


def test_a_deeper_tree_fits_iris_better_than_a_stump(tmp_path: Path) -> None:
    accuracies = {}
    for depth in (1, 3):
        metrics = tmp_path / f"metrics-{depth}"
        result = run_trainer(
            ["--training-data", str(DATA / "train.csv"), "--target-column", "species", f"--max-depth={depth}",
             "--model-dir", str(tmp_path / f"model-{depth}")],
            {"CLOUD_ML_HP_METRIC_FILE": str(metrics)}, tmp_path,
        )
        assert result.returncode == 0, result.stderr
        accuracies[depth] = float(json.loads(metrics.read_text())["accuracy"])
    assert accuracies[1] < 0.75 < 0.9 < accuracies[3]


def test_reads_and_writes_gs_uris_through_the_storage_emulator(tmp_path: Path, gcs: ObjectStorage) -> None:
    gcs.write_bytes("gs://bkt/trainer-test/export/training-00000-of-00001.csv", (DATA / "train.csv").read_bytes())
    result = run_trainer(
        ["--target-column=species"],
        {"STORAGE_EMULATOR_HOST": gcs.host, "AIP_TRAINING_DATA_URI": "gs://bkt/trainer-test/export/training-*.csv",
         "AIP_MODEL_DIR": "gs://bkt/trainer-test/model/", "CLOUD_ML_HP_METRIC_FILE": str(tmp_path / "m")},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "model written to gs://bkt/trainer-test/model/model.joblib" in result.stdout
    gcs.download_to("gs://bkt/trainer-test/model/model.joblib", tmp_path / "model.joblib")
    assert len(joblib.load(tmp_path / "model.joblib").predict(instances())) == len(instances())


def test_missing_data_is_a_usage_error(tmp_path: Path) -> None:
    result = run_trainer([], {}, tmp_path)
    assert result.returncode == 2
    assert "AIP_TRAINING_DATA_URI" in result.stderr


def test_builds_as_an_sdist(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(TRAINER / "make_sdist.py"), str(tmp_path)],
                            capture_output=True, text=True, check=True)
    sdist = Path(result.stdout.strip())
    assert sdist.name == "trainer-0.1.0.tar.gz"
    with tarfile.open(sdist) as archive:
        assert "trainer-0.1.0/trainer/task.py" in archive.getnames()
    assert not list(TRAINER.glob("*.egg-info"))
