"""BatchPredictionJob routes: create, get, list, cancel, delete (what a create must hold, and the model version
it runs: `_models.batch_prediction_jobs`)."""

from __future__ import annotations

from vertex_emulator import _protos
from vertex_emulator._handlers._common import job_routes
from vertex_emulator._models import batch_prediction_jobs
from vertex_emulator._store import BATCH_PREDICTION_JOBS

ROUTES = job_routes(
    BATCH_PREDICTION_JOBS,
    "BatchPredictionJob",
    _protos.BATCH_PREDICTION_JOB,
    _protos.LIST_BATCH_PREDICTION_JOBS_RESPONSE,
    batch_prediction_jobs.PATH,
    batch_prediction_jobs.prepare,
)
