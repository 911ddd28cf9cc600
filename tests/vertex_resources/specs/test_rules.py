"""Every validation rule: a failing case that names the field path, and a passing case next to it."""

from __future__ import annotations

import pytest

from vertex_resources import SpecError
from vertex_resources.specs import (
    BatchPredictionJobDefinition,
    CustomJobDefinition,
    DatasetDefinition,
    HyperparameterTuningJobDefinition,
    ModelDefinition,
    TrainingPipelineDefinition,
)

from .cases import (
    BASES,
    DATASET,
    JOB,
    PACKAGE_POOL,
    PIPELINE,
    POOL,
    STUDY,
    TUNING,
    TUNING_PIPELINE,
    Case,
    assert_rule,
    case_id,
)
from .cases import with_change as _with

# (kind, path to change, bad value, expected problem path, words in the message, a good value for the same path)
CASES: list[Case] = [
    # splits
    (
        TrainingPipelineDefinition,
        "input_data_config",
        {"dataset_id": "1", "split": {"kind": "fraction", "training_fraction": 1.5}},
        "input_data_config.split.training_fraction",
        "less than or equal to 1",
        {"dataset_id": "1", "split": {"kind": "fraction", "training_fraction": 1.0}},
    ),
    (
        TrainingPipelineDefinition,
        "input_data_config",
        {
            "dataset_id": "1",
            "fraction_split": {"training_fraction": 0.8, "validation_fraction": 0.2, "test_fraction": 0.1},
        },
        "input_data_config.split",
        "sum to at most 1",
        {
            "dataset_id": "1",
            "fraction_split": {"training_fraction": 0.8, "validation_fraction": 0.1, "test_fraction": 0.1},
        },
    ),
    (
        TrainingPipelineDefinition,
        "input_data_config",
        {"dataset_id": "1", "filter_split": {"training_filter": "labels.a=1", "validation_filter": "-"}},
        "input_data_config.split.test_filter",
        "field required",
        {
            "dataset_id": "1",
            "filter_split": {"training_filter": "labels.a=1", "validation_filter": "-", "test_filter": "-"},
        },
    ),
    (
        TrainingPipelineDefinition,
        "input_data_config",
        {"dataset_id": "1", "timestamp_split": {"training_fraction": 0.8}},
        "input_data_config.split.key",
        "field required",
        {"dataset_id": "1", "timestamp_split": {"training_fraction": 0.8, "key": "ts"}},
    ),
    (
        TrainingPipelineDefinition,
        "input_data_config",
        {"dataset_id": "1", "predefined_split": {}},
        "input_data_config.split.key",
        "field required",
        {"dataset_id": "1", "predefined_split": {"key": "ml_use"}},
    ),
    (
        TrainingPipelineDefinition,
        "input_data_config",
        {"dataset_id": "1", "stratified_split": {"training_fraction": 0.5}},
        "input_data_config.split.key",
        "field required",
        {"dataset_id": "1", "stratified_split": {"training_fraction": 0.5, "key": "label"}},
    ),
    (
        TrainingPipelineDefinition,
        "input_data_config",
        {
            "dataset_id": "1",
            "gcs_destination": {"output_uri_prefix": "gs://acme-data/b"},
            "bigquery_destination": {"output_uri": "bq://acme-ml.d"},
        },
        "input_data_config",
        "at most one of gcs_destination or bigquery_destination",
        {"dataset_id": "1", "bigquery_destination": {"output_uri": "bq://acme-ml.d"}},
    ),
    (
        TrainingPipelineDefinition,
        "input_data_config",
        {"dataset_id": "1", "bigquery_destination": {"output_uri": "gs://acme-data/d"}},
        "input_data_config.bigquery_destination.output_uri",
        "bq:// URI",
        {"dataset_id": "1", "bigquery_destination": {"output_uri": "bq://acme-ml.d"}},
    ),
    # worker pools
    (
        CustomJobDefinition,
        "job_spec.worker_pool_specs.0",
        {**POOL, **PACKAGE_POOL},
        "job_spec.worker_pool_specs[0]",
        "exactly one of container_spec or python_package_spec",
        PACKAGE_POOL,
    ),
    (
        CustomJobDefinition,
        "job_spec.worker_pool_specs.0",
        {"machine_spec": {"machine_type": "n1-standard-4"}},
        "job_spec.worker_pool_specs[0]",
        "exactly one of container_spec or python_package_spec",
        POOL,
    ),
    (
        CustomJobDefinition,
        "job_spec.worker_pool_specs",
        [POOL] * 5,
        "job_spec.worker_pool_specs",
        "at most 4 worker pools",
        [POOL] * 4,
    ),
    (
        CustomJobDefinition,
        "job_spec.worker_pool_specs",
        [{**POOL, "replica_count": 2}, POOL],
        "job_spec.worker_pool_specs[0].replica_count",
        "primary replica",
        [POOL, {**POOL, "replica_count": 3}],
    ),
    (
        CustomJobDefinition,
        "job_spec.worker_pool_specs.0.machine_spec",
        {"machine_type": "n1-standard-4", "accelerator_type": "NVIDIA_TESLA_T4"},
        "job_spec.worker_pool_specs[0].machine_spec.accelerator_count",
        "when accelerator_type is set",
        {"machine_type": "n1-standard-4", "accelerator_type": "NVIDIA_TESLA_T4", "accelerator_count": 2},
    ),
    (
        CustomJobDefinition,
        "job_spec.worker_pool_specs.0.machine_spec",
        {"machine_type": "n1-standard-4", "accelerator_count": 1},
        "job_spec.worker_pool_specs[0].machine_spec.accelerator_type",
        "when accelerator_count is set",
        {"machine_type": "n1-standard-4"},
    ),
    (
        CustomJobDefinition,
        "job_spec.worker_pool_specs.0.machine_spec",
        {"machine_type": "n1-standard-4", "accelerator_type": "NVIDIA_TESLA_X1", "accelerator_count": 1},
        "job_spec.worker_pool_specs[0].machine_spec.accelerator_type",
        "NVIDIA_TESLA_T4",
        {"machine_type": "g2-standard-4", "accelerator_type": "NVIDIA_L4", "accelerator_count": 1},
    ),
    (
        CustomJobDefinition,
        "job_spec.worker_pool_specs.0.container_spec.args",
        ["x" * 60_000] * 2,
        "job_spec.worker_pool_specs[0].container_spec.args",
        "at most 100000 characters",
        ["x" * 50_000] * 2,
    ),
    (
        CustomJobDefinition,
        "job_spec.worker_pool_specs.0",
        {
            **PACKAGE_POOL,
            "python_package_spec": {
                **PACKAGE_POOL["python_package_spec"],
                "package_uris": ["gs://acme-data/p.tar.gz"] * 101,
            },
        },
        "job_spec.worker_pool_specs[0].python_package_spec.package_uris",
        "at most 100 package URIs",
        {
            **PACKAGE_POOL,
            "python_package_spec": {
                **PACKAGE_POOL["python_package_spec"],
                "package_uris": ["gs://acme-data/p.tar.gz"] * 100,
            },
        },
    ),
    (
        CustomJobDefinition,
        "job_spec.worker_pool_specs.0",
        {
            **PACKAGE_POOL,
            "python_package_spec": {**PACKAGE_POOL["python_package_spec"], "package_uris": ["/tmp/p.tar.gz"]},
        },
        "job_spec.worker_pool_specs[0].python_package_spec.package_uris[0]",
        "gs:// URI",
        PACKAGE_POOL,
    ),
    (
        CustomJobDefinition,
        "job_spec.base_output_directory",
        {"output_uri_prefix": "s3://acme/out"},
        "job_spec.base_output_directory.output_uri_prefix",
        "gs:// URI",
        {"output_uri_prefix": "gs://acme/o"},
    ),
    (
        CustomJobDefinition,
        "job_spec.scheduling",
        {"timeout": "an hour"},
        "job_spec.scheduling.timeout",
        "like '3600s'",
        {"timeout": "3600s"},
    ),
    (
        CustomJobDefinition,
        "job_spec.worker_pool_specs.0.replica_count",
        0,
        "job_spec.worker_pool_specs[0].replica_count",
        "greater than or equal to 1",
        3,
    ),
    # tuning
    (
        HyperparameterTuningJobDefinition,
        "study_spec.metrics",
        [],
        "study_spec.metrics",
        "at least 1 item",
        STUDY["metrics"],
    ),
    (
        HyperparameterTuningJobDefinition,
        "study_spec.parameters.0.double_value_spec",
        {"min_value": 2, "max_value": 1},
        "study_spec.parameters[0].double_value_spec",
        "min_value must be below max_value",
        {"min_value": 1, "max_value": 2},
    ),
    (
        HyperparameterTuningJobDefinition,
        "study_spec.parameters.0",
        {
            "parameter_id": "alpha",
            "scale_type": "UNIT_LOG_SCALE",
            "double_value_spec": {"min_value": 0, "max_value": 1},
        },
        "study_spec.parameters[0].double_value_spec.min_value",
        "log scale needs min_value > 0",
        {
            "parameter_id": "alpha",
            "scale_type": "UNIT_LOG_SCALE",
            "double_value_spec": {"min_value": 1e-4, "max_value": 1},
        },
    ),
    (
        HyperparameterTuningJobDefinition,
        "study_spec.parameters.0",
        {"parameter_id": "depth", "integer_value_spec": {"min_value": 5, "max_value": 5}},
        "study_spec.parameters[0].integer_value_spec",
        "min_value must be below max_value",
        {"parameter_id": "depth", "integer_value_spec": {"min_value": 2, "max_value": 5}},
    ),
    (
        HyperparameterTuningJobDefinition,
        "study_spec.parameters.0",
        {"parameter_id": "x"},
        "study_spec.parameters[0]",
        "exactly one of double_value_spec",
        {"parameter_id": "x", "discrete_value_spec": {"values": [1, 2]}},
    ),
    (
        HyperparameterTuningJobDefinition,
        "study_spec",
        {**STUDY, "algorithm": "GRID_SEARCH"},
        "study_spec.parameters[0]",
        "grid search works only over integer, categorical or discrete",
        {
            **STUDY,
            "algorithm": "GRID_SEARCH",
            "parameters": [{"parameter_id": "k", "categorical_value_spec": {"values": ["a", "b"]}}],
        },
    ),
    (
        HyperparameterTuningJobDefinition,
        "parallel_trial_count",
        5,
        "parallel_trial_count",
        "at most max_trial_count",
        4,
    ),
    (
        TrainingPipelineDefinition,
        ".",
        {**TUNING_PIPELINE, "tuning_task": {**TUNING, "trial_job_spec": {"worker_pool_specs": [POOL]}}},
        "tuning_task.trial_job_spec.base_output_directory",
        "needs a base output directory",
        TUNING_PIPELINE,
    ),
    # pipeline and model upload
    (
        TrainingPipelineDefinition,
        "custom_task",
        {"worker_pool_specs": [POOL]},
        "model_to_upload.artifact_uri",
        "artifact_uri or custom_task.base_output_directory",
        JOB,
    ),
    (TrainingPipelineDefinition, "tuning_task", TUNING, "", "exactly one of custom_task or tuning_task", None),
    (
        TrainingPipelineDefinition,
        "model_id",
        "9-starts-with-digit",
        "model_id",
        "not starting with a digit",
        "fraud_detector",
    ),
    (
        TrainingPipelineDefinition,
        "parent_model",
        "models/123",
        "parent_model",
        "projects/P/locations/L/models/ID",
        "projects/acme-ml/locations/us-central1/models/123",
    ),
    (TrainingPipelineDefinition, "display_name", "x" * 129, "display_name", "at most 128 characters", "x" * 128),
    (
        TrainingPipelineDefinition,
        "labels",
        {"Team": "ml"},
        "labels.Team",
        "start with a lowercase letter",
        {"team": "ml"},
    ),
    (TrainingPipelineDefinition, "labels", {"team": "ML Ops"}, "labels.team", "label values", {"team": "ml-ops"}),
    (
        TrainingPipelineDefinition,
        "labels",
        {f"k{i}": "v" for i in range(63)},
        "labels",
        "at most 62 labels are allowed (the provider adds its own pulumi-create-key and pulumi-resource-key labels",
        {f"k{i}": "v" for i in range(62)},
    ),
    (ModelDefinition, "artifact_uri", None, "artifact_uri", "gs:// directory of the model artifacts", "gs://acme/m/"),
    (ModelDefinition, "model_id", "Fraud", "model_id", "lowercase letters", "fraud"),
    (
        ModelDefinition,
        "container_spec.ports",
        [{"container_port": 70000}],
        "container_spec.ports[0].container_port",
        "less than or equal to 65535",
        [{"container_port": 8080}],
    ),
    # datasets
    (
        DatasetDefinition,
        "metadata",
        None,
        "metadata",
        "tabular dataset needs metadata.input_config",
        DATASET["metadata"],
    ),
    (
        DatasetDefinition,
        "metadata.input_config",
        {"gcs_source": {"uri": ["gs://acme-data/b.csv"]}, "bigquery_source": {"uri": "bq://acme-ml.d.t"}},
        "metadata.input_config",
        "exactly one of gcs_source or bigquery_source",
        {"bigquery_source": {"uri": "bq://acme-ml.d.t"}},
    ),
    (
        DatasetDefinition,
        "metadata.input_config.gcs_source.uri",
        ["http://a/b.csv"],
        "metadata.input_config.gcs_source.uri[0]",
        "gs:// URI",
        ["gs://acme-data/b.csv"],
    ),
    # batch prediction
    (
        BatchPredictionJobDefinition,
        "input_config.instances_format",
        "parquet",
        "input_config.instances_format",
        "input should be 'jsonl', 'csv'",
        "csv",
    ),
    (
        BatchPredictionJobDefinition,
        "input_config",
        {"instances_format": "bigquery", "gcs_source": {"uris": ["gs://acme-data/b"]}},
        "input_config.bigquery_source",
        "reads from bigquery_source",
        {"instances_format": "bigquery", "bigquery_source": {"input_uri": "bq://acme-ml.d.t"}},
    ),
    (
        BatchPredictionJobDefinition,
        "output_config",
        {"predictions_format": "bigquery", "gcs_destination": {"output_uri_prefix": "gs://acme-data"}},
        "output_config.bigquery_destination",
        "writes to bigquery_destination",
        {"predictions_format": "bigquery", "bigquery_destination": {"output_uri": "bq://acme-ml.d"}},
    ),
    (
        BatchPredictionJobDefinition,
        "output_config.predictions_format",
        "tf-record",
        "output_config.predictions_format",
        "input should be 'jsonl', 'csv' or 'bigquery'",
        "csv",
    ),
    (
        BatchPredictionJobDefinition,
        "dedicated_resources",
        {"machine_spec": {"machine_type": "n1-standard-4"}, "starting_replica_count": 3, "max_replica_count": 2},
        "dedicated_resources.starting_replica_count",
        "at most max_replica_count",
        {"machine_spec": {"machine_type": "n1-standard-4"}, "starting_replica_count": 2, "max_replica_count": 2},
    ),
    (
        BatchPredictionJobDefinition,
        "model",
        "my-model",
        "model",
        "projects/P/locations/L/models/ID",
        "projects/acme-ml/locations/us-central1/models/1@2",
    ),
    (
        BatchPredictionJobDefinition,
        "manual_batch_tuning_parameters",
        {"batch_size": 0},
        "manual_batch_tuning_parameters.batch_size",
        "greater than or equal to 1",
        {"batch_size": 64},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case_id(case) for case in CASES])
def test_rule_fails_with_field_path_and_passes_when_fixed(case: Case) -> None:
    assert_rule(case)


def test_every_base_spec_is_valid() -> None:
    for kind, data in BASES.items():
        kind.parse(data)


def test_one_error_lists_every_problem() -> None:
    bad = _with(PIPELINE, "custom_task.worker_pool_specs", [{**POOL, **PACKAGE_POOL}, {"machine_spec": {}}])
    bad["input_data_config"] = {"dataset_id": "1", "fraction_split": {"training_fraction": 0.9, "test_fraction": 0.5}}
    bad["bogus"] = True
    with pytest.raises(SpecError) as caught:
        TrainingPipelineDefinition.parse(bad)
    text = str(caught.value)
    assert "custom_task.worker_pool_specs[0]: set exactly one of container_spec or python_package_spec" in text
    assert "custom_task.worker_pool_specs[1].machine_spec.machine_type: field required" in text
    assert "input_data_config.split: training, validation and test fractions must sum to at most 1" in text
    assert "bogus: unknown field" in text
    # worker_pool_specs[1] also lacks a container, but a part whose own fields are broken is not judged whole.
    assert len(caught.value.problems) == 4


def test_constructing_a_model_directly_raises_spec_error() -> None:
    from vertex_resources.specs import MachineSpec

    with pytest.raises(SpecError, match="accelerator_count: set accelerator_count"):
        MachineSpec(machine_type="n1-standard-4", accelerator_type="NVIDIA_TESLA_T4")
    with pytest.raises(SpecError) as caught:
        MachineSpec(machine_type="n1-standard-4", accelerator_type="NVIDIA_TESLA_T4")
    assert isinstance(caught.value, ValueError)  # usable where a ValueError is expected
