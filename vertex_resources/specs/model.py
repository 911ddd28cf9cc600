"""Models: the serving container, the model a pipeline uploads, and the Model resource (upload or new version)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import Field

from ..errors import Problem
from ._base import OUTPUT_ONLY, PLACEMENT, REPLACE, ApiModel, updatable
from ._resource import Named, ResourceBase
from ._rules import MODEL_ID, NOT_KNOWN_YET, display_name_problems, label_problems, uri_problems
from .job import EncryptionSpec, EnvVar

__all__ = [
    "MODEL_NAME",
    "ModelContainerSpec",
    "ModelDefinition",
    "ModelToUpload",
    "Port",
    "PredictSchemata",
    "model_id_problems",
]

MODEL_NAME = re.compile(r"^projects/[^/]+/locations/[^/]+/models/[^/@]+(@[A-Za-z0-9_-]+)?$")


def model_id_problems(model_id: str | None, path: tuple[str | int, ...] = ("model_id",)) -> Iterator[Problem]:
    if model_id is not None and not MODEL_ID.match(model_id):
        yield Problem(
            path,
            "model ids are at most 63 characters of lowercase letters, digits, '_' and '-', "
            "not starting with a digit or '-'",
        )


def parent_model_problems(parent: str | None, path: tuple[str | int, ...] = ("parent_model",)) -> Iterator[Problem]:
    if parent is not None and parent != NOT_KNOWN_YET and not MODEL_NAME.match(parent):
        yield Problem(path, f"must be a model name like projects/P/locations/L/models/ID, got {parent!r}")


class Port(ApiModel):
    container_port: int = Field(ge=1, le=65535)


class ModelContainerSpec(ApiModel):
    """The serving container: it listens on AIP_HTTP_PORT and answers AIP_PREDICT_ROUTE / AIP_HEALTH_ROUTE."""

    image_uri: str = Field(min_length=1)
    command: list[str] | None = None
    args: list[str] | None = None
    env: list[EnvVar] | None = None
    ports: list[Port] | None = None
    predict_route: str | None = None
    health_route: str | None = None


class PredictSchemata(ApiModel):
    instance_schema_uri: str | None = None
    parameters_schema_uri: str | None = None
    prediction_schema_uri: str | None = None


class ModelToUpload(Named):
    """A google.cloud.aiplatform.v1.Model as it is uploaded; ``name`` and ``version_id`` come back filled."""

    display_name: Annotated[str, updatable("display_name")]
    description: Annotated[str | None, updatable("description")] = None
    artifact_uri: Annotated[str | None, REPLACE] = None
    container_spec: Annotated[ModelContainerSpec, REPLACE]
    predict_schemata: Annotated[PredictSchemata | None, REPLACE] = None
    labels: Annotated[dict[str, str] | None, updatable("labels")] = None
    version_aliases: Annotated[list[str] | None, REPLACE] = None
    version_description: Annotated[str | None, REPLACE] = None
    version_id: Annotated[str | None, OUTPUT_ONLY] = None

    def _problems(self) -> Iterator[Problem]:
        yield from display_name_problems(self.display_name)
        yield from uri_problems(self.artifact_uri, "gs://", ("artifact_uri",))
        yield from label_problems(self.labels)
        for index, alias in enumerate(self.version_aliases or ()):
            if not re.match(r"^[a-z][a-z0-9-]{0,126}[a-z0-9]$", alias):
                yield Problem(
                    ("version_aliases", index), "aliases are lowercase letters, digits and '-', starting with a letter"
                )


class ModelDefinition(ModelToUpload, ResourceBase):
    """The Model resource: upload ``artifact_uri`` with a serving container, or a new version of ``parent_model``.

    ``parent_model``, ``model_id`` and ``service_account`` belong to the upload request, not the model message.
    """

    parent_model: Annotated[str | None, PLACEMENT] = None
    model_id: Annotated[str | None, PLACEMENT] = None
    service_account: Annotated[str | None, PLACEMENT] = None
    encryption_spec: Annotated[EncryptionSpec | None, REPLACE] = None
    version_create_time: Annotated[str | None, OUTPUT_ONLY] = None

    def _problems(self) -> Iterator[Problem]:
        yield from super()._problems()
        if self.artifact_uri is None:
            yield Problem(("artifact_uri",), "a model upload needs the gs:// directory of the model artifacts")
        yield from model_id_problems(self.model_id)
        yield from parent_model_problems(self.parent_model)
        if self.parent_model is not None and self.model_id is not None:
            yield Problem(
                ("model_id",), "set at most one of model_id or parent_model (a new version keeps its parent's id)"
            )

    def upload_request(self) -> dict[str, Any]:
        """The JSON body of ``models:upload``."""
        body: dict[str, Any] = {"model": self.to_api()}
        if self.parent_model is not None:
            body["parentModel"] = self.parent_model
        if self.model_id is not None:
            body["modelId"] = self.model_id
        if self.service_account is not None:
            body["serviceAccount"] = self.service_account
        return body
