"""Load: many concurrent clients creating, getting and listing resources of every kind on one emulator.

The emulator runs as its own process (`python -m vertex_emulator --runner scheduled`: nothing really runs).
Each client is a thread with its own keep-alive connection (plain HTTP, the JSON Google's REST clients send);
all connect at the same moment, then each round creates a resource (custom job, training pipeline, tuning
job, dataset or model, by turns), gets it back and lists its kind. At the end every kind is listed in full:
each acknowledged create must be there exactly once.

    venv/bin/python benchmarks/emulator_load.py [--clients 300] [--rounds 5]

Prints p50 / p99 latency per operation and overall, and the counts that must be 0: connection errors (resets,
refused), 5xx answers, lost and duplicated resources. Exits 1 when one of them is not 0.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PARENT = "projects/load-project/locations/us-central1"
TRAINING_IMAGE = "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest"
SERVING_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"
CUSTOM_TASK = "gs://google-cloud-aiplatform/schema/trainingjob/definition/custom_task_1.0.0.yaml"
TABULAR = "gs://google-cloud-aiplatform/schema/dataset/metadata/tabular_1.0.0.yaml"
_POOLS = [
    {
        "machineSpec": {"machineType": "n1-standard-4"},
        "replicaCount": "1",
        "containerSpec": {"imageUri": TRAINING_IMAGE},
    }
]
_SPEC = {"workerPoolSpecs": _POOLS, "baseOutputDirectory": {"outputUriPrefix": "gs://load/out"}}


def _body(kind: str, display_name: str) -> tuple[str, dict[str, Any]]:
    """(collection path to POST to, body) for one create of `kind`."""
    if kind == "customJobs":
        return "customJobs", {"displayName": display_name, "jobSpec": _SPEC}
    if kind == "trainingPipelines":
        return "trainingPipelines", {
            "displayName": display_name,
            "trainingTaskDefinition": CUSTOM_TASK,
            "trainingTaskInputs": _SPEC,
            "modelToUpload": {"displayName": display_name, "containerSpec": {"imageUri": SERVING_IMAGE}},
        }
    if kind == "hyperparameterTuningJobs":
        return "hyperparameterTuningJobs", {
            "displayName": display_name,
            "studySpec": {
                "metrics": [{"metricId": "m", "goal": "MAXIMIZE"}],
                "parameters": [{"parameterId": "x", "doubleValueSpec": {"minValue": 0, "maxValue": 1}}],
            },
            "maxTrialCount": 1,
            "parallelTrialCount": 1,
            "trialJobSpec": _SPEC,
        }
    if kind == "datasets":
        metadata = {"inputConfig": {"gcsSource": {"uri": ["gs://load/data.csv"]}}}
        return "datasets", {"displayName": display_name, "metadataSchemaUri": TABULAR, "metadata": metadata}
    model = {"displayName": display_name, "artifactUri": "gs://load/m/", "containerSpec": {"imageUri": SERVING_IMAGE}}
    return "models:upload", {"model": model}


KINDS = ("customJobs", "trainingPipelines", "hyperparameterTuningJobs", "datasets", "models")
# Creates answered with a long-running operation (pending at first, as on the real API): the operation is named
# after the resource it creates, `<resource>/operations/<id>`.
_BY_OPERATION = ("datasets", "models")


@dataclass
class LoadResult:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    connection_errors: list[str] = field(default_factory=list)
    created: dict[str, list[str]] = field(default_factory=dict)  # kind -> display names acknowledged
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unfinished_clients: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def record(self, operation: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies.setdefault(operation, []).append(seconds)
            self.statuses[status] += 1

    def ok(self) -> bool:
        return not (
            self.connection_errors or self.server_errors or self.lost or self.duplicated or self.unfinished_clients
        )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self._connection = http.client.HTTPConnection(host, port, timeout=120)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = b"" if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Content-Length": str(len(data))}
        self._connection.request(method, path, body=data, headers=headers)
        response = self._connection.getresponse()
        payload = response.read()
        return response.status, json.loads(payload) if payload else {}

    def close(self) -> None:
        self._connection.close()


def _client(host: str, port: int, index: int, rounds: int, start: threading.Barrier, result: LoadResult) -> None:
    connection = _Connection(host, port)
    try:
        start.wait(timeout=120)
        for round_ in range(rounds):
            kind = KINDS[(index + round_) % len(KINDS)]
            display_name = f"load-{index}-{round_}"
            collection, body = _body(kind, display_name)
            began = time.perf_counter()
            status, answer = connection.call("POST", f"/v1/{PARENT}/{collection}", body)
            result.record("create", time.perf_counter() - began, status)
            if status != 200:
                continue
            with result.lock:
                result.created.setdefault(kind, []).append(display_name)
            name = answer["name"].split("/operations/")[0] if kind in _BY_OPERATION else answer["name"]
            began = time.perf_counter()
            status, _ = connection.call("GET", f"/v1/{name}")
            result.record("get", time.perf_counter() - began, status)
            began = time.perf_counter()
            status, _ = connection.call("GET", f"/v1/{PARENT}/{kind}?pageSize=20")
            result.record("list", time.perf_counter() - began, status)
    except (OSError, http.client.HTTPException) as err:
        with result.lock:
            result.connection_errors.append(f"client {index}: {err!r}")
    finally:
        connection.close()


def _listed_names(host: str, port: int, kind: str) -> list[str]:
    connection = _Connection(host, port)
    names: list[str] = []
    token = ""
    try:
        while True:
            status, answer = connection.call("GET", f"/v1/{PARENT}/{kind}?pageSize=1000&pageToken={token}")
            if status != 200:
                raise RuntimeError(f"listing {kind}: {status} {answer}")
            names.extend(item.get("displayName", "") for item in answer.get(kind, []))
            token = answer.get("nextPageToken", "")
            if not token:
                return names
    finally:
        connection.close()


def run_load(endpoint: str, clients: int, rounds: int, *, timeout: float = 300.0) -> LoadResult:
    """Drive `clients` concurrent clients for `rounds` rounds against `endpoint`; every thread is bounded."""
    host, _, port_text = endpoint.removeprefix("http://").rpartition(":")
    port = int(port_text)
    result = LoadResult()
    start = threading.Barrier(clients)
    threads = [
        threading.Thread(target=_client, args=(host, port, index, rounds, start, result), daemon=True)
        for index in range(clients)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    result.unfinished_clients = sum(thread.is_alive() for thread in threads)
    for kind, acknowledged in result.created.items():
        listed = Counter(name for name in _listed_names(host, port, kind) if name.startswith("load-"))
        result.lost.extend(name for name in acknowledged if listed[name] == 0)
        result.duplicated.extend(name for name, count in listed.items() if count > 1)
    return result


def report(result: LoadResult, clients: int, seconds: float) -> str:
    every = [value for values in result.latencies.values() for value in values]
    lines = [f"{clients} clients, {len(every)} requests in {seconds:.1f} s ({len(every) / seconds:.0f}/s)"]
    for operation in ("create", "get", "list"):
        values = result.latencies.get(operation, [])
        if values:
            lines.append(
                f"  {operation:6} n={len(values):5}  p50 {statistics.median(values) * 1000:7.1f} ms  "
                f"p99 {percentile(values, 0.99) * 1000:7.1f} ms"
            )
    lines.append(
        f"  all    p50 {statistics.median(every) * 1000:7.1f} ms  p99 {percentile(every, 0.99) * 1000:7.1f} ms"
    )
    lines.append(
        f"  statuses {dict(sorted(result.statuses.items()))}; connection errors {len(result.connection_errors)}, "
        f"5xx {result.server_errors}, lost {len(result.lost)}, duplicated {len(result.duplicated)}, "
        f"unfinished clients {result.unfinished_clients}"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from vertex_emulator.testing import EmulatorProcess

    with tempfile.TemporaryDirectory() as data, EmulatorProcess(Path(data), "--runner", "scheduled") as emulator:
        began = time.perf_counter()
        result = run_load(emulator.endpoint, args.clients, args.rounds)
        print(report(result, args.clients, time.perf_counter() - began))
        for problem in (result.connection_errors + result.lost + result.duplicated)[:5]:
            print("  e.g.", problem)
    return 0 if result.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
