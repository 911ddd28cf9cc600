"""Datasets through the real DatasetServiceClient (REST)."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.protobuf import field_mask_pb2

from tests.vertex_emulator import bodies
from vertex_emulator import ControlClient, Emulator
from vertex_emulator.testing import GapicClients


def test_create_returns_an_lro_whose_result_is_the_dataset(clients: GapicClients, parent: str) -> None:
    operation = clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset("sales", labels={"team": "ml"}))
    assert "/datasets/" in operation.operation.name
    assert "/operations/" in operation.operation.name
    created = operation.result(timeout=10)

    assert created.name.startswith("projects/")
    project_number = created.name.split("/")[1]
    assert project_number.isdigit()
    assert created.name.split("/")[-1].isdigit()
    assert created.display_name == "sales"
    assert created.labels["team"] == "ml"
    # As the real API answers (recorded): the operation's response has the system label but no times or etag;
    # the dataset itself has the times and etag and only the user's labels.
    assert created.labels["aiplatform.googleapis.com/dataset_metadata_schema"] == "TABLE"
    assert not created.create_time
    assert not created.etag
    dataset = clients.dataset.get_dataset(name=created.name)
    assert dataset.create_time
    assert dataset.update_time
    assert dataset.etag
    assert dict(dataset.labels) == {"team": "ml"}
    assert dataset.metadata_artifact
    assert (dataset.display_name, dataset.metadata, dataset.data_item_count) == (
        created.display_name,
        created.metadata,
        created.data_item_count,
    )


def test_get_accepts_the_project_id_or_number(clients: GapicClients, parent: str) -> None:
    created = clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset()).result(timeout=10)
    by_id = f"{parent}/datasets/{created.name.rsplit('/', 1)[1]}"
    assert clients.dataset.get_dataset(name=by_id).name == created.name


def test_missing_dataset_is_not_found(clients: GapicClients, parent: str) -> None:
    with pytest.raises(exceptions.NotFound, match="Dataset"):
        clients.dataset.get_dataset(name=f"{parent}/datasets/123")


def test_unknown_schema_and_missing_display_name_are_listed_together(clients: GapicClients, parent: str) -> None:
    with pytest.raises(exceptions.BadRequest) as caught:
        clients.dataset.create_dataset(parent=parent, dataset={"metadata_schema_uri": "gs://nope/schema.yaml"})
    assert "dataset.display_name" in caught.value.message
    assert "dataset.metadata_schema_uri" in caught.value.message


def test_unknown_fields_and_wrong_types_are_invalid_argument(emulator: Emulator, parent: str) -> None:
    path = f"/v1/{parent}/datasets"
    status, answer = bodies.raw(emulator.endpoint, "POST", path, {**_camel_dataset(), "colour": "red"})
    assert status == 400
    assert answer["error"]["status"] == "INVALID_ARGUMENT"
    assert "colour" in answer["error"]["message"]

    status, answer = bodies.raw(emulator.endpoint, "POST", path, {**_camel_dataset(), "displayName": 5})
    assert (status, answer["error"]["status"]) == (400, "INVALID_ARGUMENT")

    status, answer = bodies.raw(emulator.endpoint, "POST", path, b"{not json")
    assert (status, answer["error"]["code"]) == (400, 400)


def _camel_dataset() -> dict[str, str]:
    return {"displayName": "x", "metadataSchemaUri": bodies.TABULAR}


def test_update_changes_only_the_masked_fields(clients: GapicClients, parent: str) -> None:
    created = clients.dataset.create_dataset(
        parent=parent, dataset=bodies.dataset("before", description="keep", labels={"a": "1"})
    ).result(timeout=10)
    updated = clients.dataset.update_dataset(
        dataset={"name": created.name, "display_name": "after", "description": "ignored", "labels": {"b": "2"}},
        update_mask=field_mask_pb2.FieldMask(paths=["display_name", "labels"]),
    )
    assert updated.display_name == "after"
    assert updated.description == "keep"
    assert dict(updated.labels) == {"b": "2"}
    assert updated.update_time > clients.dataset.get_dataset(name=created.name).create_time
    assert clients.dataset.get_dataset(name=created.name) == updated


def test_update_rejects_immutable_fields_and_an_empty_mask(clients: GapicClients, parent: str) -> None:
    created = clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset()).result(timeout=10)
    with pytest.raises(exceptions.BadRequest, match="cannot be updated"):
        clients.dataset.update_dataset(
            dataset={"name": created.name, "metadata_schema_uri": bodies.TABULAR},
            update_mask=field_mask_pb2.FieldMask(paths=["metadata_schema_uri"]),
        )
    with pytest.raises(exceptions.BadRequest, match="update_mask"):
        clients.dataset.update_dataset(dataset={"name": created.name, "display_name": "x"}, update_mask={})


def test_delete_is_an_lro_and_the_dataset_is_gone(clients: GapicClients, parent: str) -> None:
    created = clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset()).result(timeout=10)
    operation = clients.dataset.delete_dataset(name=created.name)
    assert operation.operation.name.split("/")[4] == "operations"
    operation.result(timeout=10)
    with pytest.raises(exceptions.NotFound):
        clients.dataset.get_dataset(name=created.name)
    with pytest.raises(exceptions.NotFound):
        clients.dataset.delete_dataset(name=created.name)


def test_list_filters_by_labels_and_display_name_and_pages(clients: GapicClients, parent: str) -> None:
    for index in range(5):
        labels = {"team": "ml" if index % 2 == 0 else "bi", "env": "dev"}
        clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset(f"ds-{index}", labels=labels)).result(
            timeout=10
        )
    listed = clients.dataset.list_datasets(parent=parent)
    assert [d.display_name for d in listed] == [f"ds-{i}" for i in range(5)]

    ml = clients.dataset.list_datasets(request={"parent": parent, "filter": "labels.team=ml AND labels.env=dev"})
    assert [d.display_name for d in ml] == ["ds-0", "ds-2", "ds-4"]
    named = clients.dataset.list_datasets(request={"parent": parent, "filter": 'display_name="ds-3"'})
    assert [d.display_name for d in named] == ["ds-3"]
    quoted = clients.dataset.list_datasets(request={"parent": parent, "filter": 'display_name="ds-3 AND (x)"'})
    assert list(quoted) == []

    first = clients.dataset.list_datasets(request={"parent": parent, "page_size": 2})
    pages = list(first.pages)
    assert [len(p.datasets) for p in pages] == [2, 2, 1]
    assert pages[-1].next_page_token == ""


def test_list_rejects_filters_it_cannot_evaluate(clients: GapicClients, parent: str) -> None:
    with pytest.raises(exceptions.BadRequest, match="colour"):
        list(clients.dataset.list_datasets(request={"parent": parent, "filter": "colour=red"}))
    with pytest.raises(exceptions.BadRequest, match="page token"):
        list(clients.dataset.list_datasets(request={"parent": parent, "page_token": "garbage"}))


def test_import_and_export_are_lros(clients: GapicClients, parent: str, emulator: Emulator) -> None:
    created = clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset()).result(timeout=10)
    imported = clients.dataset.import_data(
        name=created.name,
        import_configs=[{"gcs_source": {"uris": ["gs://bucket/items.jsonl"]}, "import_schema_uri": "gs://s.yaml"}],
    )
    imported.result(timeout=10)
    stored = emulator.backend.store.get(created.name)
    assert stored is not None
    assert stored.internal["imports"][0]["gcsSource"]["uris"] == ["gs://bucket/items.jsonl"]

    exported = clients.dataset.export_data(
        name=created.name, export_config={"gcs_destination": {"output_uri_prefix": "gs://bucket/export"}}
    )
    exported.result(timeout=10)
    assert exported.metadata.gcs_output_directory.startswith("gs://bucket/export/export-data-")

    with pytest.raises(exceptions.BadRequest, match="gcs_source"):
        clients.dataset.import_data(name=created.name, import_configs=[{"import_schema_uri": "gs://s.yaml"}])


def test_operations_survive_polling_when_delayed(clients: GapicClients, parent: str, control: ControlClient) -> None:
    control.set_operation_timing(1.0)
    operation = clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset())
    assert not operation.done()
    created = operation.result(timeout=10)
    assert created.display_name == "ds"
    assert control.counters().get("GetOperation", 0) >= 1
