"""Specs built around ``pulumi.Output`` values (a dataset's id, a service account's email): what is known is checked
at once with its field path, what waits for an Output is left for the provider's check, and the Outputs reach the
engine where they were written."""

from __future__ import annotations

from datetime import timedelta

import pulumi
import pytest

from vertex_resources.errors import SpecError
from vertex_resources.specs import (
    BatchPredictionInputConfig,
    FractionSplit,
    GcsDestination,
    GcsSource,
    InputDataConfig,
    MachineSpec,
    ModelContainerSpec,
    ModelToUpload,
    TrainingPipelineDefinition,
    python_package_job,
)


@pytest.fixture
def output() -> pulumi.Output[str]:
    return pulumi.Output.from_input("4711")


SPLIT = FractionSplit(training_fraction=0.8, validation_fraction=0.1, test_fraction=0.1)


def test_an_output_stays_where_it_was_written_and_the_rest_is_plain(output: pulumi.Output[str]) -> None:
    config = InputDataConfig(
        dataset_id=output, split=SPLIT, gcs_destination=GcsDestination(output_uri_prefix="gs://acme-staging/splits")
    )
    assert config.dataset_id is output
    plain = config.to_plain()
    assert plain["dataset_id"] is output
    assert plain["split"] == {"kind": "fraction", "training_fraction": 0.8, "validation_fraction": 0.1,
                              "test_fraction": 0.1}
    assert plain["gcs_destination"] == {"output_uri_prefix": "gs://acme-staging/splits"}


def test_known_values_around_an_output_are_checked_at_once_with_their_path(output: pulumi.Output[str]) -> None:
    with pytest.raises(SpecError) as raised:
        InputDataConfig(dataset_id=output, split=SPLIT, gcs_destination={"output_uri_prefix": "gs://Bad Bucket/x"})
    assert [problem.path for problem in raised.value.problems] == [("gcs_destination", "output_uri_prefix")]


def test_a_rule_that_needs_the_output_waits_for_the_check(output: pulumi.Output[str]) -> None:
    # Whether the model's artifacts are somewhere is a rule across fields; the output directory is an Output.
    job = python_package_job(
        executor_image_uri="us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest",
        package_uris=["gs://acme-staging/trainer-0.1.tar.gz"],
        python_module="trainer.task",
        base_output_directory=output,
        timeout=timedelta(hours=2),
    )
    spec = TrainingPipelineDefinition(
        display_name="train",
        custom_task=job,
        model_to_upload=ModelToUpload(display_name="m", container_spec=ModelContainerSpec(image_uri="gcr.io/p/s:1")),
    )
    plain = spec.to_plain()
    assert plain["custom_task"]["base_output_directory"]["output_uri_prefix"] is output
    assert plain["custom_task"]["scheduling"]["timeout"] == "7200s"  # known values keep their wire forms


def test_a_value_that_only_an_output_can_satisfy_is_left_for_the_check(output: pulumi.Output[str]) -> None:
    # No stand-in is a valid format (the formats are a fixed set): without the deferral, this would be refused.
    config = BatchPredictionInputConfig(instances_format=output, gcs_source=GcsSource(uris=["gs://acme-data/x.jsonl"]))
    assert config.to_plain()["instances_format"] is output
    with pytest.raises(SpecError) as raised:  # while the known part around it is still judged now
        BatchPredictionInputConfig(instances_format=output, gcs_source={"uris": ["gs://Bad Bucket/x"]})
    assert [problem.path for problem in raised.value.problems] == [("gcs_source", "uris", 0)]


def test_numbers_and_label_values_can_be_outputs(output: pulumi.Output[str]) -> None:
    count = pulumi.Output.from_input(2)
    assert MachineSpec(machine_type="n1-standard-4", accelerator_count=count).to_plain()["accelerator_count"] is count
    job = python_package_job(
        executor_image_uri=output, package_uris=[output], python_module="trainer.task", env={"RUN": output}
    )
    pool = job.to_plain()["worker_pool_specs"][0]["python_package_spec"]
    assert pool["executor_image_uri"] is output
    assert pool["package_uris"] == [output]
    assert pool["env"] == [{"name": "RUN", "value": output}]


def test_a_spec_without_outputs_is_unchanged(output: pulumi.Output[str]) -> None:
    config = InputDataConfig(dataset_id="4711", split=SPLIT)
    assert config.to_plain() == {"dataset_id": "4711", "split": SPLIT.to_plain()}
    with pytest.raises(SpecError, match="split"):
        InputDataConfig(dataset_id=output, split={"kind": "fraction", "training_fraction": 2})
