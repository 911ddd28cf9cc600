"""Model: upload (LRO; a new model, or a new version with parentModel), get (`@version` / `@alias`), list,
listVersions, patch, mergeVersionAliases, delete (LRO) and deleteVersion (LRO)."""

from __future__ import annotations

from typing import Any

from vertex_emulator import _protos, _registry, _validation
from vertex_emulator._backend import Backend
from vertex_emulator._errors import InvalidArgument
from vertex_emulator._handlers._common import (
    LOCATION,
    body,
    list_reply,
    location,
    resource_name,
    update_mask_fields,
)
from vertex_emulator._names import new_id, normalize, now_timestamp
from vertex_emulator._routing import Reply, Request, Route
from vertex_emulator._store import MODEL_VERSIONS, MODELS, Record

JsonDict = dict[str, Any]
_COLLECTION = f"{LOCATION}/models"
_ITEM = f"{_COLLECTION}/{{model:[^/:]+}}"
_UPDATABLE = {
    "displayName": "displayName",
    "display_name": "displayName",
    "description": "description",
    "labels": "labels",
    "versionDescription": "versionDescription",
    "version_description": "versionDescription",
}


def upload(backend: Backend, request: Request) -> Reply:
    where = location(request)
    payload = body(request, _protos.UPLOAD_MODEL_REQUEST, "upload_model_request")
    model = payload.get("model", {})
    problems = _validation.Problems()
    if problems.require(model, "model"):
        _validation.model(problems, model, "model")
    problems.raise_if_any()
    parent_model = normalize(payload.get("parentModel", ""))
    if parent_model and payload.get("modelId"):
        raise InvalidArgument("Set model_id or parent_model, not both.")
    with backend.store.transaction() as tx:
        version = _registry.register(tx, where, model, parent_model=parent_model, model_id=payload.get("modelId", ""))
        model_name = version.body["name"]
        response = {"model": model_name, "modelVersionId": version.body["versionId"]}
        effect = {"respond": response, "type": _protos.UPLOAD_MODEL_RESPONSE}
        operation = backend.operations.start(tx, model_name, _protos.UPLOAD_MODEL_METADATA, effect, creates=True)
    return Reply(record=operation)


def get(backend: Backend, request: Request) -> Reply:
    return Reply(record=_registry.resolve(backend.store, resource_name(request, "models", "model")))


def list_models(backend: Backend, request: Request) -> Reply:
    records = backend.store.children(MODELS, location(request))

    def default_body(record: Record) -> JsonDict:
        return _registry.resolve(backend.store, record.name).body

    return list_reply(request, records, _protos.LIST_MODELS_RESPONSE, "models", ("displayName",), default_body)


def list_versions(backend: Backend, request: Request) -> Reply:
    model = _registry.model_record(backend.store, resource_name(request, "models", "model"))
    versions = backend.store.children(MODEL_VERSIONS, model.name)
    return list_reply(request, versions, _protos.LIST_MODEL_VERSIONS_RESPONSE, "models")


def update(backend: Backend, request: Request) -> Reply:
    name = resource_name(request, "models", "model")
    patch = body(request, _protos.MODEL, "model")
    fields = update_mask_fields(request, _UPDATABLE)
    problems = _validation.Problems()
    if "displayName" in fields:
        _validation.display_name(problems, patch, "model")
    _validation.labels(problems, patch, "model")
    problems.raise_if_any()
    with backend.store.transaction() as tx:
        version = _registry.resolve(tx, name)
        updated = dict(version.body)
        for field in fields:
            if field in patch:
                updated[field] = patch[field]
            else:
                updated.pop(field, None)
        now = now_timestamp()
        updated.update(updateTime=now, versionUpdateTime=now, etag=new_id())
        version = tx.put(version.evolve(body=updated))
    return Reply(record=version)


def merge_aliases(backend: Backend, request: Request) -> Reply:
    payload = body(request, _protos.MERGE_VERSION_ALIASES_REQUEST, "merge_version_aliases_request")
    changes = payload.get("versionAliases", [])
    if not changes:
        raise InvalidArgument("version_aliases is required.")
    with backend.store.transaction() as tx:
        version = _registry.merge_aliases(tx, _registry.resolve(tx, resource_name(request, "models", "model")), changes)
    return Reply(record=version)


def delete(backend: Backend, request: Request) -> Reply:
    name = resource_name(request, "models", "model")
    if "@" in name:
        raise InvalidArgument(f"DeleteModel takes a model without a version; use deleteVersion for {name}.")
    with backend.store.transaction() as tx:
        targets = _registry.delete_targets(tx, name)
        operation = backend.operations.start(tx, location(request), _protos.DELETE_METADATA, {"delete": targets})
    return Reply(record=operation)


def delete_version(backend: Backend, request: Request) -> Reply:
    name = resource_name(request, "models", "model")
    with backend.store.transaction() as tx:
        target = _registry.version_delete_target(tx, name)
        operation = backend.operations.start(tx, location(request), _protos.DELETE_METADATA, {"delete": [target]})
    return Reply(record=operation)


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
