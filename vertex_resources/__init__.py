"""Vertex AI training, tuning and batch prediction as Pulumi resources.

The resources (``Dataset``, ``TrainingPipeline``, ``CustomJob``, ``HyperparameterTuningJob``, ``Model``,
``BatchPredictionJob``) take typed ``<Kind>Args``; ``vertex_resources.specs`` holds the typed, validated specs.
"""

from . import specs
from .errors import (
    ApiError,
    ConfigError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    Problem,
    ResourceFailed,
    SpecError,
    TransientApiError,
    VertexResourcesError,
    WaitTimedOut,
)
from .providers import (
    BatchPredictionJob,
    BatchPredictionJobArgs,
    CustomJob,
    CustomJobArgs,
    Dataset,
    DatasetArgs,
    HyperparameterTuningJob,
    HyperparameterTuningJobArgs,
    Model,
    ModelArgs,
    TrainingPipeline,
    TrainingPipelineArgs,
)

__all__ = [
    "ApiError",
    "BatchPredictionJob",
    "BatchPredictionJobArgs",
    "ConfigError",
    "CustomJob",
    "CustomJobArgs",
    "Dataset",
    "DatasetArgs",
    "FailedPreconditionError",
    "HyperparameterTuningJob",
    "HyperparameterTuningJobArgs",
    "InvalidArgumentError",
    "Model",
    "ModelArgs",
    "NotFoundError",
    "Problem",
    "ResourceFailed",
    "SpecError",
    "TrainingPipeline",
    "TrainingPipelineArgs",
    "TransientApiError",
    "VertexResourcesError",
    "WaitTimedOut",
    "specs",
]
