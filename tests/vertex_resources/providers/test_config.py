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
