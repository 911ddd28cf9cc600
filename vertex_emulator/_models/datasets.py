"""Dataset: what a dataset is made of, its checks beyond the proto, and what create, patch, delete, import and
export do to it (the handlers only parse requests and reply).

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
from vertex_emulator._errors import FailedPrecondition, InvalidArgument, NotFound, api_error
from vertex_emulator._models import _patch
from vertex_emulator._names import new_id, now_timestamp
from vertex_emulator._schemas import DATASET_KINDS
from vertex_emulator._store import DATASETS, Record
from vertex_emulator.execution import ExecutionError

JsonDict = dict[str, Any]
PATH = "dataset"
SCHEMA_LABEL = "aiplatform.googleapis.com/dataset_metadata_schema"
# updateMask path -> the field it updates (only these are updatable).
UPDATABLE = {
    "displayName": "displayName",
    "display_name": "displayName",
    "description": "description",
    "labels": "labels",
}
_KEPT = ("displayName", "description", "metadataSchemaUri", "metadata", "labels", "encryptionSpec")
# The create operation's response, as the real API shapes it (recorded): the dataset as created, without the times,
# etag and what is filled in later (the metadata artifact, the bucket), with the system label the resource itself
# never shows.
_CREATED_RESPONSE: JsonDict = {
    "type": _protos.DATASET_TYPE,
    "without": ["createTime", "updateTime", "etag", "metadataArtifact", "metadata.gcsBucket"],
}
_FROM_INPUT_CONFIG = ("TABLE", "TIME_SERIES")  # kinds whose data is metadata.inputConfig, not imports


def _check_metadata(problems: _validation.Problems, dataset: JsonDict) -> None:
    """metadata.inputConfig, when present, must be the shape tabular datasets read: gcsSource.uri (one URI or a
    list) or bigquerySource.uri."""
    metadata = dataset.get("metadata")
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        problems.add(f"{PATH}.metadata", "Must be an object.")
        return
    path = f"{PATH}.metadata.input_config"
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


def _check_new(dataset: JsonDict) -> str:
    """Every problem of a dataset to create, at once; its metadata schema."""
    problems = _validation.Problems()
    _validation.display_name(problems, dataset, PATH)
    _validation.labels(problems, dataset, PATH)
    schema = dataset.get("metadataSchemaUri", "")
    if problems.require(schema, f"{PATH}.metadata_schema_uri") and schema not in DATASET_KINDS:
        problems.add(
            f"{PATH}.metadata_schema_uri", f"Unsupported schema '{schema}'; use one of {sorted(DATASET_KINDS)}."
        )
    _check_metadata(problems, dataset)
    problems.raise_if_any()
    return str(schema)


def _failure(err: ExecutionError) -> JsonDict:
    """What an execution problem fails an operation with (google.rpc.Status)."""
    return api_error(err.code, err.message).rpc_status()


def _is_tabular(record: Record) -> bool:
    return DATASET_KINDS.get(str(record.body.get("metadataSchemaUri", ""))) in _FROM_INPUT_CONFIG


def create(backend: Backend, where: str, dataset: JsonDict) -> Record:
    """Create a dataset in `where`; the create's operation (pending for a while, as on the real API)."""
    schema = _check_new(dataset)
    kind = DATASET_KINDS[schema]
    now = now_timestamp()
    name = f"{where}/datasets/{new_id()}"
    kept = {k: v for k, v in dataset.items() if k in _KEPT}
    kept.update(name=name, createTime=now, updateTime=now, etag=new_id())
    kept["metadata"] = _server_defaults.dataset_metadata(kind, where, kept.get("metadata") or {})
    kept["metadataArtifact"] = _server_defaults.metadata_artifact(where)
    failure: JsonDict | None = None
    if backend.reads_data and kind in _FROM_INPUT_CONFIG:
        try:
            rows = _dataset_data.count_rows(backend.storage, _dataset_data.source_uris(kept["metadata"]))
        except ExecutionError as err:
            failure = _failure(err)
        else:
            if rows is not None:
                kept["dataItemCount"] = str(rows)
    with backend.store.transaction() as tx:
        effect: JsonDict
        if failure is None:
            tx.create(DATASETS, name, where, kept, {"imports": []})
            effect = {**_CREATED_RESPONSE, "snapshot": name, "with": {"labels": {SCHEMA_LABEL: kind}}}
        else:
            effect = {"error": failure}
        return backend.operations.start(tx, name, _protos.CREATE_DATASET_METADATA, effect, creates=True)


def get(backend: Backend, name: str) -> Record:
    return backend.store.find(DATASETS, name)


def update(backend: Backend, name: str, patch: JsonDict, fields: set[str]) -> Record:
    """Set (or clear, when `patch` leaves them out) the updatable `fields` of a dataset."""
    _patch.check(patch, fields, PATH)
    with backend.store.transaction() as tx:
        record = tx.find(DATASETS, name)
        return tx.put(record.evolve(body=_patch.patched(record.body, patch, fields)))


def delete(backend: Backend, name: str, where: str) -> Record:
    """The delete's operation (named in `where`, done at once, as recorded)."""
    with backend.store.transaction() as tx:
        tx.find(DATASETS, name)
        return backend.operations.start(tx, where, _protos.DELETE_METADATA, {"delete": [name]})


def _check_import_configs(configs: list[JsonDict]) -> None:
    problems = _validation.Problems()
    if problems.require(configs, "import_configs"):
        for index, config in enumerate(configs):
            uris = config.get("gcsSource", {}).get("uris", [])
            if problems.require(uris, f"import_configs[{index}].gcs_source.uris"):
                for uri in uris:
                    _validation.gcs_uri(problems, uri, f"import_configs[{index}].gcs_source.uris")
            problems.require(config.get("importSchemaUri"), f"import_configs[{index}].import_schema_uri")
    problems.raise_if_any()


def import_data(backend: Backend, name: str, configs: list[JsonDict]) -> Record:
    """Record the import configs on the dataset (and read the files into data items, when reading data); the
    import's operation."""
    _check_import_configs(configs)
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
                failure = _failure(err)
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
        return backend.operations.start(tx, name, _protos.IMPORT_DATA_METADATA, effect)


def export_data(backend: Backend, name: str, export_config: JsonDict) -> Record:
    """Write the dataset's files under the config's destination (when reading data); the export's operation."""
    destination = export_config.get("gcsDestination", {}).get("outputUriPrefix", "")
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
                export_config,
                directory,
                tabular=_is_tabular(record),
            )
            effect = {"respond": response, "type": _protos.EXPORT_DATA_RESPONSE}
        except ExecutionError as err:
            effect = {"error": _failure(err)}
        except FileNotFoundError as err:  # the destination bucket does not exist
            effect = {"error": NotFound(f"Cannot write the export: {err}").rpc_status()}
        except ValueError as err:  # a destination storage refuses
            effect = {"error": InvalidArgument(f"Cannot write the export: {err}").rpc_status()}
    with backend.store.transaction() as tx:
        metadata = {"gcsOutputDirectory": directory}
        return backend.operations.start(tx, name, _protos.EXPORT_DATA_METADATA, effect, metadata)
