"""Bad inputs never reach the API: each one is a CheckFailure on its property path, with zero API calls."""

from __future__ import annotations

from typing import Any

import pytest

from vertex_emulator import ControlClient
from vertex_resources.providers import (
    BatchPredictionJobProvider,
    CustomJobProvider,
    DatasetProvider,
    HyperparameterTuningJobProvider,
    ModelProvider,
    TrainingPipelineProvider,
)
from vertex_resources.providers._provider import VertexProvider
from vertex_resources.specs import (
    BatchPredictionJobDefinition,
    CustomJobDefinition,
    DatasetDefinition,
    HyperparameterTuningJobDefinition,
    ModelDefinition,
    TrainingPipelineDefinition,
)

from ..specs.cases import BASES
from ..specs.cases import with_change as _with
from ..specs.test_api_rules import API_CASES
from ..specs.test_rules import CASES
from .harness import UNKNOWN, ProviderServer

PROVIDERS: dict[type, type[VertexProvider]] = {
    TrainingPipelineDefinition: TrainingPipelineProvider,
    CustomJobDefinition: CustomJobProvider,
    HyperparameterTuningJobDefinition: HyperparameterTuningJobProvider,
    DatasetDefinition: DatasetProvider,
    ModelDefinition: ModelProvider,
    BatchPredictionJobDefinition: BatchPredictionJobProvider,
}


def test_every_invalid_spec_is_a_check_failure_on_its_property(server: ProviderServer, control: ControlClient) -> None:
    assert len(CASES) >= 30
    for kind, path, bad, where, words, _good in CASES + API_CASES:
        if not _sendable(bad):
            continue  # numbers beyond a double never come through the engine (protobuf Struct numbers are doubles)
        resource = server.resource(PROVIDERS[kind](), "bad")
        outcome = resource.check(_with(BASES[kind], path, bad))
        assert any(prop == (where or "(resource)") and words in reason for prop, reason in outcome.failures), (
            f"{kind.__name__} {path}: expected a failure on {where!r} mentioning {words!r}, got {outcome.failures}"
        )
    assert control.counters() == {}, "no API call for any check"


def _sendable(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_sendable(item) for item in value.values())
    if isinstance(value, list):
        return all(_sendable(item) for item in value)
    return not isinstance(value, int) or abs(value) < 2**1000


@pytest.mark.parametrize(
    ("provider_type", "inputs", "unknown_at"),
    [
        (BatchPredictionJobProvider, dict(BASES[BatchPredictionJobDefinition]), "model"),
        (TrainingPipelineProvider, dict(BASES[TrainingPipelineDefinition]), "input_data_config.dataset_id"),
        (DatasetProvider, dict(BASES[DatasetDefinition]), "metadata.input_config.gcs_source.uri.0"),
    ],
)
def test_preview_with_unknown_inputs_checks_what_is_known(
    server: ProviderServer,
    control: ControlClient,
    provider_type: type[VertexProvider],
    inputs: dict[str, Any],
    unknown_at: str,
) -> None:
    if unknown_at == "input_data_config.dataset_id":
        inputs["input_data_config"] = {"dataset_id": "1"}
    resource = server.resource(provider_type(), "preview")
    with_unknown = _with(inputs, unknown_at, UNKNOWN)
    assert resource.check(with_unknown).failures == []
    broken = _with(with_unknown, "display_name", "x" * 200)
    assert [prop for prop, _ in resource.check(broken).failures] == ["display_name"]
    assert control.counters() == {}


def test_region_dependent_accelerators_are_a_warning_on_stderr_not_a_failure(
    server: ProviderServer, control: ControlClient
) -> None:
    machine = {"machine_type": "n1-standard-8", "accelerator_type": "NVIDIA_TESLA_T4", "accelerator_count": 2}
    job = {**BASES[CustomJobDefinition]["job_spec"]}
    job["worker_pool_specs"] = [{**job["worker_pool_specs"][0], "machine_spec": machine}]
    outcome = server.resource(CustomJobProvider(), "gpu").check({**BASES[CustomJobDefinition], "job_spec": job})
    assert outcome.failures == []
    warning = "warning: CustomJob job_spec.worker_pool_specs[0].machine_spec: NVIDIA_TESLA_T4 (n1-standard-8) is"
    assert warning in server.stderr_text()
    assert control.counters() == {}
