"""The CustomJob resource: one training job on worker pools, with no model upload."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from ..errors import Problem
from ._base import REPLACE
from ._resource import JobOutputs
from ._rules import display_name_problems, label_problems
from .job import CustomJobSpec, EncryptionSpec

__all__ = ["CustomJobDefinition"]


class CustomJobDefinition(JobOutputs):
    display_name: Annotated[str, REPLACE]
    job_spec: Annotated[CustomJobSpec, REPLACE]
    labels: Annotated[dict[str, str] | None, REPLACE] = None
    encryption_spec: Annotated[EncryptionSpec | None, REPLACE] = None

    def _problems(self) -> Iterator[Problem]:
        yield from display_name_problems(self.display_name)
        yield from label_problems(self.labels)
