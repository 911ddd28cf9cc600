"""The shapes of the resources' structured outputs, for typed programs.

The providers report these values as plain dicts (snake_case keys; a key without a value is left out, so most
keys are optional); the resources' ``pulumi.Output[...]`` attributes are annotated with these TypedDicts::

    tuned = vr.HyperparameterTuningJob("tune", ...)
    pulumi.export("alpha", tuned.best_trial.apply(lambda best: best["parameters"]["alpha"] if best else None))

Int64 counts are decimal strings, as the API's JSON sends them (``int(stats.get("successful_count", "0"))``), and
a count of zero is left out as the API leaves it out. Other numbers arrive as floats: Pulumi carries every number
as a double (a job's error code 13 reads 13.0).
"""

from __future__ import annotations

from typing import Any, TypedDict

from .specs.batch_prediction_job import InstancesFormat, PredictionsFormat

__all__ = [
    "BestTrialOutput",
    "CompletionStatsOutput",
    "InstancesFormat",
    "JobErrorOutput",
    "MeasurementOutput",
    "MetricValueOutput",
    "PipelineArtifactOutput",
    "PredictionsFormat",
    "TrialOutput",
    "TrialParameterOutput",
]

ParameterValue = float | str
"""A trial's value of a parameter: a number (double, integer, discrete) or a category."""


class JobErrorOutput(TypedDict, total=False):
    """``error`` of a failed or cancelled job or pipeline (google.rpc.Status)."""

    code: float
    """The canonical code as Pulumi carries it, a float (3.0 INVALID_ARGUMENT, 13.0 INTERNAL ...)."""
    message: str
    details: list[Any]


class TrialParameterOutput(TypedDict):
    parameter_id: str
    value: ParameterValue


class MetricValueOutput(TypedDict):
    metric_id: str
    value: float


class MeasurementOutput(TypedDict, total=False):
    step_count: str
    metrics: list[MetricValueOutput]


class _TrialId(TypedDict):
    id: str


class TrialOutput(_TrialId, total=False):
    """One trial of a tuning job, as the API reports it."""

    state: str
    """``SUCCEEDED``, ``INFEASIBLE``, ``ACTIVE`` ..."""
    parameters: list[TrialParameterOutput]
    final_measurement: MeasurementOutput
    custom_job: str
    """The custom job that ran the trial."""
    start_time: str
    end_time: str


class BestTrialOutput(TypedDict):
    """The best succeeded trial by the study's first metric and its goal."""

    id: str
    parameters: dict[str, ParameterValue]
    """The trial's value of each parameter, by parameter id."""
    metrics: dict[str, float]
    """The trial's final measurement, by metric id."""
    custom_job: str | None


class CompletionStatsOutput(TypedDict, total=False):
    """How many instances a BatchPredictionJob predicted, failed on, or left undone."""

    successful_count: str
    failed_count: str
    incomplete_count: str


class PipelineArtifactOutput(TypedDict, total=False):
    """An output artifact of a PipelineJob's task (``output_artifacts[task][output key]`` is a list of these)."""

    uri: str
    """Where the artifact is: a gs:// path, or the API URL of a Vertex AI resource (a model, a job)."""
    schema_title: str
    """Its type: ``system.Model``, ``google.VertexModel``, ``google.VertexBatchPredictionJob`` ..."""
    resource_name: str
    """For an artifact that is a Vertex AI resource: its name (``projects/.../models/ID`` ...)."""
