"""Print the resource reference (Markdown) from the specs' own declarations: ``python -m vertex_resources.reference``.

Every input with what a change to it does, and every output. ``docs/resources.md`` is this output; a test keeps
it current.
"""

from __future__ import annotations

import types
import typing

from .providers import (
    BatchPredictionJobProvider,
    CustomJobProvider,
    DatasetProvider,
    HyperparameterTuningJobProvider,
    ModelProvider,
    TrainingPipelineProvider,
)
from .providers._provider import VertexProvider
from .providers._resource import COMMON_OUTPUTS
from .specs._base import FieldKind
from .specs.diff import field_changes

__all__ = ["render"]

PROVIDERS: tuple[type[VertexProvider], ...] = (
    DatasetProvider,
    TrainingPipelineProvider,
    CustomJobProvider,
    HyperparameterTuningJobProvider,
    ModelProvider,
    BatchPredictionJobProvider,
)
_EFFECT = {
    FieldKind.REPLACE: "replaces the resource",
    FieldKind.UPDATABLE: "updated in place (update mask `{mask}`)",
    FieldKind.PROVIDER_ONLY: "no API call (changes how the provider waits)",
}


def _type_name(annotation: typing.Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(arg) for arg in args if arg is not type(None)]
        return " | ".join(names)
    if origin is not None:
        inner = ", ".join(_type_name(arg) for arg in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    if annotation is typing.Any:
        return "Any"
    return getattr(annotation, "__name__", str(annotation))


def render() -> str:
    lines = [
        "# Resource reference",
        "",
        "Generated from the specs' field declarations by `python -m vertex_resources.reference`.",
        "Type tokens are `pulumi-python:dynamic/vertex:<Kind>`.",
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
            "| input | type | a change |",
            "|---|---|---|",
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
            lines.append(f"| `{name}`{required} | `{_type_name(info.annotation)}` | {effect} |")
        outputs += [name for name in (*COMMON_OUTPUTS, *api.extra_output_names) if name not in outputs]
        lines += ["", "Outputs: " + ", ".join(f"`{name}`" for name in outputs), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())
