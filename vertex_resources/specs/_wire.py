"""Scalar wire types: how a value travels in v1 REST JSON and how any of its response forms is read back."""

from __future__ import annotations

import enum
import math
import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

__all__ = ["BY_NAME", "ApiEnum", "Duration", "Int64"]


def _int64_to_wire(value: int) -> str:
    return str(value)


Int64 = Annotated[int, PlainSerializer(_int64_to_wire, return_type=str, when_used="json")]
"""An int64 proto field: a Python int, a JSON string on the wire (as protobuf's JSON mapping says)."""

_DURATION = re.compile(r"^(-?\d+(?:\.\d{1,9})?)s$")


def _parse_duration(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("a duration is a string like '3600s' or a number of seconds")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("a duration must be finite")
        return timedelta(seconds=value)
    if isinstance(value, str):
        match = _DURATION.match(value.strip())
        if match:
            return timedelta(seconds=float(match.group(1)))
        if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
            return timedelta(seconds=float(value))
    raise ValueError(f"a duration is a string like '3600s' or a number of seconds, got {value!r}")


def _duration_to_wire(value: timedelta) -> str:
    micros = value // timedelta(microseconds=1)
    seconds, fraction = divmod(micros, 1_000_000)
    if fraction == 0:
        return f"{seconds}s"
    return f"{seconds}.{fraction:06d}".rstrip("0") + "s"


Duration = Annotated[
    timedelta,
    BeforeValidator(_parse_duration),
    PlainSerializer(_duration_to_wire, return_type=str, when_used="json"),
]
"""A google.protobuf.Duration: ``"3600s"`` on the wire; accepts that form, seconds, or a ``timedelta``."""


class ApiEnum(enum.Enum):
    """A proto enum: values are the proto numbers, the wire form is the name."""

    @classmethod
    def coerce(cls, value: Any) -> Any:
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            if value in cls.__members__:
                return cls.__members__[value]
            if value.lstrip("-").isdigit():
                value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value)
            except ValueError:
                pass
        allowed = ", ".join(name for name in cls.__members__ if not name.endswith("_UNSPECIFIED"))
        raise ValueError(f"{value!r} is not one of {allowed}")


def _enum_name(value: ApiEnum) -> str:
    return value.name


BY_NAME = PlainSerializer(_enum_name, return_type=str, when_used="json")
"""Serializer metadata for ``ApiEnum`` fields: the wire form of an enum is its name."""
