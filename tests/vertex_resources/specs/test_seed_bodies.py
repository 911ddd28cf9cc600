"""The two request bodies of seed 002 (custom-task and tuning pipelines), placeholders filled with realistic
values, are produced exactly by specs built through the public API.

One key is added to each template: ``baseOutputDirectory`` in the task's job spec. The templates elide it, but a
pipeline that uploads a model needs it (or ``modelToUpload.artifactUri``) to know where the model is, and the
specs enforce that rule.
"""

from __future__ import annotations

from typing import Any

from vertex_resources.specs import (
    ContainerSpec,
    CustomJobSpec,
    DoubleValueSpec,
    FractionSplit,
    GcsDestination,
    HyperparameterTuningTask,
    InputDataConfig,
    MachineSpec,
    MetricSpec,
    ModelContainerSpec,
    ModelToUpload,
    ParameterSpec,
    PredefinedSplit,
    PredictSchemata,
    Scheduling,
    StudySpec,
    TrainingPipelineDefinition,
    WorkerPoolSpec,
)

LABELS = {"team": "fraud-ml", "env": "dev"}
WORKER_POOL_JSON: dict[str, Any] = {
    "machineSpec": {"machineType": "n1-standard-8", "acceleratorType": "NVIDIA_TESLA_T4", "acceleratorCount": 1},
    "replicaCount": "1",
    "containerSpec": {
        "imageUri": "us-central1-docker.pkg.dev/acme-ml/trainers/fraud:1.4.2",
        "command": ["python", "-m", "trainer.task"],
        "args": ["--epochs=20", "--batch-size=256"],
    },
}

CUSTOM_SEED_BODY: dict[str, Any] = {
    "displayName": "fraud-detector-training",
    "inputDataConfig": {
        "datasetId": "4859265037402374144",
        "annotationsFilter": "labels.aiplatform.googleapis.com/ml_use=training",
        "annotationSchemaUri": "gs://google-cloud-aiplatform/schema/dataset/annotation/image_classification_1.0.0.yaml",
        "fractionSplit": {"trainingFraction": 0.8, "validationFraction": 0.1, "testFraction": 0.1},
        "gcsDestination": {"outputUriPrefix": "gs://acme-ml-staging/fraud/exports"},
    },
    "trainingTaskDefinition": "gs://google-cloud-aiplatform/schema/trainingjob/definition/custom_task_1.0.0.yaml",
    "trainingTaskInputs": {
        "workerPoolSpecs": [WORKER_POOL_JSON],
        "scheduling": {"timeout": "7200s"},
        "baseOutputDirectory": {"outputUriPrefix": "gs://acme-ml-staging/fraud/training"},
    },
    "modelToUpload": {
        "displayName": "fraud-detector",
        "predictSchemata": {},
        "containerSpec": {"imageUri": "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"},
    },
    "labels": LABELS,
}

TUNING_SEED_BODY: dict[str, Any] = {
    "displayName": "fraud-detector-tuning",
    "inputDataConfig": {
        "datasetId": "4859265037402374144",
        "annotationsFilter": "labels.aiplatform.googleapis.com/ml_use=training",
        "annotationSchemaUri": "gs://google-cloud-aiplatform/schema/dataset/annotation/image_classification_1.0.0.yaml",
        "predefinedSplit": {"key": "ml_use"},
        "gcsDestination": {"outputUriPrefix": "gs://acme-ml-staging/fraud/exports"},
    },
    "trainingTaskDefinition": (
        "gs://google-cloud-aiplatform/schema/trainingjob/definition/hyperparameter_tuning_task_1.0.0.yaml"
    ),
    "trainingTaskInputs": {
        "studySpec": {
            "metrics": [{"metricId": "auc", "goal": "MAXIMIZE"}],
            "parameters": [
                {
                    "parameterId": "learning_rate",
                    "scaleType": "UNIT_LOG_SCALE",
                    "doubleValueSpec": {"minValue": 0.0001, "maxValue": 0.1},
                }
            ],
            "algorithm": "RANDOM_SEARCH",
        },
        "maxTrialCount": 20,
        "parallelTrialCount": 4,
        "maxFailedTrialCount": 3,
        "trialJobSpec": {
            "workerPoolSpecs": [WORKER_POOL_JSON],
            "scheduling": {"timeout": "3600s"},
            "baseOutputDirectory": {"outputUriPrefix": "gs://acme-ml-staging/fraud/tuning"},
        },
        "labels": LABELS,
    },
    "modelToUpload": {
        "displayName": "fraud-detector",
        "description": "Gradient-boosted fraud detector, best tuning trial",
        "predictSchemata": {},
        "containerSpec": {"imageUri": "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"},
    },
    "labels": LABELS,
}


def _pool() -> WorkerPoolSpec:
    return WorkerPoolSpec(
        machine_spec=MachineSpec(machine_type="n1-standard-8", accelerator_type="NVIDIA_TESLA_T4", accelerator_count=1),
        replica_count=1,
        container_spec=ContainerSpec(
            image_uri="us-central1-docker.pkg.dev/acme-ml/trainers/fraud:1.4.2",
            command=["python", "-m", "trainer.task"],
            args=["--epochs=20", "--batch-size=256"],
        ),
    )


def _input_data(split: FractionSplit | PredefinedSplit) -> InputDataConfig:
    return InputDataConfig(
        dataset_id="4859265037402374144",
        annotations_filter="labels.aiplatform.googleapis.com/ml_use=training",
        annotation_schema_uri="gs://google-cloud-aiplatform/schema/dataset/annotation/image_classification_1.0.0.yaml",
        split=split,
        gcs_destination=GcsDestination(output_uri_prefix="gs://acme-ml-staging/fraud/exports"),
    )


SERVING = ModelContainerSpec(image_uri="us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest")


def test_custom_task_pipeline_matches_seed() -> None:
    pipeline = TrainingPipelineDefinition(
        display_name="fraud-detector-training",
        input_data_config=_input_data(FractionSplit(training_fraction=0.8, validation_fraction=0.1, test_fraction=0.1)),
        custom_task=CustomJobSpec(
            worker_pool_specs=[_pool()],
            scheduling=Scheduling(timeout="7200s"),
            base_output_directory=GcsDestination(output_uri_prefix="gs://acme-ml-staging/fraud/training"),
        ),
        model_to_upload=ModelToUpload(
            display_name="fraud-detector", predict_schemata=PredictSchemata(), container_spec=SERVING
        ),
        labels=LABELS,
    )
    assert pipeline.to_api() == CUSTOM_SEED_BODY


def test_tuning_pipeline_matches_seed() -> None:
    pipeline = TrainingPipelineDefinition(
        display_name="fraud-detector-tuning",
        input_data_config=_input_data(PredefinedSplit(key="ml_use")),
        tuning_task=HyperparameterTuningTask(
            study_spec=StudySpec(
                metrics=[MetricSpec(metric_id="auc", goal="MAXIMIZE")],
                parameters=[
                    ParameterSpec(
                        parameter_id="learning_rate",
                        scale_type="UNIT_LOG_SCALE",
                        double_value_spec=DoubleValueSpec(min_value=0.0001, max_value=0.1),
                    )
                ],
                algorithm="RANDOM_SEARCH",
            ),
            max_trial_count=20,
            parallel_trial_count=4,
            max_failed_trial_count=3,
            trial_job_spec=CustomJobSpec(
                worker_pool_specs=[_pool()],
                scheduling=Scheduling(timeout=3600),
                base_output_directory=GcsDestination(output_uri_prefix="gs://acme-ml-staging/fraud/tuning"),
            ),
            labels=LABELS,
        ),
        model_to_upload=ModelToUpload(
            display_name="fraud-detector",
            description="Gradient-boosted fraud detector, best tuning trial",
            predict_schemata=PredictSchemata(),
            container_spec=SERVING,
        ),
        labels=LABELS,
    )
    assert pipeline.to_api() == TUNING_SEED_BODY


def test_seed_bodies_read_back_to_the_same_spec() -> None:
    for body in (CUSTOM_SEED_BODY, TUNING_SEED_BODY):
        assert TrainingPipelineDefinition.from_api(body).to_api() == body
        assert TrainingPipelineDefinition.parse(body).to_api() == body
