"""A malformed id (not the API's numeric id; for models, not a model id with an optional version or alias) is the
real API's 400 INVALID_ARGUMENT "Invalid <Kind> resource name." for every get, cancel and delete, never a 404
(recorded: `customJobs/customjob-abc`, see /work/shared/reference/recordings)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from google.api_core import exceptions as gexc

from tests.vertex_emulator import bodies
from vertex_emulator.testing import GapicClients

RECORDED_MESSAGE = "List of found errors:\t1.Field: name; Message: Invalid {noun} resource name.\t"
MALFORMED_IDS = ["customjob-abc", "12a", "-1", "1" * 20]

# collection, the API's noun, which of the clients, and the calls that take one resource's name
KINDS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("datasets", "Dataset", "dataset", ("get", "delete")),
    ("trainingPipelines", "TrainingPipeline", "pipeline", ("get", "cancel", "delete")),
    ("customJobs", "CustomJob", "job", ("get", "cancel", "delete")),
    ("hyperparameterTuningJobs", "HyperparameterTuningJob", "job", ("get", "cancel", "delete")),
    ("batchPredictionJobs", "BatchPredictionJob", "job", ("get", "cancel", "delete")),
    ("models", "Model", "model", ("get", "delete", "deleteVersion")),
]


def _client_call(client: str, method: str) -> Callable[[GapicClients, str], Any]:
    return lambda clients, name: getattr(getattr(clients, client), method)(name=name)


def _method(verb: str, noun: str) -> str:
    """The GAPIC method: get_custom_job, cancel_batch_prediction_job, delete_model_version ..."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", noun).lower()
    return "delete_model_version" if verb == "deleteVersion" else f"{verb}_{snake}"


CALLS: list[tuple[str, str, str, Callable[[GapicClients, str], Any]]] = [
    (collection, noun, verb, _client_call(client, _method(verb, noun)))
    for collection, noun, client, verbs in KINDS
    for verb in verbs
]


def refusal(call: Callable[[GapicClients, str], Any], clients: GapicClients, name: str) -> tuple[int, str, str]:
    """HTTP status, canonical status and message of the API's refusal of `call` on `name`."""
    with pytest.raises(gexc.GoogleAPICallError) as caught:
        call(clients, name)
    error = caught.value.response.json()["error"]
    return caught.value.code or 0, error["status"], error["message"]


@pytest.mark.parametrize(("collection", "noun", "method", "call"), CALLS, ids=[f"{c[0]}.{c[2]}" for c in CALLS])
@pytest.mark.parametrize("malformed", MALFORMED_IDS)
def test_a_malformed_id_is_the_real_apis_invalid_argument(
    clients: GapicClients,
    parent: str,
    collection: str,
    noun: str,
    method: str,
    call: Callable[[GapicClients, str], Any],
    malformed: str,
) -> None:
    if collection == "models" and malformed == "customjob-abc":
        malformed = "Customjob-ABC"  # a lowercase name is a valid model id: upper case is not
    answer = refusal(call, clients, f"{parent}/{collection}/{malformed}")
    assert answer == (400, "INVALID_ARGUMENT", RECORDED_MESSAGE.format(noun=noun)), method


@pytest.mark.parametrize(("collection", "noun", "method", "call"), CALLS, ids=[f"{c[0]}.{c[2]}" for c in CALLS])
def test_a_well_formed_id_that_does_not_exist_is_still_not_found(
    clients: GapicClients,
    parent: str,
    collection: str,
    noun: str,
    method: str,
    call: Callable[[GapicClients, str], Any],
) -> None:
    suffix = "@1" if method == "deleteVersion" else ""
    assert refusal(call, clients, f"{parent}/{collection}/4753100539657453568{suffix}")[:2] == (404, "NOT_FOUND")


@pytest.mark.parametrize("reference", ["my_model-2", "my_model-2@1", "my_model-2@default", "my_model-2@champion-v2"])
def test_the_model_names_the_api_accepts_are_looked_up(clients: GapicClients, parent: str, reference: str) -> None:
    """Model ids chosen at upload, version ids and aliases after `@` are names, not malformed ids."""
    answer = refusal(lambda c, n: c.model.get_model(name=n), clients, f"{parent}/models/{reference}")
    assert answer[:2] == (404, "NOT_FOUND")


@pytest.mark.parametrize("reference", ["Bad", "9abc", "m@", "m@Bad", "m@x", "m@-a", "m@a_b"])
def test_malformed_model_references(clients: GapicClients, parent: str, reference: str) -> None:
    answer = refusal(lambda c, n: c.model.get_model(name=n), clients, f"{parent}/models/{reference}")
    assert answer == (400, "INVALID_ARGUMENT", RECORDED_MESSAGE.format(noun="Model"))


def test_a_model_is_found_by_its_id_version_and_alias(clients: GapicClients, parent: str) -> None:
    uploaded = bodies.upload_model(clients, parent, model_id="churn_v2")
    for reference in ("", "@1", "@default"):
        assert clients.model.get_model(name=f"{uploaded.model}{reference}").version_id == "1"
