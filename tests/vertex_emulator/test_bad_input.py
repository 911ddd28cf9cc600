"""The six causes of the 500s found by probing (issue 11), each now the API's 400 in its envelope."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.vertex_emulator import bodies
from vertex_emulator import Emulator
from vertex_emulator.testing import GapicClients, gapic_clients, location_parent, wait_until

DATASETS = f"/v1/{location_parent()}/datasets"
TEXT = "gs://google-cloud-aiplatform/schema/dataset/metadata/text_1.0.0.yaml"


def invalid(answer: tuple[int, dict[str, Any]]) -> str:
    status, body = answer
    assert (status, body["error"]["status"]) == (400, "INVALID_ARGUMENT"), answer
    message: str = body["error"]["message"]
    return message


@pytest.mark.parametrize(
    "input_config",
    [{"gcsSource": "gs://b/x.csv"}, {"gcsSource": {"uri": [1, {}]}}, {"bigquerySource": []}, {"gcsSource": {"uri": 7}}],
)
def test_a_dataset_input_config_of_the_wrong_shape(emulator: Emulator, input_config: dict[str, Any]) -> None:
    dataset = {"displayName": "d", "metadataSchemaUri": bodies.TABULAR, "metadata": {"inputConfig": input_config}}
    assert "dataset.metadata.input_config" in invalid(bodies.raw(emulator.endpoint, "POST", DATASETS, dataset))


def test_json_nested_fifty_levels(emulator: Emulator) -> None:
    deep: Any = 1
    for _ in range(50):
        deep = {"a": deep}
    body = {"displayName": "d", "metadataSchemaUri": bodies.TABULAR, "metadata": deep}
    assert "nested deeper" in invalid(bodies.raw(emulator.endpoint, "POST", DATASETS, body))


def test_a_list_filter_with_a_bad_escape(emulator: Emulator) -> None:
    path = f"{DATASETS}?filter=display_name%3D%22%5Cx%22"
    assert "Invalid string" in invalid(bodies.raw(emulator.endpoint, "GET", path))


def test_a_wait_timeout_of_infinity(emulator: Emulator, clients: GapicClients) -> None:
    emulator.control.set_operation_timing(30)  # so the operation is still running when waited on
    operation = clients.dataset.create_dataset(parent=location_parent(), dataset=bodies.dataset())
    name = operation.operation.name
    for timeout in ("inf", "nan", "-1s", "soon"):
        assert "Invalid timeout" in invalid(bodies.raw(emulator.endpoint, "POST", f"/v1/{name}:wait?timeout={timeout}"))


def test_control_plane_numbers_are_finite(emulator: Emulator) -> None:
    for path, payload in (
        ("/_emulator/faults", b'{"rpc": "GetDataset", "count": 1, "latency_seconds": Infinity}'),
        ("/_emulator/faults", b'{"rpc": "GetDataset", "count": 1, "latency_seconds": 1e308}'),
        ("/_emulator/config/jobs", b'{"mode": "delay", "seconds": NaN}'),
        ("/_emulator/config/jobs", b'{"mode": "delay", "seconds": "x"}'),
        ("/_emulator/config/operations", b'{"seconds": 1e999}'),
        ("/_emulator/config/operations", b'{"seconds": true}'),
    ):
        invalid(bodies.raw(emulator.endpoint, "POST", path, payload))
    assert emulator.control.fault_rules() == []


@pytest.fixture
def reading(tmp_path: Path) -> Iterator[Emulator]:
    """ImportData reads its files only on the local runner."""
    with Emulator(tmp_path / "data") as emulator:
        yield emulator


def test_import_data_from_a_uri_storage_refuses(reading: Emulator) -> None:
    clients = gapic_clients(reading.endpoint)
    dataset = clients.dataset.create_dataset(
        parent=location_parent(), dataset={"display_name": "t", "metadata_schema_uri": TEXT}
    ).result(timeout=10)
    config = {"gcsSource": {"uris": ["gs://b/../.."]}, "importSchemaUri": "gs://x/y.yaml"}
    status, operation = bodies.raw(reading.endpoint, "POST", f"/v1/{dataset.name}:import", {"importConfigs": [config]})
    assert status == 200
    done = wait_until(
        lambda: (answer := bodies.raw(reading.endpoint, "GET", f"/v1/{operation['name']}")[1]).get("done") and answer
    )
    assert done["error"]["code"] in (3, 5), json.dumps(done)  # INVALID_ARGUMENT or NOT_FOUND, never INTERNAL
