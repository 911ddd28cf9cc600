"""The program of every stack file under ``pulumi.runtime.set_mocks``: which resources, their names, regions,
inputs and dependencies, and the stack exports."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import STACKS

VERTEX = "pulumi-python:dynamic/vertex:"
GCP_FOUNDATION = {
    "gcp:projects/service:Service",
    "gcp:storage/bucket:Bucket",
    "gcp:serviceaccount/account:Account",
    "gcp:projects/iAMMember:IAMMember",
    "gcp:storage/bucketIAMMember:BucketIAMMember",
    "gcp:serviceaccount/iAMMember:IAMMember",
}
EXPECTED = {
    # stack: (project, region, name prefix, tuning?, split kind, training machine, parent model)
    "local": ("local-project", "us-central1", "vml-local", True, "fraction", "n1-standard-4", None),
    "dev": ("acme-ml-dev", "us-central1", "vml-dev", True, "fraction", "n1-standard-4", None),
    "prod-us": (
        "acme-ml-prod-us",
        "us-central1",
        "vml-prod-us",
        True,
        "stratified",
        "n1-highmem-8",
        "projects/acme-ml-prod-us/locations/us-central1/models/iris-classifier",
    ),
    "prod-eu": ("acme-ml-prod-eu", "europe-west4", "vml-prod-eu", False, "fraction", "n1-standard-8", None),
}


def _by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {resource["name"]: resource for resource in report["resources"]}


def test_every_stack_file_is_tested() -> None:
    assert sorted(EXPECTED) == STACKS


@pytest.mark.parametrize("stack", STACKS)
def test_the_ml_resources_of_each_stack(stack: str, recorded: dict[str, dict[str, Any]]) -> None:
    project, region, prefix, tuning, split_kind, machine, parent_model = EXPECTED[stack]
    resources = _by_name(recorded[stack])
    vertex = {name: r for name, r in resources.items() if r["type"].startswith(VERTEX)}
    expected_names = {"dataset", "training", "batch-prediction"} | ({"tuning"} if tuning else set())
    assert set(vertex) == expected_names
    for resource in vertex.values():
        inputs = resource["inputs"]
        assert (inputs["project"], inputs["location"]) == (project, region), resource["name"]
        assert inputs["resource_key"] == f"vertex-ml/{stack}/{resource['name']}"
        assert inputs["labels"] == {"app": "vertex-ml", "environment": stack.split("-")[0], "stack": stack}

    dataset = vertex["dataset"]["inputs"]
    assert dataset["display_name"] == f"{prefix}-data"
    assert dataset["metadata_schema_uri"] == "tabular"
    assert dataset["metadata"]["input_config"]["gcs_source"]["uri"][0].endswith("/train.csv")

    training = vertex["training"]
    task = training["inputs"]["custom_task"]
    pool = task["worker_pool_specs"][0]
    assert pool["machine_spec"]["machine_type"] == machine
    assert pool["python_package_spec"]["python_module"] == "trainer.task"
    assert pool["python_package_spec"]["package_uris"][0].endswith(".tar.gz")
    assert "--target-column=species" in pool["python_package_spec"]["args"]
    assert task["base_output_directory"]["output_uri_prefix"].startswith("gs://")
    data = training["inputs"]["input_data_config"]
    assert data["split"]["kind"] == split_kind
    assert data["dataset_id"].isdigit(), "the dataset's id (an output of the dataset)"
    assert training["property_dependencies"]["input_data_config"] == [vertex["dataset"]["urn"]]
    assert training["inputs"]["model_to_upload"]["display_name"] == f"{prefix}-model"
    assert training["inputs"].get("parent_model") == parent_model

    batch = vertex["batch-prediction"]
    assert batch["inputs"]["model"].endswith("/models/training-model"), "the batch job runs the trained model"
    assert batch["property_dependencies"]["model"] == [training["urn"]]
    assert batch["inputs"]["input_config"]["gcs_source"]["uris"][0].endswith("/instances.jsonl")
    assert batch["inputs"]["output_config"]["gcs_destination"]["output_uri_prefix"].endswith(f"/{prefix}/predictions")

    if tuning:
        tuned = vertex["tuning"]
        assert tuned["inputs"]["parent_model"] == batch["inputs"]["model"], "the best trial is a new version"
        assert tuned["property_dependencies"]["parent_model"] == [training["urn"]]
        assert tuned["inputs"]["tuning_task"]["study_spec"]["metrics"][0]["metric_id"] == "accuracy"
        assert tuned["inputs"]["input_data_config"]["split"]["kind"] == split_kind


def test_the_local_stack_needs_nothing_but_the_emulator(recorded: dict[str, dict[str, Any]]) -> None:
    types = {resource["type"] for resource in recorded["local"]["resources"]}
    assert all(kind.startswith(VERTEX) for kind in types)
    assert "service_account" not in _by_name(recorded["local"])["batch-prediction"]["inputs"]


@pytest.mark.parametrize("stack", ["dev", "prod-us", "prod-eu"])
def test_cloud_stacks_build_their_buckets_service_account_and_iam_first(
    stack: str, recorded: dict[str, dict[str, Any]]
) -> None:
    project, region, prefix, *_ = EXPECTED[stack]
    resources = _by_name(recorded[stack])
    foundation = {name: r for name, r in resources.items() if not r["type"].startswith(VERTEX)}
    assert {r["type"] for r in foundation.values()} == GCP_FOUNDATION

    staging, output = resources["staging-bucket"]["inputs"], resources["output-bucket"]["inputs"]
    assert staging["name"] == f"acme-ml-{stack}-vertex-staging"
    assert output["name"] == f"acme-ml-{stack}-vertex-output"
    for bucket in (staging, output):
        assert (bucket["project"], bucket["location"]) == (project, region.upper())
        assert bucket["uniformBucketLevelAccess"] is True
    assert staging["forceDestroy"] is (stack == "dev")

    account = resources["training-service-account"]["inputs"]
    assert (account["project"], account["accountId"]) == (project, f"{prefix}-train")
    email = f"{prefix}-train@{project}.iam.gserviceaccount.com"
    member = f"serviceAccount:{email}"
    roles = {(r["inputs"]["role"], r["inputs"].get("bucket")) for r in foundation.values() if "role" in r["inputs"]}
    assert ("roles/aiplatform.user", None) in roles
    assert ("roles/storage.objectViewer", staging["name"]) in roles
    assert ("roles/storage.objectAdmin", output["name"]) in roles
    data_bucket = resources["dataset"]["inputs"]["metadata"]["input_config"]["gcs_source"]["uri"][0].split("/")[2]
    assert ("roles/storage.objectViewer", data_bucket) in roles, "the service account reads the training data"
    assert ("roles/iam.serviceAccountUser", None) in roles, "the deployer may act as the service account"
    grants = [r for name, r in foundation.items() if name.startswith("training-sa-")]
    assert len(grants) >= 4
    assert all(grant["inputs"]["member"] == member for grant in grants)

    foundation_urns = {r["urn"] for r in foundation.values()}
    for name in ("dataset", "training", "batch-prediction"):
        assert foundation_urns <= set(resources[name]["dependencies"]), f"{name} waits for the foundation"
    assert resources["training"]["inputs"]["custom_task"]["service_account"] == email
    assert resources["batch-prediction"]["inputs"]["service_account"] == email
    if "tuning" in resources:
        assert resources["tuning"]["inputs"]["tuning_task"]["trial_job_spec"]["service_account"] == email

    exports = recorded[stack]["exports"]
    assert exports["staging_bucket"] == f"gs://{staging['name']}"
    assert exports["training_service_account"] == email


@pytest.mark.parametrize("stack", STACKS)
def test_exports(stack: str, recorded: dict[str, dict[str, Any]]) -> None:
    exports = recorded[stack]["exports"]
    _, region, _, tuning, *_ = EXPECTED[stack]
    assert exports["environment"] == stack.split("-")[0]
    assert exports["location"] == region
    assert exports["model"].endswith("/models/training-model")
    assert exports["training_pipeline"].startswith(f"projects/{EXPECTED[stack][0]}/locations/{region}/")
    assert {"dataset", "batch_prediction_job", "predictions", "model_version", "training_job"} <= set(exports)
    assert ("tuning_pipeline" in exports) is tuning
