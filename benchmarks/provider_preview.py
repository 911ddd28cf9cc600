"""Preview cost: Check and Diff of 200 resources through Pulumi's provider server, against a do-nothing provider.

    venv/bin/python benchmarks/provider_preview.py

A preview only calls Check and Diff. This script starts the provider server (``python -m pulumi.dynamic``, the
process the engine starts) and sends, per resource, what the engine sends for a resource already in the state:
``Check(olds=previous inputs, news)`` then ``Diff(id, olds=previous outputs, news=Check's inputs)``. The 200
resources are a mix of the four kinds a stack uses most (TrainingPipeline with a custom task, CustomJob,
BatchPredictionJob, tabular Dataset) with realistic specs; 160 are unchanged, 20 changed (replace or update) and
20 hold a value not known until apply (as when a resource they depend on is replaced).

The baseline is ``benchmarks._noop_provider.NoopProvider`` driven through the same server with the same property
maps. Requests are serialized before the clock starts, so the figures are the provider server's round trips
(deserialize, unpickle cache lookup, the provider's own work, serialize). Rounds alternate between the two
providers; the figure is the median round. The first round (which unpickles and configures each provider) is
reported separately. The emulator runs as the stack's endpoint; its request counters show the API calls made
(target: none). Target: the Vertex providers cost at most 1.5x the do-nothing provider per resource.
It measures; it does not assert (exit status 0).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from google.protobuf import struct_pb2  # noqa: E402
from pulumi.dynamic.dynamic import serialize_provider  # noqa: E402
from pulumi.runtime import rpc  # noqa: E402
from pulumi.runtime.proto import provider_pb2  # noqa: E402

from benchmarks import _specs  # noqa: E402
from benchmarks._noop_provider import NoopProvider  # noqa: E402
from benchmarks._specs import CREATED, FINISHED, LOCATION, PROJECT, PROJECT_NUMBER  # noqa: E402
from tests.vertex_resources.providers.harness import ProviderServer  # noqa: E402
from vertex_emulator import Emulator  # noqa: E402
from vertex_resources.providers import (  # noqa: E402
    BatchPredictionJobProvider,
    CustomJobProvider,
    DatasetProvider,
    TrainingPipelineProvider,
)

RESOURCES = 200
ROUNDS = 5
TARGET_RATIO = 1.5
Builder = Callable[[int, bool], dict[str, Any]]
KINDS: list[tuple[str, str, Any, Builder, dict[str, Any]]] = [
    # kind, collection, provider, inputs, output-only fields of a finished resource
    (
        "TrainingPipeline",
        "trainingPipelines",
        TrainingPipelineProvider(),
        _specs.pipeline,
        {
            **FINISHED,
            "state": "PIPELINE_STATE_SUCCEEDED",
            "training_task_metadata": {
                "backingCustomJob": f"projects/{PROJECT_NUMBER}/locations/{LOCATION}/customJobs/1"
            },
            "model_name": f"projects/{PROJECT_NUMBER}/locations/{LOCATION}/models/77",
            "model_version_id": "1",
            "backing_custom_job": f"projects/{PROJECT_NUMBER}/locations/{LOCATION}/customJobs/1",
            "output_directory": "gs://acme-ml-output/pipelines",
        },
    ),
    ("CustomJob", "customJobs", CustomJobProvider(), _specs.custom_job, {**FINISHED, "output_directory": "gs://o/p"}),
    (
        "BatchPredictionJob",
        "batchPredictionJobs",
        BatchPredictionJobProvider(),
        _specs.batch_job,
        {
            **FINISHED,
            "output_info": {"gcs_output_directory": "gs://acme-ml-output/prediction-model-2026_11_20T09_15_02"},
            "completion_stats": {"successful_count": "125000", "failed_count": "0", "incomplete_count": "0"},
            "model_version_id": "2",
        },
    ),
    ("Dataset", "datasets", DatasetProvider(), _specs.dataset, {"data_item_count": "0"}),
]


class Resource:
    """One resource as the engine holds it: its URN, previous inputs and outputs, and this run's inputs."""

    def __init__(self, index: int) -> None:
        kind, collection, provider, build, outputs = KINDS[index % len(KINDS)]
        self.kind, self.provider = kind, provider
        self.scenario = "changed" if index % 10 == 7 else "unknown" if index % 10 == 9 else "unchanged"
        self.name = f"{kind.lower()}-{index}"
        self.id = f"projects/{PROJECT_NUMBER}/locations/{LOCATION}/{collection}/{9_000_000 + index}"
        previous = build(index, False)
        previous["resource_key"] = f"vertex-ml/dev/{self.name}"
        self.old_inputs = previous
        self.old_outputs = {
            **previous,
            **CREATED,
            **outputs,
            "project": PROJECT,
            "location": LOCATION,
            "name": self.id,
            "resource_id": self.id.rsplit("/", 1)[-1],
        }
        news = build(index, self.scenario == "unknown")
        news["resource_key"] = previous["resource_key"]
        self.news = _specs.changed(kind, news) if self.scenario == "changed" else news


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


class Requests:
    """The serialized Check requests and Diff olds of every resource, for one provider blob."""

    def __init__(
        self, resources: list[Resource], blob_of: Callable[[Resource], str], type_of: Callable[[Resource], str]
    ):
        self.items: list[tuple[str, str, provider_pb2.CheckRequest, struct_pb2.Struct]] = []
        for resource in resources:
            blob = blob_of(resource)
            urn = f"urn:pulumi:dev::vertex-ml::pulumi-python:dynamic/vertex:{type_of(resource)}::{resource.name}"
            check = provider_pb2.CheckRequest(
                urn=urn,
                olds=_struct({**resource.old_inputs, "__provider": blob}),
                news=_struct({**resource.news, "__provider": blob}),
            )
            self.items.append((resource.id, urn, check, _struct({**resource.old_outputs, "__provider": blob})))


def preview(server: ProviderServer, requests: Requests) -> tuple[list[float], list[Any], list[int]]:
    """Check then Diff for every resource; returns per-resource seconds, diff answers and failure counts."""
    seconds, diffs, failures = [], [], []
    for id_, urn, check, diff_olds in requests.items:
        started = time.perf_counter()
        checked = server.stub.Check(check)
        diff = server.stub.Diff(provider_pb2.DiffRequest(id=id_, urn=urn, olds=diff_olds, news=checked.inputs))
        seconds.append(time.perf_counter() - started)
        diffs.append(diff)
        failures.append(len(checked.failures))
    return seconds, diffs, failures


def _outcome(diff: Any) -> str:
    if diff.changes != provider_pb2.DiffResponse.DIFF_SOME:
        return "no change"
    return "replace" if diff.replaces else "update"


def main() -> None:
    resources = [Resource(i) for i in range(RESOURCES)]
    blobs = {kind: serialize_provider(provider) for kind, _, provider, _, _ in KINDS}
    noop_blob = serialize_provider(NoopProvider())
    vertex = Requests(resources, lambda r: blobs[r.kind], lambda r: r.kind)
    noop = Requests(resources, lambda _: noop_blob, lambda r: r.kind)

    with Emulator() as emulator:
        server = ProviderServer(
            {"vertex:project": PROJECT, "vertex:location": LOCATION, "vertex:endpoint": emulator.endpoint}
        )
        try:
            emulator.control.reset_counters()
            first_vertex, diffs, failures = preview(server, vertex)
            first_noop, _, _ = preview(server, noop)
            rounds: dict[str, list[float]] = {"vertex": [], "noop": []}
            per_kind: dict[tuple[str, str], list[float]] = defaultdict(list)
            for _ in range(ROUNDS):
                for name, requests in (("vertex", vertex), ("noop", noop)):
                    seconds, _, _ = preview(server, requests)
                    rounds[name].append(sum(seconds) / RESOURCES)
                    for resource, spent in zip(resources, seconds, strict=True):
                        per_kind[resource.kind, name].append(spent)
            api_calls = emulator.control.counters()
        finally:
            server.kill()

    outcomes = Counter(f"{r.scenario}: {_outcome(d)}" for r, d in zip(resources, diffs, strict=True))
    vertex_ms, noop_ms = (statistics.median(rounds[name]) * 1000 for name in ("vertex", "noop"))
    ratio = vertex_ms / noop_ms
    print(f"Preview cost: Check + Diff through the provider server, {RESOURCES} resources, median of {ROUNDS} rounds")
    print(f"  kinds: {', '.join(f'{k} x{n}' for k, n in Counter(r.kind for r in resources).items())}")
    print(f"  diff answers (Vertex providers): {dict(sorted(outcomes.items()))}; check failures: {sum(failures)}")
    print(f"  Vertex providers : {vertex_ms:6.2f} ms per resource (rounds: {_ms(rounds['vertex'])})")
    print(f"  do-nothing       : {noop_ms:6.2f} ms per resource (rounds: {_ms(rounds['noop'])})")
    for kind in dict.fromkeys(r.kind for r in resources):
        mine, baseline = (statistics.median(per_kind[kind, name]) * 1000 for name in ("vertex", "noop"))
        print(f"    {kind:<20} {mine:6.2f} ms vs {baseline:5.2f} ms median per resource ({mine / baseline:.2f}x)")
    print(
        f"  first round (unpickle + configure): Vertex {sum(first_vertex) / RESOURCES * 1000:.2f} ms, "
        f"do-nothing {sum(first_noop) / RESOURCES * 1000:.2f} ms per resource"
    )
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"  ratio            : {ratio:.2f}x (target <= {TARGET_RATIO}x) -> {verdict}")
    total = sum(api_calls.values())
    print(f"  emulator API requests during the preview: {total} {api_calls or '{}'} (target 0)")


def _ms(values: list[float]) -> str:
    return ", ".join(f"{v * 1000:.2f}" for v in values)


if __name__ == "__main__":
    main()
