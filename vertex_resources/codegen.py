"""Write the ``<Kind>Args`` classes from the specs: ``python -m vertex_resources.codegen``.

The specs declare every field once (type, what a change does, what it means). The Args classes a program passes
to a resource repeat them for the IDE and the type checker, so they are generated into source
(``vertex_resources/providers/_args.py``) from the specs, with each field's type as a ``pulumi.Input`` and its
meaning as its docstring; a test fails when the file is not what this module writes.
"""

from __future__ import annotations

import enum
import textwrap
import types
import typing
from datetime import timedelta
from pathlib import Path

from .providers._resource import input_field_names
from .reference import PROVIDERS
from .specs._base import ApiModel
from .specs._docs import describe

__all__ = ["ARGS_MODULE", "render_args"]

ARGS_MODULE = Path(__file__).resolve().parent / "providers" / "_args.py"
_PLAIN = {str: "str", int: "int", float: "float", bool: "bool"}


class _Renderer:
    """Python source of an annotation for a program's inputs; remembers which spec names it needs."""

    def __init__(self) -> None:
        self.imports: set[str] = set()
        self.models: dict[str, type[ApiModel]] = {}  # each gets a TypedDict: the same inputs as a dict

    def input_of(self, annotation: typing.Any) -> str:
        return f"pulumi.Input[{self.value_of(annotation)}]"

    def value_of(self, annotation: typing.Any) -> str:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is typing.Annotated:
            return self.value_of(args[0])
        if origin is typing.Literal:
            return f"Literal[{', '.join(repr(arg) for arg in args)}]"
        if origin in (typing.Union, types.UnionType):
            parts = [self.value_of(arg) for arg in args if arg is not type(None)]
            return " | ".join(dict.fromkeys(parts))
        if origin is list:
            return f"Sequence[{self.input_of(args[0])}]"
        if origin is dict:
            return f"Mapping[str, {self.input_of(args[1])}]"
        if annotation is typing.Any:
            return "Any"
        if annotation is timedelta:
            return "timedelta | str | int"
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            self.imports.add(annotation.__name__)
            return f"{annotation.__name__} | str"
        if isinstance(annotation, type) and issubclass(annotation, ApiModel):
            self.imports.add(annotation.__name__)
            self.models.setdefault(annotation.__name__, annotation)
            return f"{annotation.__name__} | {annotation.__name__}Dict"
        return _PLAIN[annotation]


def _docstring(text: str, indent: str) -> list[str]:
    if not text:
        return []
    body = textwrap.wrap(text.replace('"""', "'''").replace("\\", "\\\\"), width=120 - len(indent) - 6)
    if len(body) == 1:
        return [f'{indent}"""{body[0]}"""']
    return [f'{indent}"""{body[0]}', *(f"{indent}{line}" for line in body[1:-1]), f'{indent}{body[-1]}"""']


def _typed_dicts(renderer: _Renderer) -> tuple[list[str], list[str]]:
    """A TypedDict per spec model the Args take (and the models inside them): the same fields as dict keys."""
    done: dict[str, list[str]] = {}
    while len(done) < len(renderer.models):
        for name, model in sorted(renderer.models.items()):
            if name in done:
                continue
            own_doc = " ".join((model.__dict__.get("__doc__") or "").split("\n\n")[0].split())
            lines = ["", "", "", f"class {name}Dict(TypedDict, total=False):"]
            lines += _docstring(f"``{name}`` as a dict (snake_case keys). {own_doc}".strip(), "    ")
            for field, info in model.model_fields.items():
                value = renderer.input_of(info.annotation)
                lines += ["", f"    {field}: " + (f"Required[{value}]" if info.is_required() else value)]
                lines += _docstring(describe(model, field), "    ")
            done[name] = lines
    return ["\n".join(done[name]) for name in sorted(done)], [f"{name}Dict" for name in sorted(done)]


def render_args() -> str:
    renderer = _Renderer()
    classes: list[str] = []
    names: list[str] = []
    for provider in PROVIDERS:
        api = provider.api_type
        spec = api.spec_type
        fields = [name for name in spec.model_fields if name in input_field_names(provider)]
        lines = ["", "", "", "@dataclass(kw_only=True)", f"class {api.kind}Args:"]
        summary = " ".join((spec.__doc__ or "").split("\n\n")[0].split())
        lines += _docstring(f"Inputs of a {api.kind}: {summary}" if summary else f"Inputs of a {api.kind}.", "    ")
        for name in fields:
            info = spec.model_fields[name]
            annotation = renderer.input_of(info.annotation)
            lines.append("")
            lines.append(f"    {name}: {annotation}" + ("" if info.is_required() else " | None = None"))
            lines += _docstring(describe(spec, name), "    ")
        classes.append("\n".join(lines))
        names.append(f"{api.kind}Args")
    dicts, dict_names = _typed_dicts(renderer)
    names += dict_names
    uses_literal = any("Literal[" in text for text in [*classes, *dicts])
    header = [
        '"""The ``<Kind>Args`` of the resources, and a TypedDict for each spec they take (``<Spec>Dict``).',
        "Generated by ``python -m vertex_resources.codegen`` from the specs' declarations; do not edit (a test keeps",
        "it current). Any field takes a ``pulumi.Output``.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping, Sequence",
        "from dataclasses import dataclass",
        "from datetime import timedelta",
        "from typing import Any, Literal" if uses_literal else "from typing import Any",
        "",
        "import pulumi",
        "from typing_extensions import Required, TypedDict",
        "",
        "from ..specs import (",
        *(f"    {name}," for name in sorted(renderer.imports)),
        ")",
        "",
        "__all__ = [",
        *(f'    "{name}",' for name in sorted(names)),
        "]",
    ]
    return "\n".join(header) + "".join(dicts) + "".join(classes) + "\n"


if __name__ == "__main__":
    ARGS_MODULE.write_text(render_args())
    print(f"wrote {ARGS_MODULE}")
