"""What the real API fills in on create is in the emulator's answers too (recorded: a custom job's worker pools get
a pd-ssd 100 GB boot disk; an image dataset gets its data item schema, a bucket and a metadata artifact)."""

from __future__ import annotations

import re

from tests.vertex_emulator import bodies
from vertex_emulator.testing import GapicClients, wait_until

IMAGE = "gs://google-cloud-aiplatform/schema/dataset/metadata/image_1.0.0.yaml"
ARTIFACT = re.compile(r"^projects/\d+/locations/us-central1/metadataStores/default/artifacts/\d+$")


def disks(pools: list[object]) -> list[tuple[str, int]]:
    return [(p.disk_spec.boot_disk_type, p.disk_spec.boot_disk_size_gb) for p in pools]  # type: ignore[attr-defined]


def test_every_worker_pool_of_a_custom_job_gets_the_default_boot_disk(clients: GapicClients, parent: str) -> None:
    job = bodies.custom_job()
    job["job_spec"]["worker_pool_specs"] = [*bodies.worker_pools(2), {}]  # the third only holds a place
    job["job_spec"]["worker_pool_specs"][1]["disk_spec"] = {"boot_disk_size_gb": 250}
    created = clients.job.create_custom_job(parent=parent, custom_job=job)
    assert disks(created.job_spec.worker_pool_specs) == [("pd-ssd", 100), ("pd-ssd", 250), ("", 0)]
    assert clients.job.get_custom_job(name=created.name).job_spec == created.job_spec


def test_a_tuning_jobs_trial_pools_get_the_default_boot_disk(clients: GapicClients, parent: str) -> None:
    created = clients.job.create_hyperparameter_tuning_job(parent=parent, hyperparameter_tuning_job=bodies.tuning_job())
    assert disks(created.trial_job_spec.worker_pool_specs) == [("pd-ssd", 100)]


def test_an_image_dataset_gets_its_data_item_schema_bucket_and_metadata_artifact(
    clients: GapicClients, parent: str
) -> None:
    created = clients.dataset.create_dataset(
        parent=parent, dataset={"display_name": "images", "metadata_schema_uri": IMAGE}
    ).result(timeout=10)
    dataset = clients.dataset.get_dataset(name=created.name)
    assert dict(dataset.metadata) == {
        "dataItemSchemaUri": "gs://google-cloud-aiplatform/schema/dataset/dataitem/image_1.0.0.yaml",
        "gcsBucket": dataset.metadata["gcsBucket"],
    }
    assert re.fullmatch(r"cloud-ai-platform-[0-9a-f-]{36}", dataset.metadata["gcsBucket"])
    assert ARTIFACT.match(dataset.metadata_artifact)


def test_a_tabular_dataset_keeps_its_metadata_and_gets_a_metadata_artifact(clients: GapicClients, parent: str) -> None:
    created = clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset()).result(timeout=10)
    dataset = clients.dataset.get_dataset(name=created.name)
    assert dict(dataset.metadata) == {"inputConfig": {"gcsSource": {"uri": ["gs://bucket/data.csv"]}}}
    assert ARTIFACT.match(dataset.metadata_artifact)


def test_a_model_version_gets_a_metadata_artifact_and_its_export_formats(clients: GapicClients, parent: str) -> None:
    uploaded = bodies.upload_model(clients, parent)
    model = clients.model.get_model(name=uploaded.model)
    assert ARTIFACT.match(model.metadata_artifact)
    formats = [(f.id, [c.name for c in f.exportable_contents]) for f in model.supported_export_formats]
    assert formats == [("custom-trained", ["ARTIFACT"])]


def test_a_finished_batch_prediction_job_reports_the_replica_hours_it_used(clients: GapicClients, parent: str) -> None:
    uploaded = bodies.upload_model(clients, parent)
    created = clients.job.create_batch_prediction_job(
        parent=parent, batch_prediction_job=bodies.batch_prediction_job(uploaded.model)
    )
    assert "resources_consumed" not in created, "only a job that ended has used its resources"
    done = wait_until(lambda: (job := clients.job.get_batch_prediction_job(name=created.name)).end_time and job)
    assert 0 <= done.resources_consumed.replica_hours < 1
    assert "resources_consumed" in done
