"""The stack config as one model: every stack file is valid, and a bad or missing key fails naming the key and
the stack file, in the model and through the program itself."""

from __future__ import annotations

from typing import Any

import pytest

from program import ProgramConfig, StackConfigError
from program.config import STACK_CONFIG_DIR
from program.stack_files import project_file, stack_config

from .conftest import STACKS, record


def _config(stack: str, **overrides: Any) -> ProgramConfig:
    return ProgramConfig.from_stack_values(stack, stack_config(stack, overrides=overrides))


def _problems(stack: str, **overrides: Any) -> StackConfigError:
    with pytest.raises(StackConfigError) as caught:
        _config(stack, **overrides)
    assert str(caught.value).startswith(f"stacks/Pulumi.{stack}.yaml: invalid stack config")
    return caught.value


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_file_is_valid(stack: str) -> None:
    config = _config(stack)
    assert config.stack == stack
    assert config.is_local is (stack == "local")


def test_pulumi_yaml_declares_every_scalar_key_the_model_reads() -> None:
    project = project_file()
    assert project["name"] == "vertex-ml"
    assert project["stackConfigDir"] == STACK_CONFIG_DIR
    assert project["runtime"]["options"]["virtualenv"] == "venv"
    declared = set(project["config"])
    model_keys = {
        f.alias.split(":", 1)[1] for f in ProgramConfig.model_fields.values() if f.alias and "vertex-ml:" in f.alias
    }
    assert declared == model_keys - {"split", "tuning"}, "objects cannot be declared in Pulumi.yaml"
    for key, declaration in project["config"].items():
        assert declaration["type"] in ("string", "integer", "boolean", "array"), key
        assert declaration.get("description"), f"{key} says what it does"


@pytest.mark.parametrize(
    ("overrides", "key", "message"),
    [
        ({"vertex-ml:namePrefix": None}, "vertex-ml:namePrefix", "missing"),
        ({"vertex-ml:environment": "staging"}, "vertex-ml:environment", "'local', 'dev' or 'prod'"),
        ({"vertex-ml:trainingDataUri": "/data/train.csv"}, "vertex-ml:trainingDataUri", "should match pattern"),
        ({"vertex-ml:predictionMaxReplicas": "many"}, "vertex-ml:predictionMaxReplicas", "valid integer"),
        ({"vertex-ml:split": "{not json"}, "vertex-ml:split", "must be an object"),
        (
            {"vertex-ml:split": {"kind": "fraction", "trainingFraction": 0.9, "validationFraction": 0.2}},
            "vertex-ml:split",
            "must sum to at most 1",
        ),
        ({"vertex-ml:split": {"kind": "fraction", "trainingFraction": 2}}, "vertex-ml:split.trainingFraction", "1"),
        ({"vertex-ml:split": {"kind": "stratified"}}, "vertex-ml:split.key", "missing"),
        ({"vertex-ml:split": {"kind": "random"}}, "vertex-ml:split", "'fraction'"),
        (
            {"vertex-ml:tuning": {"maxTrialCount": 1, "parallelTrialCount": 2, "studySpec": {}}},
            "vertex-ml:tuning.studySpec.metrics",
            "missing",
        ),
        ({"vertex-ml:splitt": "x"}, "vertex-ml:splitt", "unknown key"),
        ({"vertex-ml:parentModel": "iris"}, "vertex-ml:parentModel", "projects/P/locations/L/models/ID"),
        ({"vertex:endpoint": "https://us-central1-aiplatform.googleapis.com"}, "vertex:endpoint", "http://"),
    ],
)
def test_a_bad_or_missing_key_is_named(overrides: dict[str, Any], key: str, message: str) -> None:
    error = _problems("local", **overrides)
    assert any(where == key and message in text for where, text in error.problems), error.problems
    assert f"  - {key}: " in str(error)


def test_cloud_stacks_need_the_gcp_keys_and_no_emulator() -> None:
    error = _problems("prod-eu", **{"gcp:project": None, "vertex:endpoint": "http://127.0.0.1:8765"})
    keys = [where for where, _ in error.problems]
    assert "gcp:project" in keys
    assert "vertex:endpoint" in keys
    assert "vertex:project" in keys, "nothing says which project the Vertex resources go to"


def test_tuning_parallelism_within_the_trial_budget() -> None:
    tuning = {
        "maxTrialCount": 2,
        "parallelTrialCount": 3,
        "studySpec": {
            "metrics": [{"metricId": "accuracy", "goal": "MAXIMIZE"}],
            "parameters": [{"parameterId": "max-depth", "integerValueSpec": {"minValue": 2, "maxValue": 4}}],
        },
    }
    error = _problems("dev", **{"vertex-ml:tuning": tuning})
    assert error.problems == [("vertex-ml:tuning", "parallelTrialCount (3) must be at most maxTrialCount (2)")]


def test_the_program_fails_with_the_key_and_the_stack_file() -> None:
    report = record("prod-us", {"vertex-ml:split": {"kind": "stratified", "trainingFraction": 0.8}})
    assert report["error"] is not None
    assert report["error"].startswith("StackConfigError: stacks/Pulumi.prod-us.yaml: invalid stack config")
    assert "vertex-ml:split.key: missing" in report["error"]
    assert report["resources"] == [], "nothing is registered from a bad config"
