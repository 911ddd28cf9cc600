"""HyperparameterTuningJob routes: create, get, list, cancel, delete (what a create must hold:
`_models.hyperparameter_tuning_jobs`)."""

from __future__ import annotations

from vertex_emulator import _protos
from vertex_emulator._handlers._common import job_routes
from vertex_emulator._models import hyperparameter_tuning_jobs
from vertex_emulator._store import HYPERPARAMETER_TUNING_JOBS

ROUTES = job_routes(
    HYPERPARAMETER_TUNING_JOBS,
    "HyperparameterTuningJob",
    _protos.HYPERPARAMETER_TUNING_JOB,
    _protos.LIST_HYPERPARAMETER_TUNING_JOBS_RESPONSE,
    hyperparameter_tuning_jobs.PATH,
    hyperparameter_tuning_jobs.prepare,
)
