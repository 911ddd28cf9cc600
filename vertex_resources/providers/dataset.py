"""Dataset: a managed dataset; display name, description and labels update in place."""

from __future__ import annotations

from typing import Any

import pulumi

from ..errors import NotFoundError
from ..specs import DatasetDefinition
from ._api import json_to_message, message_to_json
from ._args import DatasetArgs
from ._config import Placement
from ._gapic import message_type
from ._kind import LRO_TIMEOUT, KindApi
from ._provider import VertexProvider
from ._resource import VertexResource

__all__ = ["Dataset", "DatasetArgs", "DatasetProvider"]


class DatasetApi(KindApi):
    kind = "Dataset"
    spec_type = DatasetDefinition
    service = "datasets"

    def _message(self, body: dict[str, Any]) -> Any:
        return json_to_message(message_type("Dataset"), body)

    def submit(self, placement: Placement, spec: Any, labels: dict[str, str]) -> dict[str, Any]:
        operation = self._client.create_dataset(
            parent=placement.parent, dataset=self._message({**spec.to_api(), "labels": labels}), retry=None
        )
        return self._created(operation, lambda dataset: str(dataset.name))

    def get(self, name: str) -> dict[str, Any]:
        return message_to_json(self._client.get_dataset(name=name, retry=self.session.retry))

    def _list(self, request: dict[str, str]) -> Any:
        return self._client.list_datasets(request=request, retry=self.session.retry)

    def delete(self, name: str) -> None:
        try:
            operation = self._client.delete_dataset(name=name, retry=self.session.retry)
            operation.result(timeout=LRO_TIMEOUT, retry=self.session.retry)
        except NotFoundError:
            pass  # already gone

    def update(self, name: str, body: dict[str, Any], update_mask: list[str]) -> dict[str, Any]:
        from google.protobuf import field_mask_pb2

        updated = self._client.update_dataset(
            dataset=self._message({**body, "name": name}),
            update_mask=field_mask_pb2.FieldMask(paths=update_mask),
            retry=self.session.retry,
        )
        return message_to_json(updated)

    def after_create(self, spec: Any, resource: dict[str, Any]) -> dict[str, Any]:
        if not spec.data_import_configs or int(resource.get("dataItemCount") or 0) > 0:
            return resource  # nothing to import, or an adopted dataset that already has its data
        import_config = message_type("ImportDataConfig", "dataset")
        configs = [json_to_message(import_config, c.to_api()) for c in spec.data_import_configs]
        operation = self._client.import_data(
            name=resource["name"], import_configs=configs, retry=self.session.retry
        )
        operation.result(timeout=LRO_TIMEOUT, retry=self.session.retry)
        return self.get(resource["name"])


class DatasetProvider(VertexProvider):
    api_type = DatasetApi



class Dataset(VertexResource, module="vertex", name="Dataset"):
    data_item_count: pulumi.Output[str]

    def __init__(self, resource_name: str, args: DatasetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(DatasetProvider(), resource_name, args, opts)
