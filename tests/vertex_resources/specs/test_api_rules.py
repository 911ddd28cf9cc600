"""The API's own rules (proto number ranges, durations, enums, names, URIs, labels, machines): each fails with
its field path and passes when fixed."""

from __future__ import annotations

from typing import Any

import pytest

from vertex_resources.specs import (
    BatchPredictionJobDefinition,
    CustomJobDefinition,
    DatasetDefinition,
    HyperparameterTuningJobDefinition,
    ModelDefinition,
    TrainingPipelineDefinition,
)
from vertex_resources.specs.dataset import IMPORT_SCHEMAS

from .cases import BASES, JOB, MODEL, PACKAGE_POOL, POOL, Case, assert_rule, case_id

CJ, HPT, TP = CustomJobDefinition, HyperparameterTuningJobDefinition, TrainingPipelineDefinition
DS, MD, BP = DatasetDefinition, ModelDefinition, BatchPredictionJobDefinition
POOL0 = "job_spec.worker_pool_specs.0"
MACHINE = f"{POOL0}.machine_spec"
MACHINE_AT = "job_spec.worker_pool_specs[0].machine_spec"
ACCOUNT = "trainer-sa@acme-ml.iam.gserviceaccount.com"
KEY_US = "projects/acme-ml/locations/us-central1/keyRings/ring/cryptoKeys/key"
KEY_EU = "projects/acme-ml/locations/europe-west4/keyRings/ring/cryptoKeys/key"
BOARD = "projects/acme-ml/locations/us-central1/tensorboards/123"
BOARD_EAST = BOARD.replace("us-central1", "us-east1")
NETWORK = "projects/123456789/global/networks/ml-vpc"
INT32_MAX, INT64_MAX = 2**31 - 1, 2**63 - 1
PACKAGE = PACKAGE_POOL["python_package_spec"]


def _machine(machine_type: str, accelerator: str | None = None, count: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"machine_type": machine_type}
    if accelerator is not None:
        spec |= {"accelerator_type": accelerator, "accelerator_count": count}
    return spec


def _placed(kind: type, **fields: Any) -> dict[str, Any]:
    return {**BASES[kind], "location": "us-central1", **fields}


def _image_dataset(schema: str) -> dict[str, Any]:
    imports = [{"gcs_source": {"uris": ["gs://acme-data/items.jsonl"]}, "import_schema_uri": schema}]
    return {"display_name": "d", "metadata_schema_uri": "image", "data_import_configs": imports}


API_CASES: list[Case] = [
    # proto number ranges; bool is not a number
    (HPT, "max_trial_count", 2**31, "max_trial_count", f"less than or equal to {INT32_MAX}", INT32_MAX),
    (HPT, "max_trial_count", True, "max_trial_count", "must be a whole number", 4),
    (HPT, "parallel_trial_count", 2.5, "parallel_trial_count", "must be a whole number", 2.0),
    (CJ, f"{POOL0}.replica_count", True, "job_spec.worker_pool_specs[0].replica_count", "whole number", "1"),
    (CJ, f"{POOL0}.replica_count", 2**63, "job_spec.worker_pool_specs[0].replica_count", str(INT64_MAX), 10**9),
    (BP, "dedicated_resources", {"machine_spec": _machine("n1-standard-2"), "max_replica_count": 2**31},
     "dedicated_resources.max_replica_count", "less than or equal to", {"machine_spec": _machine("n1-standard-2")}),
    (BP, "manual_batch_tuning_parameters", {"batch_size": 2**40}, "manual_batch_tuning_parameters.batch_size",
     f"less than or equal to {INT32_MAX}", {"batch_size": 256}),
    (CJ, f"{POOL0}.disk_spec", {"boot_disk_size_gb": 50}, "job_spec.worker_pool_specs[0].disk_spec.boot_disk_size_gb",
     "greater than or equal to 100", {"boot_disk_size_gb": 100}),
    (CJ, f"{POOL0}.disk_spec", {"boot_disk_size_gb": 64_001},
     "job_spec.worker_pool_specs[0].disk_spec.boot_disk_size_gb", "less than or equal to 64000",
     {"boot_disk_size_gb": 64_000}),
    (MD, "container_spec.ports", [{"container_port": True}], "container_spec.ports[0].container_port",
     "whole number", [{"container_port": 8080}]),
    # doubles are finite and in range
    (HPT, "study_spec.parameters.0.double_value_spec", {"min_value": float("nan"), "max_value": 1.0},
     "study_spec.parameters[0].double_value_spec.min_value", "finite", {"min_value": 0.5, "max_value": 1.0}),
    (HPT, "study_spec.parameters.0", {"parameter_id": "k", "discrete_value_spec": {"values": [1, float("inf")]}},
     "study_spec.parameters[0].discrete_value_spec.values[1]", "finite",
     {"parameter_id": "k", "discrete_value_spec": {"values": [1, 1e300]}}),
    (HPT, "study_spec.parameters.0.double_value_spec", {"min_value": 0, "max_value": 10**400},
     "study_spec.parameters[0].double_value_spec.max_value", "range of a double",
     {"min_value": 0, "max_value": 10**300}),
    (TP, "input_data_config", {"dataset_id": "1", "fraction_split": {"training_fraction": float("nan")}},
     "input_data_config.split.training_fraction", "finite",
     {"dataset_id": "1", "fraction_split": {"training_fraction": 0.5}}),
    (HPT, "study_spec.parameters.0.double_value_spec.min_value", False,
     "study_spec.parameters[0].double_value_spec.min_value", "must be a number", 0),
    # google.protobuf.Duration
    (CJ, "job_spec.scheduling", {"timeout": "99999999999999999999s"}, "job_spec.scheduling.timeout",
     "at most 315576000000 seconds", {"timeout": "315576000000s"}),
    (CJ, "job_spec.scheduling", {"timeout": 1e30}, "job_spec.scheduling.timeout", "at most 315576000000 seconds",
     {"timeout": 86400.5}),
    (CJ, "job_spec.scheduling", {"timeout": True}, "job_spec.scheduling.timeout", "a duration is", {"timeout": 60}),
    (CJ, "job_spec.scheduling", {"timeout": "1.0000000001s"}, "job_spec.scheduling.timeout", "a duration is",
     {"timeout": "1.000000001s"}),
    (CJ, "wait_timeout", "-5s", "wait_timeout", "positive duration", "300s"),
    # bools are true or false, enums a value to set
    (CJ, "job_spec.enable_web_access", "yes", "job_spec.enable_web_access", "true or false", True),
    (TP, "delete_artifacts", 1, "delete_artifacts", "true or false", False),
    (HPT, "study_spec.metrics.0.goal", "GOAL_TYPE_UNSPECIFIED", "study_spec.metrics[0].goal",
     "not a value to set: use one of MAXIMIZE, MINIMIZE", "MINIMIZE"),
    (HPT, "study_spec.metrics.0.goal", 7, "study_spec.metrics[0].goal", "is not one of MAXIMIZE", 2),
    # placement
    (CJ, "location", "evil.example#", "location", "a Google Cloud region like us-central1", "europe-west4"),
    (CJ, "location", "us-central1-a", "location", "region like us-central1", "northamerica-northeast1"),
    (DS, "location", "global", "location", "not in 'global'", "us-east5"),
    (MD, "project", "Acme", "project", "a project is its id", "123456789012"),
    (BP, "project", "acme-", "project", "not ending with a hyphen", "acme-ml-prod-us"),
    # labels, counting the provider's own
    (CJ, "labels", {"pulumi-create-key": "mine"}, "labels.pulumi-create-key", "the provider's own label",
     {"pulumi-create-key2": "mine"}),
    (TP, "labels", {"pulumi-resource-key": "mine"}, "labels.pulumi-resource-key", "the provider's own label",
     {"pulumi-resource": "mine"}),
    (DS, "labels", {"9team": "ml"}, "labels.9team", "start with a lowercase letter", {"équipe": "ml"}),
    (MD, "labels", {"team": "x" * 64}, "labels.team", "at most 63 characters", {"team": "x" * 63}),
    (TP, "model_to_upload.labels", {f"k{i}": "v" for i in range(65)}, "model_to_upload.labels", "at most 64 labels",
     {f"k{i}": "v" for i in range(64)}),
    (HPT, "labels", {f"k{i}": "v" for i in range(63)}, "labels", "at most 62 labels", {f"k{i}": "" for i in range(62)}),
    # Cloud Storage and BigQuery
    (DS, "metadata.input_config.gcs_source.uri", ["gs://acme data/t.csv"], "metadata.input_config.gcs_source.uri[0]",
     "bucket names are 3-63 characters", ["gs://acme_data.example.com/t.csv"]),
    (DS, "metadata.input_config.gcs_source.uri", ["gs://192.168.0.1/t.csv"], "metadata.input_config.gcs_source.uri[0]",
     "not an IP address", ["gs://acme-data/*.csv"]),
    (DS, "metadata.input_config.gcs_source.uri", ["gs://-acme/t.csv"], "metadata.input_config.gcs_source.uri[0]",
     "starting and ending with a letter or digit", ["gs://9acme/t.csv"]),
    (CJ, "job_spec.base_output_directory.output_uri_prefix", "gs://" + "a" * 64, "job_spec.base_output_directory"
     ".output_uri_prefix", "bucket names", "gs://" + "a" * 63),
    (MD, "artifact_uri", "gs://acme-models/.well-known/acme-challenge/x", "artifact_uri", "not an allowed object name",
     "gs://acme-models"),
    (MD, "predict_schemata", {"instance_schema_uri": "gs://acme-models"}, "predict_schemata.instance_schema_uri",
     "must name an object", {"instance_schema_uri": "gs://acme-models/instance.yaml"}),
    (BP, "input_config.gcs_source.uris", ["gs://acme-data/a\nb"], "input_config.gcs_source.uris[0]",
     "no carriage return or line feed", ["gs://acme-data/a b"]),
    (BP, "input_config", {"instances_format": "bigquery", "bigquery_source": {"input_uri": "bq://acme-ml.sales"}},
     "input_config.bigquery_source.input_uri", "bq://project.dataset.table",
     {"instances_format": "bigquery", "bigquery_source": {"input_uri": "bq://acme-ml.sales.rows_2024"}}),
    (BP, "output_config", {"predictions_format": "bigquery", "bigquery_destination": {"output_uri": "bq://Acme"}},
     "output_config.bigquery_destination.output_uri", "a project is its id",
     {"predictions_format": "bigquery", "bigquery_destination": {"output_uri": "bq://acme-ml"}}),
    # service accounts, networks, IP ranges, TensorBoards, KMS keys
    (CJ, "job_spec.service_account", "trainer", "job_spec.service_account", "service account email", ACCOUNT),
    (BP, "service_account", "sa@acme.iam.gserviceaccount.com", "service_account", "service account email",
     "123456789-compute@developer.gserviceaccount.com"),
    (MD, "service_account", "a@b.c", "service_account", "service account email", "acme-ml@appspot.gserviceaccount.com"),
    (CJ, "job_spec.network", "ml-vpc", "job_spec.network", "projects/{project number}/global/networks", NETWORK),
    (CJ, "job_spec.network", "projects/acme-ml/global/networks/ml-vpc", "job_spec.network", "project number", NETWORK),
    (CJ, "job_spec", {**JOB, "reserved_ip_ranges": ["vertex-range"]}, "job_spec.reserved_ip_ranges", "set network",
     {**JOB, "reserved_ip_ranges": ["vertex-range"], "network": NETWORK}),
    (CJ, "job_spec", {**JOB, "network": NETWORK, "reserved_ip_ranges": ["Vertex_Range"]},
     "job_spec.reserved_ip_ranges[0]", "reserved IP range names", {**JOB, "network": NETWORK}),
    (CJ, "job_spec", {**JOB, "service_account": ACCOUNT, "tensorboard": "my-board"}, "job_spec.tensorboard",
     "tensorboards/{tensorboard id}", {**JOB, "service_account": ACCOUNT, "tensorboard": BOARD}),
    (CJ, "job_spec", {**JOB, "tensorboard": BOARD}, "job_spec.service_account", "runs as a service account",
     {**JOB, "tensorboard": BOARD, "service_account": ACCOUNT}),
    (CJ, "encryption_spec", {"kms_key_name": "projects/acme-ml/keyRings/r/cryptoKeys/k"},
     "encryption_spec.kms_key_name", "keyRings/{ring}/cryptoKeys/{key}", {"kms_key_name": KEY_EU}),
    (CJ, ".", _placed(CJ, encryption_spec={"kms_key_name": KEY_EU}), "encryption_spec.kms_key_name",
     "must be in the resource's location us-central1, got europe-west4",
     _placed(CJ, encryption_spec={"kms_key_name": KEY_US})),
    (TP, ".", _placed(TP, custom_task={**JOB, "service_account": ACCOUNT, "tensorboard": BOARD_EAST}),
     "custom_task.tensorboard", "resource's location us-central1", _placed(TP)),
    (BP, ".", _placed(BP, model="projects/acme-ml/locations/asia-east1/models/7"), "model",
     "resource's location us-central1", _placed(BP, model="projects/acme-ml/locations/us-central1/models/7@champion")),
    (MD, "parent_model", "projects/acme-ml/locations/us_central1/models/7", "parent_model",
     "a Google Cloud region", "projects/acme-ml/locations/us-central1/models/7"),
    # models: aliases, environment variable names
    (MD, "version_aliases", ["default"], "version_aliases[0]", "alias Vertex AI gives a model's default version",
     ["champion"]),
    (MD, "version_aliases", ["Champion"], "version_aliases[0]", "starting with a lowercase letter", ["champion-V2"]),
    (MD, "version_aliases", ["blue", "blue"], "version_aliases", "distinct", ["blue", "green"]),
    (BP, "model", "projects/acme-ml/locations/us-central1/models/7@Blue", "model", "optionally with @version or @alias",
     "projects/acme-ml/locations/us-central1/models/7@12"),
    (CJ, f"{POOL0}.container_spec.env", [{"name": "MY-VAR", "value": "1"}],
     "job_spec.worker_pool_specs[0].container_spec.env[0].name", "environment variable names",
     [{"name": "_MY_VAR2", "value": ""}]),
    (MD, "container_spec.env", [{"name": "2FAST", "value": "1"}], "container_spec.env[0].name",
     "not starting with a digit", [{"name": "FAST2", "value": "1"}]),
    # container images and Python modules
    (CJ, f"{POOL0}.container_spec.image_uri", "gcr.io/Acme/Trainer:1", "job_spec.worker_pool_specs[0].container_spec"
     ".image_uri", "must be a container image", "gcr.io/acme/trainer@sha256:" + "0" * 64),
    (MD, "container_spec.image_uri", "serve me", "container_spec.image_uri", "must be a container image",
     "python:3.11"),
    (CJ, POOL0, {**PACKAGE_POOL, "python_package_spec": {**PACKAGE, "python_module": "trainer/task.py"}},
     "job_spec.worker_pool_specs[0].python_package_spec.python_module", "Python module name",
     {**PACKAGE_POOL, "python_package_spec": {**PACKAGE, "python_module": "trainer_2.task"}}),
    # datasets: known schemas, imports that match the dataset
    (DS, "metadata_schema_uri", "gs://acme/my-schema.yaml", "metadata_schema_uri", "must be one of tabular, image",
     "gs://google-cloud-aiplatform/schema/dataset/metadata/tabular_1.0.0.yaml"),
    (DS, ".", _image_dataset("gs://acme/import.yaml"), "data_import_configs[0].import_schema_uri",
     "one of the import schemas", _image_dataset(IMPORT_SCHEMAS["image"][2])),
    (DS, ".", _image_dataset(IMPORT_SCHEMAS["text"][0]), "data_import_configs[0].import_schema_uri",
     "a image dataset imports with one of", _image_dataset(IMPORT_SCHEMAS["image"][0])),
    # machine types, accelerators, boot disks
    (CJ, MACHINE, _machine("n1-standard-3"), f"{MACHINE_AT}.machine_type", "is not a machine type",
     _machine("n1-standard-96")),
    (CJ, MACHINE, _machine("super-fast-1"), f"{MACHINE_AT}.machine_type", "n1-standard-N", _machine("c2-standard-60")),
    (BP, "dedicated_resources", {"machine_spec": _machine("n1")}, "dedicated_resources.machine_spec.machine_type",
     "is not a machine type", {"machine_spec": _machine("e2-highcpu-2")}),
    (CJ, MACHINE, _machine("n1-standard-8", "NVIDIA_TESLA_A100", 1), f"{MACHINE_AT}.accelerator_type",
     "does not attach to n1-standard-8: it runs on a2-highgpu-* or a2-megagpu-*",
     _machine("a2-highgpu-1g", "NVIDIA_TESLA_A100", 1)),
    (CJ, MACHINE, _machine("e2-standard-8", "NVIDIA_TESLA_T4", 1), f"{MACHINE_AT}.accelerator_type", "it runs on n1-*",
     _machine("n1-standard-8", "NVIDIA_TESLA_T4", 1)),
    (CJ, MACHINE, _machine("n1-standard-8", "NVIDIA_TESLA_T4", 3), f"{MACHINE_AT}.accelerator_count",
     "counts of 1, 2, 4, got 3", _machine("n1-standard-8", "NVIDIA_TESLA_T4", 4)),
    (CJ, MACHINE, _machine("n1-standard-64", "NVIDIA_TESLA_T4", 1), f"{MACHINE_AT}.machine_type", "at most 48 vCPUs",
     _machine("n1-standard-64", "NVIDIA_TESLA_T4", 4)),
    (CJ, MACHINE, _machine("n1-standard-32", "NVIDIA_TESLA_V100", 2), f"{MACHINE_AT}.machine_type",
     "at most 24 vCPUs", _machine("n1-highmem-16", "NVIDIA_TESLA_V100", 2)),
    (CJ, MACHINE, _machine("a2-highgpu-2g", "NVIDIA_TESLA_A100", 1), f"{MACHINE_AT}.accelerator_count",
     "comes with 2 NVIDIA_TESLA_A100", _machine("a2-highgpu-2g", "NVIDIA_TESLA_A100", 2)),
    (CJ, MACHINE, _machine("a2-ultragpu-1g"), f"{MACHINE_AT}.accelerator_type", "comes with 1 NVIDIA_A100_80GB",
     _machine("a2-ultragpu-1g", "NVIDIA_A100_80GB", 1)),
    (CJ, MACHINE, _machine("g2-standard-24", "NVIDIA_L4", 1), f"{MACHINE_AT}.accelerator_count",
     "comes with 2 NVIDIA_L4", _machine("g2-standard-24", "NVIDIA_L4", 2)),
    (CJ, MACHINE, _machine("a3-highgpu-8g", "NVIDIA_H100_MEGA_80GB", 8), f"{MACHINE_AT}.accelerator_type",
     "comes with 8 NVIDIA_H100_80GB", _machine("a3-megagpu-8g", "NVIDIA_H100_MEGA_80GB", 8)),
    (CJ, MACHINE, _machine("n1-standard-8", "NVIDIA_TESLA_K80", 1), f"{MACHINE_AT}.accelerator_type",
     "end of support", _machine("n1-standard-8", "NVIDIA_TESLA_P100", 1)),
    (CJ, MACHINE, _machine("cloud-tpu", "TPU_V3", 4), f"{MACHINE_AT}.accelerator_count", "TPU_V2 or TPU_V3 with "
     "accelerator_count 8", _machine("cloud-tpu", "TPU_V3", 8)),
    (CJ, MACHINE, _machine("n1-standard-8", "TPU_V5_LITEPOD", 4), f"{MACHINE_AT}.accelerator_type",
     "it runs on ct5lp-hightpu-*", _machine("ct5lp-hightpu-4t", "TPU_V5_LITEPOD", 4)),
    (CJ, f"{POOL0}.disk_spec", {"boot_disk_type": "pd-fast"}, "job_spec.worker_pool_specs[0].disk_spec.boot_disk_type",
     "must be one of pd-ssd, pd-standard, hyperdisk-balanced", {"boot_disk_type": "pd-standard"}),
    (CJ, POOL0, {**POOL, "disk_spec": {"boot_disk_type": "hyperdisk-balanced"}},
     "job_spec.worker_pool_specs[0].disk_spec.boot_disk_type", "has no Hyperdisk",
     {**POOL, "disk_spec": {"boot_disk_type": "pd-ssd"}}),
    (CJ, POOL0, {**POOL, "machine_spec": _machine("a3-ultragpu-8g", "NVIDIA_H200_141GB", 8),
                 "disk_spec": {"boot_disk_type": "pd-ssd"}},
     "job_spec.worker_pool_specs[0].disk_spec.boot_disk_type", "hyperdisk-balanced only",
     {**POOL, "machine_spec": _machine("a3-ultragpu-8g", "NVIDIA_H200_141GB", 8),
      "disk_spec": {"boot_disk_type": "hyperdisk-balanced"}}),
]  # fmt: skip


@pytest.mark.parametrize("case", API_CASES, ids=[case_id(case) for case in API_CASES])
def test_api_rule_fails_with_field_path_and_passes_when_fixed(case: Case) -> None:
    assert_rule(case)


def test_accelerators_are_a_warning_about_region_availability_not_a_failure() -> None:
    spec = CustomJobDefinition.parse(
        {**BASES[CustomJobDefinition], "job_spec": {**JOB, "worker_pool_specs": [
            {**POOL, "machine_spec": _machine("n1-standard-8", "NVIDIA_TESLA_T4", 1)},
        ]}}
    )  # fmt: skip
    notes = [str(note) for note in spec.notes()]
    assert len(notes) == 1
    assert notes[0].startswith("job_spec.worker_pool_specs[0].machine_spec: NVIDIA_TESLA_T4 (n1-standard-8) is offered")
    assert "not checked offline" in notes[0]
    assert CustomJobDefinition.parse(BASES[CustomJobDefinition]).notes() == []


def test_a_model_upload_inside_a_pipeline_may_use_all_64_labels() -> None:
    """The provider labels the pipeline, not the model it uploads: the model keeps the API's full limit."""
    labels = {f"k{i}": "v" for i in range(64)}
    TrainingPipelineDefinition.parse(
        {**BASES[TrainingPipelineDefinition], "model_to_upload": {**MODEL, "labels": labels}}
    )
