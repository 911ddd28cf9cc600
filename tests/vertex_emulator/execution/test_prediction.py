"""Batch prediction: in-process scikit-learn models and custom serving containers, streamed to Vertex files."""

from __future__ import annotations

import json
import pickle
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import joblib
import pytest
from sklearn.tree import DecisionTreeClassifier

from vertex_emulator.execution import BatchPredictionRun, DirectoryObjectStore, ExecutionContext, RunState

SKLEARN_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"
XGBOOST_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/xgboost-cpu.1-7:latest"
CREATED = "2024-05-06T07:08:09.123456Z"
OUTPUT_DIR = "gs://bkt/predictions/prediction-iris-2024_05_06T07_08_09_123Z"


def put(store: DirectoryObjectStore, uri: str, data: bytes | str) -> str:
    with store.open_write(uri) as stream:
        stream.write(data.encode() if isinstance(data, str) else data)
    return uri


def lines(store: DirectoryObjectStore, uri: str) -> list[dict[str, Any]]:
    with store.open_read(uri) as stream:
        return [json.loads(line) for line in stream.read().decode().splitlines()]


@pytest.fixture
def model(tmp_path: Path) -> DecisionTreeClassifier:
    features = [[i % 7, (i * 3) % 5, i % 2] for i in range(60)]
    labels = [int(f[0] + f[1] > 5) for f in features]
    return DecisionTreeClassifier(random_state=0).fit(features, labels)


def job(uris: list[str], fmt: str = "jsonl", **extra: Any) -> dict[str, Any]:
    return {
        "name": "projects/p/locations/us-central1/batchPredictionJobs/5",
        "displayName": "score",
        "model": "projects/p/locations/us-central1/models/9",
        "inputConfig": {"instancesFormat": fmt, "gcsSource": {"uris": uris}},
        "outputConfig": {"predictionsFormat": "jsonl", "gcsDestination": {"outputUriPrefix": "gs://bkt/predictions"}},
        "createTime": CREATED,
        **extra,
    }


def sklearn_model(artifact_uri: str, image: str = SKLEARN_IMAGE) -> dict[str, Any]:
    return {"name": "projects/p/locations/us-central1/models/9", "displayName": "iris",
            "artifactUri": artifact_uri, "containerSpec": {"imageUri": image}}


def upload_joblib(store: DirectoryObjectStore, model: Any, tmp_path: Path, uri: str) -> None:
    joblib.dump(model, tmp_path / "model.joblib")
    put(store, uri, (tmp_path / "model.joblib").read_bytes())


def test_sklearn_predictions_match_the_model_and_bad_instances_go_to_the_errors_file(
    context: ExecutionContext, store: DirectoryObjectStore, model: DecisionTreeClassifier, tmp_path: Path
) -> None:
    upload_joblib(store, model, tmp_path, "gs://bkt/models/m1/model.joblib")
    good = [[i % 7, i % 5, i % 2] for i in range(25)]
    text = "".join(json.dumps(i) + "\n" for i in good[:10]) + "{broken\n" + "[1, 2]\n"
    text += "".join(json.dumps(i) + "\n" for i in good[10:])
    put(store, "gs://bkt/in/part-1.jsonl", text)
    put(store, "gs://bkt/in/part-2.jsonl", '["x", "y", "z"]\n')
    spec = job(["gs://bkt/in/part-*.jsonl"], manualBatchTuningParameters={"batchSize": 8})

    outcome = BatchPredictionRun(spec, sklearn_model("gs://bkt/models/m1/"), context).run()

    assert outcome.state is RunState.SUCCEEDED, outcome.error_message
    assert outcome.output_info == {"gcsOutputDirectory": OUTPUT_DIR}
    assert outcome.completion_stats == {"successfulCount": "25", "failedCount": "3", "incompleteCount": "0"}
    errors_file = f"{OUTPUT_DIR}/prediction.errors_stats-00000-of-00001"
    # Batches of 8: the second holds the two bad lines, the last the string instance.
    assert [(f["code"], f["message"].split(" (")[0]) for f in outcome.partial_failures] == [
        (3, "2 of the 8 instances of a batch failed"),
        (3, "1 of the 4 instances of a batch failed"),
    ]
    assert all(f["message"].endswith(f"every failed instance is in {errors_file}") for f in outcome.partial_failures)
    results = lines(store, f"{OUTPUT_DIR}/prediction.results-00000-of-00001")
    expected = model.predict(good).tolist()
    assert results == [{"instance": i, "prediction": p} for i, p in zip(good, expected, strict=True)]
    errors = lines(store, f"{OUTPUT_DIR}/prediction.errors_stats-00000-of-00001")
    assert [e["instance"] for e in errors] == ["{broken", [1, 2], ["x", "y", "z"]]
    assert all(e["error"]["status"] == "INVALID_ARGUMENT" for e in errors)
    assert "3 features" in errors[1]["error"]["message"]
    assert outcome.resource_fields() == {
        "completionStats": outcome.completion_stats,
        "outputInfo": outcome.output_info,
        "partialFailures": outcome.partial_failures,
    }


def test_csv_input_and_a_pickled_model(
    context: ExecutionContext, store: DirectoryObjectStore, model: DecisionTreeClassifier
) -> None:
    put(store, "gs://bkt/models/m2/model.pkl", pickle.dumps(model))
    put(store, "gs://bkt/in.csv", "a,b,c\n1,2,0\n6,4,1\n")
    outcome = BatchPredictionRun(job(["gs://bkt/in.csv"], "csv"), sklearn_model("gs://bkt/models/m2"), context).run()
    assert outcome.state is RunState.SUCCEEDED, outcome.error_message
    results = lines(store, f"{OUTPUT_DIR}/prediction.results-00000-of-00001")
    assert results == [
        {"instance": [1, 2, 0], "prediction": model.predict([[1, 2, 0]])[0].item()},
        {"instance": [6, 4, 1], "prediction": model.predict([[6, 4, 1]])[0].item()},
    ]


def test_key_field_output(context: ExecutionContext, store: DirectoryObjectStore, model: Any, tmp_path: Path) -> None:
    upload_joblib(store, model, tmp_path, "gs://bkt/models/m3/model.joblib")
    put(store, "gs://bkt/in.jsonl", '{"id": "a", "f": [1, 2, 0]}\n')
    config = {"keyField": "id", "includedFields": ["f"], "instanceType": "object"}
    # The model wants arrays: the object instance fails, reported under its key.
    outcome = BatchPredictionRun(job(["gs://bkt/in.jsonl"], instanceConfig=config), sklearn_model("gs://bkt/models/m3"),
                                 context).run()
    assert outcome.state is RunState.FAILED
    assert "All 1 instances failed" in outcome.error_message
    assert lines(store, f"{OUTPUT_DIR}/prediction.errors_stats-00000-of-00001")[0]["instance"] == "a"


def test_missing_artifacts_and_inputs_fail_clearly(context: ExecutionContext, store: DirectoryObjectStore) -> None:
    outcome = BatchPredictionRun(job(["gs://bkt/in.jsonl"]), sklearn_model("gs://bkt/models/none"), context).run()
    assert outcome.state is RunState.FAILED
    assert outcome.error_code == 5
    assert "No model artifact (model.joblib, model.pkl) in gs://bkt/models/none" in outcome.error_message
    put(store, "gs://bkt/models/m4/model.pkl", pickle.dumps(DecisionTreeClassifier().fit([[0], [1]], [0, 1])))
    outcome = BatchPredictionRun(job(["gs://bkt/missing.jsonl"]), sklearn_model("gs://bkt/models/m4"), context).run()
    assert outcome.state is RunState.FAILED
    assert outcome.partial_failures == [{"code": 5, "message": "gs://bkt/missing.jsonl does not exist"}]


def test_xgboost_booster_without_xgboost_installed_says_so(
    context: ExecutionContext, store: DirectoryObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "xgboost", None)  # importing it now raises ImportError
    put(store, "gs://bkt/models/xgb/model.bst", b"\0")
    put(store, "gs://bkt/in.jsonl", "[1]\n")
    outcome = BatchPredictionRun(job(["gs://bkt/in.jsonl"]), sklearn_model("gs://bkt/models/xgb", XGBOOST_IMAGE),
                                 context).run()
    assert outcome.state is RunState.FAILED
    assert "needs the xgboost package" in outcome.error_message


def test_bigquery_and_csv_predictions_are_unsupported(context: ExecutionContext) -> None:
    spec = job([])
    spec["outputConfig"] = {"predictionsFormat": "bigquery", "bigqueryDestination": {"outputUri": "bq://p.d"}}
    outcome = BatchPredictionRun(spec, sklearn_model("gs://bkt/m"), context).run()
    assert outcome.state is RunState.FAILED
    assert outcome.error_code == 12


SERVER = textwrap.dedent("""
    import json, os, sys, time
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == os.environ["AIP_HEALTH_ROUTE"] else 404)
            self.end_headers()

        def do_POST(self):
            assert self.path == os.environ["AIP_PREDICT_ROUTE"], self.path
            instances = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["instances"]
            with open(os.environ["BATCH_LOG"], "a") as log:
                log.write(json.dumps({"size": len(instances), "storage": os.environ["AIP_STORAGE_URI"]}) + "\\n")
            time.sleep(float(os.environ.get("DELAY", "0")))
            if any(not isinstance(i, list) for i in instances):
                body, status = b'{"error": "instances must be lists"}', 400
            else:
                body, status = json.dumps({"predictions": [sum(i) for i in instances]}).encode(), 200
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    HTTPServer(("127.0.0.1", int(os.environ["AIP_HTTP_PORT"])), Handler).serve_forever()
""")


def container_model(tmp_path: Path, env: dict[str, str]) -> dict[str, Any]:
    server = tmp_path / "serve.py"
    server.write_text(SERVER)
    return {
        "displayName": "summer",
        "artifactUri": "gs://bkt/models/summer",
        "containerSpec": {
            "imageUri": "us-central1-docker.pkg.dev/p/repo/summer:1",
            "command": ["python3", str(server)],
            "env": [{"name": k, "value": v} for k, v in env.items()],
            "predictRoute": "/predict",
            "healthRoute": "/health",
        },
    }


def test_custom_container_serves_batches_and_only_bad_instances_fail(
    context: ExecutionContext, store: DirectoryObjectStore, tmp_path: Path
) -> None:
    batch_log = tmp_path / "batches.jsonl"
    instances = [[i, 1] for i in range(9)]
    instances.insert(4, {"not": "a list"})  # type: ignore[arg-type]
    put(store, "gs://bkt/in.jsonl", "".join(json.dumps(i) + "\n" for i in instances))
    spec = job(["gs://bkt/in.jsonl"], manualBatchTuningParameters={"batchSize": 4})
    outcome = BatchPredictionRun(spec, container_model(tmp_path, {"BATCH_LOG": str(batch_log)}), context).run()

    assert outcome.state is RunState.SUCCEEDED, outcome.error_message
    assert outcome.completion_stats == {"successfulCount": "9", "failedCount": "1", "incompleteCount": "0"}
    directory = outcome.output_info["gcsOutputDirectory"]
    assert directory.startswith("gs://bkt/predictions/prediction-summer-")
    results = lines(store, f"{directory}/prediction.results-00000-of-00001")
    assert results == [{"instance": [i, 1], "prediction": i + 1} for i in range(9)]
    [error] = lines(store, f"{directory}/prediction.errors_stats-00000-of-00001")
    assert error["instance"] == {"not": "a list"}
    assert error["error"]["status"] == "INVALID_ARGUMENT"
    assert "HTTP 400" in error["error"]["message"]
    batches = [json.loads(line) for line in batch_log.read_text().splitlines()]
    assert batches[0] == {"size": 4, "storage": "gs://bkt/models/summer"}
    assert max(b["size"] for b in batches) == 4
    assert (Path(context.logs) / "model-server.log").exists()


def test_a_server_that_dies_at_start_fails_with_its_log(context: ExecutionContext, tmp_path: Path) -> None:
    model = container_model(tmp_path, {})
    model["containerSpec"]["command"] = ["python3", "-c", "import sys; print('no weights'); sys.exit(4)"]
    outcome = BatchPredictionRun(job(["gs://bkt/in.jsonl"]), model, context).run()
    assert outcome.state is RunState.FAILED
    assert "exited with status 4" in outcome.error_message
    assert "no weights" in outcome.error_message


def test_cancel_stops_between_batches(context: ExecutionContext, store: DirectoryObjectStore, tmp_path: Path) -> None:
    put(store, "gs://bkt/in.jsonl", "[1, 2]\n" * 40)
    model = container_model(tmp_path, {"BATCH_LOG": str(tmp_path / "log"), "DELAY": "0.1"})
    run = BatchPredictionRun(job(["gs://bkt/in.jsonl"], manualBatchTuningParameters={"batchSize": 5}), model, context)
    run.start()
    deadline = time.monotonic() + 20
    while not (tmp_path / "log").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    run.cancel()
    outcome = run.wait(20)
    assert outcome is not None
    assert outcome.state is RunState.CANCELLED
    stats = {k: int(v) for k, v in outcome.completion_stats.items()}
    assert 0 < stats["successfulCount"] < 40
    assert stats["incompleteCount"] > 0
