"""Request checks the real API makes beyond proto parsing, reported all at once as the API does:
`List of found errors:\t1.Field: custom_job.display_name; Message: Required field is not set.\t...`.

Bodies reach these checks already parsed into canonical proto JSON (camelCase keys), so checks read one
spelling; field paths in messages use the API's snake_case.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from vertex_emulator import _protos
from vertex_emulator._errors import InvalidArgument
from vertex_emulator._schemas import INSTANCES_FORMATS, MAX_PACKAGE_URIS
from vertex_emulator._store import BATCH_PREDICTION_JOBS, CUSTOM_JOBS, HYPERPARAMETER_TUNING_JOBS, TRAINING_PIPELINES

JsonDict = dict[str, Any]

_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
_SYSTEM_LABEL_PREFIX = "aiplatform.googleapis.com/"
_MAX_ARGS_CHARS = 100_000
_PREDICTION_FORMATS = {"jsonl", "csv", "bigquery"}
_TUNING_FIELDS = ("studySpec", "maxTrialCount", "parallelTrialCount", "maxFailedTrialCount", "trialJobSpec")
_TUNING_SNAKE = {"study_spec", "max_trial_count", "parallel_trial_count", "max_failed_trial_count", "trial_job_spec"}


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


class Problems:
    """Collects (field path, message) pairs and raises them as one INVALID_ARGUMENT."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.items.append((field, message))

    def require(self, value: Any, field: str) -> bool:
        if value in (None, "", [], {}):
            self.add(field, "Required field is not set.")
            return False
        return True

    def raise_if_any(self) -> None:
        if self.items:
            listed = "".join(f"{i}.Field: {f}; Message: {m}\t" for i, (f, m) in enumerate(self.items, 1))
            raise InvalidArgument(f"List of found errors:\t{listed}")


def display_name(problems: Problems, body: Mapping[str, Any], path: str) -> None:
    name = body.get("displayName", "")
    if problems.require(name, f"{path}.display_name") and len(name) > 128:
        problems.add(f"{path}.display_name", "Display name must be at most 128 characters.")


def labels(problems: Problems, body: Mapping[str, Any], path: str) -> None:
    values = body.get("labels", {})
    user = {k: v for k, v in values.items() if not k.startswith(_SYSTEM_LABEL_PREFIX)}
    if len(user) > 64:
        problems.add(f"{path}.labels", "At most 64 labels are allowed.")
    for key, value in user.items():
        if not _LABEL_KEY.match(key):
            problems.add(f"{path}.labels", f"Invalid label key '{key}'.")
        if not _LABEL_VALUE.match(value):
            problems.add(f"{path}.labels", f"Invalid label value '{value}' for key '{key}'.")


def gcs_uri(problems: Problems, value: str, field: str) -> None:
    if value and (not value.startswith("gs://") or not value[len("gs://") :].partition("/")[0]):
        problems.add(field, f"'{value}' is not a Cloud Storage URI (gs://BUCKET/...).")


def custom_job_spec(problems: Problems, spec: Mapping[str, Any], path: str) -> None:
    pools = spec.get("workerPoolSpecs", [])
    if not problems.require(pools, f"{path}.worker_pool_specs"):
        return
    if len(pools) > 4:
        problems.add(f"{path}.worker_pool_specs", "At most 4 worker pools are allowed.")
    args_chars = 0
    for index, pool in enumerate(pools):
        where = f"{path}.worker_pool_specs[{index}]"
        if not pool:
            if index == 0:
                problems.add(where, "The first worker pool (the primary replica) must be set.")
            continue
        container, package = pool.get("containerSpec"), pool.get("pythonPackageSpec")
        if (container is None) == (package is None):
            problems.add(where, "Set exactly one of container_spec or python_package_spec.")
        if container is not None:
            problems.require(container.get("imageUri"), f"{where}.container_spec.image_uri")
            args_chars += sum(len(a) for a in container.get("args", []) + container.get("command", []))
        if package is not None:
            problems.require(package.get("executorImageUri"), f"{where}.python_package_spec.executor_image_uri")
            problems.require(package.get("pythonModule"), f"{where}.python_package_spec.python_module")
            uris = package.get("packageUris", [])
            if problems.require(uris, f"{where}.python_package_spec.package_uris") and len(uris) > MAX_PACKAGE_URIS:
                problems.add(f"{where}.python_package_spec.package_uris", "At most 100 package URIs are allowed.")
            for uri in uris:
                gcs_uri(problems, uri, f"{where}.python_package_spec.package_uris")
            args_chars += sum(len(a) for a in package.get("args", []))
        machine = pool.get("machineSpec", {})
        problems.require(machine.get("machineType"), f"{where}.machine_spec.machine_type")
        if bool(machine.get("acceleratorType")) != bool(machine.get("acceleratorCount")):
            problems.add(f"{where}.machine_spec", "Set accelerator_count exactly when accelerator_type is set.")
        replicas = int(pool.get("replicaCount", "0"))
        if index == 0 and replicas != 1:
            problems.add(f"{where}.replica_count", "The primary worker pool must have exactly 1 replica.")
        elif replicas < 1:
            problems.add(f"{where}.replica_count", "Must be at least 1.")
    if args_chars > _MAX_ARGS_CHARS:
        problems.add(f"{path}.worker_pool_specs", "Commands and arguments exceed 100,000 characters in total.")
    gcs_uri(problems, spec.get("baseOutputDirectory", {}).get("outputUriPrefix", ""), f"{path}.base_output_directory")
    timeout = spec.get("scheduling", {}).get("timeout")
    if timeout is not None and float(timeout.removesuffix("s")) <= 0:
        problems.add(f"{path}.scheduling.timeout", "Must be positive.")


def study_spec(problems: Problems, study: Mapping[str, Any], path: str) -> None:
    metrics = study.get("metrics", [])
    if problems.require(metrics, f"{path}.metrics"):
        for index, metric in enumerate(metrics):
            problems.require(metric.get("metricId"), f"{path}.metrics[{index}].metric_id")
            problems.require(metric.get("goal"), f"{path}.metrics[{index}].goal")
    parameters = study.get("parameters", [])
    grid = study.get("algorithm") == "GRID_SEARCH"
    if not problems.require(parameters, f"{path}.parameters"):
        return
    for index, parameter in enumerate(parameters):
        where = f"{path}.parameters[{index}]"
        problems.require(parameter.get("parameterId"), f"{where}.parameter_id")
        kinds = [
            k
            for k in ("doubleValueSpec", "integerValueSpec", "categoricalValueSpec", "discreteValueSpec")
            if k in parameter
        ]
        if len(kinds) != 1:
            problems.add(where, "Set exactly one parameter value spec.")
            continue
        spec = parameter[kinds[0]]
        if kinds[0] in ("doubleValueSpec", "integerValueSpec"):
            low, high = float(spec.get("minValue", 0)), float(spec.get("maxValue", 0))
            if low >= high:
                problems.add(where, "min_value must be less than max_value.")
            if parameter.get("scaleType") in ("UNIT_LOG_SCALE", "UNIT_REVERSE_LOG_SCALE") and low <= 0:
                problems.add(where, "A log scale needs min_value > 0.")
            if grid and kinds[0] == "doubleValueSpec":
                problems.add(where, "Grid search supports only integer, categorical and discrete parameters.")
        elif not spec.get("values"):
            problems.add(f"{where}.{_snake(kinds[0])}.values", "Required field is not set.")


def tuning_job(problems: Problems, job: Mapping[str, Any], path: str) -> None:
    if problems.require(job.get("studySpec"), f"{path}.study_spec"):
        study_spec(problems, job["studySpec"], f"{path}.study_spec")
    max_trials = int(job.get("maxTrialCount", 0))
    parallel = int(job.get("parallelTrialCount", 0))
    if max_trials < 1:
        problems.add(f"{path}.max_trial_count", "Must be at least 1.")
    if parallel < 1:
        problems.add(f"{path}.parallel_trial_count", "Must be at least 1.")
    elif max_trials >= 1 and parallel > max_trials:
        problems.add(f"{path}.parallel_trial_count", "Must be at most max_trial_count.")
    if int(job.get("maxFailedTrialCount", 0)) < 0:
        problems.add(f"{path}.max_failed_trial_count", "Must not be negative.")
    if problems.require(job.get("trialJobSpec"), f"{path}.trial_job_spec"):
        custom_job_spec(problems, job["trialJobSpec"], f"{path}.trial_job_spec")


def custom_task_inputs(value: Any) -> JsonDict:
    """trainingTaskInputs of the custom task: a CustomJobSpec in either key spelling; canonical form back."""
    if not isinstance(value, dict):
        raise InvalidArgument("training_pipeline.training_task_inputs must be an object (a CustomJobSpec).")
    return _protos.to_json(_protos.parse(_protos.CUSTOM_JOB_SPEC, value, "training_pipeline.training_task_inputs"))


def tuning_task_inputs(value: Any) -> JsonDict:
    """trainingTaskInputs of the tuning task (study, trial counts, trial job spec); canonical form back."""
    if not isinstance(value, dict):
        raise InvalidArgument("training_pipeline.training_task_inputs must be an object.")
    unknown = sorted(set(value) - set(_TUNING_FIELDS) - _TUNING_SNAKE)
    if unknown:
        raise InvalidArgument(
            f"Invalid JSON payload received for 'training_pipeline.training_task_inputs'. Unknown name "
            f'"{unknown[0]}": the tuning task takes {", ".join(_TUNING_FIELDS)}.'
        )
    parsed = _protos.parse(_protos.HYPERPARAMETER_TUNING_JOB, value, "training_pipeline.training_task_inputs")
    return _protos.to_json(parsed)


def input_data_config(problems: Problems, config: Mapping[str, Any], path: str) -> None:
    problems.require(config.get("datasetId"), f"{path}.dataset_id")
    fraction = config.get("fractionSplit")
    if fraction is not None:
        parts = [float(fraction.get(k, 0.0)) for k in ("trainingFraction", "validationFraction", "testFraction")]
        if any(not 0.0 <= p <= 1.0 for p in parts):
            problems.add(f"{path}.fraction_split", "Each fraction must be within [0, 1].")
        if sum(parts) > 1.0 + 1e-9:
            problems.add(f"{path}.fraction_split", "The fractions must sum to at most 1.")
    split_filter = config.get("filterSplit")
    if split_filter is not None:
        for key in ("trainingFilter", "validationFilter", "testFilter"):
            problems.require(split_filter.get(key), f"{path}.filter_split.{_snake(key)}")
    for split in ("predefinedSplit", "timestampSplit", "stratifiedSplit"):
        if split in config:
            problems.require(config[split].get("key"), f"{path}.{_snake(split)}.key")
    gcs_uri(problems, config.get("gcsDestination", {}).get("outputUriPrefix", ""), f"{path}.gcs_destination")


def model(problems: Problems, body: Mapping[str, Any], path: str) -> None:
    display_name(problems, body, path)
    labels(problems, body, path)
    problems.require(body.get("containerSpec", {}).get("imageUri"), f"{path}.container_spec.image_uri")
    gcs_uri(problems, body.get("artifactUri", ""), f"{path}.artifact_uri")


def batch_prediction_job(problems: Problems, job: Mapping[str, Any]) -> None:
    path = "batch_prediction_job"
    display_name(problems, job, path)
    labels(problems, job, path)
    if not job.get("model") and not job.get("unmanagedContainerModel"):
        problems.add(f"{path}.model", "Required field is not set.")
    source = job.get("inputConfig", {})
    if problems.require(source, f"{path}.input_config"):
        fmt = source.get("instancesFormat", "")
        if problems.require(fmt, f"{path}.input_config.instances_format") and fmt not in INSTANCES_FORMATS:
            problems.add(f"{path}.input_config.instances_format", f"Unsupported format '{fmt}'.")
        wanted = "bigquerySource" if fmt == "bigquery" else "gcsSource"
        if fmt and wanted not in source:
            problems.add(f"{path}.input_config", f"Format '{fmt}' needs {_snake(wanted)}.")
        for uri in source.get("gcsSource", {}).get("uris", []):
            gcs_uri(problems, uri, f"{path}.input_config.gcs_source.uris")
    sink = job.get("outputConfig", {})
    if problems.require(sink, f"{path}.output_config"):
        fmt = sink.get("predictionsFormat", "")
        if problems.require(fmt, f"{path}.output_config.predictions_format") and fmt not in _PREDICTION_FORMATS:
            problems.add(f"{path}.output_config.predictions_format", f"Unsupported format '{fmt}'.")
        wanted = "bigqueryDestination" if fmt == "bigquery" else "gcsDestination"
        if fmt and wanted not in sink:
            problems.add(f"{path}.output_config", f"Format '{fmt}' needs {_snake(wanted)}.")
        gcs_uri(
            problems, sink.get("gcsDestination", {}).get("outputUriPrefix", ""), f"{path}.output_config.gcs_destination"
        )
    resources = job.get("dedicatedResources")
    if resources is not None:
        problems.require(
            resources.get("machineSpec", {}).get("machineType"), f"{path}.dedicated_resources.machine_spec.machine_type"
        )
        starting = int(resources.get("startingReplicaCount", 0))
        maximum = int(resources.get("maxReplicaCount", 0))
        if maximum and starting > maximum:
            problems.add(f"{path}.dedicated_resources", "starting_replica_count must be at most max_replica_count.")
    batch_size = job.get("manualBatchTuningParameters", {}).get("batchSize")
    if batch_size is not None and int(batch_size) < 0:
        problems.add(f"{path}.manual_batch_tuning_parameters.batch_size", "Must not be negative.")


def _pool_replicas(spec: Mapping[str, Any]) -> int:
    return sum(
        int(pool.get("replicaCount", "1" if index == 0 else "0"))
        for index, pool in enumerate(spec.get("workerPoolSpecs", []))
        if pool
    )


def _tuning_replicas(job: Mapping[str, Any]) -> int:
    parallel = max(1, min(int(job.get("parallelTrialCount", 1)), int(job.get("maxTrialCount", 1)) or 1))
    return parallel * _pool_replicas(job.get("trialJobSpec", {}))


def replica_processes(kind: str, body: Mapping[str, Any]) -> int:
    """How many replica processes a valid job of `kind` starts at once (tuning: its parallel trials')."""
    if kind == CUSTOM_JOBS:
        return _pool_replicas(body.get("jobSpec", {}))
    if kind == HYPERPARAMETER_TUNING_JOBS:
        return _tuning_replicas(body)
    if kind == TRAINING_PIPELINES:
        inputs = body.get("trainingTaskInputs", {})
        return _tuning_replicas(inputs) if "trialJobSpec" in inputs else _pool_replicas(inputs)
    if kind == BATCH_PREDICTION_JOBS:
        return int(body.get("dedicatedResources", {}).get("startingReplicaCount", 1)) or 1
    return 0


def replica_quota(kind: str, body: Mapping[str, Any], maximum: int) -> None:
    """Like the real API's quota errors, at create time: a job may not start more than `maximum` replicas."""
    requested = replica_processes(kind, body)
    if requested > maximum:
        raise InvalidArgument(
            f"The following quota metrics exceed quota limits: replica processes per job (the emulator's "
            f"--max-replicas-per-job): this job starts {requested} replica processes at once, the limit is "
            f"{maximum}. Ask for fewer replicas (or parallel trials), or start the emulator with a higher "
            "--max-replicas-per-job."
        )
