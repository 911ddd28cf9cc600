"""Fields every resource spec has: where it lives, what the API reports back, how long we wait for it."""

from __future__ import annotations

from typing import Annotated, Any

from ._base import OUTPUT_ONLY, PLACEMENT, PROVIDER_ONLY, ApiModel
from ._wire import Duration

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
