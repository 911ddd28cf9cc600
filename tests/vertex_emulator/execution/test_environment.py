from __future__ import annotations

import json

from vertex_emulator.execution._environment import cluster_environment, expand_references, spec_env


def test_references_expand_like_kubernetes() -> None:
    env = {"AIP_MODEL_DIR": "gs://b/out/model/", "N": "3"}
    assert expand_references(
        ["--model-dir=$(AIP_MODEL_DIR)", "$(N)$(N)", "$(UNSET)", "$$(N)", "cost: $5"], env
    ) == ["--model-dir=gs://b/out/model/", "33", "$(UNSET)", "$(N)", "cost: $5"]


def test_spec_env_values_can_use_earlier_ones() -> None:
    assert spec_env([{"name": "A", "value": "x"}, {"name": "B", "value": "$(A)-y"}]) == {"A": "x", "B": "x-y"}


def test_cluster_spec_and_tf_config() -> None:
    cluster = {0: ["h:1"], 1: ["h:2", "h:3"], 2: ["h:4"]}
    env = cluster_environment(cluster, 1, 1, "5")
    assert json.loads(env["CLUSTER_SPEC"]) == {
        "cluster": {"workerpool0": ["h:1"], "workerpool1": ["h:2", "h:3"], "workerpool2": ["h:4"]},
        "environment": "cloud",
        "task": {"type": "workerpool1", "index": 1, "trial": "5"},
    }
    tf_config = json.loads(env["TF_CONFIG"])
    assert tf_config["cluster"] == {"chief": ["h:1"], "worker": ["h:2", "h:3"], "ps": ["h:4"]}
    assert tf_config["task"] == {"type": "worker", "index": 1, "trial": "5"}
