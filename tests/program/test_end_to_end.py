"""The local stack end to end without the CLI: each program run goes through Pulumi's provider server against the
emulator, as the engine would drive it (``tests/program/engine.py``): up, an unchanged re-run, a change of the
split fractions, destroy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from program import ProgramConfig
from program.local import stage
from program.stack_files import stack_config
from vertex_emulator import Emulator
from vertex_emulator.testing import gapic_clients

from .conftest import run_engine

NEW_SPLIT = {"kind": "fraction", "trainingFraction": 0.6, "validationFraction": 0.2, "testFraction": 0.2}


def _ops(report: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    assert report["error"] is None, report["error"]
    return {step["name"]: (step["op"], step.get("replaces") or []) for step in report["steps"]}


def _assert_before(report: dict[str, Any], first: str, then: str, *rest: str) -> None:
    """``first`` is handled before ``then`` and ``rest`` (created before, or deleted before)."""
    order = [step["name"] for step in report["steps"]]
    assert all(order.index(first) < order.index(name) for name in (then, *rest)), order


def _emulator_holds(emulator: Emulator) -> dict[str, set[str]]:
    clients = gapic_clients(emulator.endpoint)
    parent = "projects/local-project/locations/us-central1"
    return {
        "datasets": {d.name for d in clients.dataset.list_datasets(parent=parent)},
        "trainingPipelines": {p.name for p in clients.pipeline.list_training_pipelines(parent=parent)},
        "batchPredictionJobs": {j.name for j in clients.job.list_batch_prediction_jobs(parent=parent)},
        "customJobs": {j.name for j in clients.job.list_custom_jobs(parent=parent)},
        "hyperparameterTuningJobs": {j.name for j in clients.job.list_hyperparameter_tuning_jobs(parent=parent)},
        "models": {m.name for m in clients.model.list_models(parent=parent)},
    }


def test_up_rerun_change_destroy(emulator: Emulator, tmp_path: Path) -> None:
    settings = {
        "vertex:endpoint": emulator.endpoint,
        "vertex:pollInitialInterval": "0.05",
        "vertex:retryInitialDelay": "0.05",
    }
    config = ProgramConfig.from_stack_values("local", stack_config("local", overrides=settings))
    staged = stage(config, emulator.storage_host)  # what scripts/up-local does before `pulumi up`
    assert {item.uri for item in staged} <= set(emulator.storage.list("gs://vml-local-staging/"))
    state = tmp_path / "state.json"

    # up: everything is created, in dependency order, and the outputs are real.
    up = run_engine("local", "up", settings, state)
    assert _ops(up) == dict.fromkeys(("dataset", "training", "batch-prediction", "tuning"), ("create", []))
    _assert_before(up, "dataset", "training", "tuning", "batch-prediction")
    _assert_before(up, "training", "tuning", "batch-prediction")
    exports = up["exports"]
    holds = _emulator_holds(emulator)
    assert holds["datasets"] == {exports["dataset"]}
    assert holds["trainingPipelines"] == {exports["training_pipeline"], exports["tuning_pipeline"]}
    assert holds["batchPredictionJobs"] == {exports["batch_prediction_job"]}
    assert holds["models"] == {exports["model"]}, "the tuned model is a new version of the trained one"
    assert (exports["model_version"], exports["tuned_model_version"]) == ("1", "2")
    assert exports["predictions"].startswith("gs://vml-local-output/vml-local/predictions/")
    assert exports["best_trial"]["metrics"]["accuracy"] is not None

    # An unchanged program previews with no changes.
    rerun = run_engine("local", "preview", settings, state)
    assert {op for op, _ in _ops(rerun).values()} == {"same"}
    assert rerun["exports"] == exports

    # New split fractions: the pipelines that split the data are replaced, the batch job follows the new model,
    # the dataset stays.
    changed = {**settings, "vertex-ml:split": NEW_SPLIT}
    preview = run_engine("local", "preview", changed, state)
    assert _ops(preview) == {
        "dataset": ("same", []),
        "training": ("replace", ["input_data_config"]),
        "batch-prediction": ("replace", ["model"]),
        "tuning": ("replace", ["input_data_config", "parent_model"]),
    }
    assert preview["exports"]["model"] == "<unknown>", "the new model is not known before the new pipeline ran"
    assert _emulator_holds(emulator) == holds, "a preview changes nothing"

    applied = run_engine("local", "up", changed, state)
    assert _ops(applied) == _ops(preview)
    after = _emulator_holds(emulator)
    assert after["datasets"] == holds["datasets"]
    assert after["trainingPipelines"] == {
        applied["exports"]["training_pipeline"],
        applied["exports"]["tuning_pipeline"],
    }
    assert after["trainingPipelines"].isdisjoint(holds["trainingPipelines"]), "replaced pipelines are deleted"
    assert after["batchPredictionJobs"] == {applied["exports"]["batch_prediction_job"]}
    assert {op for op, _ in _ops(run_engine("local", "preview", changed, state)).values()} == {"same"}

    # destroy: nothing is left, not even the models and jobs the pipelines made (the local stack sets
    # vertex-ml:deleteArtifacts; the providers keep artifacts by default).
    destroyed = run_engine("local", "destroy", changed, state)
    assert sorted(_ops(destroyed)) == ["batch-prediction", "dataset", "training", "tuning"]
    _assert_before(destroyed, "tuning", "training", "dataset")
    _assert_before(destroyed, "batch-prediction", "training")
    left = _emulator_holds(emulator)
    assert all(not names for names in left.values()), f"left in the emulator: {left}"
    assert state.read_text() == "{}"


def test_the_local_stack_really_trains_tunes_and_predicts(tmp_path: Path) -> None:
    """What `scripts/up-local` brings up, on the emulator's default runner: the example trainer really runs on the
    split dataset, the tuning trials really run, and every staged instance gets a prediction."""
    with Emulator() as emulator:  # the local runner: jobs are real processes
        settings = {
            "vertex:endpoint": emulator.endpoint,
            "vertex:pollInitialInterval": "0.2",
            "vertex:retryInitialDelay": "0.05",
        }
        config = ProgramConfig.from_stack_values("local", stack_config("local", overrides=settings))
        stage(config, emulator.storage_host)
        state = tmp_path / "state.json"
        up = run_engine("local", "up", settings, state)
        assert {op for op, _ in _ops(up).values()} == {"create"}
        exports = up["exports"]
        assert exports["best_trial"]["metrics"]["accuracy"] > 0.8

        results = [uri for uri in emulator.storage.list(exports["predictions"]) if "prediction.results-" in uri]
        lines = [line for uri in results for line in emulator.storage.read_text(uri).splitlines() if line]
        instances = emulator.storage.read_text(config.batch_input_uri).splitlines()
        assert len(lines) == len([line for line in instances if line.strip()])
        species = {json.loads(line)["prediction"] for line in lines}
        assert species <= {"setosa", "versicolor", "virginica"}
        assert len(species) > 1

        run_engine("local", "destroy", settings, state)
        assert all(not names for names in _emulator_holds(emulator).values())
