"""No input crashes a check: arbitrary JSON-ish values, anywhere in a valid spec or as the whole spec, give a
``SpecError`` (or pass), never another exception; the provider's check turns them into failures."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vertex_resources import SpecError
from vertex_resources.providers import (
    BatchPredictionJobProvider,
    CustomJobProvider,
    DatasetProvider,
    HyperparameterTuningJobProvider,
    ModelProvider,
    TrainingPipelineProvider,
)
from vertex_resources.providers._provider import VertexProvider
from vertex_resources.specs._base import ApiModel, walk

from .cases import BASES

PROVIDERS: list[type[VertexProvider]] = [
    TrainingPipelineProvider,
    CustomJobProvider,
    HyperparameterTuningJobProvider,
    DatasetProvider,
    ModelProvider,
    BatchPredictionJobProvider,
]


def _field_names() -> list[str]:
    names: set[str] = set()
    for data in BASES.values():
        for kind in BASES:
            if BASES[kind] is data:
                for _path, model in walk(kind.parse(data)):
                    for name, info in type(model).model_fields.items():
                        names.update({name, info.alias or name})
    return sorted(names)


KEYS = st.one_of(st.sampled_from(_field_names()), st.text(max_size=8))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**31, 2**63, 10**400, -(10**30)]),
    st.floats(),
    st.text(max_size=30),
    st.sampled_from(
        ["99999999999999999999s", "-1s", "1e309", "NaN", "gs://", "bq://", "projects/", "0", "unknown-until-apply"]
    ),
)
JSONISH = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=4)),
    max_leaves=12,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _replaced(base: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy: Any = dict(base) if isinstance(base, dict) else list(base)
    copy[path[0]] = _replaced(base[path[0]], path[1:], value)
    return copy


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> Any:
    spec: Any = base
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(spec) if isinstance(spec, dict | list) else [()]
        spec = _replaced(spec, draw(st.sampled_from(paths)), draw(JSONISH))
    if isinstance(spec, dict) and draw(st.booleans()):
        spec = {**spec, draw(KEYS): draw(JSONISH)}
    return spec


def _parse_or_spec_error(kind: type[ApiModel], data: Any) -> None:
    with contextlib.suppress(SpecError):
        kind.parse(data)


@pytest.mark.parametrize("kind", list(BASES), ids=[kind.__name__ for kind in BASES])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_change_to_a_valid_spec_is_a_spec_error_or_valid(kind: type[ApiModel], data: st.DataObject) -> None:
    _parse_or_spec_error(kind, data.draw(mutated(BASES[kind])))


@pytest.mark.parametrize("kind", list(BASES), ids=[kind.__name__ for kind in BASES])
@settings(max_examples=60, deadline=None)
@given(value=JSONISH)
def test_any_value_as_a_whole_spec_is_a_spec_error(kind: type[ApiModel], value: Any) -> None:
    _parse_or_spec_error(kind, value)


@pytest.mark.parametrize("provider_type", PROVIDERS, ids=[p.__name__ for p in PROVIDERS])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_check_reports_any_input_as_failures(provider_type: type[VertexProvider], data: st.DataObject) -> None:
    provider = provider_type()
    base = BASES[provider.spec_type]
    news = data.draw(mutated(base))
    if not isinstance(news, dict):
        news = {"spec": news}
    result = provider.check({}, news)
    assert all(isinstance(failure.reason, str) and failure.reason for failure in result.failures or [])
