"""Helpers every handler module shares: names from the path, strict bodies, list replies, the job RPCs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from google.protobuf.message import Message

from vertex_emulator import _protos
from vertex_emulator._backend import Backend
from vertex_emulator._errors import InvalidArgument
from vertex_emulator._listing import paginate
from vertex_emulator._models import _job
from vertex_emulator._names import check_resource_id, location_path
from vertex_emulator._routing import Reply, Request, Route
from vertex_emulator._store import NOUNS, Record

JsonDict = dict[str, Any]
LOCATION = "/v1/projects/{project}/locations/{location}"

Prepare = Callable[[Backend, str, JsonDict], JsonDict]


def location(request: Request) -> str:
    return location_path(request.params["project"], request.params["location"])


def resource_name(request: Request, collection: str, id_param: str) -> str:
    """The full name of the resource the path addresses; 400 for an id that is not the API's shape."""
    where = location(request)
    resource_id = request.params[id_param]
    check_resource_id(NOUNS[collection], resource_id)
    return f"{where}/{collection}/{resource_id}"


def body(request: Request, message_class: type[Message], what: str) -> JsonDict:
    """The request body parsed strictly into `message_class`, as canonical proto JSON."""
    value = _protos.load_json_object(request.body, what)
    return _protos.to_json(_protos.parse(message_class, value, what))


def update_mask_fields(request: Request, updatable: dict[str, str]) -> set[str]:
    """The resource fields the request's ``updateMask`` names; 400 when it names none or one not in ``updatable``
    (mask path -> field)."""
    paths = [p.strip() for p in (request.arg("updateMask") or "").split(",") if p.strip()]
    allowed = ", ".join(sorted({p for p in updatable if "_" in p or p.islower()}))
    if not paths:
        raise InvalidArgument(f"update_mask is required: name the fields to update ({allowed}).")
    unknown = [p for p in paths if p not in updatable]
    if unknown:
        raise InvalidArgument(f"update_mask path(s) {unknown} cannot be updated; updatable: {allowed}.")
    return {updatable[p] for p in paths}


def list_reply(
    request: Request,
    records: Sequence[Record],
    response_type: type[Message],
    field: str,
    allowed: Sequence[str] = ("displayName",),
    body_of: Callable[[Record], JsonDict] = lambda r: r.body,
) -> Reply:
    page, token = paginate(
        records, request.arg("filter") or "", request.arg("pageSize"), request.arg("pageToken"), allowed, body_of
    )
    payload: JsonDict = {field: [body_of(r) for r in page]}
    if token:
        payload["nextPageToken"] = token
    return Reply(message_type=response_type, payload=payload)


def job_routes(
    kind: str,
    rpc_noun: str,
    message_class: type[Message],
    list_response: type[Message],
    what: str,
    prepare: Prepare,
) -> list[Route]:
    """Create, get, list, cancel and delete for one kind of job; `prepare` (its model's) checks and shapes a
    create body."""
    collection = f"{LOCATION}/{kind}"
    item = f"{collection}/{{job}}"

    def create(backend: Backend, request: Request) -> Reply:
        where = location(request)
        prepared = prepare(backend, where, body(request, message_class, what))
        return Reply(record=_job.create(backend, kind, where, prepared))

    def get(backend: Backend, request: Request) -> Reply:
        return Reply(record=backend.jobs.find(kind, resource_name(request, kind, "job")))

    def list_jobs(backend: Backend, request: Request) -> Reply:
        records = backend.store.children(kind, location(request))
        return list_reply(request, records, list_response, kind, ("displayName", "state"))

    def cancel(backend: Backend, request: Request) -> Reply:
        _protos.load_json_object(request.body, "cancel request")
        backend.jobs.request_cancel(kind, resource_name(request, kind, "job"))
        return Reply()

    def delete(backend: Backend, request: Request) -> Reply:
        return Reply(record=_job.delete(backend, kind, resource_name(request, kind, "job"), location(request)))

    return [
        Route("POST", collection, f"Create{rpc_noun}", create),
        Route("GET", collection, f"List{rpc_noun}s", list_jobs),
        Route("GET", item, f"Get{rpc_noun}", get),
        Route("POST", f"{item}:cancel", f"Cancel{rpc_noun}", cancel),
        Route("DELETE", item, f"Delete{rpc_noun}", delete),
    ]
