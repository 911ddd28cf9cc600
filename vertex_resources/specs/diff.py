"""Diff of two versions of a resource spec, derived only from the fields' ``Change`` declarations."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from ._base import REPLACE, Change, FieldKind, change_of

__all__ = ["SpecDiff", "diff_specs", "field_changes"]


@functools.cache
def field_changes(spec_type: type[BaseModel]) -> Mapping[str, Change]:
    """Every field of ``spec_type`` with its declaration; an undeclared field is sent and replaces on change."""
    return MappingProxyType({name: change_of(info) or REPLACE for name, info in spec_type.model_fields.items()})


@dataclass(frozen=True)
class SpecDiff:
    """Which fields differ, grouped by what the change costs."""

    replaces: tuple[str, ...] = ()
    updates: tuple[str, ...] = ()
    provider_changes: tuple[str, ...] = ()
    update_mask: tuple[str, ...] = ()
    """The update-mask paths of ``updates``, in the same order."""

    @property
    def changed(self) -> tuple[str, ...]:
        return self.replaces + self.updates + self.provider_changes


def diff_specs(spec_type: type[BaseModel], old: Mapping[str, Any], new: Mapping[str, Any]) -> SpecDiff:
    """Compare two plain (``to_plain()``) forms of ``spec_type``; output-only fields never count.

    Values are compared after validation, so ints versus floats and key order never show as a change; a value
    that is not known yet (a preview) compares unequal to anything and so counts as a change.
    """
    replaces: list[str] = []
    updates: list[str] = []
    provider: list[str] = []
    masks: list[str] = []
    for name, change in field_changes(spec_type).items():
        if change.kind is FieldKind.OUTPUT_ONLY or old.get(name) == new.get(name):
            continue
        if change.kind is FieldKind.REPLACE:
            replaces.append(name)
        elif change.kind is FieldKind.UPDATABLE:
            updates.append(name)
            masks.append(change.update_mask or name)
        else:
            provider.append(name)
    return SpecDiff(tuple(replaces), tuple(updates), tuple(provider), tuple(masks))
