"""The TrainingPipeline resource: a custom task or a tuning task, then the upload of the model it trained."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from ..errors import Problem
from ._base import OUTPUT_ONLY, PROVIDER_ONLY, REPLACE
from ._resource import TrainingOutputs
from ._rules import exactly_one
from ._types import Bool, DisplayName, ModelName, ResourceLabels
from .data import InputDataConfig
from .enums import PipelineState
from .job import CustomJobSpec, EncryptionSpec
from .model import ModelId, ModelToUpload
from .study import HyperparameterTuningTask

__all__ = ["CUSTOM_TASK", "TUNING_TASK", "TrainingPipelineDefinition"]

_DEFINITIONS = "gs://google-cloud-aiplatform/schema/trainingjob/definition/"
CUSTOM_TASK = f"{_DEFINITIONS}custom_task_1.0.0.yaml"
TUNING_TASK = f"{_DEFINITIONS}hyperparameter_tuning_task_1.0.0.yaml"
_TASK_FIELDS = {CUSTOM_TASK: "custom_task", TUNING_TASK: "tuning_task"}


class TrainingPipelineDefinition(TrainingOutputs):
    """Runs ``custom_task`` (a CustomJobSpec) or ``tuning_task`` and uploads ``model_to_upload``.

    On the wire the task is ``trainingTaskDefinition`` (the task's schema URI) plus ``trainingTaskInputs``.
    The model's artifacts are ``model_to_upload.artifact_uri`` if set, else ``<output_directory>/model/`` (the
    pipeline's own directory under the base output directory, see ``unique_output_directory``); a tuning task
    uploads the best trial's model, so it needs a base output directory.
    """

    display_name: Annotated[DisplayName, REPLACE]
    input_data_config: Annotated[InputDataConfig | None, REPLACE] = None
    custom_task: Annotated[CustomJobSpec | None, REPLACE] = None
    """The training to run: a custom job's worker pools, image or package, and output directory (exactly one of
    custom_task and tuning_task)."""
    tuning_task: Annotated[HyperparameterTuningTask | None, REPLACE] = None
    """A hyperparameter tuning job to run instead; the best trial's model is uploaded."""
    model_to_upload: Annotated[ModelToUpload | None, REPLACE] = None
    model_id: Annotated[ModelId | None, REPLACE] = None
    parent_model: Annotated[ModelName | None, REPLACE] = None
    labels: Annotated[ResourceLabels | None, REPLACE] = None
    encryption_spec: Annotated[EncryptionSpec | None, REPLACE] = None
    training_task_metadata: Annotated[dict[str, Any] | None, OUTPUT_ONLY] = None
    delete_artifacts: Annotated[Bool, PROVIDER_ONLY] = False
    """On delete, also delete what the pipeline produced in Vertex AI: the model version it uploaded and the
    jobs it ran. Off by default: a deleted pipeline keeps its model."""

    state_enum = PipelineState

    def base_output_directory_holder(self) -> tuple[str, ...]:
        return ("custom_task",) if self.custom_task is not None else ("tuning_task", "trial_job_spec")

    def _problems(self) -> Iterator[Problem]:
        yield from exactly_one(
            {"custom_task": self.custom_task, "tuning_task": self.tuning_task}, ["custom_task", "tuning_task"]
        )
        if self.model_to_upload is None:
            for name in ("model_id", "parent_model"):
                if getattr(self, name) is not None:
                    yield Problem((name,), "only applies when a model_to_upload is set")
            return
        if self.tuning_task is not None and self.tuning_task.trial_job_spec.base_output_directory is None:
            yield Problem(
                ("tuning_task", "trial_job_spec", "base_output_directory"),
                "a tuning pipeline that uploads a model needs a base output directory (the best trial's model "
                "is read from <base>/<trial id>/model/)",
            )
        if (
            self.custom_task is not None
            and self.custom_task.base_output_directory is None
            and self.model_to_upload.artifact_uri is None
        ):
            yield Problem(
                ("model_to_upload", "artifact_uri"),
                "a model upload needs model_to_upload.artifact_uri or custom_task.base_output_directory",
            )

    @classmethod
    def _from_wire_shape(cls, data: dict[str, Any]) -> dict[str, Any]:
        definition = data.get("trainingTaskDefinition", data.get("training_task_definition"))
        if definition is None:
            return data
        reshaped = {
            key: value
            for key, value in data.items()
            if key
            not in ("trainingTaskDefinition", "training_task_definition", "trainingTaskInputs", "training_task_inputs")
        }
        inputs = data.get("trainingTaskInputs", data.get("training_task_inputs"))
        field = _TASK_FIELDS.get(definition)
        if field is None:
            raise ValueError(
                f"trainingTaskDefinition {definition!r} is not supported: use the custom task ({CUSTOM_TASK}) or "
                f"the tuning task ({TUNING_TASK})"
            )
        reshaped[field] = inputs
        return reshaped

    def _to_wire_shape(self, data: dict[str, Any]) -> dict[str, Any]:
        for definition, field in _TASK_FIELDS.items():
            inputs = data.pop("customTask" if field == "custom_task" else "tuningTask", None)
            if inputs is not None:
                data["trainingTaskDefinition"] = definition
                data["trainingTaskInputs"] = inputs
        return data
