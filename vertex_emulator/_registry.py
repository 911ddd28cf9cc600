"""The model registry: models, their numbered versions and version aliases.

A model is a bookkeeping record (`models` kind, holding the next version number) plus one record per version
(`modelVersions`, stored as `<model>@<versionId>`, served with the model's plain name and its `versionId`).
Version ids count up from "1"; the first version always gets the alias `default`; an alias names at most one
version of a model, so giving it to a new version takes it from the old one. `.../models/<id>` means the
default version, `@<digits>` a version id and `@<alias>` an alias.
"""

from __future__ import annotations

from typing import Any

from vertex_emulator._errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from vertex_emulator._names import ModelRef, check_model_id, check_version_alias, new_id, normalize, now_timestamp
from vertex_emulator._server_defaults import model_fields
from vertex_emulator._store import MODEL_VERSIONS, MODELS, Record, Store, Transaction, found

JsonDict = dict[str, Any]
DEFAULT_ALIAS = "default"

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
    raise NotFound(f"Model {reference} not found.")


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
        supportedInputStorageFormats=["jsonl", "bigquery", "csv", "tf-record", "tf-record-gzip", "file-list"],
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
