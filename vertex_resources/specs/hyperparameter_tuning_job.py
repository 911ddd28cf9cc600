"""The HyperparameterTuningJob resource: trials of a job over a study's parameters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from ..errors import Problem
from ._base import OUTPUT_ONLY, REPLACE
from ._resource import JobOutputs
from ._rules import display_name_problems
from .job import EncryptionSpec
from .study import HyperparameterTuningTask, Trial

__all__ = ["HyperparameterTuningJobDefinition"]


class HyperparameterTuningJobDefinition(HyperparameterTuningTask, JobOutputs):
    """The tuning task's fields (study, trial budget, trial job) plus the job's own; ``trials`` is reported."""

    display_name: Annotated[str, REPLACE]
    encryption_spec: Annotated[EncryptionSpec | None, REPLACE] = None
    trials: Annotated[list[Trial] | None, OUTPUT_ONLY] = None

    def _problems(self) -> Iterator[Problem]:
        yield from super()._problems()
        yield from display_name_problems(self.display_name)
