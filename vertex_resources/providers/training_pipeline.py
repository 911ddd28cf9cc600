"""TrainingPipeline: a custom or tuning task, then the upload of the trained model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pulumi

from ..errors import NotFoundError
from ..outputs import BestTrialOutput
from ..specs import (
    TrainingPipelineDefinition,
)
from ._args import TrainingPipelineArgs
from ._kind import JobKind
from ._provider import VertexProvider
from ._resource import JobResource
from ._trials import best_trial
from .custom_job import CustomJobApi
from .hyperparameter_tuning_job import HyperparameterTuningJobApi
from .model import ModelApi

__all__ = ["TrainingPipeline", "TrainingPipelineArgs", "TrainingPipelineProvider"]


class TrainingPipelineApi(JobKind):
    kind = "TrainingPipeline"
    spec_type = TrainingPipelineDefinition
    service = "pipelines"
    method_stem = "training_pipeline"
    message_type_name = "TrainingPipeline"
    extra_output_names = (
        "model_name",
        "model_version_id",
        "backing_custom_job",
        "backing_hyperparameter_tuning_job",
        "best_trial",
        "output_directory",
    )

    def extra_outputs(self, resource: dict[str, Any]) -> dict[str, Any]:
        uploaded = resource.get("modelToUpload") or {}
        metadata = resource.get("trainingTaskMetadata") or {}
        inputs = resource.get("trainingTaskInputs") or {}
        job_spec = inputs.get("trialJobSpec") or inputs
        tuning_job = metadata.get("backingHyperparameterTuningJob")
        best = best_trial(HyperparameterTuningJobApi(self.session).get(tuning_job)) if tuning_job else None
        return {
            "model_name": uploaded.get("name"),
            "model_version_id": uploaded.get("versionId"),
            "backing_custom_job": metadata.get("backingCustomJob") or metadata.get("bestTrialBackingCustomJob"),
            "backing_hyperparameter_tuning_job": tuning_job,
            "best_trial": best,
            "output_directory": (job_spec.get("baseOutputDirectory") or {}).get("outputUriPrefix"),
        }

    def delete_artifacts(self, outputs: Mapping[str, Any]) -> None:
        """The uploaded model version and the jobs the pipeline ran."""
        self._delete_backing_jobs(outputs.get("backing_custom_job"), outputs.get("backing_hyperparameter_tuning_job"))
        model, version = outputs.get("model_name"), outputs.get("model_version_id")
        if model:
            ModelApi(self.session).delete(f"{model}@{version}" if version else model)

    def delete_leftover(self, resource: dict[str, Any]) -> None:
        # A failed pipeline's jobs are of no use either; a model it may have uploaded is kept (it may be a version
        # of a model others use, and deleting it is delete_artifacts' decision).
        super().delete_leftover(resource)
        metadata = resource.get("trainingTaskMetadata") or {}
        self._delete_backing_jobs(metadata.get("backingCustomJob"), metadata.get("backingHyperparameterTuningJob"))

    def _delete_backing_jobs(self, custom_job: str | None, tuning_job: str | None) -> None:
        """Its custom job, or its tuning job and the trials' jobs."""
        jobs = CustomJobApi(self.session)
        if tuning_job:
            tuning = HyperparameterTuningJobApi(self.session)
            try:
                trials = tuning.get(tuning_job).get("trials") or []
            except NotFoundError:
                trials = []
            tuning.delete(tuning_job)
            for trial in trials:
                if trial.get("customJob"):
                    jobs.delete(trial["customJob"])
        if custom_job:
            jobs.delete(custom_job)


class TrainingPipelineProvider(VertexProvider):
    api_type = TrainingPipelineApi

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        super().delete(id_, props)
        if props.get("delete_artifacts"):
            api = self._api(self._placement(props).location)
            assert isinstance(api, TrainingPipelineApi)
            api.delete_artifacts(props)



class TrainingPipeline(JobResource, module="vertex", name="TrainingPipeline"):
    """A Vertex AI training pipeline. ``create`` waits until it ends (unless ``wait_for_completion`` is false);
    ``model_name`` is the uploaded model, ready for a BatchPredictionJob."""

    training_task_metadata: pulumi.Output[Mapping[str, Any]]
    model_name: pulumi.Output[str]
    model_version_id: pulumi.Output[str]
    backing_custom_job: pulumi.Output[str]
    backing_hyperparameter_tuning_job: pulumi.Output[str]
    if TYPE_CHECKING:  # see JobResource.error
        best_trial: pulumi.Output[BestTrialOutput | None]
    else:
        best_trial: pulumi.Output[Mapping[str, Any] | None]
    """With a ``tuning_task``: the best succeeded trial of its tuning job; None otherwise."""
    output_directory: pulumi.Output[str]
    """The directory the pipeline trained into: its own under the base output directory (see
    ``unique_output_directory``); the model is in ``<output_directory>/model/``."""

    def __init__(
        self, resource_name: str, args: TrainingPipelineArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TrainingPipelineProvider(), resource_name, args, opts)
