"""Fields every resource spec has: where it lives, what the API reports back, how long we wait for it."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import field_validator

from ._base import OUTPUT_ONLY, PLACEMENT, PROVIDER_ONLY, ApiModel
from ._wire import ApiEnum, Duration
from .enums import JobState

__all__ = ["JobOutputs", "Named", "ResourceBase", "Status"]


class Status(ApiModel):
    """google.rpc.Status: the error of a failed or cancelled resource."""

    code: int | None = None
    message: str | None = None
    details: list[Any] | None = None


class Named(ApiModel):
    name: Annotated[str | None, OUTPUT_ONLY] = None


class ResourceBase(Named):
    """Placement (a change moves the resource: replace) and the timestamps the API sets."""

    project: Annotated[str | None, PLACEMENT] = None
    location: Annotated[str | None, PLACEMENT] = None
    resource_key: Annotated[str | None, PROVIDER_ONLY] = None
    """The Pulumi resource (project/stack/name), set by the resource class: with the spec it forms the label that
    lets an interrupted create find its resource again."""
    create_time: Annotated[str | None, OUTPUT_ONLY] = None
    update_time: Annotated[str | None, OUTPUT_ONLY] = None


class JobOutputs(ResourceBase):
    """Long-running kinds (jobs and pipelines): their state, and how the provider waits for them."""

    wait_for_completion: Annotated[bool, PROVIDER_ONLY] = True
    """Wait for a terminal state in create (the default); if false, create returns once the job is submitted."""
    wait_timeout: Annotated[Duration | None, PROVIDER_ONLY] = None
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
