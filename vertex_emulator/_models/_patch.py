"""What an update (PATCH with an update mask) does to any resource: check the patched fields, then set each masked
field the patch has and clear each one it leaves out, with a new updateTime and etag."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vertex_emulator import _validation
from vertex_emulator._names import new_id, now_timestamp

JsonDict = dict[str, Any]


def check(patch: JsonDict, fields: set[str], path: str) -> None:
    """400 with every field path at once for a patch whose display name or labels the API would refuse."""
    problems = _validation.Problems()
    if "displayName" in fields:
        _validation.display_name(problems, patch, path)
    _validation.labels(problems, patch, path)
    problems.raise_if_any()


def patched(body: Mapping[str, Any], patch: JsonDict, fields: set[str], *stamped: str) -> JsonDict:
    """`body` with the masked `fields` set from `patch` (or cleared), `updateTime` and the `stamped` time fields now,
    and a new etag."""
    updated = dict(body)
    for field in fields:
        if field in patch:
            updated[field] = patch[field]
        else:
            updated.pop(field, None)
    now = now_timestamp()
    updated.update(dict.fromkeys(("updateTime", *stamped), now), etag=new_id())
    return updated
