"""List semantics shared by every collection: `filter` (AND of comparisons), `pageSize`, `pageToken`.

Filters understood (AIP-160 subset the real API documents for these lists):
    display_name="x"   displayName="x"   labels.team=ml   labels.team:*   state=JOB_STATE_SUCCEEDED
    create_time>"2026-01-01T00:00:00Z"   (also <, <=, >=: times as instants, numbers as numbers)
joined with AND; `=` and `!=` compare, `:` tests presence (`:*`) or equality. Anything else is
INVALID_ARGUMENT, so a typo in a filter never silently matches everything.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from vertex_emulator._errors import InvalidArgument
from vertex_emulator._store import Record

JsonDict = dict[str, Any]
Predicate = Callable[[JsonDict], bool]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

_TERM = re.compile(
    r"\s*(?P<field>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_./-]+)?)\s*(?P<op>!=|<=|>=|=|:|<|>)\s*"
    r'(?P<value>"(?:[^"\\]|\\.)*"|[^\s"]+)\s*'
)
_AND = re.compile(r"\s*\bAND\s+", re.IGNORECASE)


def _field_getter(field: str, allowed: Sequence[str]) -> Callable[[JsonDict], Any]:
    if field.startswith("labels.") and len(field) > len("labels."):
        key = field[len("labels.") :]
        return lambda body: body.get("labels", {}).get(key)
    camel = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), field)
    if camel not in allowed:
        raise InvalidArgument(f"Unsupported field '{field}' in filter; supported: labels.KEY, {', '.join(allowed)}.")
    return lambda body: body.get(camel)


def parse_filter(text: str, allowed: Sequence[str] = ("displayName",)) -> Predicate:
    """A predicate over proto JSON bodies for the filter `text` (empty: everything)."""
    text = text.strip()
    checks: list[Predicate] = []
    position = 0
    while position < len(text):
        match = _TERM.match(text, position)
        if not match:
            raise InvalidArgument(
                f"Unsupported filter '{text}' at '{text[position:]}': use comparisons (=, !=, :) joined by AND."
            )
        getter = _field_getter(match["field"], allowed)
        checks.append(_comparison(getter, match["op"], _value(match["value"], text)))
        position = match.end()
        joiner = _AND.match(text, position)
        if joiner:
            position = joiner.end()
        elif position < len(text):
            raise InvalidArgument(f"Unsupported filter '{text}': only comparisons joined by AND are supported.")
    return lambda body: all(check(body) for check in checks)


def _value(raw: str, text: str) -> str:
    if not raw.startswith('"'):
        return raw
    try:
        value = json.loads(raw)
    except ValueError as err:
        raise InvalidArgument(f"Invalid string {raw} in filter '{text}': {err}.") from err
    return str(value)


def _ordered(value: Any) -> Any:
    """A value as it orders: RFC 3339 times as instants, numbers as numbers, else the text."""
    text = str(value if value is not None else "")
    try:
        return (0, datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except ValueError:
        pass
    try:
        return (0, float(text))
    except ValueError:
        return (1, text)


_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
}


def _comparison(getter: Callable[[JsonDict], Any], op: str, value: str) -> Predicate:
    if op in _ORDERINGS:
        bound, compare = _ordered(value), _ORDERINGS[op]
        return lambda body: getter(body) is not None and compare(_ordered(getter(body)), bound)
    if op == ":" and value == "*":
        return lambda body: getter(body) is not None
    if op == "!=":
        return lambda body: str(getter(body) or "") != value
    return lambda body: str(getter(body) or "") == value


def _token(seq: int, filter_text: str) -> str:
    raw = json.dumps({"after": seq, "filter": filter_text}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_token(token: str, filter_text: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded))
        after, recorded = int(data["after"]), data["filter"]
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError) as err:
        raise InvalidArgument(f"Invalid page token '{token}'.") from err
    if recorded != filter_text:
        raise InvalidArgument("The page token does not match the request's filter.")
    return after


def page_size(raw: str | None) -> int:
    if not raw:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError as err:
        raise InvalidArgument(f"Invalid pageSize '{raw}'.") from err
    if size < 0:
        raise InvalidArgument("pageSize must not be negative.")
    return min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def paginate(
    records: Sequence[Record],
    filter_text: str,
    size_text: str | None,
    token: str | None,
    allowed: Sequence[str] = ("displayName",),
    body_of: Callable[[Record], JsonDict] = lambda r: r.body,
) -> tuple[list[Record], str]:
    """One page of `records` (ordered by seq) matching the filter, and the next page token ('' at the end)."""
    predicate = parse_filter(filter_text, allowed)
    size = page_size(size_text)
    after = _read_token(token, filter_text) if token else 0
    matching = [r for r in records if r.seq > after and predicate(body_of(r))]
    page = matching[:size]
    next_token = _token(page[-1].seq, filter_text) if len(matching) > size else ""
    return page, next_token
