"""Canonical forms of the API's JSON shapes, through the official proto types.

Whatever spelling comes in (camelCase from REST, snake_case and floats from the high-level SDK's
trainingTaskInputs, enums as numbers or names), what comes out is proto JSON: camelCase keys, int64 as strings,
enums as names, proto3 zero values omitted (so read them with ``.get(key, default)``).

Specs (CustomJobSpec, InputDataConfig) are parsed strictly: an unknown field is an INVALID_ARGUMENT, as in the
API. Whole resources (jobs, models) are parsed leniently, since the server already validated them and may keep
fields of its own next to the API's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._errors import InvalidSpecError

JsonDict = dict[str, Any]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?)s\s*$")


def _canonical(proto_type: Any, value: Mapping[str, Any], what: str, *, strict: bool = True) -> JsonDict:
    from google.protobuf import json_format

    message = proto_type.pb()()
    try:
        json_format.ParseDict(dict(value), message, ignore_unknown_fields=not strict)
    except json_format.ParseError as error:
        raise InvalidSpecError(f"Invalid {what}: {error}") from None
    result: JsonDict = json_format.MessageToDict(message)
    return result


def custom_job_spec(value: Mapping[str, Any]) -> JsonDict:
    """A CustomJobSpec (``CustomJob.jobSpec`` or the custom task's ``trainingTaskInputs``)."""
    from google.cloud.aiplatform_v1.types import custom_job

    return _canonical(custom_job.CustomJobSpec, value, "CustomJobSpec")


def tuning_job(value: Mapping[str, Any]) -> JsonDict:
    """A HyperparameterTuningJob, or the tuning task's ``trainingTaskInputs`` (the same field names)."""
    from google.cloud.aiplatform_v1.types import hyperparameter_tuning_job

    return _canonical(
        hyperparameter_tuning_job.HyperparameterTuningJob, value, "hyperparameter tuning spec", strict=False
    )


def batch_prediction_job(value: Mapping[str, Any]) -> JsonDict:
    from google.cloud.aiplatform_v1.types import batch_prediction_job as types

    return _canonical(types.BatchPredictionJob, value, "BatchPredictionJob", strict=False)


def model(value: Mapping[str, Any]) -> JsonDict:
    from google.cloud.aiplatform_v1.types import model as types

    return _canonical(types.Model, value, "Model", strict=False)


def input_data_config(value: Mapping[str, Any]) -> JsonDict:
    from google.cloud.aiplatform_v1.types import training_pipeline

    return _canonical(training_pipeline.InputDataConfig, value, "InputDataConfig")


def duration_seconds(value: str | float | None) -> float | None:
    """``"7200s"``/``"1.5s"`` (proto JSON Duration) -> seconds; None or zero -> None (no limit)."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) or None
    match = _DURATION.match(value)
    if not match:
        raise InvalidSpecError(f"Invalid duration {value!r}; expected a value like '3600s'")
    return float(match.group(1)) or None
