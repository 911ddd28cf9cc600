"""HyperparameterTuningJob: create, get, list, cancel, delete."""

from __future__ import annotations

from typing import Any

from vertex_emulator import _protos, _validation
from vertex_emulator._backend import Backend
from vertex_emulator._handlers._common import job_routes
from vertex_emulator._store import HYPERPARAMETER_TUNING_JOBS

_OUTPUT_ONLY = ("trials", "satisfiesPzs", "satisfiesPzi")


def prepare(backend: Backend, location: str, body: dict[str, Any]) -> dict[str, Any]:
    problems = _validation.Problems()
    _validation.display_name(problems, body, "hyperparameter_tuning_job")
    _validation.labels(problems, body, "hyperparameter_tuning_job")
    _validation.tuning_job(problems, body, "hyperparameter_tuning_job")
    problems.raise_if_any()
    return {k: v for k, v in body.items() if k not in _OUTPUT_ONLY}


ROUTES = job_routes(
    HYPERPARAMETER_TUNING_JOBS,
    "HyperparameterTuningJob",
    _protos.HYPERPARAMETER_TUNING_JOB,
    _protos.LIST_HYPERPARAMETER_TUNING_JOBS_RESPONSE,
    "hyperparameter_tuning_job",
    prepare,
)
