"""BatchPredictionJob: create (the model, or one of its versions, must exist), get, list, cancel, delete."""

from __future__ import annotations

from typing import Any

from vertex_emulator import _protos, _registry, _validation
from vertex_emulator._backend import Backend
from vertex_emulator._errors import InvalidArgument
from vertex_emulator._handlers._common import job_routes
from vertex_emulator._names import normalize
from vertex_emulator._store import BATCH_PREDICTION_JOBS

_OUTPUT_ONLY = (
    "modelVersionId",
    "outputInfo",
    "partialFailures",
    "resourcesConsumed",
    "completionStats",
    "satisfiesPzs",
    "satisfiesPzi",
)


def prepare(backend: Backend, location: str, body: dict[str, Any]) -> dict[str, Any]:
    problems = _validation.Problems()
    _validation.batch_prediction_job(problems, body)
    problems.raise_if_any()
    body = {k: v for k, v in body.items() if k not in _OUTPUT_ONLY}
    if body.get("model"):
        reference = normalize(body["model"])
        if not reference.startswith(f"{location}/models/"):
            raise InvalidArgument(f"batch_prediction_job.model must be a model in {location}, got {body['model']}.")
        version = _registry.resolve(backend.store, reference)
        body["model"] = reference
        body["modelVersionId"] = version.body["versionId"]
    return body


ROUTES = job_routes(
    BATCH_PREDICTION_JOBS,
    "BatchPredictionJob",
    _protos.BATCH_PREDICTION_JOB,
    _protos.LIST_BATCH_PREDICTION_JOBS_RESPONSE,
    "batch_prediction_job",
    prepare,
)
