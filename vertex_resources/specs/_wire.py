"""Proto enums on the wire: a name in v1 REST JSON, a name or a number in any response.

The numeric and string wire types (int32/int64, doubles, durations, names) are in ``_types``.
"""

from __future__ import annotations

import enum
from typing import Any

from pydantic import PlainSerializer

__all__ = ["BY_NAME", "ApiEnum"]


class ApiEnum(enum.Enum):
    """A proto enum: values are the proto numbers, the wire form is the name."""

    @classmethod
    def allowed(cls) -> str:
        return ", ".join(name for name in cls.__members__ if not name.endswith("_UNSPECIFIED"))

    @classmethod
    def coerce(cls, value: Any) -> Any:
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            if value in cls.__members__:
                return cls.__members__[value]
            if value.lstrip("-").isdigit() and len(value) < 12:
                value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value)
            except ValueError:
                pass
        raise ValueError(f"{str(value)[:80]!r} is not one of {cls.allowed()}")


def _enum_name(value: ApiEnum) -> str:
    return value.name


BY_NAME = PlainSerializer(_enum_name, return_type=str, when_used="json")
"""Serializer metadata for ``ApiEnum`` fields: the wire form of an enum is its name."""
