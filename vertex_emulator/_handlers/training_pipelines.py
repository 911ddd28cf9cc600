"""TrainingPipeline routes: create (custom task or tuning task), get, list, cancel, delete (what a create must
hold and the resources it refers to: `_models.training_pipelines`)."""

from __future__ import annotations

from vertex_emulator import _protos
from vertex_emulator._handlers._common import job_routes
from vertex_emulator._models import training_pipelines
from vertex_emulator._store import TRAINING_PIPELINES

ROUTES = job_routes(
    TRAINING_PIPELINES,
    "TrainingPipeline",
    _protos.TRAINING_PIPELINE,
    _protos.LIST_TRAINING_PIPELINES_RESPONSE,
    training_pipelines.PATH,
    training_pipelines.prepare,
)
