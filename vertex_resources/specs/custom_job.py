"""The CustomJob resource: one training job on worker pools, with no model upload."""

from __future__ import annotations

from typing import Annotated

from ._base import REPLACE
from ._resource import TrainingOutputs
from ._types import DisplayName, ResourceLabels
from .job import CustomJobSpec, EncryptionSpec

__all__ = ["CustomJobDefinition"]


class CustomJobDefinition(TrainingOutputs):
    display_name: Annotated[DisplayName, REPLACE]
    job_spec: Annotated[CustomJobSpec, REPLACE]
    labels: Annotated[ResourceLabels | None, REPLACE] = None
    encryption_spec: Annotated[EncryptionSpec | None, REPLACE] = None

    def base_output_directory_holder(self) -> tuple[str, ...]:
        return ("job_spec",)
