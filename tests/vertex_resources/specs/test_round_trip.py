"""Conversion both ways, for every kind: spec -> v1 REST JSON -> spec is exact, also when the JSON comes back
the way a server renders it (official proto types: snake_case keys, enums as numbers, int64 as strings)."""

from __future__ import annotations

import json
from typing import Any

import proto  # type: ignore[import-untyped]
import pytest
from google.cloud import aiplatform_v1
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vertex_resources.specs import ApiModel

from .strategies import ALL_KINDS

PROTO_TYPES: dict[str, type[proto.Message]] = {
    "TrainingPipeline": aiplatform_v1.TrainingPipeline,
    "CustomJob": aiplatform_v1.CustomJob,
    "HyperparameterTuningJob": aiplatform_v1.HyperparameterTuningJob,
    "Dataset": aiplatform_v1.Dataset,
    "Model": aiplatform_v1.Model,
    "BatchPredictionJob": aiplatform_v1.BatchPredictionJob,
}
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _server_rendering(kind: str, body: dict[str, Any], *, snake: bool, int_enums: bool) -> dict[str, Any]:
    message_type = PROTO_TYPES[kind]
    message = message_type.from_json(json.dumps(body), ignore_unknown_fields=False)
    rendered: dict[str, Any] = json.loads(
        message_type.to_json(message, use_integers_for_enums=int_enums, preserving_proto_field_name=snake)
    )
    return rendered


@pytest.mark.parametrize("kind", sorted(ALL_KINDS))
@SETTINGS
@given(data=st.data())
def test_round_trip_is_exact(kind: str, data: st.DataObject) -> None:
    spec: ApiModel = data.draw(ALL_KINDS[kind])
    body = spec.to_api()
    again = type(spec).from_api(body)
    assert again == spec
    assert again.to_api() == body
    assert type(spec).parse(spec.to_plain()) == spec


@pytest.mark.parametrize("kind", sorted(ALL_KINDS))
@SETTINGS
@given(data=st.data(), snake=st.booleans(), int_enums=st.booleans())
def test_server_rendered_json_reads_back_to_the_same_spec(
    kind: str, data: st.DataObject, snake: bool, int_enums: bool
) -> None:
    spec: ApiModel = data.draw(ALL_KINDS[kind])
    body = spec.to_api()
    rendered = _server_rendering(kind, body, snake=snake, int_enums=int_enums)
    assert type(spec).from_api(rendered) == spec
