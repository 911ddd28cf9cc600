"""Trial suggestions from a StudySpec: grid search and seeded random search honouring scale types.

- ``GRID_SEARCH``: every combination of the integer, categorical and discrete values once, in row-major order
  (the first parameter changes slowest); doubles are refused, as the real service refuses them. The study ends
  when the grid does (``maxTrialCount`` may stop it earlier).
- ``RANDOM_SEARCH`` and the default algorithm: each parameter sampled on its scale (linear, log, reverse log),
  reproducibly from the job's seed. A combination already suggested is never suggested again while an
  unexplored one remains: a finite space (no doubles) of ``n`` combinations gets ``n`` distinct trials before
  any repeats. (Vertex's default algorithm is Bayesian optimisation; the emulator explores at random.)
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import InvalidSpecError, UnsupportedError

ParameterValue = float | int | str

_GRID_SEARCH = "GRID_SEARCH"
_RANDOM_ALGORITHMS = ("ALGORITHM_UNSPECIFIED", "RANDOM_SEARCH")
_LINEAR, _LOG, _REVERSE_LOG = "UNIT_LINEAR_SCALE", "UNIT_LOG_SCALE", "UNIT_REVERSE_LOG_SCALE"


@dataclass(frozen=True)
class Parameter:
    """One parameter of the study. ``kind``: double, integer, categorical or discrete."""

    parameter_id: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    values: tuple[ParameterValue, ...] = ()
    scale: str = "SCALE_TYPE_UNSPECIFIED"

    def grid_values(self) -> Sequence[ParameterValue]:
        if self.kind == "integer":
            return range(int(self.low), int(self.high) + 1)
        if self.kind == "double":
            raise InvalidSpecError(
                f"GRID_SEARCH needs integer, categorical or discrete parameters; {self.parameter_id!r} is a double"
            )
        return self.values

    def sample(self, rng: random.Random) -> ParameterValue:
        if self.kind in ("categorical", "discrete"):
            return rng.choice(self.values)
        value = _scaled_sample(rng, self.low, self.high, self.scale, self.parameter_id)
        if self.kind == "integer":
            return min(int(self.high), max(int(self.low), round(value)))
        return value


def _scaled_sample(rng: random.Random, low: float, high: float, scale: str, parameter_id: str) -> float:
    if scale in (_LOG, _REVERSE_LOG):
        if low <= 0:
            raise InvalidSpecError(f"{parameter_id!r}: a log scale needs minValue > 0, not {low:g}")
        log_sample = math.exp(rng.uniform(math.log(low), math.log(high)))
        # Reverse log mirrors the log density so values crowd near maxValue instead of minValue.
        return log_sample if scale == _LOG else min(high, max(low, high + low - log_sample))
    return rng.uniform(low, high)


def parse_parameters(study_spec: Mapping[str, Any]) -> list[Parameter]:
    """The study's parameters (canonical proto JSON of a StudySpec)."""
    parameters = []
    for spec in study_spec.get("parameters", []):
        parameter_id = spec.get("parameterId", "")
        if not parameter_id:
            raise InvalidSpecError("studySpec.parameters[].parameterId is required")
        if spec.get("conditionalParameterSpecs"):
            raise UnsupportedError(f"{parameter_id!r}: conditional parameters are not supported by the emulator")
        scale = spec.get("scaleType", "SCALE_TYPE_UNSPECIFIED")
        if "doubleValueSpec" in spec or "integerValueSpec" in spec:
            kind = "double" if "doubleValueSpec" in spec else "integer"
            bounds = spec.get("doubleValueSpec") or spec.get("integerValueSpec") or {}
            low, high = float(bounds.get("minValue", 0)), float(bounds.get("maxValue", 0))
            if low > high:
                raise InvalidSpecError(f"{parameter_id!r}: minValue {low:g} is above maxValue {high:g}")
            parameters.append(Parameter(parameter_id, kind, low=low, high=high, scale=scale))
        elif "categoricalValueSpec" in spec or "discreteValueSpec" in spec:
            kind = "categorical" if "categoricalValueSpec" in spec else "discrete"
            values = (spec.get("categoricalValueSpec") or spec.get("discreteValueSpec") or {}).get("values", [])
            if not values:
                raise InvalidSpecError(f"{parameter_id!r}: {kind} parameters need at least one value")
            parameters.append(Parameter(parameter_id, kind, values=tuple(values), scale=scale))
        else:
            raise InvalidSpecError(f"{parameter_id!r} has no value spec (double, integer, categorical, discrete)")
    if not parameters:
        raise InvalidSpecError("studySpec.parameters must name at least one parameter")
    return parameters


def suggestions(study_spec: Mapping[str, Any], seed: int = 0) -> Iterator[dict[str, ParameterValue]]:
    """Parameter sets in trial order: the grid in row-major order (ends when exhausted) for GRID_SEARCH,
    an endless reproducible random sequence for RANDOM_SEARCH and the default algorithm."""
    parameters = parse_parameters(study_spec)
    algorithm = study_spec.get("algorithm", "ALGORITHM_UNSPECIFIED")
    if algorithm == _GRID_SEARCH:
        grids = [parameter.grid_values() for parameter in parameters]
        ids = [parameter.parameter_id for parameter in parameters]
        return (dict(zip(ids, combination, strict=True)) for combination in itertools.product(*grids))
    if algorithm not in _RANDOM_ALGORITHMS:
        raise UnsupportedError(f"The study algorithm {algorithm} is not supported by the emulator")
    return _random(parameters, random.Random(seed))


_RESAMPLES = 32
"""Draws on the parameters' own scales before a repeat is replaced by an unexplored combination."""
_ENUMERABLE = 100_000
"""The largest finite space whose unexplored combinations are listed to pick from."""


def _space(parameters: Sequence[Parameter]) -> list[Sequence[ParameterValue]] | None:
    """Each parameter's values if the space is finite (no doubles), else ``None``."""
    if any(parameter.kind == "double" for parameter in parameters):
        return None
    return [parameter.grid_values() for parameter in parameters]


def _random(parameters: Sequence[Parameter], rng: random.Random) -> Iterator[dict[str, ParameterValue]]:
    ids = [parameter.parameter_id for parameter in parameters]
    space = _space(parameters)
    size = math.prod(len(values) for values in space) if space is not None else math.inf
    seen: set[tuple[ParameterValue, ...]] = set()
    while True:
        draw = tuple(parameter.sample(rng) for parameter in parameters)
        for _ in range(_RESAMPLES):
            if draw not in seen or len(seen) >= size:
                break
            draw = tuple(parameter.sample(rng) for parameter in parameters)
        if draw in seen and len(seen) < size <= _ENUMERABLE and space is not None:
            unexplored = [combination for combination in itertools.product(*space) if combination not in seen]
            draw = rng.choice(unexplored)
        seen.add(draw)
        yield dict(zip(ids, draw, strict=True))


def format_value(value: ParameterValue) -> str:
    """How a value appears in ``--<parameterId>=<value>``: integral numbers without ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def trial_arguments(parameters: Mapping[str, ParameterValue]) -> list[str]:
    return [f"--{parameter_id}={format_value(value)}" for parameter_id, value in parameters.items()]


def parameters_json(parameters: Mapping[str, ParameterValue]) -> list[dict[str, Any]]:
    """A trial's ``parameters`` field: ``[{"parameterId": ..., "value": ...}]``."""
    return [{"parameterId": parameter_id, "value": value} for parameter_id, value in parameters.items()]
