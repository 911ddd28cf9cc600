"""The Pulumi side: one ``pulumi.dynamic.Resource`` subclass per kind, built from typed ``<Kind>Args``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import Resource
from pydantic import BaseModel

from ..outputs import JobErrorOutput
from ..specs._base import FieldKind
from ..specs.diff import field_changes
from ._provider import VertexProvider

__all__ = ["JobResource", "VertexResource", "input_field_names", "output_names"]

COMMON_OUTPUTS = ("resource_id", "project", "location")


def input_field_names(provider_type: type[VertexProvider]) -> set[str]:
    """The spec fields a user sets (what ``<Kind>Args`` must offer, no more, no less)."""
    return {
        name
        for name, change in field_changes(provider_type.api_type.spec_type).items()
        if change.kind is not FieldKind.OUTPUT_ONLY and name != "resource_key"
    }


def output_names(provider_type: type[VertexProvider]) -> list[str]:
    spec_outputs = [
        name
        for name, change in field_changes(provider_type.api_type.spec_type).items()
        if change.kind is FieldKind.OUTPUT_ONLY
    ]
    return [*spec_outputs, *COMMON_OUTPUTS, *provider_type.api_type.extra_output_names]


def _as_input(value: Any) -> Any:
    """Spec models become plain dicts the engine can carry; Outputs and plain values pass through."""
    if isinstance(value, BaseModel):
        plain = getattr(value, "to_plain", None)
        return plain() if plain else value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, dict):
        return {key: _as_input(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_input(item) for item in value]
    return value


class VertexResource(Resource):
    """Common outputs of every kind; subclasses add their own typed outputs."""

    name: pulumi.Output[str]
    """Full resource name, ``projects/*/locations/*/<collection>/<id>``."""
    resource_id: pulumi.Output[str]
    project: pulumi.Output[str]
    location: pulumi.Output[str]
    create_time: pulumi.Output[str]
    update_time: pulumi.Output[str]

    def __init__(
        self,
        provider: VertexProvider,
        name: str,
        args: Any,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            field.name: _as_input(getattr(args, field.name))
            for field in dataclasses.fields(args)
            if getattr(args, field.name) is not None
        }
        props["resource_key"] = f"{pulumi.get_project()}/{pulumi.get_stack()}/{name}"
        for output in output_names(type(provider)):
            props.setdefault(output, None)
        super().__init__(provider, name, props, opts)


class JobResource(VertexResource):
    """Outputs of the long-running kinds."""

    state: pulumi.Output[str]
    # Typed for programs (TypedDicts), but Pulumi's runtime translates outputs by the annotations it finds at run
    # time and refuses a dict for a TypedDict class: it sees the plain mapping.
    if TYPE_CHECKING:
        error: pulumi.Output[JobErrorOutput | None]
    else:
        error: pulumi.Output[Mapping[str, Any] | None]
    """``{"code", "message"}`` of a failed or cancelled job; None while it runs or once it succeeded."""
    start_time: pulumi.Output[str]
    end_time: pulumi.Output[str]
