"""Pulumi dynamic resources for Vertex AI, one module per kind, and their providers."""

from .batch_prediction_job import (
    BatchPredictionInputConfigDict,
    BatchPredictionJob,
    BatchPredictionJobArgs,
    BatchPredictionJobProvider,
    BatchPredictionOutputConfigDict,
)
from .custom_job import CustomJob, CustomJobArgs, CustomJobProvider
from .dataset import Dataset, DatasetArgs, DatasetProvider
from .hyperparameter_tuning_job import (
    HyperparameterTuningJob,
    HyperparameterTuningJobArgs,
    HyperparameterTuningJobProvider,
)
from .model import Model, ModelArgs, ModelProvider
from .training_pipeline import TrainingPipeline, TrainingPipelineArgs, TrainingPipelineProvider

__all__ = [
    "BatchPredictionInputConfigDict",
    "BatchPredictionJob",
    "BatchPredictionJobArgs",
    "BatchPredictionJobProvider",
    "BatchPredictionOutputConfigDict",
    "CustomJob",
    "CustomJobArgs",
    "CustomJobProvider",
    "Dataset",
    "DatasetArgs",
    "DatasetProvider",
    "HyperparameterTuningJob",
    "HyperparameterTuningJobArgs",
    "HyperparameterTuningJobProvider",
    "Model",
    "ModelArgs",
    "ModelProvider",
    "TrainingPipeline",
    "TrainingPipelineArgs",
    "TrainingPipelineProvider",
]
