"""Inputs as the engine sends them: with values not known yet during a preview, and with ``__provider``."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from pulumi.output import Unknown
from pydantic import TypeAdapter

from ..errors import Problem, SpecError
from ..specs._base import ApiModel, FieldKind
from ..specs._types import NOT_KNOWN_YET
from ..specs.diff import field_changes

__all__ = ["UNKNOWN", "check_problems", "has_unknowns", "plain_inputs", "spec_inputs"]

PROVIDER_KEY = "__provider"
UNKNOWN = "<unknown until apply>"
"""What a value that is not known yet compares as in a diff: unequal to any real value."""

Path = tuple[str | int, ...]


def spec_inputs(spec_type: type[ApiModel], props: Mapping[str, Any]) -> dict[str, Any]:
    """The props that are spec inputs (no ``__provider``, no outputs of an earlier create)."""
    changes = field_changes(spec_type)
    return {
        key: value
        for key, value in props.items()
        if key in changes and changes[key].kind is not FieldKind.OUTPUT_ONLY and value is not None
    }


def _unknown_paths(value: Any, path: Path = ()) -> Iterator[Path]:
    if isinstance(value, Unknown):
        yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _unknown_paths(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _unknown_paths(item, (*path, index))


def has_unknowns(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, Mapping):
        return any(has_unknowns(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(has_unknowns(item) for item in value)
    return False


def _with_placeholders(value: Any) -> Any:
    """Unknowns become a placeholder string (most values not known yet are names, ids or URIs), so the rules
    around them still run; whatever the placeholder itself breaks is filtered out by path."""
    if isinstance(value, Unknown):
        return NOT_KNOWN_YET
    if isinstance(value, Mapping):
        return {k: _with_placeholders(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_with_placeholders(v) for v in value]
    return value


def _related(problem: Path, unknown: Path) -> bool:
    shorter = min(len(problem), len(unknown))
    return problem[:shorter] == unknown[:shorter]


def check_problems(
    spec_type: type[ApiModel], props: Mapping[str, Any], defaults: Mapping[str, tuple[str, str | None]] | None = None
) -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings) of the inputs: every problem that known values already show; a problem at or around
    a value not known yet is left for the real run (a preview must not fail on what it cannot see).

    ``defaults`` are the stack's values of fields the resource does not set (its project and location), keyed
    by field with the stack key that holds them: they are checked as if the resource set them."""
    data = spec_inputs(spec_type, props)
    inherited = {name: key for name, (key, value) in (defaults or {}).items() if name not in data and value}
    data.update({name: value for name, (_key, value) in (defaults or {}).items() if name in inherited})
    unknown = list(_unknown_paths(data)) if has_unknowns(data) else []
    try:
        spec = spec_type.parse(_with_placeholders(data))
    except SpecError as error:
        problems = [p for p in error.problems if not any(_related(p.path, u) for u in unknown)]
        return [_from_stack(p, inherited) for p in problems], []
    return [], spec.notes()


def _from_stack(problem: Problem, inherited: Mapping[str, str]) -> Problem:
    key = inherited.get(str(problem.path[0])) if problem.path else None
    return Problem(problem.path, f"{problem.message} (from {key})") if key else problem


@functools.cache
def _field_adapter(spec_type: type[ApiModel], name: str) -> TypeAdapter[Any]:
    info = spec_type.model_fields[name]
    return TypeAdapter(Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation)


def plain_inputs(spec_type: type[ApiModel], props: Mapping[str, Any]) -> dict[str, Any]:
    """Normalized inputs for a diff: each field in its ``to_plain()`` form; a field holding a value not known yet
    is ``UNKNOWN``. Raises ``SpecError`` for invalid known values (check reports those first)."""
    data = spec_inputs(spec_type, props)
    if not has_unknowns(data):
        return spec_type.parse(data).to_plain()
    out: dict[str, Any] = {}
    for name, value in data.items():
        if has_unknowns(value):
            out[name] = UNKNOWN
            continue
        dumped = _field_adapter(spec_type, name).dump_python(
            _field_adapter(spec_type, name).validate_python(value), mode="json", exclude_none=True
        )
        if dumped not in ({}, [], "", None):
            out[name] = dumped
    return out
