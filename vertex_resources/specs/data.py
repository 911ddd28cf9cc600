"""Managed-dataset input of a training pipeline: the five data splits and where the split data is written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field

from ..errors import Problem
from ._base import UNION_TAGS, ApiModel, Change, FieldKind
from ._types import BigQueryPath, Bool, Double
from .job import GcsDestination

__all__ = [
    "BigQueryDestination",
    "FilterSplit",
    "FractionSplit",
    "InputDataConfig",
    "PredefinedSplit",
    "Split",
    "StratifiedSplit",
    "TimestampSplit",
]

# The split's kind picks the message; on the wire the kind is the key (``fractionSplit`` ...), not a field.
_KIND = Change(FieldKind.REPLACE, in_body=False)
Fraction = Annotated[Double | None, Field(default=None, ge=0.0, le=1.0)]


class _Fractions(ApiModel):
    training_fraction: Fraction = None
    validation_fraction: Fraction = None
    test_fraction: Fraction = None

    def _problems(self) -> Iterator[Problem]:
        total = sum(f or 0.0 for f in (self.training_fraction, self.validation_fraction, self.test_fraction))
        if total > 1.0 + 1e-9:
            yield Problem((), f"training, validation and test fractions must sum to at most 1, got {total:g}")


class _KeyedFractions(_Fractions):
    key: str = Field(min_length=1)


class FractionSplit(_Fractions):
    """Random split by fractions; nothing set means about 80/10/10."""

    kind: Annotated[Literal["fraction"], _KIND] = "fraction"
    """Which split this is; set by the class (``fraction``), so a dict says it explicitly."""


class FilterSplit(ApiModel):
    """Split by data-item filters; an item matching several goes to the first of training, validation, test.
    ``-`` matches nothing. Unstructured (non-tabular) datasets only."""

    kind: Annotated[Literal["filter"], _KIND] = "filter"
    """Which split this is; set by the class (``filter``), so a dict says it explicitly."""
    training_filter: str = Field(min_length=1)
    validation_filter: str = Field(min_length=1)
    test_filter: str = Field(min_length=1)


class PredefinedSplit(ApiModel):
    """Split by a column whose value is ``training``, ``validation`` or ``test``."""

    kind: Annotated[Literal["predefined"], _KIND] = "predefined"
    """Which split this is; set by the class (``predefined``), so a dict says it explicitly."""
    key: str = Field(min_length=1)


class TimestampSplit(_KeyedFractions):
    """Oldest rows to training, newest to test, ordered by an RFC3339 ``key`` column. Tabular only."""

    kind: Annotated[Literal["timestamp"], _KIND] = "timestamp"
    """Which split this is; set by the class (``timestamp``), so a dict says it explicitly."""


class StratifiedSplit(_KeyedFractions):
    """Random split by fractions keeping each class of the categorical ``key`` column in proportion."""

    kind: Annotated[Literal["stratified"], _KIND] = "stratified"
    """Which split this is; set by the class (``stratified``), so a dict says it explicitly."""


Split = Annotated[
    FractionSplit | FilterSplit | PredefinedSplit | TimestampSplit | StratifiedSplit, Field(discriminator="kind")
]
_SPLIT_KINDS = ("fraction", "filter", "predefined", "timestamp", "stratified")
UNION_TAGS.update(_SPLIT_KINDS)
_WIRE_KEYS = {kind: f"{kind}Split" for kind in _SPLIT_KINDS}
_SNAKE_KEYS = {f"{kind}_split": kind for kind in _SPLIT_KINDS}


class BigQueryDestination(ApiModel):
    output_uri: BigQueryPath


class InputDataConfig(ApiModel):
    """Which managed dataset a pipeline trains on, how it is split, and where the split files go."""

    dataset_id: str = Field(min_length=1)
    annotations_filter: str | None = None
    annotation_schema_uri: str | None = None
    saved_query_id: str | None = None
    persist_ml_use_assignment: Bool | None = None
    split: Split | None = None
    """How the dataset's rows are split into training, validation and test sets: one of FractionSplit,
    FilterSplit, PredefinedSplit, TimestampSplit, StratifiedSplit (default: Vertex's 80/10/10 random split)."""
    gcs_destination: GcsDestination | None = None
    bigquery_destination: BigQueryDestination | None = None

    def _problems(self) -> Iterator[Problem]:
        if self.gcs_destination is not None and self.bigquery_destination is not None:
            yield Problem((), "set at most one of gcs_destination or bigquery_destination")
        if self.annotation_schema_uri is not None and self.saved_query_id is not None:
            yield Problem(("saved_query_id",), "set at most one of annotation_schema_uri or saved_query_id")

    @classmethod
    def _from_wire_shape(cls, data: dict[str, Any]) -> dict[str, Any]:
        found = [key for key in data if key in _SNAKE_KEYS or key in _WIRE_KEYS.values()]
        if not found:
            return data
        reshaped = {key: value for key, value in data.items() if key not in found}
        if len(found) > 1:
            reshaped["split"] = {"kind": "more than one split"}  # reported by the union as a bad kind
            return reshaped
        key = found[0]
        kind = _SNAKE_KEYS.get(key) or key.removesuffix("Split")
        value = data[key]
        reshaped["split"] = {"kind": kind, **value} if isinstance(value, dict) else value
        return reshaped

    def _to_wire_shape(self, data: dict[str, Any]) -> dict[str, Any]:
        split = data.pop("split", None)
        if self.split is not None and isinstance(split, dict):
            data[_WIRE_KEYS[self.split.kind]] = split
        return data
