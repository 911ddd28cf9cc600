"""Operations under both `/v1/` and `/ui/` (the GAPIC operations client tries `/ui/` first):
get, list, cancel, delete, wait."""

from __future__ import annotations

from vertex_emulator import _protos
from vertex_emulator._backend import Backend
from vertex_emulator._handlers._common import list_reply
from vertex_emulator._names import normalize
from vertex_emulator._routing import Reply, Request, Route

_OWNER = r"projects/[^/]+/locations/[^/]+(?:/[^/]+/[^/:]+)*"
_ITEM = f"/{{version:v1|ui}}/{{name:{_OWNER}/operations/[^/:]+}}"
_COLLECTION = f"/{{version:v1|ui}}/{{owner:{_OWNER}}}/operations"


def _name(request: Request) -> str:
    return normalize(request.params["name"])


def get(backend: Backend, request: Request) -> Reply:
    return Reply(record=backend.operations.get(_name(request)))


def list_operations(backend: Backend, request: Request) -> Reply:
    records = backend.operations.under(normalize(request.params["owner"]))
    return list_reply(request, records, _protos.LIST_OPERATIONS_RESPONSE, "operations")


def cancel(backend: Backend, request: Request) -> Reply:
    backend.operations.cancel(_name(request))
    return Reply()


def delete(backend: Backend, request: Request) -> Reply:
    backend.operations.delete(_name(request))
    return Reply()


def wait(backend: Backend, request: Request) -> Reply:
    timeout = request.arg("timeout")
    if timeout is None and request.body.strip():
        timeout = _protos.load_json_object(request.body, "wait_operation_request").get("timeout")
    return Reply(record=backend.operations.wait(_name(request), timeout))


ROUTES = [
    Route("GET", _ITEM, "GetOperation", get),
    Route("DELETE", _ITEM, "DeleteOperation", delete),
    Route("POST", f"{_ITEM}:cancel", "CancelOperation", cancel),
    Route("POST", f"{_ITEM}:wait", "WaitOperation", wait),
    Route("GET", _COLLECTION, "ListOperations", list_operations),
]
