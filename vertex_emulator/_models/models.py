"""Model: the registry of models, their numbered versions and version aliases, and what upload, patch, alias
merges and deletes do to them (the handlers only parse requests and reply).

A model is a bookkeeping record (`models` kind, holding the next version number) plus one record per version
(`modelVersions`, stored as `<model>@<versionId>`, served with the model's plain name and its `versionId`).
Version ids count up from "1"; the first version always gets the alias `default`; an alias names at most one
version of a model, so giving it to a new version takes it from the old one. `.../models/<id>` means the
default version, `@<digits>` a version id and `@<alias>` an alias.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vertex_emulator import _protos, _validation
from vertex_emulator._errors import AlreadyExists, FailedPrecondition, InvalidArgument
from vertex_emulator._models import _patch
from vertex_emulator._names import ModelRef, check_model_id, check_version_alias, new_id, normalize, now_timestamp
from vertex_emulator._schemas import INSTANCES_FORMATS
from vertex_emulator._server_defaults import model_fields
from vertex_emulator._store import MODEL_VERSIONS, MODELS, Record, Store, Transaction, found

if TYPE_CHECKING:  # the job lifecycle, which the backend holds, registers the models pipelines upload
    from vertex_emulator._backend import Backend

JsonDict = dict[str, Any]
PATH = "model"
DEFAULT_ALIAS = "default"
# updateMask path -> the field it updates (only these are updatable; a patch changes the addressed version).
UPDATABLE = {
    "displayName": "displayName",
    "display_name": "displayName",
    "description": "description",
    "labels": "labels",
    "versionDescription": "versionDescription",
    "version_description": "versionDescription",
}

# Output-only Model fields: the server fills them, whatever a request says.
_OUTPUT_ONLY = (
    "name",
    "versionId",
    "versionCreateTime",
    "versionUpdateTime",
    "createTime",
    "updateTime",
    "deployedModels",
    "etag",
    "trainingPipeline",
    "pipelineJob",
    "supportedExportFormats",
    "supportedDeploymentResourcesTypes",
    "supportedInputStorageFormats",
    "supportedOutputStorageFormats",
    "modelSourceInfo",
    "originalModelInfo",
    "metadataArtifact",
    "satisfiesPzs",
    "satisfiesPzi",
    "checkpoints",
)


def _version_key(model_name: str, version_id: str) -> str:
    return f"{model_name}@{version_id}"


def resolve(store: Store | Transaction, reference: str) -> Record:
    """The version record addressed by `reference` (plain name = the default version); NOT_FOUND otherwise."""
    ref = ModelRef.parse(normalize(reference))
    found(store.get(ref.model), MODELS, ref.model, reference)
    versions = store.children(MODEL_VERSIONS, ref.model)
    wanted = ref.version or DEFAULT_ALIAS
    for version in versions:
        if version.body.get("versionId") == wanted or wanted in version.body.get("versionAliases", []):
            return version
    return found(None, MODELS, ref.model, reference)


def model_record(store: Store | Transaction, reference: str) -> Record:
    """The model-level record for a plain model name; NOT_FOUND otherwise."""
    ref = ModelRef.parse(normalize(reference))
    if ref.version is not None:
        raise InvalidArgument(f"Expected a model name without a version, got {reference}.")
    return found(store.get(ref.model), MODELS, ref.model, reference)


def check_aliases(aliases: list[str], field: str) -> None:
    for alias in aliases:
        check_version_alias(alias, field)
    if len(set(aliases)) != len(aliases):
        raise InvalidArgument(f"{field} has duplicate aliases.")


def register(
    tx: Transaction,
    location: str,
    model: JsonDict,
    *,
    parent_model: str = "",
    model_id: str = "",
    training_pipeline: str = "",
) -> Record:
    """Upload `model` as a new model, or as a new version of `parent_model`; returns the version record."""
    body = {k: v for k, v in model.items() if k not in _OUTPUT_ONLY}
    aliases = list(body.get("versionAliases", []))
    check_aliases(aliases, "model.version_aliases")
    now = now_timestamp()
    if parent_model:
        parent = model_record(tx, parent_model)
        if parent.parent != location:
            raise InvalidArgument(f"Parent model {parent_model} is not in {location}.")
        version_id = str(parent.internal.get("nextVersion", 1))
        created = parent.body.get("createTime", now)
        tx.put(parent.evolve(internal={**parent.internal, "nextVersion": int(version_id) + 1}))
        model_name = parent.name
        for alias in aliases:
            _take_alias(tx, model_name, alias)
    else:
        if model_id:
            check_model_id(model_id, "model_id")
        model_name = f"{location}/models/{model_id or new_id()}"
        if tx.get(model_name) is not None:
            raise AlreadyExists(f"Model {model_name} already exists.")
        version_id, created = "1", now
        tx.create(MODELS, model_name, location, {}, {"nextVersion": 2})
        if DEFAULT_ALIAS not in aliases:
            aliases.insert(0, DEFAULT_ALIAS)
    body.update(
        name=model_name,
        versionId=version_id,
        versionAliases=aliases,
        versionCreateTime=now,
        versionUpdateTime=now,
        createTime=created,
        updateTime=now,
        etag=new_id(),
        supportedDeploymentResourcesTypes=["DEDICATED_RESOURCES"],
        supportedInputStorageFormats=list(INSTANCES_FORMATS),
        supportedOutputStorageFormats=["jsonl", "bigquery"],
        modelSourceInfo={"sourceType": "CUSTOM"},
        **model_fields(location, body),
    )
    if training_pipeline:
        body["trainingPipeline"] = training_pipeline
    return tx.create(MODEL_VERSIONS, _version_key(model_name, version_id), model_name, body)


def _take_alias(tx: Transaction, model_name: str, alias: str) -> None:
    for version in tx.children(MODEL_VERSIONS, model_name):
        current = version.body.get("versionAliases", [])
        if alias in current:
            body = dict(
                version.body, versionAliases=[a for a in current if a != alias], versionUpdateTime=now_timestamp()
            )
            tx.put(version.evolve(body=body))


def merge_aliases(tx: Transaction, version: Record, changes: list[str]) -> Record:
    """Apply `mergeVersionAliases` changes (`alias` adds, `-alias` removes) to one version."""
    aliases = list(version.body.get("versionAliases", []))
    for change in changes:
        remove = change.startswith("-")
        alias = change[1:] if remove else change
        check_version_alias(alias, "version_aliases")
        if remove:
            if alias == DEFAULT_ALIAS:
                raise InvalidArgument("The default alias cannot be removed; give it to another version instead.")
            aliases = [a for a in aliases if a != alias]
        elif alias not in aliases:
            _take_alias(tx, version.parent, alias)
            aliases.append(alias)
    version = tx.get(version.name) or version
    return tx.put(version.evolve(body=dict(version.body, versionAliases=aliases, versionUpdateTime=now_timestamp())))


def delete_targets(tx: Transaction, reference: str) -> list[str]:
    """Record names removed by DeleteModel (plain name) — every version and the model."""
    model = model_record(tx, reference)
    return [v.name for v in tx.children(MODEL_VERSIONS, model.name)] + [model.name]


def version_delete_target(tx: Transaction, reference: str) -> str:
    """Record name removed by DeleteModelVersion; the default version cannot be deleted."""
    if ModelRef.parse(reference).version is None:
        raise InvalidArgument(f"DeleteModelVersion needs a version: {reference}@<version id or alias>.")
    version = resolve(tx, reference)
    if DEFAULT_ALIAS in version.body.get("versionAliases", []):
        raise FailedPrecondition(
            f"Model version {reference} is the default version and cannot be deleted; "
            "give the default alias to another version first or delete the model."
        )
    return version.name


# -- what the RPCs do -----------------------------------------------------------------------------------------
def upload(backend: Backend, where: str, request: JsonDict) -> Record:
    """Upload the UploadModelRequest's model (a new model, or a new version of its parentModel); the upload's
    operation (pending for a while, as a create's is on the real API)."""
    model = request.get("model", {})
    problems = _validation.Problems()
    if problems.require(model, PATH):
        _validation.model(problems, model, PATH)
    problems.raise_if_any()
    parent_model = normalize(request.get("parentModel", ""))
    if parent_model and request.get("modelId"):
        raise InvalidArgument("Set model_id or parent_model, not both.")
    with backend.store.transaction() as tx:
        version = register(tx, where, model, parent_model=parent_model, model_id=request.get("modelId", ""))
        model_name = version.body["name"]
        response = {"model": model_name, "modelVersionId": version.body["versionId"]}
        effect = {"respond": response, "type": _protos.UPLOAD_MODEL_RESPONSE}
        return backend.operations.start(tx, model_name, _protos.UPLOAD_MODEL_METADATA, effect, creates=True)


def update(backend: Backend, name: str, patch: JsonDict, fields: set[str]) -> Record:
    """Set (or clear, when `patch` leaves them out) the updatable `fields` of the version `name` addresses."""
    _patch.check(patch, fields, PATH)
    with backend.store.transaction() as tx:
        version = resolve(tx, name)
        return tx.put(version.evolve(body=_patch.patched(version.body, patch, fields, "versionUpdateTime")))


def merge_version_aliases(backend: Backend, name: str, changes: list[str]) -> Record:
    if not changes:
        raise InvalidArgument("version_aliases is required.")
    with backend.store.transaction() as tx:
        return merge_aliases(tx, resolve(tx, name), changes)


def delete(backend: Backend, name: str, where: str) -> Record:
    """DeleteModel's operation (named in `where`): every version and the model go."""
    if "@" in name:
        raise InvalidArgument(f"DeleteModel takes a model without a version; use deleteVersion for {name}.")
    with backend.store.transaction() as tx:
        targets = delete_targets(tx, name)
        return backend.operations.start(tx, where, _protos.DELETE_METADATA, {"delete": targets})


def delete_version(backend: Backend, name: str, where: str) -> Record:
    """DeleteModelVersion's operation (named in `where`)."""
    with backend.store.transaction() as tx:
        target = version_delete_target(tx, name)
        return backend.operations.start(tx, where, _protos.DELETE_METADATA, {"delete": [target]})
