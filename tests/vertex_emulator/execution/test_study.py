from __future__ import annotations

import itertools
import math
import statistics

import pytest

from vertex_emulator.execution import InvalidSpecError, suggestions
from vertex_emulator.execution._spec import tuning_job
from vertex_emulator.execution._study import trial_arguments


def study(parameters: list[dict[str, object]], algorithm: str | int = 0) -> dict[str, object]:
    spec = tuning_job({"studySpec": {"metrics": [{"metricId": "m", "goal": 1}], "parameters": parameters,
                                     "algorithm": algorithm}})
    return dict(spec["studySpec"])


def test_grid_search_walks_the_whole_grid_in_order_then_stops() -> None:
    spec = study([
        {"parameterId": "layers", "integerValueSpec": {"minValue": "1", "maxValue": "3"}},
        {"parameterId": "optimizer", "categoricalValueSpec": {"values": ["sgd", "adam"]}},
        {"parameterId": "rate", "discreteValueSpec": {"values": [0.1, 0.5]}},
    ], algorithm="GRID_SEARCH")
    grid = list(suggestions(spec))
    assert len(grid) == 12
    assert grid[0] == {"layers": 1, "optimizer": "sgd", "rate": 0.1}
    assert grid[-1] == {"layers": 3, "optimizer": "adam", "rate": 0.5}
    assert len({tuple(sorted(g.items())) for g in grid}) == 12


def test_grid_search_refuses_continuous_parameters() -> None:
    spec = study([{"parameterId": "x", "doubleValueSpec": {"minValue": 0, "maxValue": 1}}], algorithm=2)
    with pytest.raises(InvalidSpecError, match="GRID_SEARCH"):
        list(suggestions(spec))


def test_random_search_is_the_default_and_reproducible_per_seed() -> None:
    spec = study([{"parameterId": "x", "doubleValueSpec": {"minValue": 0, "maxValue": 1}},
                  {"parameterId": "n", "integerValueSpec": {"minValue": "2", "maxValue": "4"}}])
    first = list(itertools.islice(suggestions(spec, seed=1), 50))
    assert first == list(itertools.islice(suggestions(spec, seed=1), 50))
    assert first != list(itertools.islice(suggestions(spec, seed=2), 50))
    assert all(0 <= s["x"] <= 1 for s in first)
    assert {s["n"] for s in first} == {2, 3, 4}


def samples(scale: str, count: int = 4000) -> list[float]:
    spec = study([{"parameterId": "x", "doubleValueSpec": {"minValue": 1, "maxValue": 1000}, "scaleType": scale}],
                 algorithm="RANDOM_SEARCH")
    return [float(s["x"]) for s in itertools.islice(suggestions(spec, seed=0), count)]


def test_scale_types_shape_the_random_samples() -> None:
    linear, log, reverse = samples("UNIT_LINEAR_SCALE"), samples("UNIT_LOG_SCALE"), samples("UNIT_REVERSE_LOG_SCALE")
    assert 450 < statistics.median(linear) < 550  # uniform over [1, 1000]
    assert 20 < statistics.median(log) < 50  # log-uniform: the median is the geometric mean, ~31.6
    assert 950 < statistics.median(reverse) < 985  # mirrored: values crowd near the top
    assert all(1 <= v <= 1000 for v in log + reverse)
    assert math.isclose(statistics.median(reverse), 1001 - statistics.median(log), rel_tol=0.02)


def test_log_scale_needs_positive_bounds() -> None:
    spec = study([{"parameterId": "x", "doubleValueSpec": {"minValue": 0, "maxValue": 1}, "scaleType": 2}])
    with pytest.raises(InvalidSpecError, match="minValue > 0"):
        next(suggestions(spec))


def test_trial_arguments() -> None:
    assert trial_arguments({"max-depth": 3, "lr": 0.01, "opt": "adam", "batch": 32.0}) == [
        "--max-depth=3", "--lr=0.01", "--opt=adam", "--batch=32",
    ]


def _integer_study(low: int, high: int) -> dict[str, object]:
    return study([{"parameterId": "max-depth", "integerValueSpec": {"minValue": str(low), "maxValue": str(high)}}])


@pytest.mark.parametrize("seed", range(20))
def test_random_search_repeats_nothing_while_values_remain(seed: int) -> None:
    # The local stack's study: max-depth from 2 to 6 (it used to try 5 twice).
    trials = [s["max-depth"] for s in itertools.islice(suggestions(_integer_study(2, 6), seed=seed), 5)]
    assert sorted(trials) == [2, 3, 4, 5, 6]


def test_random_search_covers_a_finite_space_of_several_parameters_before_repeating() -> None:
    spec = study([
        {"parameterId": "depth", "integerValueSpec": {"minValue": "1", "maxValue": "3"}},
        {"parameterId": "loss", "categoricalValueSpec": {"values": ["log", "hinge"]}},
        {"parameterId": "alpha", "discreteValueSpec": {"values": [0.1, 1.0]}},
    ])
    combinations = [tuple(s.values()) for s in itertools.islice(suggestions(spec, seed=3), 12)]
    assert len(set(combinations)) == 12  # 3 x 2 x 2: every one once
    assert len(list(itertools.islice(suggestions(spec, seed=3), 30))) == 30  # then it goes on, repeating


def test_random_search_in_a_huge_space_still_never_repeats_early() -> None:
    trials = [s["max-depth"] for s in itertools.islice(suggestions(_integer_study(0, 10**9), seed=0), 200)]
    assert len(set(trials)) == 200
