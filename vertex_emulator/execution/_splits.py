"""The five InputDataConfig splits over tabular rows (CSV dicts) and unstructured items (import JSONL dicts).

- fraction: a deterministic shuffle cut at the fractions (nothing set: 80/10/10).
- filter (items only): label filters; the first of training, validation, test that matches wins; ``-``
  matches nothing; unmatched items are unused.
- predefined: the key column (tabular) or label (items) says training|validation|test; other values unused.
- timestamp (tabular only): rows ordered by their RFC3339 key, oldest to training, then validation, newest
  to test (chronological, as the AutoML data-split docs describe); rows without a valid timestamp are unused.
- stratified (tabular only): the fraction split applied per value of the key column, so each split keeps the
  class proportions; classes with fewer than 3 rows (and beyond the 500 most frequent) are pooled.

Fractions: a sum above 1 is an error; when fractions are given and sum to less than 1, the remainder goes to
the unset ones in 80/10/10 proportion (or, if all three are set, is spread over them proportionally).
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from ._errors import InvalidSpecError

SPLIT_NAMES = ("training", "validation", "test")
_DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)
_SHUFFLE_SEED = 20240101
_MAX_STRATA = 500
_MIN_STRATUM_ROWS = 3
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_SPLIT_KINDS = ("fractionSplit", "filterSplit", "predefinedSplit", "timestampSplit", "stratifiedSplit")

RowT = TypeVar("RowT", bound=Mapping[str, Any])


@dataclass(frozen=True)
class DataSplit(Generic[RowT]):
    """The rows (or items) of each set, each in input order."""

    training: list[RowT] = field(default_factory=list)
    validation: list[RowT] = field(default_factory=list)
    test: list[RowT] = field(default_factory=list)

    def sets(self) -> dict[str, list[RowT]]:
        return {"training": self.training, "validation": self.validation, "test": self.test}


def split_rows(rows: Sequence[RowT], input_data_config: Mapping[str, Any]) -> DataSplit[RowT]:
    """Split tabular rows (``csv.DictReader`` dicts) by the InputDataConfig's split (canonical proto JSON)."""
    kind = _split_kind(input_data_config)
    spec = input_data_config.get(kind, {}) if kind else {}
    if kind == "filterSplit":
        raise InvalidSpecError("filterSplit is supported only for unstructured datasets, not tabular ones")
    if kind == "predefinedSplit":
        key = _key(spec, kind)
        return _by_index(rows, _predefined([row.get(key) for row in rows]))
    if kind == "timestampSplit":
        return _by_index(rows, _timestamp(rows, _key(spec, kind), _fractions(spec)))
    if kind == "stratifiedSplit":
        return _by_index(rows, _stratified(rows, _key(spec, kind), _fractions(spec)))
    return _by_index(rows, _fraction(range(len(rows)), _fractions(spec)))


def split_items(items: Sequence[RowT], input_data_config: Mapping[str, Any]) -> DataSplit[RowT]:
    """Split unstructured items (import-file dicts with ``dataItemResourceLabels`` or ``labels``)."""
    kind = _split_kind(input_data_config)
    spec = input_data_config.get(kind, {}) if kind else {}
    if kind in ("timestampSplit", "stratifiedSplit"):
        raise InvalidSpecError(f"{kind} is supported only for tabular datasets")
    if kind == "filterSplit":
        filters = [_compile_filter(spec.get(f"{name}Filter", ""), name) for name in SPLIT_NAMES]
        assignment = [next((i for i, f in enumerate(filters) if f(item_labels(item))), None) for item in items]
        return _by_index(items, assignment)
    if kind == "predefinedSplit":
        key = _key(spec, kind)
        return _by_index(items, _predefined([item_labels(item).get(key) for item in items]))
    return _by_index(items, _fraction(range(len(items)), _fractions(spec)))


def item_labels(item: Mapping[str, Any]) -> dict[str, str]:
    labels = {**(item.get("labels") or {}), **(item.get("dataItemResourceLabels") or {})}
    return {str(k): str(v) for k, v in labels.items()}


# -- split kinds ----------------------------------------------------------------------------------
def _split_kind(config: Mapping[str, Any]) -> str | None:
    kinds = [kind for kind in _SPLIT_KINDS if kind in config]
    if len(kinds) > 1:
        raise InvalidSpecError(f"inputDataConfig sets several splits: {kinds}")
    return kinds[0] if kinds else None


def _key(spec: Mapping[str, Any], kind: str) -> str:
    key = spec.get("key")
    if not key:
        raise InvalidSpecError(f"{kind}.key is required")
    return str(key)


def _fractions(spec: Mapping[str, Any]) -> tuple[float, float, float]:
    given = [spec.get(f"{name}Fraction") for name in SPLIT_NAMES]
    values = [float(v) if v is not None else 0.0 for v in given]
    if any(v < 0 or v > 1 for v in values):
        raise InvalidSpecError(f"split fractions must be between 0 and 1, not {values}")
    total = sum(values)
    if total > 1 + 1e-9:
        raise InvalidSpecError(f"split fractions must sum to at most 1, not {total:g}")
    if total == 0:
        return _DEFAULT_FRACTIONS
    if total < 1 - 1e-9:
        unset = [i for i, v in enumerate(values) if not v]
        weights = [_DEFAULT_FRACTIONS[i] if i in unset else 0.0 for i in range(3)] if unset else values
        share = (1 - total) / sum(weights)
        values = [v + w * share for v, w in zip(values, weights, strict=True)]
    return values[0], values[1], values[2]


def _fraction(indices: Sequence[int], fractions: tuple[float, float, float]) -> dict[int, int]:
    """Seeded shuffle, then cut: index -> set number."""
    shuffled = list(indices)
    random.Random(_SHUFFLE_SEED).shuffle(shuffled)
    return _cut(shuffled, fractions)


def _cut(ordered: Sequence[int], fractions: tuple[float, float, float]) -> dict[int, int]:
    count = len(ordered)
    first = round(count * fractions[0])
    second = round(count * (fractions[0] + fractions[1]))
    third = round(count * sum(fractions))
    assignment = {}
    for position, index in enumerate(ordered[:third]):
        assignment[index] = 0 if position < first else 1 if position < second else 2
    return assignment


def _predefined(values: Sequence[Any]) -> list[int | None]:
    return [SPLIT_NAMES.index(v) if v in SPLIT_NAMES else None for v in values]


def _timestamp(rows: Sequence[Mapping[str, Any]], key: str, fractions: tuple[float, float, float]) -> dict[int, int]:
    stamped = []
    for index, row in enumerate(rows):
        value = row.get(key)
        if isinstance(value, str) and _RFC3339.match(value.strip()):
            stamped.append((datetime.fromisoformat(value.strip()), index))
    stamped.sort()  # oldest first; equal timestamps keep input order
    return _cut([index for _, index in stamped], fractions)


def _stratified(rows: Sequence[Mapping[str, Any]], key: str, fractions: tuple[float, float, float]) -> dict[int, int]:
    classes: dict[Any, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        classes[row.get(key)].append(index)
    frequent = {value for value, _ in Counter({v: len(i) for v, i in classes.items()}).most_common(_MAX_STRATA)}
    assignment: dict[int, int] = {}
    pooled: list[int] = []
    for value, indices in classes.items():
        if value in frequent and value not in (None, "") and len(indices) >= _MIN_STRATUM_ROWS:
            assignment.update(_fraction(indices, fractions))
        else:
            pooled.extend(indices)
    assignment.update(_fraction(sorted(pooled), fractions))
    return assignment


def _by_index(rows: Sequence[RowT], assignment: Mapping[int, int] | Sequence[int | None]) -> DataSplit[RowT]:
    sets: list[list[RowT]] = [[], [], []]
    lookup = assignment.get if isinstance(assignment, Mapping) else (lambda i: assignment[i])
    for index, row in enumerate(rows):
        target = lookup(index)
        if target is not None:
            sets[target].append(row)
    return DataSplit(sets[0], sets[1], sets[2])


# -- label filters ----------------------------------------------------------------------------------
_TERM = re.compile(r"^(NOT\s+|-)?\s*labels\.(?P<key>[^=!:\s]+)\s*(?P<op>!=|=|:)\s*(?P<value>.+?)\s*$")


def _compile_filter(expression: str, split_name: str) -> Callable[[Mapping[str, str]], bool]:
    """``-`` (nothing), empty (everything), or ``labels.K=V`` / ``labels.K!=V`` / ``labels.K:*`` / ``labels.K:V``
    terms (``NOT`` or ``-`` negates) joined by ``AND``/``OR`` (AND binds tighter), as ListDataItems filters."""
    expression = expression.strip()
    if expression == "-":
        return lambda labels: False
    if not expression:
        return lambda labels: True
    alternatives = [
        [_compile_term(term, split_name) for term in re.split(r"\s+AND\s+", alternative)]
        for alternative in re.split(r"\s+OR\s+", expression)
    ]
    return lambda labels: any(all(term(labels) for term in terms) for terms in alternatives)


def _compile_term(term: str, split_name: str) -> Callable[[Mapping[str, str]], bool]:
    match = _TERM.match(term.strip())
    if not match:
        raise InvalidSpecError(
            f"filterSplit.{split_name}Filter: cannot read {term!r}; use labels.KEY=VALUE, labels.KEY!=VALUE, "
            "labels.KEY:*, joined by AND/OR, or '-' for nothing"
        )
    key, op, value = match["key"], match["op"], match["value"].strip('"')
    negate = bool(match.group(1))

    def test(labels: Mapping[str, str]) -> bool:
        if op == ":" and value == "*":
            result = key in labels
        elif op == "!=":
            result = labels.get(key) != value
        else:
            result = labels.get(key) == value
        return result != negate

    return test
