"""Wire forms: camelCase, enum names, int64 strings, durations; and every form a response may use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from google.cloud.aiplatform_v1.types import accelerator_type, job_state, pipeline_state, study

from vertex_resources import SpecError
from vertex_resources.specs import (
    AcceleratorType,
    Algorithm,
    CustomJobSpec,
    DatasetDefinition,
    GoalType,
    JobState,
    MachineSpec,
    MeasurementSelectionType,
    PipelineState,
    ScaleType,
    Scheduling,
    TrainingPipelineDefinition,
    WorkerPoolSpec,
)


@pytest.mark.parametrize(
    ("ours", "official"),
    [
        (AcceleratorType, accelerator_type.AcceleratorType),
        (GoalType, study.StudySpec.MetricSpec.GoalType),
        (ScaleType, study.StudySpec.ParameterSpec.ScaleType),
        (Algorithm, study.StudySpec.Algorithm),
        (MeasurementSelectionType, study.StudySpec.MeasurementSelectionType),
        (JobState, job_state.JobState),
        (PipelineState, pipeline_state.PipelineState),
    ],
)
def test_enums_match_the_official_protos(ours: type, official: type) -> None:
    assert {m.name: m.value for m in ours} == {m.name: m.value for m in official}  # type: ignore[attr-defined]


def test_request_json_uses_camel_case_enum_names_int64_strings_and_durations() -> None:
    pool = WorkerPoolSpec(
        machine_spec=MachineSpec(
            machine_type="g2-standard-24", accelerator_type=AcceleratorType.NVIDIA_L4, accelerator_count=2
        ),
        replica_count=3,
        container_spec={"image_uri": "gcr.io/p/i"},
    )
    spec = CustomJobSpec(worker_pool_specs=[pool], scheduling=Scheduling(timeout=timedelta(hours=1, milliseconds=500)))
    assert spec.to_api() == {
        "workerPoolSpecs": [
            {
                "machineSpec": {"machineType": "g2-standard-24", "acceleratorType": "NVIDIA_L4", "acceleratorCount": 2},
                "replicaCount": "3",
                "containerSpec": {"imageUri": "gcr.io/p/i"},
            }
        ],
        "scheduling": {"timeout": "3600.5s"},
    }


def test_responses_read_in_any_wire_form() -> None:
    camel = MachineSpec.from_api({"machineType": "g2-standard-24", "acceleratorType": 11, "acceleratorCount": 2.0})
    snake = MachineSpec.from_api(
        {"machine_type": "g2-standard-24", "accelerator_type": "NVIDIA_L4", "accelerator_count": "2"}
    )
    assert (
        camel == snake == MachineSpec(machine_type="g2-standard-24", accelerator_type="NVIDIA_L4", accelerator_count=2)
    )
    pool = WorkerPoolSpec.from_api(
        {
            "machineSpec": {"machineType": "n1-standard-4"},
            "replicaCount": "4",
            "containerSpec": {"imageUri": "i"},
            "extra": 1,
        }
    )
    assert pool.replica_count == 4


def test_server_filled_zero_values_read_as_unset() -> None:
    filled = MachineSpec.from_api(
        {"machineType": "n1-standard-4", "acceleratorType": "ACCELERATOR_TYPE_UNSPECIFIED", "acceleratorCount": 0}
    )
    assert filled == MachineSpec(machine_type="n1-standard-4")


def test_durations_accept_seconds_strings_and_timedeltas() -> None:
    assert Scheduling(timeout="90s").timeout == timedelta(seconds=90)
    assert Scheduling(timeout=90).to_api() == {"timeout": "90s"}
    assert Scheduling(timeout="1.250s").to_api() == {"timeout": "1.25s"}
    with pytest.raises(SpecError, match="timeout: must be a positive duration"):
        Scheduling(timeout="-5s")


def test_output_only_and_provider_fields_never_reach_the_request() -> None:
    dataset = DatasetDefinition.from_api(
        {
            "name": "projects/1/locations/us-central1/datasets/7",
            "displayName": "d",
            "metadataSchemaUri": "image",
            "createTime": "2026-01-01T00:00:00Z",
            "dataItemCount": "12",
            "etag": "abc",
        }
    )
    assert dataset.data_item_count == 12
    assert dataset.name == "projects/1/locations/us-central1/datasets/7"
    assert dataset.to_api() == {
        "displayName": "d",
        "metadataSchemaUri": "gs://google-cloud-aiplatform/schema/dataset/metadata/image_1.0.0.yaml",
    }


def test_pipeline_states_and_task_definition_read_back() -> None:
    pipeline = TrainingPipelineDefinition.from_api(
        {
            "displayName": "p",
            "state": 4,
            "trainingTaskDefinition": "gs://google-cloud-aiplatform/schema/trainingjob/definition/custom_task_1.0.0.yaml",
            "trainingTaskInputs": {
                "worker_pool_specs": [
                    {
                        "machine_spec": {"machine_type": "n1-standard-4"},
                        "replica_count": 1.0,
                        "container_spec": {"image_uri": "i"},
                    }
                ]
            },
            "trainingTaskMetadata": {"backingCustomJob": "projects/1/locations/us-central1/customJobs/2"},
        }
    )
    assert pipeline.state == "PIPELINE_STATE_SUCCEEDED"
    assert pipeline.custom_task is not None
    assert pipeline.custom_task.worker_pool_specs[0].replica_count == 1
    assert pipeline.training_task_metadata == {"backingCustomJob": "projects/1/locations/us-central1/customJobs/2"}
    with pytest.raises(SpecError, match=r"trainingTaskDefinition 'gs://x/unknown\.yaml' is not supported"):
        TrainingPipelineDefinition.from_api({"displayName": "p", "trainingTaskDefinition": "gs://x/unknown.yaml"})
