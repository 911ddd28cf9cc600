"""CustomJob: create, get, list, cancel, delete."""

from __future__ import annotations

from typing import Any

from vertex_emulator import _protos, _validation
from vertex_emulator._backend import Backend
from vertex_emulator._handlers._common import job_routes
from vertex_emulator._store import CUSTOM_JOBS

_OUTPUT_ONLY = ("webAccessUris", "satisfiesPzs", "satisfiesPzi")


def prepare(backend: Backend, location: str, body: dict[str, Any]) -> dict[str, Any]:
    problems = _validation.Problems()
    _validation.display_name(problems, body, "custom_job")
    _validation.labels(problems, body, "custom_job")
    if problems.require(body.get("jobSpec"), "custom_job.job_spec"):
        _validation.custom_job_spec(problems, body["jobSpec"], "custom_job.job_spec")
    problems.raise_if_any()
    return {k: v for k, v in body.items() if k not in _OUTPUT_ONLY}


ROUTES = job_routes(
    CUSTOM_JOBS, "CustomJob", _protos.CUSTOM_JOB, _protos.LIST_CUSTOM_JOBS_RESPONSE, "custom_job", prepare
)
