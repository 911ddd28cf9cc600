"""Cross-field rule helpers shared by several specs (field formats are types, in ``_types``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from ..errors import Problem

__all__ = ["exactly_one"]


def exactly_one(
    model_fields: Mapping[str, object], names: Iterable[str], path: tuple[str | int, ...] = ()
) -> Iterator[Problem]:
    names = list(names)
    given = [name for name in names if model_fields.get(name) is not None]
    if len(given) != 1:
        listed = " or ".join(names) if len(names) == 2 else ", ".join(names[:-1]) + " or " + names[-1]
        found = f" (got {', '.join(given)})" if given else ""
        yield Problem(path, f"set exactly one of {listed}{found}")
