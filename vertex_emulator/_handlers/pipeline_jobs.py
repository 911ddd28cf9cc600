"""PipelineJob: create (optionally with `pipelineJobId`), get, list, cancel, delete."""

from __future__ import annotations

from vertex_emulator import _protos
from vertex_emulator._backend import Backend
from vertex_emulator._errors import AlreadyExists
from vertex_emulator._handlers._common import LOCATION, body, location, resource_name
from vertex_emulator._listing import paginate
from vertex_emulator._models import pipeline_jobs as model
from vertex_emulator._routing import Reply, Request, Route
from vertex_emulator._store import PIPELINE_JOBS

_COLLECTION = f"{LOCATION}/{PIPELINE_JOBS}"
_ITEM = f"{_COLLECTION}/{{job}}"


def create(backend: Backend, request: Request) -> Reply:
    where = location(request)
    job_id = request.arg("pipelineJobId") or None
    if job_id is not None:
        model.check_job_id(job_id)
    value = body(request, _protos.PIPELINE_JOB, model.PATH)
    if not value.get("pipelineSpec") and value.get("templateUri"):
        value["pipelineSpec"] = model.load_template(backend.storage, value["templateUri"])
        value = _protos.canonical(_protos.PIPELINE_JOB, value)
    prepared = model.prepare(value)
    with backend.store.transaction() as tx:
        if job_id is not None and tx.get(f"{where}/{PIPELINE_JOBS}/{job_id}") is not None:
            raise AlreadyExists(f"PipelineJob {where}/{PIPELINE_JOBS}/{job_id} already exists.")
        record = backend.jobs.create(tx, PIPELINE_JOBS, where, prepared, resource_id=job_id)
    backend.jobs.start(record)
    return Reply(record=record)


def get(backend: Backend, request: Request) -> Reply:
    return Reply(record=backend.jobs.find(PIPELINE_JOBS, resource_name(request, PIPELINE_JOBS, "job")))


def list_jobs(backend: Backend, request: Request) -> Reply:
    records = backend.store.children(PIPELINE_JOBS, location(request))
    page, token = paginate(
        records,
        request.arg("filter") or "",
        request.arg("pageSize"),
        request.arg("pageToken"),
        model.LIST_FILTER_FIELDS,
        lambda record: model.list_view(record.body),
    )
    payload = {PIPELINE_JOBS: [r.body for r in page], **({"nextPageToken": token} if token else {})}
    return Reply(message_type=_protos.LIST_PIPELINE_JOBS_RESPONSE, payload=payload)


def cancel(backend: Backend, request: Request) -> Reply:
    _protos.load_json_object(request.body, "cancel request")
    backend.jobs.request_cancel(PIPELINE_JOBS, resource_name(request, PIPELINE_JOBS, "job"))
    return Reply()


def delete(backend: Backend, request: Request) -> Reply:
    name = resource_name(request, PIPELINE_JOBS, "job")
    with backend.store.transaction() as tx:
        record = tx.find(PIPELINE_JOBS, name)
        backend.jobs.check_deletable(record)
        operation = backend.operations.start(tx, location(request), _protos.DELETE_METADATA, {"delete": [name]})
    return Reply(record=operation)


ROUTES = [
    Route("POST", _COLLECTION, "CreatePipelineJob", create),
    Route("GET", _COLLECTION, "ListPipelineJobs", list_jobs),
    Route("GET", _ITEM, "GetPipelineJob", get),
    Route("POST", f"{_ITEM}:cancel", "CancelPipelineJob", cancel),
    Route("DELETE", _ITEM, "DeletePipelineJob", delete),
]
