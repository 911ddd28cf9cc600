"""Print the resource reference (Markdown) from the specs' own declarations: ``python -m vertex_resources.reference``.

Every input with what a change to it does, and every output. ``docs/resources.md`` is this output; a test keeps
it current.
"""

from __future__ import annotations

import enum
import types
import typing

from .providers import (
    BatchPredictionJobProvider,
    CustomJobProvider,
    DatasetProvider,
    HyperparameterTuningJobProvider,
    ModelProvider,
    PipelineJobProvider,
    TrainingPipelineProvider,
)
from .providers._provider import VertexProvider
from .providers._resource import COMMON_OUTPUTS
from .specs._base import ApiModel, FieldKind
from .specs._docs import describe
from .specs.diff import field_changes

__all__ = ["render"]

PROVIDERS: tuple[type[VertexProvider], ...] = (
    DatasetProvider,
    TrainingPipelineProvider,
    CustomJobProvider,
    HyperparameterTuningJobProvider,
    ModelProvider,
    BatchPredictionJobProvider,
    PipelineJobProvider,
)
_EFFECT = {
    FieldKind.REPLACE: "replaces the resource",
    FieldKind.UPDATABLE: "updated in place (update mask `{mask}`)",
    FieldKind.PROVIDER_ONLY: "no API call: it changes only what the provider does",
}


def _members(annotation: typing.Any) -> list[typing.Any]:
    """The types inside an annotation (Optional, unions, Annotated, list and dict arguments) that are models."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin is not None:
        return [member for arg in typing.get_args(annotation) for member in _members(arg)]
    return [annotation] if isinstance(annotation, type) and issubclass(annotation, ApiModel) else []


def _type_name(annotation: typing.Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return " | ".join(repr(arg) for arg in args)
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(arg) for arg in args if arg is not type(None)]
        return " | ".join(names)
    if origin is not None:
        inner = ", ".join(_type_name(arg) for arg in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    if annotation is typing.Any:
        return "Any"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        values = [member.name for member in annotation if not member.name.endswith("_UNSPECIFIED")]
        return f"{annotation.__name__} ({', '.join(values)})"
    return getattr(annotation, "__name__", str(annotation))


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or "-"


def _nested_types() -> dict[type[ApiModel], set[str]]:
    """Every model inside the resources' inputs, with what a change to it does (that of the inputs holding it)."""
    found: dict[type[ApiModel], set[str]] = {}
    for provider in PROVIDERS:
        spec = provider.api_type.spec_type
        for name, change in field_changes(spec).items():
            if change.kind is FieldKind.OUTPUT_ONLY:
                continue
            effect = _EFFECT[change.kind].format(mask=change.update_mask)
            pending = _members(spec.model_fields[name].annotation)
            while pending:
                model = pending.pop()
                if effect in found.setdefault(model, set()):
                    continue
                found[model].add(effect)
                pending += [m for info in model.model_fields.values() for m in _members(info.annotation)]
    return found


def render() -> str:
    lines = [
        "# Resource reference",
        "",
        "Generated from the specs' field declarations by `python -m vertex_resources.reference`. What a field",
        "means is the Vertex AI v1 API's documentation of it, or ours where we add meaning (provider-only fields,",
        "shorthands). Type tokens are `pulumi-python:dynamic/vertex:<Kind>`. Any input takes a `pulumi.Output`.",
        "",
    ]
    for provider in PROVIDERS:
        api = provider.api_type
        spec = api.spec_type
        lines += [
            f"## {api.kind}",
            "",
            " ".join((spec.__doc__ or "").split("\n\n")[0].split()),
            "",
            "| input | type | meaning | a change |",
            "|---|---|---|---|",
        ]
        outputs = []
        for name, change in field_changes(spec).items():
            info = spec.model_fields[name]
            if name == "resource_key":
                continue
            if change.kind is FieldKind.OUTPUT_ONLY:
                outputs.append(name)
                continue
            required = " (required)" if info.is_required() else ""
            effect = _EFFECT[change.kind].format(mask=change.update_mask)
            meaning = _cell(describe(spec, name))
            lines.append(f"| `{name}`{required} | `{_type_name(info.annotation)}` | {meaning} | {effect} |")
        lines += ["", "| output | meaning |", "|---|---|"]
        lines += [f"| `{name}` | {_cell(describe(spec, name))} |" for name in outputs]
        lines += [f"| `{name}` | - |" for name in (*COMMON_OUTPUTS, *api.extra_output_names) if name not in outputs]
        lines.append("")
    lines += [
        "## Nested types",
        "",
        "The types inside the inputs above (`vertex_resources.specs`). A change to any of their fields does what a",
        "change to the input holding them does.",
        "",
    ]
    for model, effects in sorted(_nested_types().items(), key=lambda item: item[0].__name__):
        own_doc = model.__dict__.get("__doc__") or ""  # not the docstring a model inherits
        summary = " ".join(own_doc.split("\n\n")[0].split())
        lines += [f"### {model.__name__}", ""]
        if summary:
            lines += [summary, ""]
        lines += [f"A change: {'; '.join(sorted(effects))}.", "", "| field | type | meaning |", "|---|---|---|"]
        for name, info in model.model_fields.items():
            required = " (required)" if info.is_required() else ""
            meaning = _cell(describe(model, name))
            lines.append(f"| `{name}`{required} | `{_type_name(info.annotation)}` | {meaning} |")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


if __name__ == "__main__":
    print(render())
