"""Batch prediction with startingReplicaCount >= 2: replica processes share the input, each writes its shard."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sklearn.tree import DecisionTreeClassifier

from vertex_emulator.execution import BatchPredictionRun, DirectoryObjectStore, ExecutionContext, RunState, _replicas

from .conftest import REPO
from .test_prediction import SKLEARN_IMAGE, job, lines, put, sklearn_model


class SlowModel:
    """Sleeps per batch, so a job can be cancelled part way (unpickled in the replica, which imports this);
    touches ``marker`` (if given) when it predicts."""

    def __init__(self, marker: str = "") -> None:
        self.marker = marker

    def predict(self, instances: Any) -> list[int]:
        if self.marker:
            Path(self.marker).touch()
        time.sleep(0.05)
        return [0] * len(instances)


class DyingModel:
    """The replica dies (as a crashing native library would) when it sees the instance [666]."""

    def predict(self, instances: Any) -> list[int]:
        if any(list(row) == [666] for row in instances):
            os._exit(3)
        return [1] * len(instances)


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("vertex_emulator.execution._prediction.BLOCK_BYTES", 64)  # many blocks from small inputs


def replicated(uris: list[str], fmt: str = "jsonl", replicas: int = 2, **extra: Any) -> dict[str, Any]:
    resources = {"machineSpec": {"machineType": "n1-standard-2"}, "startingReplicaCount": replicas}
    return job(uris, fmt, dedicatedResources=resources, **extra)


def shards(store: DirectoryObjectStore, directory: str, kind: str, count: int = 2) -> list[list[dict[str, Any]]]:
    return [lines(store, f"{directory}/prediction.{kind}-{i:05d}-of-{count:05d}") for i in range(count)]


def replica_pids() -> set[int]:
    server = _replicas._server._process
    if server is None or server.poll() is not None:
        return set()
    return children(server.pid)


@pytest.fixture
def tree(store: DirectoryObjectStore) -> Iterator[DecisionTreeClassifier]:
    features = [[i % 7, (i * 3) % 5, i % 2] for i in range(60)]
    model = DecisionTreeClassifier(random_state=0).fit(features, [int(f[0] + f[1] > 5) for f in features])
    put(store, "gs://bkt/models/tree/model.pkl", pickle.dumps(model))
    yield model
    assert replica_pids() == set()  # every replica of the job is gone when it ends


def test_two_replicas_share_the_input_and_each_writes_its_own_shard(
    context: ExecutionContext, store: DirectoryObjectStore, tree: DecisionTreeClassifier
) -> None:
    good = [[i % 7, i % 5, i % 2] for i in range(200)]
    text = "".join(json.dumps(i) + "\n" for i in good[:100]) + "{broken\n[1, 2]\n"
    put(store, "gs://bkt/in/a.jsonl", text + "".join(json.dumps(i) + "\n" for i in good[100:150]))
    put(store, "gs://bkt/in/b.jsonl", "".join(json.dumps(i) + "\n" for i in good[150:]))
    spec = replicated(["gs://bkt/in/*.jsonl"], manualBatchTuningParameters={"batchSize": 8})

    outcome = BatchPredictionRun(spec, sklearn_model("gs://bkt/models/tree"), context).run()

    assert outcome.state is RunState.SUCCEEDED, outcome.error_message
    assert outcome.completion_stats == {"successfulCount": "200", "failedCount": "2", "incompleteCount": "0"}
    directory = outcome.output_info["gcsOutputDirectory"]
    results = shards(store, directory, "results")
    assert all(results), "both replicas predicted a share"
    expected = model_answers(tree, good)
    assert sorted(map(json.dumps, results[0] + results[1])) == sorted(map(json.dumps, expected))
    errors = [e for shard in shards(store, directory, "errors_stats") for e in shard]
    assert sorted(map(json.dumps, [e["instance"] for e in errors])) == sorted(map(json.dumps, ["{broken", [1, 2]]))
    assert {e["error"]["status"] for e in errors} == {"INVALID_ARGUMENT"}
    [failure] = outcome.partial_failures  # the job shows that some instances failed, and where they are
    assert failure["message"] == f"2 instances failed; each failed instance is in {directory}/prediction.errors_stats-*"
    assert sorted(p.name for p in context.logs.iterdir()) == ["replica-0.log", "replica-1.log"]


def model_answers(model: DecisionTreeClassifier, instances: list[list[int]]) -> list[dict[str, Any]]:
    return [{"instance": i, "prediction": p} for i, p in zip(instances, model.predict(instances).tolist(), strict=True)]


def test_csv_rows_with_quoted_newlines_stay_whole_across_replicas(
    context: ExecutionContext, store: DirectoryObjectStore, tree: DecisionTreeClassifier
) -> None:
    rows = [[i % 7, i % 5, i % 2] for i in range(40)]
    text = "a,b,c\n" + "".join(",".join(map(str, r)) + "\n" for r in rows[:20])
    text += '1,"two\nlines",0\n' + "".join(",".join(map(str, r)) + "\n" for r in rows[20:])
    put(store, "gs://bkt/in.csv", text)

    outcome = BatchPredictionRun(replicated(["gs://bkt/in.csv"], "csv"), sklearn_model("gs://bkt/models/tree"),
                                 context).run()

    assert outcome.state is RunState.SUCCEEDED, outcome.error_message
    assert outcome.completion_stats == {"successfulCount": "40", "failedCount": "1", "incompleteCount": "0"}
    results = shards(store, outcome.output_info["gcsOutputDirectory"], "results")
    assert sorted(map(json.dumps, results[0] + results[1])) == sorted(map(json.dumps, model_answers(tree, rows)))
    [error] = [e for s in shards(store, outcome.output_info["gcsOutputDirectory"], "errors_stats") for e in s]
    assert error["instance"] == [1, "two\nlines", 0]


def test_a_model_the_replicas_cannot_load_fails_the_job_with_the_reason(
    context: ExecutionContext, store: DirectoryObjectStore
) -> None:
    put(store, "gs://bkt/in.jsonl", "[1]\n")
    put(store, "gs://bkt/models/garbage/model.pkl", b"not a pickle")
    outcome = BatchPredictionRun(replicated(["gs://bkt/in.jsonl"]), sklearn_model("gs://bkt/models/garbage"),
                                 context).run()
    assert outcome.state is RunState.FAILED
    assert "UnpicklingError" in outcome.error_message
    put(store, "gs://bkt/models/nopredict/model.pkl", pickle.dumps({"not": "a model"}))
    outcome = BatchPredictionRun(replicated(["gs://bkt/in.jsonl"]), sklearn_model("gs://bkt/models/nopredict"),
                                 context).run()
    assert outcome.state is RunState.FAILED
    assert outcome.error_code == 3
    assert "has no predict method" in outcome.error_message
    assert replica_pids() == set()


def test_a_replica_that_dies_fails_the_job_and_what_it_held_is_incomplete(
    context: ExecutionContext, store: DirectoryObjectStore
) -> None:
    put(store, "gs://bkt/models/dying/model.pkl", pickle.dumps(DyingModel()))
    put(store, "gs://bkt/in.jsonl", "[1]\n" * 30 + "[666]\n" + "[1]\n" * 30)
    outcome = BatchPredictionRun(replicated(["gs://bkt/in.jsonl"]), sklearn_model("gs://bkt/models/dying"),
                                 context).run()
    assert outcome.state is RunState.FAILED
    assert "Replica" in outcome.error_message
    assert "stopped" in outcome.error_message
    assert int(outcome.completion_stats["incompleteCount"]) > 0
    assert replica_pids() == set()


def test_cancel_stops_every_replica(context: ExecutionContext, store: DirectoryObjectStore, tmp_path: Path) -> None:
    marker = tmp_path / "predicting"
    put(store, "gs://bkt/models/slow/model.pkl", pickle.dumps(SlowModel(str(marker))))
    put(store, "gs://bkt/in.jsonl", "[1, 2]\n" * 400)
    run = BatchPredictionRun(replicated(["gs://bkt/in.jsonl"], manualBatchTuningParameters={"batchSize": 2}),
                             sklearn_model("gs://bkt/models/slow"), context)
    run.start()
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:  # predicting (a batch takes 0.05 s, all 5 s)
        time.sleep(0.02)
    run.cancel()
    outcome = run.wait(30)
    assert outcome is not None
    assert outcome.state is RunState.CANCELLED
    stats = {k: int(v) for k, v in outcome.completion_stats.items()}
    assert stats["successfulCount"] < 400, stats
    assert stats["incompleteCount"] > 0, stats
    assert replica_pids() == set()


def test_a_killed_replica_server_is_started_again(
    context: ExecutionContext, store: DirectoryObjectStore, tree: DecisionTreeClassifier
) -> None:
    put(store, "gs://bkt/in.jsonl", "[1, 2, 0]\n" * 10)
    model = sklearn_model("gs://bkt/models/tree", SKLEARN_IMAGE)
    assert BatchPredictionRun(replicated(["gs://bkt/in.jsonl"]), model, context).run().succeeded
    server = _replicas._server._process
    assert server is not None
    server.kill()
    server.wait()
    outcome = BatchPredictionRun(replicated(["gs://bkt/in.jsonl"]), model, context).run()
    assert outcome.state is RunState.SUCCEEDED, outcome.error_message
    assert outcome.completion_stats["successfulCount"] == "10"


HOST = """
import pickle, sys, time
from pathlib import Path
from vertex_emulator.execution import BatchPredictionRun, DirectoryObjectStore, ExecutionContext
from tests.vertex_emulator.execution.test_replicas import SlowModel
root = Path(sys.argv[1])
store = DirectoryObjectStore(root / "gcs")
with store.open_write("gs://bkt/m/model.pkl") as f:
    f.write(pickle.dumps(SlowModel()))
with store.open_write("gs://bkt/in.jsonl") as f:
    f.write(b"[1]\\n" * 100000)
job = {"displayName": "x", "inputConfig": {"instancesFormat": "jsonl", "gcsSource": {"uris": ["gs://bkt/in.jsonl"]}},
       "outputConfig": {"gcsDestination": {"outputUriPrefix": "gs://bkt/out"}},
       "dedicatedResources": {"startingReplicaCount": 2}}
model = {"displayName": "m", "artifactUri": "gs://bkt/m", "containerSpec": {"imageUri": sys.argv[2]}}
BatchPredictionRun(job, model, ExecutionContext(store=store, work_dir=root / "work")).run()
"""


def children(pid: int) -> set[int]:
    """Children of every thread of ``pid`` (a thread's children are listed under that thread only)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def descendants(pid: int) -> set[int]:
    found = children(pid)
    return found.union(*(descendants(child) for child in found))


def test_replicas_and_their_server_end_when_the_emulator_is_killed(tmp_path: Path) -> None:
    host = subprocess.Popen([sys.executable, "-c", HOST, str(tmp_path), SKLEARN_IMAGE], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while len(descendants(host.pid)) < 3 and time.monotonic() < deadline:  # the server and two replicas
            time.sleep(0.05)
        left = descendants(host.pid)
        assert len(left) == 3
    finally:
        host.kill()
        host.wait()
    deadline = time.monotonic() + 10
    while left and time.monotonic() < deadline:
        left = {pid for pid in left if Path(f"/proc/{pid}").exists() and "Z" not in stat_state(pid)}
        time.sleep(0.05)
    assert left == set()


def stat_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
