"""Dataset routes: create (LRO), get, list, patch with updateMask, delete (LRO), import (LRO), export (LRO).
What each does to a dataset is `vertex_emulator._models.datasets`."""

from __future__ import annotations

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
from vertex_emulator._models import datasets
from vertex_emulator._routing import Reply, Request, Route
from vertex_emulator._store import DATASETS

_COLLECTION = f"{LOCATION}/datasets"
_ITEM = f"{_COLLECTION}/{{dataset}}"


def _name(request: Request) -> str:
    return resource_name(request, DATASETS, "dataset")


def create(backend: Backend, request: Request) -> Reply:
    dataset = body(request, _protos.DATASET, datasets.PATH)
    return Reply(record=datasets.create(backend, location(request), dataset))


def get(backend: Backend, request: Request) -> Reply:
    return Reply(record=datasets.get(backend, _name(request)))


def list_datasets(backend: Backend, request: Request) -> Reply:
    records = backend.store.children(DATASETS, location(request))
    return list_reply(request, records, _protos.LIST_DATASETS_RESPONSE, "datasets")


def update(backend: Backend, request: Request) -> Reply:
    name = _name(request)
    patch = body(request, _protos.DATASET, datasets.PATH)
    fields = update_mask_fields(request, datasets.UPDATABLE)
    return Reply(record=datasets.update(backend, name, patch, fields))


def delete(backend: Backend, request: Request) -> Reply:
    return Reply(record=datasets.delete(backend, _name(request), location(request)))


def import_data(backend: Backend, request: Request) -> Reply:
    name = _name(request)
    payload = body(request, _protos.IMPORT_DATA_REQUEST, "import_data_request")
    return Reply(record=datasets.import_data(backend, name, payload.get("importConfigs", [])))


def export_data(backend: Backend, request: Request) -> Reply:
    name = _name(request)
    payload = body(request, _protos.EXPORT_DATA_REQUEST, "export_data_request")
    return Reply(record=datasets.export_data(backend, name, payload.get("exportConfig", {})))


ROUTES = [
    Route("POST", _COLLECTION, "CreateDataset", create),
    Route("GET", _COLLECTION, "ListDatasets", list_datasets),
    Route("GET", _ITEM, "GetDataset", get),
    Route("PATCH", _ITEM, "UpdateDataset", update),
    Route("DELETE", _ITEM, "DeleteDataset", delete),
    Route("POST", f"{_ITEM}:import", "ImportData", import_data),
    Route("POST", f"{_ITEM}:export", "ExportData", export_data),
]
