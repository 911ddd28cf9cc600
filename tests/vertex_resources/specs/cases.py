"""Shared by the rule tests: a valid spec of every kind, and how a rule case is changed, run and named."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from vertex_resources import SpecError
from vertex_resources.specs import (
    ApiModel,
    BatchPredictionJobDefinition,
    CustomJobDefinition,
    DatasetDefinition,
    HyperparameterTuningJobDefinition,
    ModelDefinition,
    TrainingPipelineDefinition,
)

POOL: dict[str, Any] = {
    "machine_spec": {"machine_type": "n1-standard-4"},
    "container_spec": {"image_uri": "gcr.io/acme/trainer:1"},
}
PACKAGE_POOL: dict[str, Any] = {
    "machine_spec": {"machine_type": "n1-standard-4"},
    "python_package_spec": {
        "executor_image_uri": "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest",
        "package_uris": ["gs://acme/trainer-0.1.tar.gz"],
        "python_module": "trainer.task",
    },
}
JOB: dict[str, Any] = {"worker_pool_specs": [POOL], "base_output_directory": {"output_uri_prefix": "gs://acme/out"}}
STUDY: dict[str, Any] = {
    "metrics": [{"metric_id": "auc", "goal": "MAXIMIZE"}],
    "parameters": [{"parameter_id": "alpha", "double_value_spec": {"min_value": 0.1, "max_value": 1.0}}],
}
TUNING: dict[str, Any] = {"study_spec": STUDY, "max_trial_count": 4, "parallel_trial_count": 2, "trial_job_spec": JOB}
MODEL: dict[str, Any] = {"display_name": "m", "container_spec": {"image_uri": "gcr.io/acme/serve:1"}}
PIPELINE: dict[str, Any] = {"display_name": "p", "custom_task": JOB, "model_to_upload": MODEL}
TUNING_PIPELINE: dict[str, Any] = {"display_name": "t", "tuning_task": TUNING, "model_to_upload": MODEL}
DATASET: dict[str, Any] = {
    "display_name": "d",
    "metadata_schema_uri": "tabular",
    "metadata": {"input_config": {"gcs_source": {"uri": ["gs://acme/data.csv"]}}},
}
BATCH: dict[str, Any] = {
    "display_name": "b",
    "model": "projects/acme-ml/locations/us-central1/models/123",
    "input_config": {"instances_format": "jsonl", "gcs_source": {"uris": ["gs://acme/in.jsonl"]}},
    "output_config": {"predictions_format": "jsonl", "gcs_destination": {"output_uri_prefix": "gs://acme/out"}},
}
BASES: dict[type[ApiModel], dict[str, Any]] = {
    TrainingPipelineDefinition: PIPELINE,
    CustomJobDefinition: {"display_name": "j", "job_spec": JOB},
    HyperparameterTuningJobDefinition: {"display_name": "h", **TUNING},
    DatasetDefinition: DATASET,
    ModelDefinition: {**MODEL, "artifact_uri": "gs://acme/model/"},
    BatchPredictionJobDefinition: BATCH,
}


Case = tuple[type[ApiModel], str, Any, str, str, Any]
"""(kind, path to change, bad value, expected problem path, words in the message, a good value for the path)"""


def with_change(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``base`` with the dotted ``path`` (list indexes as numbers) set to ``value`` (None deletes)."""
    if path == ".":
        return copy.deepcopy(value)
    data = copy.deepcopy(base)
    *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
    node: Any = data
    for part in parents:
        node = node[part]
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value
    return data


def case_id(case: Case) -> str:
    return f"{case[0].__name__}:{case[3] or case[1]}:{case[4][:30]}"


def assert_rule(case: Case) -> None:
    """The bad value fails with a problem at the expected path naming the rule; the good value passes."""
    kind, path, bad, where, words, good = case
    with pytest.raises(SpecError) as caught:
        kind.parse(with_change(BASES[kind], path, bad))
    matching = [p for p in caught.value.problems if p.where == where and words in p.message]
    assert matching, f"expected a problem at {where!r} mentioning {words!r}, got:\n{caught.value}"
    kind.parse(with_change(BASES[kind], path, good))
