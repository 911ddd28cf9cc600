"""The Pulumi resource classes: type tokens, typed Args that offer exactly the spec's inputs, declared outputs."""

from __future__ import annotations

import dataclasses

import pytest

from vertex_resources import providers
from vertex_resources.providers._provider import VertexProvider
from vertex_resources.providers._resource import input_field_names, output_names

KINDS = ["Dataset", "TrainingPipeline", "CustomJob", "HyperparameterTuningJob", "Model", "BatchPredictionJob"]


@pytest.mark.parametrize("kind", KINDS)
def test_args_offer_exactly_the_spec_inputs(kind: str) -> None:
    args_type = getattr(providers, f"{kind}Args")
    provider_type: type[VertexProvider] = getattr(providers, f"{kind}Provider")
    assert {field.name for field in dataclasses.fields(args_type)} == input_field_names(provider_type)


@pytest.mark.parametrize("kind", KINDS)
def test_type_token_and_declared_outputs(kind: str) -> None:
    resource_type = getattr(providers, kind)
    provider_type: type[VertexProvider] = getattr(providers, f"{kind}Provider")
    assert resource_type._resource_type_name == f"dynamic/vertex:{kind}"
    annotated = set()
    for klass in resource_type.__mro__:
        annotated |= set(getattr(klass, "__annotations__", {}))
    missing = set(output_names(provider_type)) - annotated - {"trials", "training_task_metadata", "error"}
    assert not missing, f"{kind} outputs without a typed property: {missing}"
