"""Model routes: upload (LRO; a new model, or a new version with parentModel), get (`@version` / `@alias`), list,
listVersions, patch, mergeVersionAliases, delete (LRO) and deleteVersion (LRO). What each does to the registry
is `vertex_emulator._models.models`."""

from __future__ import annotations

from typing import Any

from vertex_emulator import _protos
from vertex_emulator._backend import Backend
from vertex_emulator._handlers._common import (
    LOCATION,
    body,
    list_reply,
    location,
    resource_name,
    update_mask_fields,
)
from vertex_emulator._models import models
from vertex_emulator._routing import Reply, Request, Route
from vertex_emulator._store import MODEL_VERSIONS, MODELS, Record

JsonDict = dict[str, Any]
_COLLECTION = f"{LOCATION}/models"
_ITEM = f"{_COLLECTION}/{{model:[^/:]+}}"


def _name(request: Request) -> str:
    return resource_name(request, MODELS, "model")


def upload(backend: Backend, request: Request) -> Reply:
    where = location(request)
    payload = body(request, _protos.UPLOAD_MODEL_REQUEST, "upload_model_request")
    return Reply(record=models.upload(backend, where, payload))


def get(backend: Backend, request: Request) -> Reply:
    return Reply(record=models.resolve(backend.store, _name(request)))


def list_models(backend: Backend, request: Request) -> Reply:
    records = backend.store.children(MODELS, location(request))

    def default_body(record: Record) -> JsonDict:
        return models.resolve(backend.store, record.name).body

    return list_reply(request, records, _protos.LIST_MODELS_RESPONSE, "models", ("displayName",), default_body)


def list_versions(backend: Backend, request: Request) -> Reply:
    model = models.model_record(backend.store, _name(request))
    versions = backend.store.children(MODEL_VERSIONS, model.name)
    return list_reply(request, versions, _protos.LIST_MODEL_VERSIONS_RESPONSE, "models")


def update(backend: Backend, request: Request) -> Reply:
    name = _name(request)
    patch = body(request, _protos.MODEL, models.PATH)
    fields = update_mask_fields(request, models.UPDATABLE)
    return Reply(record=models.update(backend, name, patch, fields))


def merge_aliases(backend: Backend, request: Request) -> Reply:
    payload = body(request, _protos.MERGE_VERSION_ALIASES_REQUEST, "merge_version_aliases_request")
    return Reply(record=models.merge_version_aliases(backend, _name(request), payload.get("versionAliases", [])))


def delete(backend: Backend, request: Request) -> Reply:
    return Reply(record=models.delete(backend, _name(request), location(request)))


def delete_version(backend: Backend, request: Request) -> Reply:
    return Reply(record=models.delete_version(backend, _name(request), location(request)))


ROUTES = [
    Route("POST", f"{_COLLECTION}:upload", "UploadModel", upload),
    Route("GET", _COLLECTION, "ListModels", list_models),
    Route("GET", _ITEM, "GetModel", get),
    Route("PATCH", _ITEM, "UpdateModel", update),
    Route("DELETE", _ITEM, "DeleteModel", delete),
    Route("GET", f"{_ITEM}:listVersions", "ListModelVersions", list_versions),
    Route("DELETE", f"{_ITEM}:deleteVersion", "DeleteModelVersion", delete_version),
    Route("POST", f"{_ITEM}:mergeVersionAliases", "MergeVersionAliases", merge_aliases),
]
