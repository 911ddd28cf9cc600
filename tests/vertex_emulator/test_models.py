"""Models and model versions through the real ModelServiceClient (REST)."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.protobuf import field_mask_pb2

from tests.vertex_emulator import bodies
from vertex_emulator.testing import GapicClients


def test_upload_creates_version_one_with_the_default_alias(clients: GapicClients, parent: str) -> None:
    operation = clients.model.upload_model(
        parent=parent, model={**bodies.model_to_upload("m"), "artifact_uri": "gs://bucket/m/", "labels": {"a": "b"}}
    )
    assert "/models/" in operation.operation.name
    uploaded = operation.result(timeout=10)
    assert uploaded.model_version_id == "1"
    model = clients.model.get_model(name=uploaded.model)
    assert model.name == uploaded.model
    assert model.name.rsplit("/", 1)[1].isdigit()
    assert (model.version_id, list(model.version_aliases)) == ("1", ["default"])
    assert model.container_spec.image_uri == bodies.SERVING_IMAGE
    assert model.version_create_time
    assert model.create_time
    assert "jsonl" in model.supported_input_storage_formats


def test_versions_by_number_and_alias(clients: GapicClients, parent: str) -> None:
    first = bodies.upload_model(clients, parent, "m", model_id="churn")
    assert first.model == f"{parent.replace('test-project', first.model.split('/')[1])}/models/churn"
    second = bodies.upload_model(
        clients, parent, "m", parent_model=first.model, model={"version_aliases": ["candidate"]}
    )
    third = bodies.upload_model(clients, parent, "m", parent_model=first.model, model={"version_aliases": ["default"]})
    assert (second.model_version_id, third.model_version_id) == ("2", "3")

    assert clients.model.get_model(name=first.model).version_id == "3"  # default moved to the new version
    assert clients.model.get_model(name=f"{first.model}@1").version_aliases == []
    assert clients.model.get_model(name=f"{first.model}@candidate").version_id == "2"
    with pytest.raises(exceptions.NotFound):
        clients.model.get_model(name=f"{first.model}@7")
    with pytest.raises(exceptions.NotFound):
        clients.model.get_model(name=f"{first.model}@nope")

    versions = clients.model.list_model_versions(name=first.model)
    assert [v.version_id for v in versions] == ["1", "2", "3"]
    assert all(v.name == first.model for v in clients.model.list_model_versions(name=first.model))
    assert [m.version_id for m in clients.model.list_models(parent=parent)] == ["3"]


def test_model_id_must_be_new_and_well_formed(clients: GapicClients, parent: str) -> None:
    bodies.upload_model(clients, parent, model_id="taken")
    with pytest.raises(exceptions.Conflict):
        bodies.upload_model(clients, parent, model_id="taken")
    with pytest.raises(exceptions.BadRequest, match="model_id"):
        bodies.upload_model(clients, parent, model_id="-bad")
    with pytest.raises(exceptions.NotFound):
        bodies.upload_model(clients, parent, parent_model=f"{parent}/models/missing")
    with pytest.raises(exceptions.BadRequest, match="image_uri"):
        clients.model.upload_model(parent=parent, model={"display_name": "no container"})


def test_delete_version_keeps_the_default(clients: GapicClients, parent: str) -> None:
    first = bodies.upload_model(clients, parent)
    bodies.upload_model(clients, parent, parent_model=first.model)
    with pytest.raises(exceptions.BadRequest, match="default version"):
        clients.model.delete_model_version(name=f"{first.model}@1")
    clients.model.delete_model_version(name=f"{first.model}@2").result(timeout=10)
    assert [v.version_id for v in clients.model.list_model_versions(name=first.model)] == ["1"]
    with pytest.raises(exceptions.NotFound):
        clients.model.delete_model_version(name=f"{first.model}@2")


def test_delete_model_removes_every_version(clients: GapicClients, parent: str) -> None:
    first = bodies.upload_model(clients, parent)
    bodies.upload_model(clients, parent, parent_model=first.model)
    clients.model.delete_model(name=first.model).result(timeout=10)
    with pytest.raises(exceptions.NotFound):
        clients.model.get_model(name=f"{first.model}@2")
    assert list(clients.model.list_models(parent=parent)) == []


def test_update_and_merge_aliases(clients: GapicClients, parent: str) -> None:
    first = bodies.upload_model(clients, parent, "before")
    updated = clients.model.update_model(
        model={"name": first.model, "display_name": "after", "labels": {"stage": "prod"}},
        update_mask=field_mask_pb2.FieldMask(paths=["display_name", "labels"]),
    )
    assert (updated.display_name, dict(updated.labels)) == ("after", {"stage": "prod"})
    with pytest.raises(exceptions.BadRequest, match="cannot be updated"):
        clients.model.update_model(
            model={"name": first.model, "artifact_uri": "gs://x/"},
            update_mask=field_mask_pb2.FieldMask(paths=["artifact_uri"]),
        )
    merged = clients.model.merge_version_aliases(name=first.model, version_aliases=["golden"])
    assert list(merged.version_aliases) == ["default", "golden"]
    assert clients.model.get_model(name=f"{first.model}@golden").version_id == "1"


def test_list_models_filters_and_pages(clients: GapicClients, parent: str) -> None:
    for index in range(3):
        bodies.upload_model(clients, parent, f"model-{index}", model={"labels": {"even": str(index % 2 == 0).lower()}})
    even = clients.model.list_models(request={"parent": parent, "filter": "labels.even=true"})
    assert [m.display_name for m in even] == ["model-0", "model-2"]
    pages = list(clients.model.list_models(request={"parent": parent, "page_size": 2}).pages)
    assert [len(p.models) for p in pages] == [2, 1]
