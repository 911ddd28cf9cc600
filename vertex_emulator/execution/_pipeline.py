"""A training pipeline's execution: export the dataset split, run the custom or tuning task, find the model.

The server keeps what is resource bookkeeping (backing jobs, trainingTaskMetadata, the model upload); this run
gives it the outcome of each step and the artifact URI to upload from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from google.rpc import code_pb2

from vertex_emulator._schemas import CUSTOM_TASK, TUNING_TASK

from . import _spec
from ._context import ExecutionContext
from ._errors import InvalidSpecError, UnsupportedError
from ._export import ExportedData, export_dataset
from ._object_store import join_uri
from ._run import BackgroundRun, Outcome, RunState
from ._training import TrainingOutcome, TrainingRun
from ._tuning import TuningObserver, TuningOutcome, TuningRun


class _NoModel(InvalidSpecError):
    code = code_pb2.FAILED_PRECONDITION


@dataclass(frozen=True, kw_only=True)
class PipelineOutcome(Outcome):
    """``model_artifact_uri``: where to upload the model from (None without ``modelToUpload``); ``training`` or
    ``tuning``: the backing job's own outcome (its fields go on the backing CustomJob / tuning job)."""

    model_artifact_uri: str | None = None
    exported: ExportedData | None = None
    training: TrainingOutcome | None = None
    tuning: TuningOutcome | None = None


class TrainingPipelineRun(BackgroundRun[PipelineOutcome]):
    """Runs a TrainingPipeline resource (proto JSON) whose task is the custom task or the tuning task.

    ``dataset``: the Dataset resource named by ``inputDataConfig.datasetId`` (needed when set); ``items``: its
    imported data items for unstructured datasets. ``observer``: tuning trial hooks (see ``TuningObserver``).
    """

    _thread_name = "vertex-pipeline"

    def __init__(
        self,
        pipeline: Mapping[str, Any],
        context: ExecutionContext,
        *,
        dataset: Mapping[str, Any] | None = None,
        items: Iterable[Mapping[str, Any]] | None = None,
        observer: TuningObserver | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self._pipeline = pipeline
        self._context = context
        self._dataset = dataset
        self._items = items
        self._observer = observer
        self._seed = seed
        self._task: TrainingRun | TuningRun | None = None
        self._exported: ExportedData | None = None

    def _ended(self, state: RunState, code: int, message: str) -> PipelineOutcome:
        return PipelineOutcome(state=state, error_code=code, error_message=message, exported=self._exported)

    def _on_cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _execute(self) -> PipelineOutcome:
        definition = str(self._pipeline.get("trainingTaskDefinition", ""))
        inputs = self._pipeline.get("trainingTaskInputs") or {}
        input_config = self._pipeline.get("inputDataConfig") or {}
        if definition not in (CUSTOM_TASK, TUNING_TASK):
            raise UnsupportedError(f"The training task {definition!r} is not supported by the emulator; use the "
                                   f"custom task or the hyperparameter tuning task")
        dataset_env: dict[str, str] = {}
        if input_config.get("datasetId"):
            if self._dataset is None:
                raise InvalidSpecError(f"The dataset {input_config['datasetId']} was not given to the run")
            self._exported = export_dataset(self._context.store, self._dataset, input_config, items=self._items)
            dataset_env = self._exported.environment
        if self.cancel_requested:
            return self._cancelled()
        task: TrainingRun | TuningRun
        if definition == CUSTOM_TASK:
            inputs = _spec.custom_job_spec(inputs)
            task = TrainingRun(inputs, self._context, dataset_env=dataset_env)
        else:
            inputs = _spec.tuning_job(inputs)
            task = TuningRun(inputs, self._context, dataset_env=dataset_env, seed=self._seed, observer=self._observer)
        self._task = task
        if self.cancel_requested:
            return self._cancelled()
        task.start()
        outcome = task.wait()
        assert outcome is not None
        training = outcome if isinstance(outcome, TrainingOutcome) else None
        tuning = outcome if isinstance(outcome, TuningOutcome) else None
        if not outcome.succeeded:
            return PipelineOutcome(state=outcome.state, error_code=outcome.error_code,
                                   error_message=outcome.error_message, exported=self._exported,
                                   training=training, tuning=tuning)
        artifact_uri = self._model_artifact_uri(inputs, tuning)
        return PipelineOutcome(state=RunState.SUCCEEDED, model_artifact_uri=artifact_uri, exported=self._exported,
                               training=training, tuning=tuning)

    def _model_artifact_uri(self, inputs: Mapping[str, Any], tuning: TuningOutcome | None) -> str | None:
        """``modelToUpload.artifactUri`` if set, else ``<base>/model/`` (``<base>/<best trial>/model/`` when
        tuning); an error if nothing was written there."""
        model = self._pipeline.get("modelToUpload")
        if not model:
            return None
        if model.get("artifactUri"):
            return str(model["artifactUri"])
        spec = inputs.get("trialJobSpec", {}) if tuning else inputs
        prefix = spec.get("baseOutputDirectory", {}).get("outputUriPrefix")
        if not prefix:
            raise InvalidSpecError("modelToUpload needs artifactUri or the task's baseOutputDirectory")
        if tuning is not None and tuning.best_trial_id is not None:
            prefix = join_uri(prefix, tuning.best_trial_id)
        directory = join_uri(prefix, "model") + "/"
        if not self._context.store.list(directory):
            raise _NoModel(f"The training code wrote no model: {directory} is empty (write it to $AIP_MODEL_DIR)")
        return directory
