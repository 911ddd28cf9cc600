"""Batch prediction: the emulator's execution module against a plain one-process script, same run, same data.

Both sides do the same work: load a scikit-learn model.joblib (a decision tree trained on examples/data/
train.csv), read N JSON-lines instances, predict in batches of the job's batchSize, write one JSON line per
instance. The emulator side is ``BatchPredictionRun`` called directly (storage: ``DirectoryObjectStore``),
writing Vertex's prediction.results / errors_stats files; the plain side is ``_plain_script`` below.

Each measurement runs in its own fresh process (imports done and the emulator's proto types loaded before the
clock starts, as in a running emulator). Memory: the growth of peak RSS (ru_maxrss) over the process's RSS
just before the run; it must not grow with N (input and output are streamed).

    venv/bin/python benchmarks/batch_prediction.py [--sizes 10000 100000] [--batch-size 64] [--repeat 2]

Target: emulator wall time <= 1.5x the plain script at 100,000 instances; flat memory across sizes.
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
    print(f"{'instances':>10} {'plain s':>9} {'emulator s':>11} {'ratio':>6} {'plain +MiB':>11} {'emulator +MiB':>14}")
    ratios = {}
    for count in args.sizes:
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch)
            _prepare(root, count)
            runs: dict[str, list[dict[str, Any]]] = {"plain": [], "emulator": []}
            for _ in range(args.repeat):
                for side in runs:  # interleaved, so drift in machine load hits both sides alike
                    runs[side].append(_measure(side, root, args.batch_size))
        best = {side: min(r["seconds"] for r in results) for side, results in runs.items()}
        growth = {side: max(r["peak_rss_mib"] - r["rss_before_mib"] for r in results) for side, results in runs.items()}
        stats = runs["emulator"][-1]["stats"]
        if stats.get("successfulCount") != str(count):
            raise SystemExit(f"the emulator predicted {stats} of {count} instances")
        ratios[count] = best["emulator"] / best["plain"]
        print(f"{count:>10} {best['plain']:>9.3f} {best['emulator']:>11.3f} {ratios[count]:>6.2f} "
              f"{growth['plain']:>11.1f} {growth['emulator']:>14.1f}")
    largest = max(args.sizes)
    verdict = "meets" if ratios[largest] <= TARGET_RATIO else "MISSES"
    print(f"ratio at {largest} instances: {ratios[largest]:.2f}x ({verdict} the target of <= {TARGET_RATIO}x); "
          "+MiB = peak RSS growth during the run (flat across sizes = streamed)")


if __name__ == "__main__":
    main()
