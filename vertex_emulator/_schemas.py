"""Vertex AI's schema URIs the emulator understands and the spec limits it applies, in one place (the server and
the execution package both read them; this module imports nothing, so the execution package stays usable
without the server)."""

from __future__ import annotations

TRAINING_TASK_DEFINITIONS = "gs://google-cloud-aiplatform/schema/trainingjob/definition/"
CUSTOM_TASK = f"{TRAINING_TASK_DEFINITIONS}custom_task_1.0.0.yaml"
TUNING_TASK = f"{TRAINING_TASK_DEFINITIONS}hyperparameter_tuning_task_1.0.0.yaml"

MAX_PACKAGE_URIS = 100  # pythonPackageSpec.packageUris (seed 002)
# Batch prediction's instancesFormat values, which are also what a custom-trained model lists as its
# supportedInputStorageFormats (in the API's order).
INSTANCES_FORMATS = ("jsonl", "bigquery", "csv", "tf-record", "tf-record-gzip", "file-list")

DATASET_METADATA = "gs://google-cloud-aiplatform/schema/dataset/metadata/"
TABULAR_DATASET = f"{DATASET_METADATA}tabular_1.0.0.yaml"
# Dataset metadata schema -> the value of the system label the real API sets on the dataset.
DATASET_KINDS = {
    TABULAR_DATASET: "TABLE",
    f"{DATASET_METADATA}image_1.0.0.yaml": "IMAGE",
    f"{DATASET_METADATA}text_1.0.0.yaml": "TEXT",
    f"{DATASET_METADATA}video_1.0.0.yaml": "VIDEO",
    f"{DATASET_METADATA}time_series_1.0.0.yaml": "TIME_SERIES",
}
