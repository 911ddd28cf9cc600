"""Each split kind on data where the right answer is known."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from vertex_emulator.execution import InvalidSpecError, split_items, split_rows
from vertex_emulator.execution._spec import input_data_config


def rows(count: int) -> list[dict[str, str]]:
    return [{"id": str(i), "x": str(i * 2)} for i in range(count)]


def ids(selected: list[dict[str, Any]]) -> list[str]:
    return [row["id"] for row in selected]


def config(value: dict[str, Any]) -> dict[str, Any]:
    return input_data_config(value)  # the canonical form the run uses (camelCase, proto3 zeros omitted)


def test_no_split_means_about_80_10_10_and_every_row_once() -> None:
    data = rows(1000)
    split = split_rows(data, config({}))
    assert (len(split.training), len(split.validation), len(split.test)) == (800, 100, 100)
    assert sorted(ids(split.training + split.validation + split.test), key=int) == ids(data)


def test_fraction_split_is_deterministic_and_exact() -> None:
    data = rows(1000)
    spec = config({"fractionSplit": {"trainingFraction": 0.6, "validationFraction": 0.25, "testFraction": 0.15}})
    first, second = split_rows(data, spec), split_rows(data, spec)
    assert (len(first.training), len(first.validation), len(first.test)) == (600, 250, 150)
    assert first == second
    assert ids(first.training) == sorted(ids(first.training), key=int)  # rows keep their input order
    assert ids(first.training)[:20] != [str(i) for i in range(20)]  # but are drawn across the whole input


def test_fraction_split_accepts_the_sdks_snake_case() -> None:
    split = split_rows(rows(10), config({"fraction_split": {"training_fraction": 0.5, "validation_fraction": 0.5}}))
    assert (len(split.training), len(split.validation), len(split.test)) == (5, 5, 0)


def test_partial_fractions_leave_the_remainder_to_the_unset_sets() -> None:
    split = split_rows(rows(1000), config({"fractionSplit": {"trainingFraction": 0.7}}))
    assert (len(split.training), len(split.validation), len(split.test)) == (700, 150, 150)


def test_fractions_above_one_are_rejected() -> None:
    with pytest.raises(InvalidSpecError, match="sum to at most 1"):
        split_rows(rows(10), config({"fractionSplit": {"trainingFraction": 0.9, "testFraction": 0.2}}))


def item(name: str, **labels: str) -> dict[str, Any]:
    return {"textContent": name, "dataItemResourceLabels": labels}


ML_USE = "aiplatform.googleapis.com/ml_use"


def test_filter_split_first_match_wins_and_unmatched_items_are_unused() -> None:
    items = [
        item("a", **{ML_USE: "training"}),
        item("b", **{ML_USE: "validation"}),
        item("c", **{ML_USE: "test"}),
        item("d", **{ML_USE: "unknown"}),
        item("e", **{ML_USE: "training", "gold": "yes"}),
        item("f", gold="yes"),
    ]
    split = split_items(items, config({"filterSplit": {
        "trainingFilter": f"labels.{ML_USE}=training",
        "validationFilter": f"labels.{ML_USE}=validation OR labels.gold:*",
        "testFilter": f'labels.{ML_USE}="test"',
    }}))
    names = {k: [i["textContent"] for i in v] for k, v in split.sets().items()}
    assert names == {"training": ["a", "e"], "validation": ["b", "f"], "test": ["c"]}


def test_filter_minus_matches_nothing() -> None:
    items = [item(str(i), **{ML_USE: "training"}) for i in range(3)]
    split = split_items(items, config({"filterSplit": {
        "trainingFilter": "-", "validationFilter": f"labels.{ML_USE}:*", "testFilter": "-",
    }}))
    assert (len(split.training), len(split.validation), len(split.test)) == (0, 3, 0)


def test_filter_split_is_for_unstructured_data_only() -> None:
    with pytest.raises(InvalidSpecError, match="unstructured"):
        split_rows(rows(3), config({"filterSplit": {"trainingFilter": "-", "validationFilter": "-", "testFilter": ""}}))


def test_unreadable_filters_are_rejected_with_the_split_named() -> None:
    with pytest.raises(InvalidSpecError, match="validationFilter"):
        split_items([item("a")], config({"filterSplit": {
            "trainingFilter": "-", "validationFilter": "ml_use is training", "testFilter": "-",
        }}))


def test_predefined_split_follows_the_column_and_ignores_other_values() -> None:
    data = [{"id": str(i), "use": use} for i, use in enumerate(
        ["training", "test", "validation", "training", "TRAINING", "", "test", "holdout"])]
    split = split_rows(data, config({"predefinedSplit": {"key": "use"}}))
    assert (ids(split.training), ids(split.validation), ids(split.test)) == (["0", "3"], ["2"], ["1", "6"])


def test_predefined_split_of_items_reads_their_labels() -> None:
    items = [item("a", use="test"), item("b", use="training"), item("c")]
    split = split_items(items, config({"predefinedSplit": {"key": "use"}}))
    assert [i["textContent"] for i in split.training] == ["b"]
    assert [i["textContent"] for i in split.test] == ["a"]


def test_timestamp_split_puts_the_oldest_rows_in_training_and_the_newest_in_test() -> None:
    stamps = [f"2024-01-{day:02d}T12:00:00Z" for day in range(1, 11)]
    data = [{"id": str(i), "when": stamp} for i, stamp in enumerate(stamps)]
    random.Random(3).shuffle(data)
    data += [{"id": "bad", "when": "yesterday"}, {"id": "none", "when": ""}, {"id": "date-only", "when": "2024-01-01"}]
    split = split_rows(data, config({"timestampSplit": {
        "key": "when", "trainingFraction": 0.6, "validationFraction": 0.2, "testFraction": 0.2,
    }}))
    days = {k: sorted(int(r["when"][8:10]) for r in v) for k, v in split.sets().items()}
    assert days == {"training": [1, 2, 3, 4, 5, 6], "validation": [7, 8], "test": [9, 10]}


def test_timestamp_split_orders_by_instant_not_by_text() -> None:
    data = [
        {"id": "late", "when": "2024-01-01T10:00:00+05:00"},   # 05:00Z
        {"id": "early", "when": "2024-01-01T04:00:00.5Z"},
    ]
    split = split_rows(data, config({"timestampSplit": {"key": "when", "trainingFraction": 0.5, "testFraction": 0.5}}))
    assert ids(split.training) == ["early"]
    assert ids(split.test) == ["late"]


def test_timestamp_and_stratified_splits_are_for_tabular_data_only() -> None:
    with pytest.raises(InvalidSpecError, match="tabular"):
        split_items([item("a")], config({"timestampSplit": {"key": "t"}}))
    with pytest.raises(InvalidSpecError, match="tabular"):
        split_items([item("a")], config({"stratifiedSplit": {"key": "t"}}))


def test_stratified_split_keeps_class_proportions_in_every_set() -> None:
    data = [{"id": str(i), "label": label} for i, label in enumerate(["A"] * 500 + ["B"] * 250 + ["C"] * 250)]
    random.Random(5).shuffle(data)
    split = split_rows(data, config({"stratifiedSplit": {
        "key": "label", "trainingFraction": 0.8, "validationFraction": 0.1, "testFraction": 0.1,
    }}))
    counts = {k: Counter(r["label"] for r in v) for k, v in split.sets().items()}
    assert counts == {
        "training": {"A": 400, "B": 200, "C": 200},
        "validation": {"A": 50, "B": 25, "C": 25},
        "test": {"A": 50, "B": 25, "C": 25},
    }


def test_stratified_split_assigns_rare_classes_without_losing_rows() -> None:
    data = [{"id": str(i), "label": "A"} for i in range(20)]
    data += [{"id": "r1", "label": "rare"}, {"id": "r2", "label": "rare"}]
    split = split_rows(data, config({"stratifiedSplit": {"key": "label"}}))
    assert Counter(r["label"] for r in split.training)["A"] == 16
    assert sum(len(v) for v in split.sets().values()) == 22


def test_a_split_needs_its_key() -> None:
    with pytest.raises(InvalidSpecError, match="key is required"):
        split_rows(rows(3), config({"predefinedSplit": {}}))
