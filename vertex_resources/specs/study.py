"""Hyperparameter tuning: the study (metrics, parameters, algorithm) and the tuning task around a trial job."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import Field

from ..errors import Problem
from ._base import ApiModel
from ._rules import exactly_one
from ._types import Double, Int32, Int64, Labels
from .enums import (
    Algorithm,
    AlgorithmField,
    GoalTypeField,
    MeasurementSelectionTypeField,
    ScaleType,
    ScaleTypeField,
)
from .job import CustomJobSpec

__all__ = [
    "CategoricalValueSpec",
    "DiscreteValueSpec",
    "DoubleValueSpec",
    "HyperparameterTuningTask",
    "IntegerValueSpec",
    "Measurement",
    "MetricSpec",
    "MetricValue",
    "ParameterSpec",
    "StudySpec",
    "Trial",
    "TrialParameter",
]

_LOG_SCALES = (ScaleType.UNIT_LOG_SCALE, ScaleType.UNIT_REVERSE_LOG_SCALE)


class MetricSpec(ApiModel):
    metric_id: str = Field(min_length=1)
    goal: GoalTypeField


class DoubleValueSpec(ApiModel):
    min_value: Double
    max_value: Double


class IntegerValueSpec(ApiModel):
    min_value: Int64
    max_value: Int64


class CategoricalValueSpec(ApiModel):
    values: list[str] = Field(min_length=1)


class DiscreteValueSpec(ApiModel):
    values: list[Double] = Field(min_length=1)


_VALUE_SPECS = ("double_value_spec", "integer_value_spec", "categorical_value_spec", "discrete_value_spec")


class ParameterSpec(ApiModel):
    """One hyperparameter; exactly one value spec. The trainer receives it as ``--<parameter_id>=<value>``."""

    parameter_id: str = Field(min_length=1)
    scale_type: ScaleTypeField | None = None
    double_value_spec: DoubleValueSpec | None = None
    integer_value_spec: IntegerValueSpec | None = None
    categorical_value_spec: CategoricalValueSpec | None = None
    discrete_value_spec: DiscreteValueSpec | None = None

    @property
    def value_kind(self) -> str | None:
        for name in _VALUE_SPECS:
            if getattr(self, name) is not None:
                return name
        return None

    def _problems(self) -> Iterator[Problem]:
        yield from exactly_one({name: getattr(self, name) for name in _VALUE_SPECS}, _VALUE_SPECS)
        bounded = self.double_value_spec or self.integer_value_spec
        if bounded is not None:
            name = "double_value_spec" if self.double_value_spec else "integer_value_spec"
            if bounded.min_value >= bounded.max_value:
                yield Problem(
                    (name,), f"min_value must be below max_value, got {bounded.min_value} >= {bounded.max_value}"
                )
            if self.scale_type in _LOG_SCALES and bounded.min_value <= 0:
                yield Problem((name, "min_value"), "a log scale needs min_value > 0")
        if self.discrete_value_spec is not None:
            values = self.discrete_value_spec.values
            if self.scale_type in _LOG_SCALES and min(values) <= 0:
                yield Problem(("discrete_value_spec", "values"), "a log scale needs every value > 0")
            if len(set(values)) != len(values):
                yield Problem(("discrete_value_spec", "values"), "values must be distinct")
        if self.categorical_value_spec is not None:
            if self.scale_type is not None and self.scale_type != ScaleType.SCALE_TYPE_UNSPECIFIED:
                yield Problem(("scale_type",), "categorical parameters take no scale type")
            values_c = self.categorical_value_spec.values
            if len(set(values_c)) != len(values_c):
                yield Problem(("categorical_value_spec", "values"), "values must be distinct")


class StudySpec(ApiModel):
    metrics: list[MetricSpec] = Field(min_length=1)
    parameters: list[ParameterSpec] = Field(min_length=1)
    algorithm: AlgorithmField | None = None
    measurement_selection_type: MeasurementSelectionTypeField | None = None

    def _problems(self) -> Iterator[Problem]:
        seen: set[str] = set()
        for index, parameter in enumerate(self.parameters):
            if parameter.parameter_id in seen:
                yield Problem(("parameters", index, "parameter_id"), f"duplicate id {parameter.parameter_id!r}")
            seen.add(parameter.parameter_id)
            if self.algorithm == Algorithm.GRID_SEARCH and parameter.double_value_spec is not None:
                yield Problem(
                    ("parameters", index),
                    "grid search works only over integer, categorical or discrete parameters",
                )
        metric_ids = [metric.metric_id for metric in self.metrics]
        if len(set(metric_ids)) != len(metric_ids):
            yield Problem(("metrics",), "metric ids must be distinct")


class HyperparameterTuningTask(ApiModel):
    """A study, the trial budget and the job each trial runs."""

    study_spec: StudySpec
    max_trial_count: Annotated[Int32, Field(ge=1)]
    parallel_trial_count: Annotated[Int32, Field(ge=1)]
    max_failed_trial_count: Annotated[Int32 | None, Field(ge=0)] = None
    trial_job_spec: CustomJobSpec
    labels: Labels | None = None

    def _problems(self) -> Iterator[Problem]:
        if self.parallel_trial_count > self.max_trial_count:
            yield Problem(
                ("parallel_trial_count",),
                f"at most max_trial_count ({self.max_trial_count}), got {self.parallel_trial_count}",
            )


class TrialParameter(ApiModel):
    parameter_id: str
    value: Any = None


class MetricValue(ApiModel):
    metric_id: str
    value: float  # reported by trials, whatever they measured (NaN included)


class Measurement(ApiModel):
    step_count: Int64 | None = None
    metrics: list[MetricValue] | None = None


class Trial(ApiModel):
    """A tuning trial as the API reports it (output only)."""

    id: str
    state: str | None = None
    parameters: list[TrialParameter] | None = None
    final_measurement: Measurement | None = None
    custom_job: str | None = None
    start_time: str | None = None
    end_time: str | None = None
