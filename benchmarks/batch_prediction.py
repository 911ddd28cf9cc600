"""Batch prediction on the emulator against a plain one-process script, same run, same data.

The plain script (``_plain_script``) is what a user would write: load a scikit-learn model.joblib (a decision
tree trained on examples/data/train.csv), read N JSON-lines instances, predict in batches of the job's
batchSize, write one JSON line per instance. Each plain measurement runs in its own fresh process, imports done
before the clock starts. Two emulator figures, measured in the same run:

- module: ``BatchPredictionRun`` (the execution module) called directly in a fresh process, storage a
  ``DirectoryObjectStore``; memory: peak RSS (VmHWM) growth over the RSS just before the run.
- job (the required figure): a real emulator (``python -m vertex_emulator --runner local``, a fresh process per
  measurement); the model uploaded with UploadModel and the instances through the GCS API; then the clock runs
  from CreateBatchPredictionJob (GAPIC REST client) until a GetBatchPredictionJob poll (every 10 ms) sees it
  SUCCEEDED. A small job first warms the emulator up (imports, the model's first load), as a running emulator
  is. Memory: the emulator process's peak RSS (VmHWM, reset through /proc/PID/clear_refs just before the
  measured job) growth over its RSS then.

Memory must not grow with N (input and output are streamed).

    venv/bin/python benchmarks/batch_prediction.py [--sizes 10000 100000] [--batch-size 64] [--repeat 2]

Target: job wall time <= 1.5x the plain script at 100,000 instances; flat memory across sizes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.5


def _rss_mib() -> float:
    """Peak RSS of this process image: VmHWM (ru_maxrss would also count the parent's pages before exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return _rss_mib()


def _plain_script(model_path: Path, input_path: Path, output_path: Path, batch_size: int) -> None:
    """What a user would write: read, predict, write, in one process."""
    import joblib
    import numpy

    model = joblib.load(model_path)
    with input_path.open() as source, output_path.open("w") as target:

        def flush(batch: list[Any]) -> None:
            predictions = model.predict(numpy.asarray(batch)).tolist()
            target.write("".join(
                json.dumps({"instance": i, "prediction": p}) + "\n" for i, p in zip(batch, predictions, strict=True)
            ))

        batch: list[Any] = []
        for line in source:
            if line.strip():
                batch.append(json.loads(line))
                if len(batch) == batch_size:
                    flush(batch)
                    batch = []
        if batch:
            flush(batch)


def _emulator(root: Path, batch_size: int) -> dict[str, str]:
    from vertex_emulator.execution import BatchPredictionRun, DirectoryObjectStore, ExecutionContext

    context = ExecutionContext(store=DirectoryObjectStore(root / "gcs"), work_dir=root / "work")
    job = {
        "displayName": "bench",
        "inputConfig": {"instancesFormat": "jsonl", "gcsSource": {"uris": ["gs://bench/input/instances.jsonl"]}},
        "outputConfig": {"predictionsFormat": "jsonl", "gcsDestination": {"outputUriPrefix": "gs://bench/out"}},
        "manualBatchTuningParameters": {"batchSize": batch_size},
    }
    model = {
        "displayName": "iris",
        "artifactUri": "gs://bench/model",
        "containerSpec": {"imageUri": "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"},
    }
    outcome = BatchPredictionRun(job, model, context).run()
    if not outcome.succeeded:
        raise SystemExit(f"emulator run failed: {outcome.error_message}")
    return outcome.completion_stats


def _worker(side: str, root: Path, batch_size: int) -> None:
    """One measurement in this (fresh) process; prints a JSON line."""
    import joblib  # noqa: F401 - imports are not part of the measured job
    import numpy  # noqa: F401
    import sklearn.tree  # noqa: F401

    if side == "emulator":
        import google.cloud.aiplatform_v1.types  # noqa: F401 - loaded once by a running emulator

        import vertex_emulator.execution  # noqa: F401
    before = _current_rss_mib()
    started = time.perf_counter()
    stats: dict[str, str] = {}
    if side == "plain":
        _plain_script(root / "gcs/bench/model/model.joblib", root / "gcs/bench/input/instances.jsonl",
                      root / "plain-out.jsonl", batch_size)
    else:
        stats = _emulator(root, batch_size)
    elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": elapsed, "rss_before_mib": before, "peak_rss_mib": _rss_mib(), "stats": stats}))


def _prepare(root: Path, count: int) -> None:
    import joblib
    from sklearn.tree import DecisionTreeClassifier

    with (REPO / "examples/data/train.csv").open() as data:
        rows = list(csv.DictReader(data))
    features = [[float(r[k]) for k in ("sepal_length", "sepal_width", "petal_length", "petal_width")] for r in rows]
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(features, [r["species"] for r in rows])
    (root / "gcs/bench/model").mkdir(parents=True, exist_ok=True)
    joblib.dump(model, root / "gcs/bench/model/model.joblib")
    (root / "gcs/bench/input").mkdir(parents=True, exist_ok=True)
    rng = random.Random(count)
    with (root / "gcs/bench/input/instances.jsonl").open("w") as target:
        for _ in range(count):
            base = rng.choice(features)
            target.write(json.dumps([round(v + rng.uniform(-0.3, 0.3), 1) for v in base]) + "\n")


def _proc_status_mib(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no {key} in /proc/{pid}/status")


def _emulator_job(root: Path, count: int, batch_size: int) -> dict[str, Any]:
    """One BatchPredictionJob of ``count`` instances on a fresh ``python -m vertex_emulator`` (local runner)."""
    sys.path.insert(0, str(REPO))
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage  # type: ignore[attr-defined]

    from vertex_emulator.testing import EmulatorProcess, gapic_clients, location_parent

    with tempfile.TemporaryDirectory() as scratch, EmulatorProcess(Path(scratch) / "data", "--runner", "local") as emu:
        assert emu.process is not None
        gcs = storage.Client(project="bench", credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                             client_options={"api_endpoint": emu.storage_host})
        bucket = gcs.create_bucket("bench")
        bucket.blob("model/model.joblib").upload_from_filename(str(root / "gcs/bench/model/model.joblib"))
        bucket.blob("input/instances.jsonl").upload_from_filename(str(root / "gcs/bench/input/instances.jsonl"))
        bucket.blob("input/warmup.jsonl").upload_from_string("[5.1, 3.5, 1.4, 0.2]\n" * 100)
        clients = gapic_clients(emu.endpoint)
        model = clients.model.upload_model(
            parent=location_parent(),
            model={"display_name": "iris", "artifact_uri": "gs://bench/model/",
                   "container_spec": {"image_uri": "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"}},
        ).result(timeout=30)

        pid = emu.process.pid
        sampled: list[float] = []

        def run_job(source: str) -> tuple[float, Any]:
            body = {
                "display_name": "bench",
                "model": model.model,
                "input_config": {"instances_format": "jsonl", "gcs_source": {"uris": [source]}},
                "output_config": {"predictions_format": "jsonl",
                                  "gcs_destination": {"output_uri_prefix": "gs://bench/out"}},
                "manual_batch_tuning_parameters": {"batch_size": batch_size},
            }
            started = time.perf_counter()
            job = clients.job.create_batch_prediction_job(parent=location_parent(), batch_prediction_job=body)
            while True:
                job = clients.job.get_batch_prediction_job(name=job.name)
                if job.end_time:
                    return time.perf_counter() - started, job
                sampled.append(_proc_status_mib(pid, "VmRSS"))  # a second look at the peak, besides VmHWM
                time.sleep(0.01)

        _, warmup = run_job("gs://bench/input/warmup.jsonl")
        if warmup.state.name != "JOB_STATE_SUCCEEDED":
            raise SystemExit(f"the warm-up job failed: {warmup.error.message}")
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS: the peak of this job only
        before = _proc_status_mib(pid, "VmRSS")
        sampled.clear()
        seconds, job = run_job("gs://bench/input/instances.jsonl")
        peak = max([_proc_status_mib(pid, "VmHWM"), *sampled])
        if job.state.name != "JOB_STATE_SUCCEEDED":
            raise SystemExit(f"the emulator job failed: {job.error.message}")
        stats = {"successfulCount": str(job.completion_stats.successful_count)}
        return {"seconds": seconds, "rss_before_mib": before, "peak_rss_mib": peak, "stats": stats}


def _measure(side: str, root: Path, batch_size: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    process = subprocess.run(
        [sys.executable, __file__, "--worker", side, "--root", str(root), "--batch-size", str(batch_size)],
        capture_output=True, text=True, cwd=REPO, env=env,
    )
    if process.returncode != 0:
        raise SystemExit(f"the {side} run failed:\n{process.stderr}")
    result: dict[str, Any] = json.loads(process.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=2, help="runs per side and size; the best time counts")
    parser.add_argument("--worker", choices=["plain", "emulator"], help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.root, args.batch_size)
        return

    print(f"batch prediction, scikit-learn model.joblib, batchSize {args.batch_size}, best of {args.repeat}")
    print(f"{'instances':>10} {'plain s':>9} {'module s':>9} {'job s':>7} {'module x':>9} {'job x':>6} "
          f"{'plain +MiB':>11} {'module +MiB':>12} {'job +MiB':>9}")
    sides = ("plain", "module", "job")
    ratios: dict[int, float] = {}
    growths: dict[int, float] = {}
    peaks: dict[int, float] = {}
    for count in args.sizes:
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch)
            _prepare(root, count)
            runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
            for _ in range(args.repeat):  # interleaved, so drift in machine load hits every side alike
                runs["plain"].append(_measure("plain", root, args.batch_size))
                runs["module"].append(_measure("emulator", root, args.batch_size))
                runs["job"].append(_emulator_job(root, count, args.batch_size))
        best = {side: min(r["seconds"] for r in results) for side, results in runs.items()}
        growth = {side: max(r["peak_rss_mib"] - r["rss_before_mib"] for r in results) for side, results in runs.items()}
        for side in ("module", "job"):
            stats = runs[side][-1]["stats"]
            if stats.get("successfulCount") != str(count):
                raise SystemExit(f"the {side} run predicted {stats} of {count} instances")
        ratios[count] = best["job"] / best["plain"]
        growths[count] = growth["job"]
        peaks[count] = max(r["peak_rss_mib"] for r in runs["job"])
        print(f"{count:>10} {best['plain']:>9.3f} {best['module']:>9.3f} {best['job']:>7.3f} "
              f"{best['module'] / best['plain']:>9.2f} {ratios[count]:>6.2f} "
              f"{growth['plain']:>11.1f} {growth['module']:>12.1f} {growth['job']:>9.1f}")
    largest = max(args.sizes)
    verdict = "meets" if ratios[largest] <= TARGET_RATIO else "MISSES"
    print(f"job wall time at {largest} instances: {ratios[largest]:.2f}x the plain script ({verdict} the target of "
          f"<= {TARGET_RATIO}x)")
    print("emulator process during the job, per size: "
          + ", ".join(f"{count}: peak {peaks[count]:.1f} MiB (+{growths[count]:.2f})" for count in args.sizes)
          + "; flat across sizes = streamed. +MiB = peak RSS growth during the run, x = time / plain")


if __name__ == "__main__":
    main()
