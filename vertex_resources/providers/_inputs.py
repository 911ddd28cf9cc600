"""Inputs as the engine sends them: with values not known yet during a preview, and with ``__provider``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi.output import Unknown

from ..errors import Problem, SpecError
from ..specs._base import ApiModel, FieldKind, field_adapter, pending_paths, related, with_stand_ins
from ..specs.diff import field_changes

__all__ = ["UNKNOWN", "check_problems", "has_unknowns", "plain_inputs", "spec_inputs"]

PROVIDER_KEY = "__provider"
UNKNOWN = "<unknown until apply>"
"""What a value that is not known yet compares as in a diff: unequal to any real value."""


def spec_inputs(spec_type: type[ApiModel], props: Mapping[str, Any]) -> dict[str, Any]:
    """The props that are spec inputs (no ``__provider``, no outputs of an earlier create)."""
    changes = field_changes(spec_type)
    return {
        key: value
        for key, value in props.items()
        if key in changes and changes[key].kind is not FieldKind.OUTPUT_ONLY and value is not None
    }


def _is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def has_unknowns(value: Any) -> bool:
    return next(pending_paths(value, _is_unknown), None) is not None


def check_problems(
    spec_type: type[ApiModel], props: Mapping[str, Any], defaults: Mapping[str, tuple[str, str | None]] | None = None
) -> tuple[list[Problem], list[Problem], ApiModel | None]:
    """(problems, warnings, the spec if every value is known) of the inputs: every problem that known values
    already show; a problem at or around a value not known yet is left for the real run (a preview must not fail
    on what it cannot see).

    ``defaults`` are the stack's values of fields the resource does not set (its project and location), keyed
    by field with the stack key that holds them: they are checked as if the resource set them."""
    data = spec_inputs(spec_type, props)
    inherited = {name: key for name, (key, value) in (defaults or {}).items() if name not in data and value}
    data.update({name: value for name, (_key, value) in (defaults or {}).items() if name in inherited})
    unknown = list(pending_paths(data, _is_unknown))
    try:
        spec = spec_type.parse(with_stand_ins(data, _is_unknown))
    except SpecError as error:
        problems = [p for p in error.problems if not any(related(p.path, u) for u in unknown)]
        return [_from_stack(p, inherited) for p in problems], [], None
    return [], spec.notes(), None if unknown else spec


def _from_stack(problem: Problem, inherited: Mapping[str, str]) -> Problem:
    key = inherited.get(str(problem.path[0])) if problem.path else None
    return Problem(problem.path, f"{problem.message} (from {key})") if key else problem


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
        dumped = field_adapter(spec_type, name).dump_python(
            field_adapter(spec_type, name).validate_python(value), mode="json", exclude_none=True
        )
        if dumped not in ({}, [], "", None):
            out[name] = dumped
    return out
