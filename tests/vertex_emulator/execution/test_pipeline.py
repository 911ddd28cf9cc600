"""Training pipelines: dataset export, the custom or tuning task, and where the model is uploaded from."""

from __future__ import annotations

import textwrap
import time
from typing import Any

from vertex_emulator.execution import (
    CUSTOM_TASK,
    TUNING_TASK,
    DirectoryObjectStore,
    ExecutionContext,
    RunState,
    TrainingPipelineRun,
)

IMAGE = "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest"

# Writes a "model" where AIP_MODEL_DIR points, through the directory store's layout (gs://b/x -> ROOT/b/x).
WRITE_MODEL = textwrap.dedent("""
    import os, sys, hypertune
    root = os.environ["STORE_ROOT"]
    assert os.environ.get("AIP_DATA_FORMAT", "csv") == "csv"
    model_dir = os.path.join(root, os.environ["AIP_MODEL_DIR"][len("gs://"):])
    if "--no-model" not in sys.argv:
        os.makedirs(model_dir, exist_ok=True)
        open(os.path.join(model_dir, "model.joblib"), "w").write("model")
    depth = next((int(a.split("=")[1]) for a in sys.argv if a.startswith("--depth=")), 0)
    hypertune.HyperTune().report_hyperparameter_tuning_metric(hyperparameter_metric_tag="acc", metric_value=depth)
""")


def job_spec(store: DirectoryObjectStore, *args: str) -> dict[str, Any]:
    return {
        "worker_pool_specs": [{"replica_count": 1.0, "machine_spec": {"machine_type": "n1-standard-4"},
                               "container_spec": {"image_uri": IMAGE, "command": ["python3", "-c", WRITE_MODEL],
                                                  "args": list(args),
                                                  "env": [{"name": "STORE_ROOT", "value": str(store.root)}]}}],
        "base_output_directory": {"output_uri_prefix": "gs://bkt/pipeline"},
    }


def pipeline(definition: str, inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "displayName": "p",
        "trainingTaskDefinition": definition,
        "trainingTaskInputs": inputs,
        "modelToUpload": {"displayName": "m", "containerSpec": {"imageUri": IMAGE}},
        **extra,
    }


def test_custom_task_with_a_dataset_exports_trains_and_finds_the_model(
    context: ExecutionContext, store: DirectoryObjectStore
) -> None:
    with store.open_write("gs://bkt/data.csv") as stream:
        stream.write(b"x,use\n1,training\n2,training\n3,test\n")
    dataset = {"name": "projects/p/locations/us-central1/datasets/5",
               "metadataSchemaUri": "gs://google-cloud-aiplatform/schema/dataset/metadata/tabular_1.0.0.yaml",
               "metadata": {"inputConfig": {"gcsSource": {"uri": ["gs://bkt/data.csv"]}}}}
    spec = pipeline(CUSTOM_TASK, job_spec(store), inputDataConfig={
        "datasetId": "5", "predefinedSplit": {"key": "use"}, "gcsDestination": {"outputUriPrefix": "gs://bkt/exp"},
    })
    outcome = TrainingPipelineRun(spec, context, dataset=dataset).run()
    assert outcome.state is RunState.SUCCEEDED, outcome.error_message
    assert outcome.model_artifact_uri == "gs://bkt/pipeline/model/"
    assert outcome.exported is not None
    assert dict(outcome.exported.counts) == {"training": 2, "validation": 0, "test": 1}
    assert outcome.training is not None
    assert outcome.training.logs


def test_an_empty_model_directory_fails_the_pipeline(context: ExecutionContext, store: DirectoryObjectStore) -> None:
    outcome = TrainingPipelineRun(pipeline(CUSTOM_TASK, job_spec(store, "--no-model")), context).run()
    assert outcome.state is RunState.FAILED
    assert "gs://bkt/pipeline/model/ is empty" in outcome.error_message


def test_model_to_upload_artifact_uri_wins(context: ExecutionContext, store: DirectoryObjectStore) -> None:
    spec = pipeline(CUSTOM_TASK, job_spec(store, "--no-model"))
    spec["modelToUpload"]["artifactUri"] = "gs://bkt/elsewhere/"
    outcome = TrainingPipelineRun(spec, context).run()
    assert outcome.state is RunState.SUCCEEDED
    assert outcome.model_artifact_uri == "gs://bkt/elsewhere/"


def test_tuning_task_uploads_the_best_trials_model(context: ExecutionContext, store: DirectoryObjectStore) -> None:
    inputs = {
        "studySpec": {"metrics": [{"metricId": "acc", "goal": "MAXIMIZE"}], "algorithm": "GRID_SEARCH",
                      "parameters": [{"parameterId": "depth", "integerValueSpec": {"minValue": 1, "maxValue": 3}}]},
        "maxTrialCount": 3, "parallelTrialCount": 3, "trialJobSpec": job_spec(store),
    }
    outcome = TrainingPipelineRun(pipeline(TUNING_TASK, inputs), context).run()
    assert outcome.state is RunState.SUCCEEDED, outcome.error_message
    assert outcome.tuning is not None
    assert outcome.tuning.best_trial_id == "3"
    assert outcome.model_artifact_uri == "gs://bkt/pipeline/3/model/"


def test_other_training_tasks_are_unsupported(context: ExecutionContext) -> None:
    spec = pipeline("automl_tabular_1.0.0.yaml", {})
    outcome = TrainingPipelineRun(spec, context).run()
    assert outcome.state is RunState.FAILED
    assert outcome.error_code == 12


def test_cancel_reaches_the_running_task(context: ExecutionContext, store: DirectoryObjectStore) -> None:
    spec = job_spec(store)
    spec["worker_pool_specs"][0]["container_spec"]["command"] = ["sleep", "60"]
    run = TrainingPipelineRun(pipeline(CUSTOM_TASK, spec), context)
    run.start()
    time.sleep(0.3)
    run.cancel()
    outcome = run.wait(10)
    assert outcome is not None
    assert outcome.state is RunState.CANCELLED
