"""BatchPredictionJob: what a create must hold beyond the proto, and the model version it runs (the model, or
one of its versions, must exist in the job's location; the job records the version resolved now)."""

from __future__ import annotations

from typing import Any

from vertex_emulator import _validation
from vertex_emulator._backend import Backend
from vertex_emulator._errors import InvalidArgument
from vertex_emulator._models import models as registry
from vertex_emulator._names import normalize

JsonDict = dict[str, Any]
PATH = "batch_prediction_job"
# Fields the service fills; a create that sends them has them dropped.
OUTPUT_ONLY = (
    "modelVersionId",
    "outputInfo",
    "partialFailures",
    "resourcesConsumed",
    "completionStats",
    "satisfiesPzs",
    "satisfiesPzi",
)


def prepare(backend: Backend, location: str, body: JsonDict) -> JsonDict:
    problems = _validation.Problems()
    _validation.batch_prediction_job(problems, body)
    problems.raise_if_any()
    body = {k: v for k, v in body.items() if k not in OUTPUT_ONLY}
    if body.get("model"):
        reference = normalize(body["model"])
        if not reference.startswith(f"{location}/models/"):
            raise InvalidArgument(f"{PATH}.model must be a model in {location}, got {body['model']}.")
        version = registry.resolve(backend.store, reference)
        body["model"] = reference
        body["modelVersionId"] = version.body["versionId"]
    return body
