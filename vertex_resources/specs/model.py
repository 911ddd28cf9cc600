"""Models: the serving container, the model a pipeline uploads, and the Model resource (upload or new version)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from ..errors import Problem
from ._base import OUTPUT_ONLY, PLACEMENT, REPLACE, ApiModel, updatable
from ._resource import Named, ResourceBase
from ._types import (
    MODEL_ID,
    NOT_KNOWN_YET,
    DisplayName,
    GcsPrefix,
    GcsUri,
    ImageUri,
    Int32,
    Labels,
    ModelName,
    ResourceLabels,
    ServiceAccount,
    VersionAlias,
)
from .job import EncryptionSpec, EnvVar

__all__ = [
    "ModelContainerSpec",
    "ModelDefinition",
    "ModelId",
    "ModelToUpload",
    "Port",
    "PredictSchemata",
]


def _model_id(value: str) -> str:
    if value != NOT_KNOWN_YET and not MODEL_ID.match(value):
        raise ValueError(
            "model ids are at most 63 characters of lowercase letters, digits, '_' and '-', "
            "not starting with a digit or '-'"
        )
    return value


ModelId = Annotated[str, AfterValidator(_model_id)]


class Port(ApiModel):
    container_port: Annotated[Int32, Field(ge=1, le=65535)]


class ModelContainerSpec(ApiModel):
    """The serving container: it listens on AIP_HTTP_PORT and answers AIP_PREDICT_ROUTE / AIP_HEALTH_ROUTE."""

    image_uri: ImageUri
    command: list[str] | None = None
    args: list[str] | None = None
    env: list[EnvVar] | None = None
    ports: list[Port] | None = None
    predict_route: str | None = None
    health_route: str | None = None


class PredictSchemata(ApiModel):
    instance_schema_uri: GcsUri | None = None
    parameters_schema_uri: GcsUri | None = None
    prediction_schema_uri: GcsUri | None = None


class ModelToUpload(Named):
    """A google.cloud.aiplatform.v1.Model as it is uploaded; ``name`` and ``version_id`` come back filled."""

    display_name: Annotated[DisplayName, updatable("display_name")]
    description: Annotated[str | None, updatable("description")] = None
    artifact_uri: Annotated[GcsPrefix | None, REPLACE] = None
    container_spec: Annotated[ModelContainerSpec, REPLACE]
    predict_schemata: Annotated[PredictSchemata | None, REPLACE] = None
    labels: Annotated[Labels | None, updatable("labels")] = None
    version_aliases: Annotated[list[VersionAlias] | None, REPLACE] = None
    version_description: Annotated[str | None, REPLACE] = None
    version_id: Annotated[str | None, OUTPUT_ONLY] = None

    def _problems(self) -> Iterator[Problem]:
        aliases = self.version_aliases or []
        if len(set(aliases)) != len(aliases):
            yield Problem(("version_aliases",), "aliases must be distinct")


class ModelDefinition(ModelToUpload, ResourceBase):
    """The Model resource: upload ``artifact_uri`` with a serving container, or a new version of ``parent_model``.

    ``parent_model``, ``model_id`` and ``service_account`` belong to the upload request, not the model message.
    """

    labels: Annotated[ResourceLabels | None, updatable("labels")] = None
    parent_model: Annotated[ModelName | None, PLACEMENT] = None
    """Upload this model as a new version of that model (``projects/*/locations/*/models/*``, same location)."""
    model_id: Annotated[ModelId | None, PLACEMENT] = None
    """The id of the new model (else the API picks a number); not with ``parent_model``."""
    service_account: Annotated[ServiceAccount | None, PLACEMENT] = None
    """The service account the upload reads the artifacts with (else Vertex AI's service agent)."""
    encryption_spec: Annotated[EncryptionSpec | None, REPLACE] = None
    version_create_time: Annotated[str | None, OUTPUT_ONLY] = None

    def _problems(self) -> Iterator[Problem]:
        yield from super()._problems()
        if self.artifact_uri is None:
            yield Problem(("artifact_uri",), "a model upload needs the gs:// directory of the model artifacts")
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
