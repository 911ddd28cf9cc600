"""Vertex AI training, tuning and batch prediction as Pulumi resources.

The resources (``Dataset``, ``TrainingPipeline``, ``CustomJob``, ``HyperparameterTuningJob``, ``Model``,
``BatchPredictionJob``) take typed ``<Kind>Args``; ``vertex_resources.specs`` holds the typed, validated specs.
"""

from . import specs
from .errors import ApiError, ConfigError, DeadlineExceeded, Problem, ResourceFailed, SpecError, VertexResourcesError
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
    "DeadlineExceeded",
    "HyperparameterTuningJob",
    "HyperparameterTuningJobArgs",
    "Model",
    "ModelArgs",
    "Problem",
    "ResourceFailed",
    "SpecError",
    "TrainingPipeline",
    "TrainingPipelineArgs",
    "VertexResourcesError",
    "specs",
]
