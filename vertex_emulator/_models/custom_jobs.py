"""CustomJob: what a create must hold beyond the proto (display name, labels, a job spec that can run)."""

from __future__ import annotations

from typing import Any

from vertex_emulator import _validation
from vertex_emulator._backend import Backend

JsonDict = dict[str, Any]
PATH = "custom_job"
# Fields the service fills; a create that sends them has them dropped.
OUTPUT_ONLY = ("webAccessUris", "satisfiesPzs", "satisfiesPzi")


def prepare(backend: Backend, location: str, body: JsonDict) -> JsonDict:
    problems = _validation.Problems()
    _validation.display_name(problems, body, PATH)
    _validation.labels(problems, body, PATH)
    if problems.require(body.get("jobSpec"), f"{PATH}.job_spec"):
        _validation.custom_job_spec(problems, body["jobSpec"], f"{PATH}.job_spec")
    problems.raise_if_any()
    return {k: v for k, v in body.items() if k not in OUTPUT_ONLY}
