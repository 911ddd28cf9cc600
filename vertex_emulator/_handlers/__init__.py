"""Thin handlers, one module per resource kind; `ROUTES` is the whole v1 surface the emulator serves."""

from __future__ import annotations

from vertex_emulator._handlers import (
    batch_prediction_jobs,
    custom_jobs,
    datasets,
    hyperparameter_tuning_jobs,
    models,
    operations,
    pipeline_jobs,
    training_pipelines,
)
from vertex_emulator._routing import Route

ROUTES: list[Route] = [
    *datasets.ROUTES,
    *training_pipelines.ROUTES,
    *custom_jobs.ROUTES,
    *hyperparameter_tuning_jobs.ROUTES,
    *batch_prediction_jobs.ROUTES,
    *pipeline_jobs.ROUTES,
    *models.ROUTES,
    *operations.ROUTES,
]

__all__ = ["ROUTES"]
