"""Real local execution for the emulator: training, hyperparameter tuning, batch prediction, dataset splits.

Independent of HTTP and of the server's state: inputs are the v1 REST API's JSON shapes (the resources as the
server stores them; snake_case and camelCase both accepted), storage is any ``ObjectStore``, and every run
reports an ``Outcome`` whose ``error`` and ``resource_fields()`` go straight onto the resource.

    context = ExecutionContext(store=DirectoryObjectStore(root), work_dir=jobs_dir / job_id, job_id=job_id,
                               project="my-project", region="us-central1", storage_emulator_host=host)
    run = TrainingRun(custom_job["jobSpec"], context)           # or TuningRun(tuning_job, context, ...)
    run.start(on_done=lambda outcome: ...)                      # returns at once; work happens in a thread
    run.cancel()                                                # any thread: kills the process groups
    outcome = run.wait(timeout=None)                            # TrainingOutcome (state, error, logs, ...)

    exported = export_dataset(store, dataset, pipeline["inputDataConfig"], items=imported_items)
    TrainingRun(pipeline["trainingTaskInputs"], context, dataset_env=exported.environment)

    BatchPredictionRun(batch_prediction_job, model, context).start(on_done=...)
    TrainingPipelineRun(pipeline, context, dataset=dataset, items=items)   # export + task + model location
    PipelineJobRun(pipeline_job, context, VertexApi(endpoint), on_detail=...)  # a compiled KFP pipeline's DAG

Errors (``ExecutionError`` and subclasses) never escape a run: they end it FAILED with their ``code``.
"""

from vertex_emulator._schemas import CUSTOM_TASK, TUNING_TASK

from ._context import ExecutionContext
from ._errors import (
    DependencyError,
    ExecutionError,
    ImageNotMappedError,
    InvalidSpecError,
    ObjectNotFoundError,
    UnsupportedError,
)
from ._export import ExportedData, annotation_type, export_dataset, read_csv_rows, read_jsonl_items
from ._gcs_store import GcsObjectStore
from ._images import CONFIG_ENV_VAR, DEFAULT_MAPPINGS, ImageMapping, ImageRegistry
from ._ledger import JOB_ENV, LEDGER_DIR, ProcessLedger, close_ledger, open_ledger, stop_orphaned_processes
from ._object_store import DirectoryObjectStore, ObjectStore, expand_uris, join_uri, split_gcs_uri
from ._pipeline import PipelineOutcome, TrainingPipelineRun
from ._pipeline_job import PipelineJobOutcome, PipelineJobRun
from ._prediction import DEFAULT_BATCH_SIZE, BatchPredictionOutcome, BatchPredictionRun
from ._run import BackgroundRun, Outcome, RunState
from ._splits import DataSplit, split_items, split_rows
from ._study import suggestions
from ._training import TrainingOutcome, TrainingRun
from ._tuning import TuningObserver, TuningOutcome, TuningRun
from ._vertex_api import VertexApi

__all__ = [
    "CONFIG_ENV_VAR",
    "CUSTOM_TASK",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAPPINGS",
    "JOB_ENV",
    "LEDGER_DIR",
    "TUNING_TASK",
    "BackgroundRun",
    "BatchPredictionOutcome",
    "BatchPredictionRun",
    "DataSplit",
    "DependencyError",
    "DirectoryObjectStore",
    "ExecutionContext",
    "ExecutionError",
    "ExportedData",
    "GcsObjectStore",
    "ImageMapping",
    "ImageNotMappedError",
    "ImageRegistry",
    "InvalidSpecError",
    "ObjectNotFoundError",
    "ObjectStore",
    "Outcome",
    "PipelineJobOutcome",
    "PipelineJobRun",
    "PipelineOutcome",
    "ProcessLedger",
    "RunState",
    "TrainingOutcome",
    "TrainingPipelineRun",
    "TrainingRun",
    "TuningObserver",
    "TuningOutcome",
    "TuningRun",
    "UnsupportedError",
    "VertexApi",
    "annotation_type",
    "close_ledger",
    "expand_uris",
    "export_dataset",
    "join_uri",
    "open_ledger",
    "read_csv_rows",
    "read_jsonl_items",
    "split_gcs_uri",
    "split_items",
    "split_rows",
    "stop_orphaned_processes",
    "suggestions",
]
