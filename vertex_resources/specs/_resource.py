"""Fields every resource spec has: where it lives, what the API reports back, how long we wait for it."""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Iterator
from typing import Annotated, Any, ClassVar

from pydantic import field_validator

from ..errors import Problem
from ._base import OUTPUT_ONLY, PLACEMENT, PROVIDER_ONLY, ApiModel, walk
from ._types import NOT_KNOWN_YET, Bool, PositiveDuration, ProjectId, Region, SameLocation, location_of
from ._wire import ApiEnum
from .enums import JobState

__all__ = ["JobOutputs", "Named", "ResourceBase", "Status", "TrainingOutputs"]


class Status(ApiModel):
    """google.rpc.Status: the error of a failed or cancelled resource."""

    code: int | None = None
    """The canonical error code (google.rpc.Code): 1 CANCELLED, 3 INVALID_ARGUMENT, 13 INTERNAL ..."""
    message: str | None = None
    """What went wrong, in the API's words."""
    details: list[Any] | None = None
    """Structured details the API attaches, if any."""


class Named(ApiModel):
    name: Annotated[str | None, OUTPUT_ONLY] = None


class ResourceBase(Named):
    """Placement (a change moves the resource: replace) and the timestamps the API sets."""

    project: Annotated[ProjectId | None, PLACEMENT] = None
    """The Google Cloud project (id or number) the resource lives in; default: the stack's ``vertex:project``
    (or ``gcp:project``)."""
    location: Annotated[Region | None, PLACEMENT] = None
    """The region the resource lives in (``us-central1``, ``europe-west4`` ...); default: the stack's
    ``vertex:location`` (or ``gcp:region``)."""
    resource_key: Annotated[str | None, PROVIDER_ONLY] = None
    """The Pulumi resource (project/stack/name), set by the resource class: with the spec it forms the label that
    lets an interrupted create find its resource again."""
    create_time: Annotated[str | None, OUTPUT_ONLY] = None
    update_time: Annotated[str | None, OUTPUT_ONLY] = None

    def _rules(self) -> Iterator[Problem]:
        yield from super()._rules()
        if self.location is not None:
            yield from self.location_problems(self.location)

    def location_problems(self, location: str) -> Iterator[Problem]:
        """Names this resource refers to that must be in its location (KMS keys, TensorBoards, models) and are
        somewhere else."""
        if location == NOT_KNOWN_YET:
            return
        for path, model in walk(self):
            for name in _same_location_fields(type(model)):
                value = getattr(model, name)
                found = location_of(value) if isinstance(value, str) else None
                if found is not None and found != location:
                    yield Problem((*path, name), f"must be in the resource's location {location}, got {found}")


@functools.cache
def _same_location_fields(model_type: type[ApiModel]) -> tuple[str, ...]:
    return tuple(
        name
        for name, field in model_type.model_fields.items()
        if any(isinstance(meta, SameLocation) for meta in field.metadata) or _marked(field.annotation)
    )


def _marked(annotation: Any) -> bool:
    if typing.get_origin(annotation) is Annotated:
        return any(isinstance(meta, SameLocation) for meta in annotation.__metadata__) or _marked(
            typing.get_args(annotation)[0]
        )
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_marked(arg) for arg in typing.get_args(annotation))
    return False


class JobOutputs(ResourceBase):
    """Long-running kinds (jobs and pipelines): their state, and how the provider waits for them."""

    wait_for_completion: Annotated[Bool, PROVIDER_ONLY] = True
    """Wait for a terminal state in create (the default); if false, create returns once the job is submitted."""
    wait_timeout: Annotated[PositiveDuration | None, PROVIDER_ONLY] = None
    """Our own deadline for that wait (Pulumi's customTimeouts never reach dynamic providers); default 24h."""
    state: Annotated[str | None, OUTPUT_ONLY] = None
    error: Annotated[Status | None, OUTPUT_ONLY] = None
    start_time: Annotated[str | None, OUTPUT_ONLY] = None
    end_time: Annotated[str | None, OUTPUT_ONLY] = None

    state_enum: ClassVar[type[ApiEnum]] = JobState
    """PipelineState for pipelines, JobState for jobs: states arrive as names or numbers and are kept as names."""

    @field_validator("state", mode="before")
    @classmethod
    def _state_name(cls, value: Any) -> str | None:
        if value is None:
            return None
        state = cls.state_enum.coerce(value)
        return None if state.value == 0 else str(state.name)


class TrainingOutputs(JobOutputs):
    """Kinds that train into a base output directory: training pipelines, custom jobs and tuning jobs."""

    unique_output_directory: Annotated[Bool, PROVIDER_ONLY] = True
    """Train into a directory of this resource's own under the configured base output directory,
    ``<base>/<resource name>-<start of its pulumi-create-key label>`` (the ``output_directory``
    output), so that a replacement never writes over the files of what it replaces (a model version keeps its
    artifacts). The configured value is what diffs compare; a change applies to the next create. Set it false
    to train into the configured directory itself."""

    def base_output_directory_holder(self) -> tuple[str, ...]:
        """The path of the CustomJobSpec whose ``base_output_directory`` the job trains into."""
        raise NotImplementedError
