"""Builders: intent in, the right worker pools out."""

from __future__ import annotations

import pytest

from vertex_resources import SpecError
from vertex_resources.specs import container_job, python_package_job


def test_python_package_on_prebuilt_container() -> None:
    job = python_package_job(
        executor_image_uri="us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest",
        package_uris=["gs://acme/trainer-0.1.tar.gz"],
        python_module="trainer.task",
        args=["--alpha=0.5"],
        base_output_directory="gs://acme/out",
    )
    assert job.to_api() == {
        "workerPoolSpecs": [
            {
                "pythonPackageSpec": {
                    "executorImageUri": "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest",
                    "packageUris": ["gs://acme/trainer-0.1.tar.gz"],
                    "pythonModule": "trainer.task",
                    "args": ["--alpha=0.5"],
                },
                "machineSpec": {"machineType": "n1-standard-4"},
                "replicaCount": "1",
            }
        ],
        "baseOutputDirectory": {"outputUriPrefix": "gs://acme/out"},
    }


def test_cluster_of_n_machines_is_a_primary_and_n_minus_one_workers() -> None:
    job = container_job(
        image_uri="gcr.io/acme/trainer:2",
        args=["--epochs=3"],
        machine_type="a2-highgpu-1g",
        accelerator_type="NVIDIA_TESLA_A100",
        accelerator_count=1,
        replica_count=4,
        env={"MODE": "dist"},
    )
    primary, workers = job.worker_pool_specs
    assert (primary.replica_count, workers.replica_count) == (1, 3)
    assert primary.machine_spec == workers.machine_spec
    assert primary.container_spec == workers.container_spec
    assert primary.container_spec is not None
    assert primary.container_spec.command is None


def test_builders_validate_like_the_specs() -> None:
    with pytest.raises(SpecError, match="package_uris\\[0\\]: must be a gs:// URI"):
        python_package_job(executor_image_uri="e", package_uris=["/local/p.tar.gz"], python_module="m")
    with pytest.raises(ValueError, match="replica_count must be at least 1"):
        container_job(image_uri="i", replica_count=0)
