"""TrainingPipeline: what a create must hold beyond the proto (custom task or tuning task, the model to upload,
the input data config), and the resources it refers to (its dataset, model id or parent model).

trainingTaskInputs is validated against the task's own shape (a CustomJobSpec, or the tuning task's study,
trial counts and trial job spec) in either key spelling and stored in canonical camelCase.
"""

from __future__ import annotations

from typing import Any

from vertex_emulator import _validation
from vertex_emulator._backend import Backend
from vertex_emulator._errors import AlreadyExists, InvalidArgument
from vertex_emulator._models import models as registry
from vertex_emulator._names import check_model_id, normalize
from vertex_emulator._schemas import CUSTOM_TASK, TUNING_TASK
from vertex_emulator._store import DATASETS, found

JsonDict = dict[str, Any]
PATH = "training_pipeline"
# Fields the service fills; a create that sends them has them dropped.
OUTPUT_ONLY = ("trainingTaskMetadata",)


def prepare(backend: Backend, location: str, body: JsonDict) -> JsonDict:
    problems = _validation.Problems()
    _validation.display_name(problems, body, PATH)
    _validation.labels(problems, body, PATH)
    definition = body.get("trainingTaskDefinition", "")
    if problems.require(definition, f"{PATH}.training_task_definition") and definition not in (
        CUSTOM_TASK,
        TUNING_TASK,
    ):
        problems.add(
            f"{PATH}.training_task_definition",
            f"The emulator supports the custom task ({CUSTOM_TASK}) and the tuning task ({TUNING_TASK}).",
        )
    problems.require(body.get("trainingTaskInputs"), f"{PATH}.training_task_inputs")
    problems.raise_if_any()

    if definition == CUSTOM_TASK:
        inputs = _validation.custom_task_inputs(body["trainingTaskInputs"])
        _validation.custom_job_spec(problems, inputs, f"{PATH}.training_task_inputs")
        base = inputs.get("baseOutputDirectory")
    else:
        inputs = _validation.tuning_task_inputs(body["trainingTaskInputs"])
        _validation.tuning_job(problems, inputs, f"{PATH}.training_task_inputs")
        base = inputs.get("trialJobSpec", {}).get("baseOutputDirectory")
    upload = body.get("modelToUpload")
    if upload is not None:
        _validation.model(problems, {"displayName": body.get("displayName"), **upload}, f"{PATH}.model_to_upload")
        if not upload.get("artifactUri") and not base and definition == CUSTOM_TASK:
            problems.add(f"{PATH}.model_to_upload.artifact_uri", "Set artifact_uri or base_output_directory.")
        aliases = upload.get("versionAliases", [])
        if any(not isinstance(a, str) for a in aliases):
            problems.add(f"{PATH}.model_to_upload.version_aliases", "Aliases must be strings.")
        if definition == TUNING_TASK and not base:
            problems.add(
                f"{PATH}.training_task_inputs.trial_job_spec.base_output_directory",
                "Required to upload the best trial's model.",
            )
    elif body.get("modelId") or body.get("parentModel"):
        problems.add(f"{PATH}.model_to_upload", "model_id and parent_model need model_to_upload.")
    if "inputDataConfig" in body:
        _validation.input_data_config(problems, body["inputDataConfig"], f"{PATH}.input_data_config")
    problems.raise_if_any()

    if upload is not None:
        registry.check_aliases(upload.get("versionAliases", []), f"{PATH}.model_to_upload.version_aliases")
    _check_references(backend, location, body)
    return {**{k: v for k, v in body.items() if k not in OUTPUT_ONLY}, "trainingTaskInputs": inputs}


def _check_references(backend: Backend, location: str, body: JsonDict) -> None:
    dataset_id = body.get("inputDataConfig", {}).get("datasetId")
    if dataset_id:
        name = f"{location}/datasets/{dataset_id}"
        found(
            backend.store.get(name),
            DATASETS,
            name,
            f"{dataset_id}",
            detail=f" in {location} (a pipeline trains in its dataset's region)",
        )
    if body.get("modelId"):
        check_model_id(body["modelId"], f"{PATH}.model_id")
        if body.get("parentModel"):
            raise InvalidArgument(f"{PATH}: set model_id or parent_model, not both.")
        if backend.store.get(f"{location}/models/{body['modelId']}") is not None:
            raise AlreadyExists(f"Model {location}/models/{body['modelId']} already exists.")
    if body.get("parentModel"):
        body["parentModel"] = normalize(body["parentModel"])
        model = registry.model_record(backend.store, body["parentModel"])
        if model.parent != location:
            raise InvalidArgument(f"Parent model {body['parentModel']} is not in {location}.")
