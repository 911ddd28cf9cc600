"""Dataset: create (LRO), get, list, patch with updateMask, delete (LRO), import (LRO), export (LRO).

As the real API does (recorded), the create operation's response carries the system label
`aiplatform.googleapis.com/dataset_metadata_schema` (TABLE, IMAGE, TEXT, VIDEO or TIME_SERIES) but no times or
etag; the dataset itself (get, list, patch) shows only the user's labels. ImportData records the import configs
on the dataset (`internal.imports`).

When the emulator reads data (its default, local mode; see `_dataset_data`): a tabular dataset counts its CSV
rows at creation (`dataItemCount`) and a BigQuery source fails the create operation; ImportData reads the JSONL
import files into data items (`internal.items`, `dataItemCount`), tabular datasets refusing it; ExportData
writes the files. Problems fail the operation with their code, as the real API's do. In the scheduled mode
nothing is read and exports list no files.
"""

from __future__ import annotations

from typing import Any

from vertex_emulator import _dataset_data, _protos, _server_defaults, _validation
from vertex_emulator._backend import Backend
from vertex_emulator._errors import FailedPrecondition, InvalidArgument, NotFound
from vertex_emulator._handlers._common import (
    LOCATION,
    body,
    list_reply,
    location,
    resource_name,
    update_mask_fields,
)
from vertex_emulator._names import new_id, now_timestamp
from vertex_emulator._routing import Reply, Request, Route
from vertex_emulator._schemas import DATASET_KINDS
from vertex_emulator._store import DATASETS, Record
from vertex_emulator.execution import ExecutionError

JsonDict = dict[str, Any]
SCHEMA_LABEL = "aiplatform.googleapis.com/dataset_metadata_schema"
SCHEMAS = DATASET_KINDS
_UPDATABLE = {
    "displayName": "displayName",
    "display_name": "displayName",
    "description": "description",
    "labels": "labels",
}
# The create operation's response, as the real API shapes it (recorded): the dataset as created, without the times,
# etag and what is filled in later (the metadata artifact, the bucket), with the system label the resource itself
# never shows.
_CREATED_RESPONSE: JsonDict = {
    "type": "google.cloud.aiplatform.v1.Dataset",
    "without": ["createTime", "updateTime", "etag", "metadataArtifact", "metadata.gcsBucket"],
}
_FROM_INPUT_CONFIG = ("TABLE", "TIME_SERIES")  # kinds whose data is metadata.inputConfig, not imports
_COLLECTION = f"{LOCATION}/datasets"
_ITEM = f"{_COLLECTION}/{{dataset}}"


def _check_metadata(problems: _validation.Problems, dataset: JsonDict) -> None:
    """metadata.inputConfig, when present, must be the shape tabular datasets read: gcsSource.uri (one URI or a
    list) or bigquerySource.uri."""
    metadata = dataset.get("metadata")
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        problems.add("dataset.metadata", "Must be an object.")
        return
    path = "dataset.metadata.input_config"
    source = metadata.get("inputConfig", {})
    if not isinstance(source, dict):
        problems.add(path, "Must be an object.")
        return
    gcs = source.get("gcsSource", {})
    if not isinstance(gcs, dict):
        problems.add(f"{path}.gcs_source", "Must be an object.")
    else:
        uris = gcs.get("uri", [])
        listed = [uris] if isinstance(uris, str) else uris if isinstance(uris, list) else None
        if listed is None or not all(isinstance(uri, str) for uri in listed):
            problems.add(f"{path}.gcs_source.uri", "Must be a Cloud Storage URI or a list of them.")
        else:
            for uri in listed:
                _validation.gcs_uri(problems, uri, f"{path}.gcs_source.uri")
    bigquery = source.get("bigquerySource", {})
    if not isinstance(bigquery, dict):
        problems.add(f"{path}.bigquery_source", "Must be an object.")
    elif not isinstance(bigquery.get("uri", ""), str):
        problems.add(f"{path}.bigquery_source.uri", "Must be a bq:// URI.")
    elif bigquery.get("uri") and not bigquery["uri"].startswith("bq://"):
        problems.add(f"{path}.bigquery_source.uri", f"'{bigquery['uri']}' is not a bq:// URI.")


def create(backend: Backend, request: Request) -> Reply:
    where = location(request)
    dataset = body(request, _protos.DATASET, "dataset")
    problems = _validation.Problems()
    _validation.display_name(problems, dataset, "dataset")
    _validation.labels(problems, dataset, "dataset")
    schema = dataset.get("metadataSchemaUri", "")
    if problems.require(schema, "dataset.metadata_schema_uri") and schema not in SCHEMAS:
        problems.add("dataset.metadata_schema_uri", f"Unsupported schema '{schema}'; use one of {sorted(SCHEMAS)}.")
    _check_metadata(problems, dataset)
    problems.raise_if_any()
    now = now_timestamp()
    name = f"{where}/datasets/{new_id()}"
    kept = {
        k: v
        for k, v in dataset.items()
        if k in ("displayName", "description", "metadataSchemaUri", "metadata", "labels", "encryptionSpec")
    }
    kept.update(
        name=name,
        createTime=now,
        updateTime=now,
        etag=new_id(),
    )
    kept["metadata"] = _server_defaults.dataset_metadata(SCHEMAS[schema], where, kept.get("metadata") or {})
    kept["metadataArtifact"] = _server_defaults.metadata_artifact(where)
    failure: JsonDict | None = None
    if backend.reads_data and SCHEMAS[schema] in _FROM_INPUT_CONFIG:
        try:
            rows = _dataset_data.count_rows(backend.storage, _dataset_data.source_uris(kept["metadata"]))
        except ExecutionError as err:
            failure = _error(err)
        else:
            if rows is not None:
                kept["dataItemCount"] = str(rows)
    with backend.store.transaction() as tx:
        if failure is None:
            tx.create(DATASETS, name, where, kept, {"imports": []})
        effect = {"error": failure} if failure else {**_CREATED_RESPONSE, "snapshot": name}
        if failure is None:
            effect["with"] = {"labels": {SCHEMA_LABEL: SCHEMAS[schema]}}
        operation = backend.operations.start(tx, name, _protos.CREATE_DATASET_METADATA, effect, creates=True)
    return Reply(record=operation)


def _error(err: ExecutionError) -> JsonDict:
    return {"code": err.code, "message": err.message}


def _is_tabular(record: Record) -> bool:
    return SCHEMAS.get(str(record.body.get("metadataSchemaUri", ""))) in _FROM_INPUT_CONFIG


def get(backend: Backend, request: Request) -> Reply:
    return Reply(record=backend.store.find(DATASETS, resource_name(request, "datasets", "dataset")))


def list_datasets(backend: Backend, request: Request) -> Reply:
    records = backend.store.children(DATASETS, location(request))
    return list_reply(request, records, _protos.LIST_DATASETS_RESPONSE, "datasets")


def update(backend: Backend, request: Request) -> Reply:
    name = resource_name(request, "datasets", "dataset")
    patch = body(request, _protos.DATASET, "dataset")
    fields = update_mask_fields(request, _UPDATABLE)
    problems = _validation.Problems()
    if "displayName" in fields:
        _validation.display_name(problems, patch, "dataset")
    _validation.labels(problems, patch, "dataset")
    problems.raise_if_any()
    with backend.store.transaction() as tx:
        record = tx.find(DATASETS, name)
        updated = dict(record.body)
        for field in fields:
            if field in patch:
                updated[field] = patch[field]
            else:
                updated.pop(field, None)
        updated.update(updateTime=now_timestamp(), etag=new_id())
        record = tx.put(record.evolve(body=updated))
    return Reply(record=record)


def delete(backend: Backend, request: Request) -> Reply:
    name = resource_name(request, "datasets", "dataset")
    with backend.store.transaction() as tx:
        backend.store.find(DATASETS, name)
        operation = backend.operations.start(tx, location(request), _protos.DELETE_METADATA, {"delete": [name]})
    return Reply(record=operation)


def import_data(backend: Backend, request: Request) -> Reply:
    name = resource_name(request, "datasets", "dataset")
    payload = body(request, _protos.IMPORT_DATA_REQUEST, "import_data_request")
    configs = payload.get("importConfigs", [])
    problems = _validation.Problems()
    if problems.require(configs, "import_configs"):
        for index, config in enumerate(configs):
            uris = config.get("gcsSource", {}).get("uris", [])
            if problems.require(uris, f"import_configs[{index}].gcs_source.uris"):
                for uri in uris:
                    _validation.gcs_uri(problems, uri, f"import_configs[{index}].gcs_source.uris")
            problems.require(config.get("importSchemaUri"), f"import_configs[{index}].import_schema_uri")
    problems.raise_if_any()
    imported: list[JsonDict] | None = None
    failure: JsonDict | None = None
    if backend.reads_data:
        if _is_tabular(backend.store.find(DATASETS, name)):
            failure = FailedPrecondition(
                "ImportData is for unstructured datasets: a tabular dataset reads its CSV files from "
                "metadata.inputConfig.gcsSource, set when it is created."
            ).rpc_status()
        else:
            try:
                imported = _dataset_data.read_import_files(backend.storage, configs)
            except ExecutionError as err:
                failure = _error(err)
            except ValueError as err:  # a URI storage refuses (a bucket name GCS does not allow, ...)
                failure = InvalidArgument(f"Cannot read the import files: {err}").rpc_status()
    with backend.store.transaction() as tx:
        record = tx.find(DATASETS, name)
        if failure is None:
            updated = {**record.body, "updateTime": now_timestamp()}
            internal = {**record.internal, "imports": [*record.internal.get("imports", []), *configs]}
            if imported is not None:
                internal["items"] = _dataset_data.merge_items(record.internal.get("items", []), imported)
                updated["dataItemCount"] = str(len(internal["items"]))
            tx.put(record.evolve(body=updated, internal=internal))
        effect = {"error": failure} if failure else {"respond": {}, "type": _protos.IMPORT_DATA_RESPONSE}
        operation = backend.operations.start(tx, name, _protos.IMPORT_DATA_METADATA, effect)
    return Reply(record=operation)


def export_data(backend: Backend, request: Request) -> Reply:
    name = resource_name(request, "datasets", "dataset")
    payload = body(request, _protos.EXPORT_DATA_REQUEST, "export_data_request")
    destination = payload.get("exportConfig", {}).get("gcsDestination", {}).get("outputUriPrefix", "")
    problems = _validation.Problems()
    if problems.require(destination, "export_config.gcs_destination.output_uri_prefix"):
        _validation.gcs_uri(problems, destination, "export_config.gcs_destination.output_uri_prefix")
    problems.raise_if_any()
    record = backend.store.find(DATASETS, name)
    stamp = now_timestamp().replace(":", "-").replace(".", "-")
    directory = f"{destination.rstrip('/')}/export-data-{record.body.get('displayName', '')}-{stamp}"
    effect: JsonDict = {"respond": {"exportedFiles": []}, "type": _protos.EXPORT_DATA_RESPONSE}
    if backend.reads_data:
        try:
            response = _dataset_data.export(
                backend.storage,
                record.body,
                record.internal.get("items", []),
                payload.get("exportConfig", {}),
                directory,
                tabular=_is_tabular(record),
            )
            effect = {"respond": response, "type": _protos.EXPORT_DATA_RESPONSE}
        except ExecutionError as err:
            effect = {"error": _error(err)}
        except FileNotFoundError as err:  # the destination bucket does not exist
            effect = {"error": NotFound(f"Cannot write the export: {err}").rpc_status()}
        except ValueError as err:  # a destination storage refuses
            effect = {"error": InvalidArgument(f"Cannot write the export: {err}").rpc_status()}
    with backend.store.transaction() as tx:
        operation = backend.operations.start(
            tx, name, _protos.EXPORT_DATA_METADATA, effect, {"gcsOutputDirectory": directory}
        )
    return Reply(record=operation)


ROUTES = [
    Route("POST", _COLLECTION, "CreateDataset", create),
    Route("GET", _COLLECTION, "ListDatasets", list_datasets),
    Route("GET", _ITEM, "GetDataset", get),
    Route("PATCH", _ITEM, "UpdateDataset", update),
    Route("DELETE", _ITEM, "DeleteDataset", delete),
    Route("POST", f"{_ITEM}:import", "ImportData", import_data),
    Route("POST", f"{_ITEM}:export", "ExportData", export_data),
]
