"""Pulumi dynamic resources for Vertex AI, one module per kind, and their providers; the generated ``<Kind>Args``
and ``<Spec>Dict`` types (``_args``, written by ``python -m vertex_resources.codegen``)."""

from . import _args
from ._args import *  # noqa: F403  (every generated Args class and spec TypedDict, listed in _args.__all__)
from .batch_prediction_job import BatchPredictionJob, BatchPredictionJobProvider
from .custom_job import CustomJob, CustomJobProvider
from .dataset import Dataset, DatasetProvider
from .hyperparameter_tuning_job import HyperparameterTuningJob, HyperparameterTuningJobProvider
from .model import Model, ModelProvider
from .pipeline_job import PipelineJob, PipelineJobProvider
from .training_pipeline import TrainingPipeline, TrainingPipelineProvider

__all__ = [
    "BatchPredictionJob",
    "BatchPredictionJobProvider",
    "CustomJob",
    "CustomJobProvider",
    "Dataset",
    "DatasetProvider",
    "HyperparameterTuningJob",
    "HyperparameterTuningJobProvider",
    "Model",
    "ModelProvider",
    "PipelineJob",
    "PipelineJobProvider",
    "TrainingPipeline",
    "TrainingPipelineProvider",
    *_args.__all__,
]
