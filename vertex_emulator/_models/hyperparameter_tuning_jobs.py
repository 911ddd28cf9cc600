"""HyperparameterTuningJob: what a create must hold beyond the proto (display name, labels, a study spec, trial
counts and a trial job spec that can run)."""

from __future__ import annotations

from typing import Any

from vertex_emulator import _validation
from vertex_emulator._backend import Backend

JsonDict = dict[str, Any]
PATH = "hyperparameter_tuning_job"
# Fields the service fills; a create that sends them has them dropped.
OUTPUT_ONLY = ("trials", "satisfiesPzs", "satisfiesPzi")


def prepare(backend: Backend, location: str, body: JsonDict) -> JsonDict:
    problems = _validation.Problems()
    _validation.display_name(problems, body, PATH)
    _validation.labels(problems, body, PATH)
    _validation.tuning_job(problems, body, PATH)
    problems.raise_if_any()
    return {k: v for k, v in body.items() if k not in OUTPUT_ONLY}
