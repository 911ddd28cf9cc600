"""CustomJob routes: create, get, list, cancel, delete (what a create must hold: `_models.custom_jobs`)."""

from __future__ import annotations

from vertex_emulator import _protos
from vertex_emulator._handlers._common import job_routes
from vertex_emulator._models import custom_jobs
from vertex_emulator._store import CUSTOM_JOBS

ROUTES = job_routes(
    CUSTOM_JOBS,
    "CustomJob",
    _protos.CUSTOM_JOB,
    _protos.LIST_CUSTOM_JOBS_RESPONSE,
    custom_jobs.PATH,
    custom_jobs.prepare,
)
