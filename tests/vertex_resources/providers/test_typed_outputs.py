"""Structured outputs are typed: a user's program type-checks against them (and mypy catches a wrong key or a
batch format the API does not know), and the values the providers really report after a create on the emulator
have exactly those shapes."""

from __future__ import annotations

import collections.abc
import os
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any, get_args

import pulumi
import typing_extensions

import vertex_resources as vr
from vertex_emulator import ControlClient
from vertex_resources.specs import (
    BatchPredictionInputConfig,
    BatchPredictionOutputConfig,
    CompletionStats,
    Status,
    Trial,
)
from vertex_resources.specs.batch_prediction_job import INSTANCE_FORMATS, PREDICTION_FORMATS

from .harness import ROOT, ProviderServer
from .specs import INPUTS

TYPED_PROGRAM = """
from __future__ import annotations

import pulumi

import vertex_resources as vr


def best_alpha(tuned: vr.HyperparameterTuningJob) -> pulumi.Output[float | None]:
    def pick(best: vr.BestTrialOutput | None) -> float | None:
        return float(best["parameters"]["alpha"]) if best else None

    return tuned.best_trial.apply(pick)


def predicted(job: vr.BatchPredictionJob) -> pulumi.Output[int]:
    return job.completion_stats.apply(lambda stats: int(stats.get("successful_count", "0")))


def reason(job: vr.CustomJob) -> pulumi.Output[str]:
    return job.error.apply(lambda error: error.get("message", "") if error else "")


def trial_states(tuned: vr.HyperparameterTuningJob) -> pulumi.Output[list[str]]:
    return tuned.trials.apply(lambda trials: [trial["id"] + ":" + trial.get("state", "") for trial in trials])


instances: vr.InstancesFormat = "tf-record-gzip"
source: vr.BatchPredictionInputConfigDict = {"instances_format": instances, "gcs_source": {"uris": ["gs://a/b"]}}
"""

MISTYPED_PROGRAM = """
from __future__ import annotations

import vertex_resources as vr

unknown_input: vr.BatchPredictionInputConfigDict = {"instances_format": "parquet"}
unknown_output: vr.BatchPredictionOutputConfigDict = {"predictions_format": "tf-record"}


def metric(best: vr.BestTrialOutput) -> None:
    print(best["metrix"])
"""


def test_a_users_program_type_checks_against_the_outputs_and_mypy_catches_mistakes(tmp_path: Path) -> None:
    (tmp_path / "typed_program.py").write_text(TYPED_PROGRAM)
    (tmp_path / "mistyped_program.py").write_text(MISTYPED_PROGRAM)
    result = subprocess.run(
        [
            *(sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")),
            *("--cache-dir", str(tmp_path / "cache"), "typed_program.py", "mistyped_program.py"),
        ],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(ROOT)},  # the repository's package (an editable install hides it)
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert not [line for line in errors if not line.startswith("mistyped_program.py")], result.stdout
    assert any(":6: error:" in line and "'parquet'" in line for line in errors), result.stdout
    assert any(":7: error:" in line and "'tf-record'" in line for line in errors), result.stdout
    assert any(":11: error:" in line and '"metrix"' in line for line in errors), result.stdout
    assert len(errors) == 3, result.stdout


def test_the_output_shapes_follow_the_specs_the_providers_report_from() -> None:
    assert set(get_args(vr.InstancesFormat)) == set(INSTANCE_FORMATS)
    assert set(get_args(vr.PredictionsFormat)) == set(PREDICTION_FORMATS)
    assert set(typing.get_type_hints(vr.TrialOutput)) == set(Trial.model_fields)
    assert set(typing.get_type_hints(vr.CompletionStatsOutput)) == set(CompletionStats.model_fields)
    assert set(typing.get_type_hints(vr.JobErrorOutput)) == set(Status.model_fields)


def _conforms(value: Any, shape: Any, where: str = "value") -> list[str]:
    """Where ``value`` is not of the type ``shape`` (TypedDicts with their required keys, lists, dicts, unions,
    Literals and plain classes): an empty list when it fits."""
    origin, args = typing.get_origin(shape), typing.get_args(shape)
    if origin is typing_extensions.Required:
        return _conforms(value, args[0], where)
    if typing_extensions.is_typeddict(shape):
        if not isinstance(value, dict):
            return [f"{where}: not a dict: {value!r}"]
        hints = typing_extensions.get_type_hints(shape)
        problems = [f"{where}: unknown key {key!r}" for key in set(value) - set(hints)]
        problems += [f"{where}: missing key {key!r}" for key in shape.__required_keys__ - set(value)]
        for key in set(value) & set(hints):
            problems += _conforms(value[key], hints[key], f"{where}.{key}")
        return problems
    if origin in (typing.Union, types.UnionType):
        # pulumi.Input[T] is T | Awaitable[T] | Output[T]: a resolved value is a T.
        plain = [arg for arg in args if typing.get_origin(arg) not in (collections.abc.Awaitable, pulumi.Output)]
        fits = [_conforms(value, arg, where) for arg in plain]
        return [] if any(not found for found in fits) else [f"{where}: {value!r} is not {shape}"]
    if origin is typing.Literal:
        return [] if value in args else [f"{where}: {value!r} is not one of {args}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: not a list: {value!r}"]
        return [found for index, item in enumerate(value) for found in _conforms(item, args[0], f"{where}[{index}]")]
    if origin in (dict, collections.abc.Mapping):
        if not isinstance(value, dict):
            return [f"{where}: not a dict: {value!r}"]
        return [problem for key, item in value.items() for problem in _conforms(item, args[1], f"{where}[{key!r}]")]
    if shape is Any:
        return []
    if shape is float:
        return [] if isinstance(value, int | float) and not isinstance(value, bool) else [f"{where}: {value!r}"]
    return [] if isinstance(value, shape) else [f"{where}: {value!r} is not {shape.__name__}"]


def test_tuning_outputs_have_the_typed_shapes(server: ProviderServer, control: ControlClient) -> None:
    provider_type, inputs = INPUTS["HyperparameterTuningJob"]
    resource = server.resource(provider_type(), "typed-tuning")
    _, outs = resource.create(resource.check({**inputs, "max_trial_count": 3, "parallel_trial_count": 3}).inputs)
    assert len(outs["trials"]) == 3
    assert _conforms(outs["trials"], list[vr.TrialOutput]) == []
    assert {"id", "state", "parameters", "final_measurement", "custom_job"} <= set(outs["trials"][0])
    assert _conforms(outs["best_trial"], vr.BestTrialOutput) == []
    assert outs["best_trial"]["custom_job"] in {trial["custom_job"] for trial in outs["trials"]}

    pipeline_type, pipeline_inputs = INPUTS["TrainingPipeline"]
    tuning = {key: value for key, value in pipeline_inputs.items() if key != "custom_task"}
    tuning["tuning_task"] = {
        key: inputs[key] for key in ("study_spec", "max_trial_count", "parallel_trial_count", "trial_job_spec")
    }
    pipeline = server.resource(pipeline_type(), "typed-tuning-pipeline")
    _, pipeline_outs = pipeline.create(pipeline.check(tuning).inputs)
    assert _conforms(pipeline_outs["best_trial"], vr.BestTrialOutput) == []


def test_batch_outputs_have_the_typed_shapes(server: ProviderServer, control: ControlClient) -> None:
    pipeline_type, pipeline_inputs = INPUTS["TrainingPipeline"]
    pipeline = server.resource(pipeline_type(), "typed-batch-model")
    _, pipeline_outs = pipeline.create(pipeline.check(pipeline_inputs).inputs)
    batch_type, batch_inputs = INPUTS["BatchPredictionJob"]
    batch = server.resource(batch_type(), "typed-batch")
    _, outs = batch.create(batch.check({**batch_inputs, "model": pipeline_outs["model_name"]}).inputs)
    assert outs["state"] == "JOB_STATE_SUCCEEDED"
    assert _conforms(outs["completion_stats"], vr.CompletionStatsOutput) == []
    # The configs as the engine hands them back are what the dict types (generated from these specs) describe.
    assert BatchPredictionInputConfig.parse(outs["input_config"]).instances_format in INSTANCE_FORMATS
    assert BatchPredictionOutputConfig.parse(outs["output_config"]).predictions_format in PREDICTION_FORMATS
    assert set(outs["input_config"]) <= set(typing_extensions.get_type_hints(vr.BatchPredictionInputConfigDict, {}, {
        "Output": pulumi.Output, "T": Any}))


def test_a_failed_jobs_error_has_the_typed_shape(server: ProviderServer, control: ControlClient) -> None:
    control.set_job_timing("customJobs", mode="hold", error_message="trainer exited with code 3")
    provider_type, inputs = INPUTS["CustomJob"]
    resource = server.resource(provider_type(), "typed-error")
    id_, outs = resource.create(resource.check({**inputs, "wait_for_completion": False}).inputs)
    assert outs.get("error") is None, "no error while it runs"
    for name in control.held_jobs():
        control.release(name, outcome="fail")
    _, refreshed, _ = resource.read(id_, outs)
    assert refreshed["state"] == "JOB_STATE_FAILED"
    assert _conforms(refreshed["error"], vr.JobErrorOutput) == []
    assert refreshed["error"] == {"code": 13.0, "message": "trainer exited with code 3"}
