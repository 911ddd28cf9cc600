"""Diff and update masks follow from the field declarations alone."""

from __future__ import annotations

from vertex_resources.specs import (
    BatchPredictionJobDefinition,
    CustomJobDefinition,
    DatasetDefinition,
    FieldKind,
    HyperparameterTuningJobDefinition,
    ModelDefinition,
    TrainingPipelineDefinition,
    diff_specs,
    field_changes,
)

DATASET = {
    "display_name": "d",
    "metadata_schema_uri": "tabular",
    "metadata": {"input_config": {"gcs_source": {"uri": ["gs://acme-data/b.csv"]}}},
}


def _plain(**changes: object) -> dict[str, object]:
    return DatasetDefinition.parse({**DATASET, **changes}).to_plain()


def test_updatable_fields_give_update_masks() -> None:
    diff = diff_specs(DatasetDefinition, _plain(), _plain(display_name="e", labels={"team": "ml"}))
    assert diff.replaces == ()
    assert diff.updates == ("display_name", "labels")
    assert diff.update_mask == ("display_name", "labels")


def test_replace_on_change_fields_are_named() -> None:
    changed = _plain(
        metadata={"input_config": {"gcs_source": {"uri": ["gs://acme-data/c.csv"]}}}, location="europe-west4"
    )
    diff = diff_specs(DatasetDefinition, _plain(), changed)
    assert diff.replaces == ("location", "metadata")


def test_output_only_fields_and_number_forms_never_show_as_a_change() -> None:
    old = {
        **_plain(),
        "name": "projects/acme-ml/locations/us-central1/datasets/1",
        "data_item_count": 10,
        "create_time": "x",
    }
    assert diff_specs(DatasetDefinition, old, _plain()).changed == ()
    job = {
        "display_name": "j",
        "job_spec": {
            "worker_pool_specs": [
                {
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "container_spec": {"image_uri": "i"},
                    "replica_count": 2,
                }
            ]
        },
    }
    as_floats = {
        "display_name": "j",
        "job_spec": {
            "worker_pool_specs": [
                {
                    "replica_count": 2.0,
                    "container_spec": {"image_uri": "i"},
                    "machine_spec": {"machine_type": "n1-standard-4"},
                }
            ]
        },
    }
    old_job = CustomJobDefinition.parse(job).to_plain()
    assert diff_specs(CustomJobDefinition, old_job, CustomJobDefinition.parse(as_floats).to_plain()).changed == ()


def test_provider_only_fields_change_without_replacing() -> None:
    job = {
        "display_name": "j",
        "job_spec": {
            "worker_pool_specs": [
                {"machine_spec": {"machine_type": "n1-standard-4"}, "container_spec": {"image_uri": "i"}}
            ]
        },
    }
    old = CustomJobDefinition.parse(job).to_plain()
    new = CustomJobDefinition.parse({**job, "wait_for_completion": False}).to_plain()
    diff = diff_specs(CustomJobDefinition, old, new)
    assert diff.provider_changes == ("wait_for_completion",)
    assert diff.replaces == ()


def test_only_dataset_and_model_have_in_place_updates() -> None:
    updatable = {
        kind.__name__: sorted(n for n, c in field_changes(kind).items() if c.kind is FieldKind.UPDATABLE)
        for kind in (
            DatasetDefinition,
            ModelDefinition,
            TrainingPipelineDefinition,
            CustomJobDefinition,
            HyperparameterTuningJobDefinition,
            BatchPredictionJobDefinition,
        )
    }
    assert updatable == {
        "DatasetDefinition": ["description", "display_name", "labels"],
        "ModelDefinition": ["description", "display_name", "labels"],
        "TrainingPipelineDefinition": [],
        "CustomJobDefinition": [],
        "HyperparameterTuningJobDefinition": [],
        "BatchPredictionJobDefinition": [],
    }
