"""Batch prediction, streamed: read a batch, predict it, write it; memory does not grow with the input.

One replica predicts in the job's thread; two or more are processes sharing the input (see ``_replicas``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

from google.rpc import code_pb2

from . import _spec
from ._context import ExecutionContext
from ._errors import ExecutionError, InvalidSpecError, UnsupportedError
from ._instances import BLOCK_FORMATS, InstanceReader
from ._object_store import join_uri
from ._predictors import ContainerPredictor, InProcessPredictor, Predictor, download_artifact
from ._replicas import BLOCK_BYTES, ReplicaPool, batches, predict_batch
from ._run import BackgroundRun, Outcome, RunState

DEFAULT_BATCH_SIZE = 64
_RESULTS_FILE = "prediction.results"
_ERRORS_FILE = "prediction.errors_stats"
_MAX_PARTIAL_FAILURES = 20


@dataclass(frozen=True, kw_only=True)
class BatchPredictionOutcome(Outcome):
    """``output_info``, ``completion_stats`` (int64 counts as strings) and ``partial_failures`` as the
    BatchPredictionJob shows them; also set when the job failed or was cancelled part way."""

    output_info: dict[str, Any] = field(default_factory=dict)
    completion_stats: dict[str, str] = field(default_factory=dict)
    partial_failures: list[dict[str, Any]] = field(default_factory=list)

    def resource_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"completionStats": self.completion_stats}
        if self.output_info:
            fields["outputInfo"] = self.output_info
        if self.partial_failures:
            fields["partialFailures"] = self.partial_failures
        return fields


class BatchPredictionRun(BackgroundRun[BatchPredictionOutcome]):
    """Runs a BatchPredictionJob (proto JSON) with its Model resource (proto JSON, the version the job names).

    Models whose ``containerSpec.imageUri`` maps to an in-process predictor (the prebuilt scikit-learn and
    XGBoost prediction images by default) are loaded here, or with ``dedicatedResources.startingReplicaCount``
    N >= 2 and jsonl or csv input in N replica processes (``_replicas``); any other model's container runs as
    a local HTTP server. Output: ``<outputUriPrefix>/prediction-<model display name>-<create time>/`` with a
    results and an errors_stats file per replica (``prediction.results-00000-of-00001`` ...).
    """

    _thread_name = "vertex-batch-prediction"

    def __init__(self, job: Mapping[str, Any], model: Mapping[str, Any], context: ExecutionContext) -> None:
        super().__init__()
        self._raw_job = job
        self._raw_model = model
        self._context = context
        self._succeeded = self._failed = self._incomplete = 0
        self._output_info: dict[str, Any] = {}
        self._partial_failures: list[dict[str, Any]] = []
        self._errors_uri = ""

    def _ended(self, state: RunState, code: int, message: str) -> BatchPredictionOutcome:
        return BatchPredictionOutcome(
            state=state,
            error_code=code,
            error_message=message,
            output_info=self._output_info,
            completion_stats={
                "successfulCount": str(self._succeeded),
                "failedCount": str(self._failed),
                "incompleteCount": str(self._incomplete),
            },
            partial_failures=self._partial_failures[:_MAX_PARTIAL_FAILURES],
        )

    def _execute(self) -> BatchPredictionOutcome:
        job = _spec.batch_prediction_job(self._raw_job)
        model = _spec.model(self._raw_model)
        input_config, output_config = job.get("inputConfig", {}), job.get("outputConfig", {})
        if "bigquerySource" in input_config or "bigqueryDestination" in output_config:
            raise UnsupportedError("BigQuery sources and destinations are not supported by the local emulator.")
        predictions_format = output_config.get("predictionsFormat", "jsonl")
        if predictions_format != "jsonl":
            raise UnsupportedError(f"predictionsFormat {predictions_format!r} is not supported here; use jsonl")
        prefix = output_config.get("gcsDestination", {}).get("outputUriPrefix")
        if not prefix:
            raise InvalidSpecError("outputConfig.gcsDestination.outputUriPrefix is required")
        instances_format = input_config.get("instancesFormat", "jsonl")
        instance_config = dict(job.get("instanceConfig", {}))
        reader = InstanceReader(
            self._context.store, input_config.get("gcsSource", {}).get("uris", []), instances_format, instance_config
        )
        batch_size = int(job.get("manualBatchTuningParameters", {}).get("batchSize", 0)) or DEFAULT_BATCH_SIZE
        directory = join_uri(prefix, f"prediction-{model.get('displayName', 'model')}-{_stamp(job)}")
        replicas = int(job.get("dedicatedResources", {}).get("startingReplicaCount", 0) or 1)
        artifact = self._artifact(model)
        engine: ReplicaPool | Predictor  # replica processes, or one replica in this thread
        if artifact is not None and replicas > 1 and instances_format in BLOCK_FORMATS:
            engine = ReplicaPool(
                replicas, artifact, (instances_format, instance_config), batch_size,
                log_dir=self._context.logs, cancel=self._cancel_requested,
            )
        else:
            engine = InProcessPredictor(artifact) if artifact is not None else self._container(model)
        self._output_info = {"gcsOutputDirectory": directory}
        try:
            if isinstance(engine, ReplicaPool):
                cancelled = self._cancel_requested.is_set() or self._stream_replicas(reader, engine, directory)
            else:
                with self._outputs(directory, 0, 1) as (results, errors):
                    cancelled = self._stream(reader, engine, batch_size, results, errors)
        finally:
            engine.close()
            self._partial_failures[:0] = reader.partial_failures  # files that could not be read come first
        if cancelled:
            return self._cancelled()
        return self._verdict(reader, directory)

    def _artifact(self, model: Mapping[str, Any]) -> Path | None:
        """The local model file of a model that predicts in-process; None for one served by its container."""
        image = model.get("containerSpec", {}).get("imageUri")
        if not image:
            raise UnsupportedError("The model has no containerSpec.imageUri; only custom-trained models can run here")
        mapping = self._context.images.lookup(image)
        if mapping is not None and mapping.predictor:
            return download_artifact(self._context, str(model.get("artifactUri", "")), mapping.predictor)
        return None

    def _container(self, model: Mapping[str, Any]) -> Predictor:
        version = str(model.get("versionId", "1"))
        return ContainerPredictor(self._context, model, deployed_model_id=version, cancel=self._cancel_requested)

    @contextlib.contextmanager
    def _outputs(self, directory: str, index: int, count: int) -> Iterator[tuple[BinaryIO, BinaryIO]]:
        """Replica ``index`` of ``count``'s results and errors files (Vertex AI's names for output shards)."""
        shard = f"{index:05d}-of-{count:05d}"
        errors_uri = join_uri(directory, f"{_ERRORS_FILE}-{shard}")
        # what partial failures point at: the one errors file, or every replica's
        self._errors_uri = errors_uri if count == 1 else join_uri(directory, f"{_ERRORS_FILE}-*")
        store = self._context.store
        with store.open_write(join_uri(directory, f"{_RESULTS_FILE}-{shard}")) as results, store.open_write(
            errors_uri
        ) as errors:
            yield results, errors

    def _stream_replicas(self, reader: InstanceReader, pool: ReplicaPool, directory: str) -> bool:
        """Every replica's blocks into its own output files; True if cancelled part way."""
        with contextlib.ExitStack() as stack:
            outputs = [stack.enter_context(self._outputs(directory, i, pool.count)) for i in range(pool.count)]
            try:
                return pool.run(reader.blocks(BLOCK_BYTES), outputs)
            finally:
                self._succeeded += pool.succeeded
                self._failed += pool.failed
                self._incomplete += pool.incomplete
                if pool.failed:
                    self._partial_failures.append(
                        {
                            "code": code_pb2.INVALID_ARGUMENT,
                            "message": f"{pool.failed} instances failed; each failed instance is in {self._errors_uri}",
                        }
                    )

    def _stream(
        self, reader: InstanceReader, predictor: Predictor, batch_size: int, results: BinaryIO, errors: BinaryIO
    ) -> bool:
        """Predict everything in this thread; True if cancelled part way."""
        for batch in batches(iter(reader), batch_size):
            if self.cancel_requested:
                self._incomplete += len(batch)
                return True
            result_lines: list[str] = []
            error_lines: list[str] = []
            try:
                predict_batch(predictor, batch, result_lines, error_lines)
            except ExecutionError:
                # The model is gone: what it did not answer is incomplete, not failed.
                self._incomplete += len(batch) - len(result_lines) - len(error_lines)
                raise
            finally:
                self._succeeded += len(result_lines)
                self._failed += len(error_lines)
                self._write(results, result_lines)
                self._write(errors, error_lines)
                if error_lines:
                    self._batch_failed(len(error_lines), len(batch), error_lines[0])
        return False

    def _batch_failed(self, failed: int, size: int, first_line: str) -> None:
        """A partial failure (google.rpc.Status) for a batch some of whose instances failed, as the job shows it
        (BatchPredictionJob.partial_failures: at most 20; every failed instance is in the errors files)."""
        if len(self._partial_failures) >= _MAX_PARTIAL_FAILURES:
            return
        first = json.loads(first_line)["error"]
        try:
            code = code_pb2.Code.Value(first["status"])
        except ValueError:
            code = code_pb2.UNKNOWN
        self._partial_failures.append(
            {
                "code": code,
                "message": f"{failed} of the {size} instances of a batch failed (first: {first['message']}); "
                f"every failed instance is in {self._errors_uri}",
            }
        )

    @staticmethod
    def _write(stream: BinaryIO, lines: list[str]) -> None:
        if lines:
            stream.write("".join(lines).encode("utf-8"))

    def _verdict(self, reader: InstanceReader, directory: str) -> BatchPredictionOutcome:
        if reader.files_read == 0:
            return self._ended(
                RunState.FAILED, 5, "None of the input files could be read: "
                + "; ".join(f["message"] for f in reader.partial_failures[:3])
            )
        if self._failed and not self._succeeded:
            return self._ended(
                RunState.FAILED, code_pb2.INTERNAL,
                f"All {self._failed} instances failed; see {join_uri(directory, _ERRORS_FILE)}-*",
            )
        return self._ended(RunState.SUCCEEDED, 0, "")


def _stamp(job: Mapping[str, Any]) -> str:
    """The job's create time as Vertex AI writes it in output directory names: 2024_01_31T12_00_00_123Z."""
    created = job.get("createTime")
    moment = datetime.now(timezone.utc)
    if created:
        with contextlib.suppress(ValueError):
            moment = datetime.fromisoformat(str(created).replace("Z", "+00:00")).astimezone(timezone.utc)
    return moment.strftime("%Y_%m_%dT%H_%M_%S_") + f"{moment.microsecond // 1000:03d}Z"
