"""A local Vertex AI: the v1 REST API Google's clients speak, durable state, gs:// storage and faults.

    from vertex_emulator import Emulator, ControlClient
    with Emulator() as emulator:            # or: python -m vertex_emulator --port 8765 --storage-port 8766
        client = JobServiceClient(credentials=AnonymousCredentials(), transport="rest",
                                  client_options={"api_endpoint": emulator.endpoint})
        client.create_custom_job(...)       # really runs: LocalRunner, processes on this machine
    with Emulator(runner="scheduled") as emulator:      # nothing runs; jobs follow the control plane's timing
        emulator.control.set_job_timing("customJobs", mode="hold")

Public modules: `runners` (the JobRunner seam and the scheduled runner), `execution` (what the local runner
runs, usable without the server), `storage` (gs:// objects),
`control` (the control-plane client), `testing` (helpers for tests of code that uses the emulator).
Names are loaded lazily so that importing the package (or `vertex_emulator.control`) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vertex_emulator._emulator import Emulator
    from vertex_emulator._local_runner import LocalRunner
    from vertex_emulator.control import ControlClient, ControlError
    from vertex_emulator.runners import (
        JobEvents,
        JobKind,
        JobRunner,
        JobTicket,
        JobTiming,
        RunnerContext,
        RunnerFactory,
        ScheduledRunner,
    )
    from vertex_emulator.storage import ObjectStorage

__all__ = [
    "ControlClient",
    "ControlError",
    "Emulator",
    "JobEvents",
    "JobKind",
    "JobRunner",
    "JobTicket",
    "JobTiming",
    "LocalRunner",
    "ObjectStorage",
    "RunnerContext",
    "RunnerFactory",
    "ScheduledRunner",
    "command_line",
]

_HOMES = {
    "Emulator": "vertex_emulator._emulator",
    "command_line": "vertex_emulator.launch",
    "LocalRunner": "vertex_emulator._local_runner",
    "ControlClient": "vertex_emulator.control",
    "ControlError": "vertex_emulator.control",
    "ObjectStorage": "vertex_emulator.storage",
    **dict.fromkeys(
        (
            "JobEvents",
            "JobKind",
            "JobRunner",
            "JobTicket",
            "JobTiming",
            "RunnerContext",
            "RunnerFactory",
            "ScheduledRunner",
        ),
        "vertex_emulator.runners",
    ),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'vertex_emulator' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(home), name)
