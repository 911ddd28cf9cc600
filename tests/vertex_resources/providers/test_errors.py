"""The API's refusals reach the user as this package's errors (kind, name, the API's status and message), never as
google-api-core's exceptions; what counts as gone for refresh and delete is unchanged.

Refusals come from the real emulator: its own answers (a missing dataset is NOT_FOUND) and its control plane's
injected ones (PERMISSION_DENIED, INVALID_ARGUMENT ... with the message the real API sends).
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.api_core import exceptions as gexc

from vertex_emulator import ControlClient, Emulator
from vertex_emulator.testing import gapic_clients
from vertex_resources import (
    ApiError,
    FailedPreconditionError,
    InvalidArgumentError,
    MalformedIdError,
    NotFoundError,
    TransientApiError,
    VertexResourcesError,
)
from vertex_resources.providers._config import ProviderConfig
from vertex_resources.providers._provider import VertexProvider

from .conftest import LOCATION, PROJECT
from .harness import ProviderServer
from .specs import INPUTS

PARENT = f"projects/{PROJECT}/locations/{LOCATION}"
PIPELINE = f"{PARENT}/trainingPipelines/123"
PIPELINE_INPUTS = INPUTS["TrainingPipeline"][1]
DENIED_GET = (
    "Permission 'aiplatform.trainingPipelines.get' denied on resource "
    f"'//aiplatform.googleapis.com/{PIPELINE}' (or it may not exist)."
)
DENIED_CREATE = (
    "Permission 'aiplatform.trainingPipelines.create' denied on resource "
    f"'//aiplatform.googleapis.com/{PARENT}' (or it may not exist)."
)


def _provider(emulator: Emulator, kind: str = "TrainingPipeline", **settings: str) -> VertexProvider:
    """A provider of ``kind`` in this process, configured as the engine configures it."""
    provider = INPUTS[kind][0]()
    provider._config = ProviderConfig.from_stack(
        {
            "vertex:project": PROJECT,
            "vertex:location": LOCATION,
            "vertex:endpoint": emulator.endpoint,
            "vertex:retryInitialDelay": "0.02",
            "vertex:pollInitialInterval": "0.05",
            **settings,
        }
    )
    return provider


def _rpc_failure(call: Any) -> str:
    """What the engine shows the user when a provider call fails: the gRPC error's details."""
    with pytest.raises(grpc.RpcError) as caught:
        call()
    details = caught.value.details()  # type: ignore[attr-defined]
    assert isinstance(details, str)
    return details


@pytest.mark.parametrize(
    ("status", "message", "error_type"),
    [
        ("PERMISSION_DENIED", DENIED_GET, ApiError),
        ("INVALID_ARGUMENT", "Invalid resource name 'trainingPipelines/123'.", InvalidArgumentError),
        ("FAILED_PRECONDITION", "The pipeline is being deleted.", FailedPreconditionError),
    ],
)
def test_a_refusal_is_our_error_with_kind_name_status_and_the_apis_message(
    status: str, message: str, error_type: type[ApiError], control: ControlClient, emulator: Emulator
) -> None:
    control.inject_faults("GetTrainingPipeline", count=1, status=status, message=message)
    with pytest.raises(ApiError) as caught:
        _provider(emulator).read(PIPELINE, PIPELINE_INPUTS)  # a refresh
    error = caught.value
    assert type(error) is error_type
    assert (error.kind, error.name, error.status, error.message) == ("TrainingPipeline", PIPELINE, status, message)
    assert str(error) == f"TrainingPipeline {PIPELINE}: {status}: {message}"
    assert isinstance(error, VertexResourcesError)
    assert not isinstance(error, gexc.GoogleAPIError)
    assert isinstance(error.__context__, gexc.GoogleAPICallError), "Google's exception stays for debugging"
    assert control.counters().get("GetTrainingPipeline") == 1, "a refusal is not retried"


def test_the_apis_own_not_found_is_our_not_found_error(control: ControlClient, emulator: Emulator) -> None:
    provider = _provider(emulator)
    missing_dataset = {**PIPELINE_INPUTS, "input_data_config": {"dataset_id": "999"}}
    with pytest.raises(NotFoundError) as caught:
        provider.create(missing_dataset)
    error = caught.value
    assert (error.kind, error.name, error.status) == ("TrainingPipeline", PARENT, "NOT_FOUND")
    assert error.message.startswith("Dataset 999 not found in projects/"), "the emulator's own words"
    assert str(error) == f"TrainingPipeline {PARENT}: NOT_FOUND: {error.message}"


def test_a_denied_create_fails_through_the_provider_server_with_that_text(
    server: ProviderServer, control: ControlClient
) -> None:
    provider_type, inputs = INPUTS["TrainingPipeline"]
    resource = server.resource(provider_type(), "denied")
    checked = resource.check(inputs).inputs
    control.inject_faults("CreateTrainingPipeline", count=1, status="PERMISSION_DENIED", message=DENIED_CREATE)
    details = _rpc_failure(lambda: resource.create(checked))
    assert f"TrainingPipeline {PARENT}: PERMISSION_DENIED: {DENIED_CREATE}" in details
    assert "google.api_core" not in details, "the user sees one error, ours"
    assert "403 POST" not in details
    assert control.counters().get("CreateTrainingPipeline") == 1, "a refused create is not tried again"


def test_a_denied_refresh_fails_through_the_provider_server_with_that_text(
    server: ProviderServer, control: ControlClient
) -> None:
    provider_type, inputs = INPUTS["TrainingPipeline"]
    resource = server.resource(provider_type(), "denied-refresh")
    control.inject_faults("GetTrainingPipeline", count=1, status="PERMISSION_DENIED", message=DENIED_GET)
    details = _rpc_failure(lambda: resource.read(PIPELINE, {**inputs, "__provider": resource.blob}))
    assert f"TrainingPipeline {PIPELINE}: PERMISSION_DENIED: {DENIED_GET}" in details


def test_a_transient_failure_that_outlasts_the_retries_is_a_transient_api_error(
    control: ControlClient, emulator: Emulator
) -> None:
    control.inject_faults("GetTrainingPipeline", fraction=1.0, status="UNAVAILABLE")
    with pytest.raises(TransientApiError) as caught:
        _provider(emulator, **{"vertex:retryTimeout": "0.3"}).read(PIPELINE, PIPELINE_INPUTS)
    error = caught.value
    assert (error.kind, error.name, error.status) == ("TrainingPipeline", PIPELINE, "UNAVAILABLE")
    assert "still failing after the retries" in error.message
    assert control.counters()["GetTrainingPipeline"] > 1, "the retry policy saw Google's exception and retried"


def test_a_create_that_stays_unavailable_fails_as_transient_after_its_attempts(
    control: ControlClient, emulator: Emulator
) -> None:
    control.inject_faults("CreateCustomJob", fraction=1.0, status="UNAVAILABLE")
    with pytest.raises(TransientApiError) as caught:
        _provider(emulator, "CustomJob").create(INPUTS["CustomJob"][1])
    error = caught.value
    assert (error.kind, error.name, error.status) == ("CustomJob", PARENT, "UNAVAILABLE")
    assert error.message.endswith("(create tried 8 times)")
    assert control.counters()["CreateCustomJob"] == 8, "each attempt after a look-up, none retried blindly"


def test_gone_still_reads_as_gone_and_deleting_it_again_is_done(
    server: ProviderServer, control: ControlClient, emulator: Emulator
) -> None:
    provider_type, inputs = INPUTS["TrainingPipeline"]
    resource = server.resource(provider_type(), "gone")
    id_, outs = resource.create(resource.check({**inputs, "delete_artifacts": True}).inputs)
    clients = gapic_clients(emulator.endpoint)
    clients.pipeline.delete_training_pipeline(name=id_).result()
    clients.model.delete_model(name=outs["model_name"]).result()

    gone_id, _, _ = resource.read(id_, outs)
    assert gone_id == "", "a refresh reads a resource deleted outside Pulumi as gone"
    resource.delete(id_, outs)  # the pipeline, its model and its custom job: already gone or deleted now
    with pytest.raises(gexc.NotFound):
        clients.job.get_custom_job(name=outs["backing_custom_job"])


# A kind's collection in resource names; the malformed ids are the recorded one (`customJobs/customjob-abc`).
COLLECTIONS = {
    "Dataset": "datasets",
    "TrainingPipeline": "trainingPipelines",
    "CustomJob": "customJobs",
    "HyperparameterTuningJob": "hyperparameterTuningJobs",
    "BatchPredictionJob": "batchPredictionJobs",
    "Model": "models",
}


@pytest.mark.parametrize("operation", ["read", "delete"])
@pytest.mark.parametrize("kind", sorted(COLLECTIONS))
def test_a_malformed_id_is_a_clear_error_on_refresh_and_delete_not_gone(
    kind: str, operation: str, control: ControlClient, emulator: Emulator
) -> None:
    malformed = f"{PARENT}/{COLLECTIONS[kind]}/{'Customjob-ABC' if kind == 'Model' else 'customjob-abc'}"
    provider = _provider(emulator, kind)
    with pytest.raises(MalformedIdError) as caught:
        getattr(provider, operation)(malformed, INPUTS[kind][1])
    error = caught.value
    assert isinstance(error, InvalidArgumentError)
    assert not isinstance(error, NotFoundError), "never read as already gone"
    assert (error.kind, error.name, error.status) == (kind, malformed, "INVALID_ARGUMENT")
    assert error.message == f"List of found errors:\t1.Field: name; Message: Invalid {kind} resource name.\t"
    assert str(error).startswith(f"{kind} {malformed}: malformed id: "), str(error)
