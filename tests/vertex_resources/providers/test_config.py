"""Provider configuration: stack keys with their fallbacks, per-resource overrides, nothing secret pickled."""

from __future__ import annotations

import base64

import dill
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from vertex_resources import ConfigError
from vertex_resources.providers import TrainingPipelineProvider
from vertex_resources.providers._config import ProviderConfig


def test_vertex_keys_win_and_gcp_keys_are_the_fallback() -> None:
    config = ProviderConfig.from_stack({"gcp:project": "p-gcp", "gcp:region": "europe-west4"})
    assert (config.project, config.location) == ("p-gcp", "europe-west4")
    config = ProviderConfig.from_stack(
        {"gcp:project": "p-gcp", "vertex:project": "p-vertex", "vertex:location": "us-central1"}
    )
    assert (config.project, config.location) == ("p-vertex", "us-central1")
    assert config.api_endpoint("us-central1") == "us-central1-aiplatform.googleapis.com"
    assert not config.is_emulator
    assert ProviderConfig.from_stack({"vertex:endpoint": "http://127.0.0.1:8765"}).is_emulator


def test_resource_overrides_and_missing_keys_are_named() -> None:
    config = ProviderConfig(project="stack-project", location="us-central1")
    assert config.placement("other-project", None).parent == "projects/other-project/locations/us-central1"
    with pytest.raises(ConfigError, match=r"vertex:location \(or gcp:region\)"):
        ProviderConfig(project="p").placement(None, None)
    with pytest.raises(ConfigError, match="vertex:retryInitialDelay must be a number of seconds"):
        ProviderConfig.from_stack({"vertex:retryInitialDelay": "soon"})


def test_the_pickled_provider_holds_no_client_and_no_configuration() -> None:
    provider = TrainingPipelineProvider()
    provider._config = ProviderConfig(project="p", location="l", endpoint="https://example")
    provider._api("l")  # a session exists in the provider process ...
    restored = dill.loads(base64.b64decode(serialize_provider(provider)))
    assert restored._sessions == {}  # ... but never in state
    assert restored._config == ProviderConfig()


@pytest.mark.parametrize(
    "endpoint",
    [
        "us-central1-aiplatform.googleapis.com",
        "https://europe-west4-aiplatform.googleapis.com:443",
        "http://127.0.0.1:8765",
        "http://localhost:8765",
        "http://[::1]:8765",
    ],
)
def test_a_plain_https_host_or_a_loopback_emulator_is_an_endpoint(endpoint: str) -> None:
    config = ProviderConfig(project="acme-ml", location="us-central1", endpoint=endpoint)
    assert config.config_problems() == []
    assert config.api_endpoint("us-central1") == endpoint
    assert config.is_emulator == endpoint.startswith("http://")


def test_the_regional_host_is_built_only_from_a_region_and_bad_stack_values_name_their_key() -> None:
    config = ProviderConfig(project="123456789012", location="europe-west4")
    assert config.api_endpoint("europe-west4") == "europe-west4-aiplatform.googleapis.com"
    assert config.placement(None, None).parent == "projects/123456789012/locations/europe-west4"
    with pytest.raises(ConfigError, match=r"vertex:location \(or gcp:region\): a location is a Google Cloud region"):
        config.api_endpoint("evil.example#")
    bad = ProviderConfig(project="Acme", location="global", endpoint="http://10.0.0.8:8765")
    assert [key for key, _ in bad.config_problems()] == [
        "vertex:project (or gcp:project)",
        "vertex:location (or gcp:region)",
        "vertex:endpoint",
    ]
    with pytest.raises(ConfigError, match=r"project is its id.*not in 'global'"):
        bad.placement(None, None)
    with pytest.raises(ConfigError, match="vertex:endpoint http:// is only for an emulator on this machine"):
        bad.api_endpoint("us-central1")
