"""The seed documents' pipeline: train over a replicated cluster, upload the model, batch-predict.

    train (create_custom_training_job_from_component, 2 replicas: every replica a process, same machine spec)
      -> importer (the model directory the training wrote, served by the prebuilt scikit-learn image)
      -> ModelUploadOp -> ModelBatchPredictOp (predictions under `predictions_prefix`)

The training component reads the CSV at `training_data` (a header row, `species` the label, the other columns
numeric features), fits a decision tree, and the primary replica writes `model.joblib` into `model_dir` (a
gs:// directory, through google-cloud-storage) and into its `model` output artifact; it returns the training
accuracy. Compile with `compile_to(path)` or `kfp.compiler.Compiler().compile(seed_pipeline, path)`.
"""

# No `from __future__ import annotations`: kfp reads the component's annotations as types.
from pathlib import Path

from google_cloud_pipeline_components.types import artifact_types  # type: ignore[import-untyped]
from google_cloud_pipeline_components.v1.batch_predict_job import ModelBatchPredictOp  # type: ignore[import-untyped]
from google_cloud_pipeline_components.v1.custom_job import create_custom_training_job_from_component  # type: ignore[import-untyped]
from google_cloud_pipeline_components.v1.model import ModelUploadOp  # type: ignore[import-untyped]
from kfp import compiler, dsl  # type: ignore[import-untyped]

SERVING_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"
PIPELINE_NAME = "seed-train-upload-predict"
REPLICAS = 2
MACHINE_TYPE = "n1-standard-4"


@dsl.component(base_image="python:3.11")  # type: ignore[untyped-decorator]
def train(training_data: str, model_dir: str, max_depth: int, model: dsl.Output[dsl.Model]) -> float:
    """Fit a decision tree on the CSV at `training_data`; the primary replica saves it; returns the accuracy."""
    import csv
    import io
    import json
    import os

    import joblib
    from google.cloud import storage  # type: ignore[attr-defined]
    from sklearn.tree import DecisionTreeClassifier

    client = storage.Client.create_anonymous_client() if os.environ.get("STORAGE_EMULATOR_HOST") else storage.Client()
    bucket, _, name = training_data[len("gs://") :].partition("/")
    rows = list(csv.reader(io.StringIO(client.bucket(bucket).blob(name).download_as_text())))
    header, rows = rows[0], [row for row in rows[1:] if row]
    label = header.index("species")
    features = [[float(v) for i, v in enumerate(row) if i != label] for row in rows]
    labels = [row[label] for row in rows]
    tree = DecisionTreeClassifier(max_depth=max_depth, random_state=0).fit(features, labels)
    accuracy = float(tree.score(features, labels))
    task = json.loads(os.environ.get("CLUSTER_SPEC", "{}")).get("task", {})
    print(f"replica {task.get('type')}-{task.get('index')}: trained on {len(rows)} rows, accuracy {accuracy:.3f}")
    if task.get("type", "workerpool0") == "workerpool0":
        os.makedirs(model.path, exist_ok=True)
        local = os.path.join(model.path, "model.joblib")
        joblib.dump(tree, local)
        bucket, _, prefix = model_dir[len("gs://") :].partition("/")
        client.bucket(bucket).blob(f"{prefix.rstrip('/')}/model.joblib").upload_from_filename(local)
        model.metadata["accuracy"] = accuracy
    return accuracy


train_job = create_custom_training_job_from_component(
    train, display_name="seed-train", replica_count=REPLICAS, machine_type=MACHINE_TYPE
)


@dsl.pipeline(name=PIPELINE_NAME)  # type: ignore[untyped-decorator]
def seed_pipeline(
    training_data: str,
    model_dir: str,
    instances: str,
    predictions_prefix: str,
    max_depth: int = 3,
    location: str = "us-central1",
    project: str = "{{$.pipeline_google_cloud_project_id}}",
) -> None:
    trained = train_job(
        training_data=training_data, model_dir=model_dir, max_depth=max_depth, project=project, location=location
    )
    model = dsl.importer(
        artifact_uri=model_dir,
        artifact_class=artifact_types.UnmanagedContainerModel,
        metadata={"containerSpec": {"imageUri": SERVING_IMAGE}},
    )
    uploaded = ModelUploadOp(
        project=project,
        location=location,
        display_name="seed-model",
        unmanaged_container_model=model.outputs["artifact"],
    ).after(trained)
    ModelBatchPredictOp(
        project=project,
        location=location,
        job_display_name="seed-predict",
        model=uploaded.outputs["model"],
        gcs_source_uris=[instances],
        gcs_destination_output_uri_prefix=predictions_prefix,
        instances_format="jsonl",
        machine_type="n1-standard-2",
        starting_replica_count=1,
        max_replica_count=1,
    )


def compile_to(path: str | Path) -> Path:
    """The compiled pipeline (KFP IR YAML) at `path`."""
    compiler.Compiler().compile(seed_pipeline, str(path))
    return Path(path)
