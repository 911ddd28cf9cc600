"""Proto enums used in specs, with the proto numbers of google.cloud.aiplatform.v1.

A test compares each with the official proto enum so they cannot drift; they are copied rather than imported
because importing the proto types costs most of a second on every provider start.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo

from ._wire import BY_NAME, ApiEnum

__all__ = [
    "AcceleratorType",
    "AcceleratorTypeField",
    "Algorithm",
    "AlgorithmField",
    "GoalType",
    "GoalTypeField",
    "JobState",
    "MeasurementSelectionType",
    "MeasurementSelectionTypeField",
    "PipelineFailurePolicy",
    "PipelineFailurePolicyField",
    "PipelineState",
    "ScaleType",
    "ScaleTypeField",
]


class AcceleratorType(ApiEnum):
    ACCELERATOR_TYPE_UNSPECIFIED = 0
    NVIDIA_TESLA_K80 = 1
    NVIDIA_TESLA_P100 = 2
    NVIDIA_TESLA_V100 = 3
    NVIDIA_TESLA_P4 = 4
    NVIDIA_TESLA_T4 = 5
    NVIDIA_TESLA_A100 = 8
    NVIDIA_A100_80GB = 9
    NVIDIA_L4 = 11
    NVIDIA_H100_80GB = 13
    NVIDIA_H100_MEGA_80GB = 14
    NVIDIA_H200_141GB = 15
    NVIDIA_B200 = 16
    NVIDIA_GB200 = 17
    NVIDIA_RTX_PRO_6000 = 18
    TPU_V2 = 6
    TPU_V3 = 7
    TPU_V4_POD = 10
    TPU_V5_LITEPOD = 12


class GoalType(ApiEnum):
    GOAL_TYPE_UNSPECIFIED = 0
    MAXIMIZE = 1
    MINIMIZE = 2


class ScaleType(ApiEnum):
    SCALE_TYPE_UNSPECIFIED = 0
    UNIT_LINEAR_SCALE = 1
    UNIT_LOG_SCALE = 2
    UNIT_REVERSE_LOG_SCALE = 3


class Algorithm(ApiEnum):
    ALGORITHM_UNSPECIFIED = 0
    GRID_SEARCH = 2
    RANDOM_SEARCH = 3


class MeasurementSelectionType(ApiEnum):
    MEASUREMENT_SELECTION_TYPE_UNSPECIFIED = 0
    LAST_MEASUREMENT = 1
    BEST_MEASUREMENT = 2


class PipelineState(ApiEnum):
    PIPELINE_STATE_UNSPECIFIED = 0
    PIPELINE_STATE_QUEUED = 1
    PIPELINE_STATE_PENDING = 2
    PIPELINE_STATE_RUNNING = 3
    PIPELINE_STATE_SUCCEEDED = 4
    PIPELINE_STATE_FAILED = 5
    PIPELINE_STATE_CANCELLING = 6
    PIPELINE_STATE_CANCELLED = 7
    PIPELINE_STATE_PAUSED = 8


class PipelineFailurePolicy(ApiEnum):
    PIPELINE_FAILURE_POLICY_UNSPECIFIED = 0
    PIPELINE_FAILURE_POLICY_FAIL_SLOW = 1
    PIPELINE_FAILURE_POLICY_FAIL_FAST = 2


class JobState(ApiEnum):
    JOB_STATE_UNSPECIFIED = 0
    JOB_STATE_QUEUED = 1
    JOB_STATE_PENDING = 2
    JOB_STATE_RUNNING = 3
    JOB_STATE_SUCCEEDED = 4
    JOB_STATE_FAILED = 5
    JOB_STATE_CANCELLING = 6
    JOB_STATE_CANCELLED = 7
    JOB_STATE_PAUSED = 8
    JOB_STATE_EXPIRED = 9
    JOB_STATE_UPDATING = 10
    JOB_STATE_PARTIALLY_SUCCEEDED = 11


def _specified(enum_type: type[ApiEnum]) -> BeforeValidator:
    """Names or numbers of ``enum_type``; in user input not its ``*_UNSPECIFIED`` zero (an optional field left
    at zero is dropped before this, so only a required field meets it)."""

    def coerce(value: Any, info: ValidationInfo) -> Any:
        member = enum_type.coerce(value)
        if member.value == 0 and not (info.context and info.context.get("lenient")):
            raise ValueError(f"{member.name} is not a value to set: use one of {enum_type.allowed()}")
        return member

    return BeforeValidator(coerce)


AcceleratorTypeField = Annotated[AcceleratorType, _specified(AcceleratorType), BY_NAME]
GoalTypeField = Annotated[GoalType, _specified(GoalType), BY_NAME]
ScaleTypeField = Annotated[ScaleType, _specified(ScaleType), BY_NAME]
AlgorithmField = Annotated[Algorithm, _specified(Algorithm), BY_NAME]
MeasurementSelectionTypeField = Annotated[MeasurementSelectionType, _specified(MeasurementSelectionType), BY_NAME]
PipelineFailurePolicyField = Annotated[PipelineFailurePolicy, _specified(PipelineFailurePolicy), BY_NAME]
