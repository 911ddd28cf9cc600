"""Batch prediction with ``dedicatedResources.startingReplicaCount`` 2 against 1, same emulator, same run.

A real emulator (``python -m vertex_emulator --runner local``, one process for the whole run); a scikit-learn
decision tree trained on examples/data/train.csv, uploaded with UploadModel; N instances (jsonl, or csv with a
header) uploaded through the GCS API. Each measured job: the job's own createTime to endTime (created with the
GAPIC REST client, polled every 0.25 s: a tighter poll takes CPU from the cores the replicas share); throughput =
N / that time.
Jobs of 1 and 2 replicas alternate, so drift in machine load hits both alike; the best of ``--repeat`` counts.
Small jobs of 1 and 2 replicas warm the emulator up first (imports, the replica server), as a running emulator
is; the first 2-replica job's time (the replica server's start) is printed too.

Memory, per size: the emulator process's peak RSS during the job (VmHWM, reset through /proc/PID/clear_refs
just before it) and the highest peak RSS (VmHWM, sampled at every poll) of any replica process and of the
replica server. It must not grow with N: input and output are streamed in bounded blocks. CPU seconds of
the fastest jobs (the emulator's, each replica's as last sampled) show how the work split, whatever the load.

    venv/bin/python benchmarks/batch_prediction_replicas.py [--sizes 10000 100000 1000000] [--format jsonl]

Target: at 1,000,000 instances, 2 replicas >= 1.7x the throughput of 1; flat memory across sizes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.7
_POLL_SECONDS = 0.25
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
SKLEARN_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"


def _status_mib(pid: int, key: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    """Children of every thread of ``pid`` (the replica server is a child of the job's thread)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _write_model(path: Path) -> None:
    import joblib
    from sklearn.tree import DecisionTreeClassifier

    with (REPO / "examples/data/train.csv").open() as data:
        rows = list(csv.DictReader(data))
    features = [[float(r[k]) for k in FEATURES] for r in rows]
    joblib.dump(DecisionTreeClassifier(max_depth=4, random_state=0).fit(features, [r["species"] for r in rows]), path)


def _write_instances(path: Path, count: int, fmt: str) -> None:
    with (REPO / "examples/data/train.csv").open() as data:
        bases = [[float(r[k]) for k in FEATURES] for r in csv.DictReader(data)]
    rng = random.Random(count)
    with path.open("w") as target:
        if fmt == "csv":
            target.write(",".join(FEATURES) + "\n")
        for _ in range(count):
            values = [round(v + rng.uniform(-0.3, 0.3), 1) for v in rng.choice(bases)]
            target.write((",".join(map(str, values)) if fmt == "csv" else json.dumps(values)) + "\n")


class Bench:
    def __init__(self, emulator: Any, clients: Any, model_name: str, fmt: str, batch_size: int) -> None:
        self.pid: int = emulator.process.pid
        self.clients = clients
        self.model_name = model_name
        self.fmt = fmt
        self.batch_size = batch_size

    def job(self, source: str, replicas: int) -> dict[str, Any]:
        from vertex_emulator.testing import location_parent

        body = {
            "display_name": f"bench-{replicas}",
            "model": self.model_name,
            "input_config": {"instances_format": self.fmt, "gcs_source": {"uris": [source]}},
            "output_config": {"predictions_format": "jsonl", "gcs_destination": {"output_uri_prefix": "gs://bench/out"}},
            "dedicated_resources": {"machine_spec": {"machine_type": "n1-standard-2"},
                                    "starting_replica_count": replicas, "max_replica_count": replicas},
            "manual_batch_tuning_parameters": {"batch_size": self.batch_size},
        }
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # VmHWM := VmRSS: this job's peak only
        before = _status_mib(self.pid, "VmRSS")
        replica_peak = server_peak = 0.0
        replica_cpu: dict[int, float] = {}  # the last reading of each (a replica's last poll interval can be missed)
        emulator_cpu = _cpu_seconds(self.pid)
        job = self.clients.job.create_batch_prediction_job(parent=location_parent(), batch_prediction_job=body)
        while True:
            job = self.clients.job.get_batch_prediction_job(name=job.name)
            if job.end_time:
                break
            for server in _children(self.pid):
                server_peak = max(server_peak, _status_mib(server, "VmHWM"))
                for replica in _children(server):
                    replica_peak = max(replica_peak, _status_mib(replica, "VmHWM"))
                    replica_cpu[replica] = max(replica_cpu.get(replica, 0.0), _cpu_seconds(replica))
            # Rarely: polling (a GET, /proc reads) takes CPU from the two cores the replicas share.
            time.sleep(_POLL_SECONDS)
        # The job's own clock, from its create to its end: exact, whatever the poll interval.
        seconds = (job.end_time - job.create_time).total_seconds()
        emulator_cpu = _cpu_seconds(self.pid) - emulator_cpu
        if job.state.name != "JOB_STATE_SUCCEEDED":
            raise SystemExit(f"the {replicas}-replica job failed: {job.error.message}")
        return {
            "seconds": seconds,
            "successful": job.completion_stats.successful_count,
            "emulator_peak_mib": _status_mib(self.pid, "VmHWM"),
            "emulator_growth_mib": _status_mib(self.pid, "VmHWM") - before,
            "replica_peak_mib": replica_peak,
            "server_peak_mib": server_peak,
            "emulator_cpu": emulator_cpu,
            "replica_cpu": sorted(replica_cpu.values()),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=2, help="jobs per replica count and size; the best counts")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage  # type: ignore[attr-defined]

    from vertex_emulator.testing import EmulatorProcess, gapic_clients, location_parent

    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as scratch, EmulatorProcess(Path(scratch) / "data", "--runner", "local") as emu:
        root = Path(scratch)
        gcs = storage.Client(project="bench", credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                             client_options={"api_endpoint": emu.storage_host})
        bucket = gcs.create_bucket("bench")
        _write_model(root / "model.joblib")
        bucket.blob("model/model.joblib").upload_from_filename(str(root / "model.joblib"))
        clients = gapic_clients(emu.endpoint)
        model = clients.model.upload_model(
            parent=location_parent(),
            model={"display_name": "iris", "artifact_uri": "gs://bench/model/",
                   "container_spec": {"image_uri": SKLEARN_IMAGE}},
        ).result(timeout=30)
        bench = Bench(emu, clients, model.model, args.format, args.batch_size)
        _write_instances(root / "warmup", 1000, args.format)
        bucket.blob("input/warmup").upload_from_filename(str(root / "warmup"))
        bench.job("gs://bench/input/warmup", 1)
        cold = bench.job("gs://bench/input/warmup", 2)["seconds"]
        bench.job("gs://bench/input/warmup", 2)
        print(f"warm-up: the first 2-replica job (1,000 instances, the replica server's start) took {cold:.2f} s")
        print(f"{args.format}, batchSize {args.batch_size}, best of {args.repeat}; MiB: peak RSS (VmHWM) in the job")
        print(f"{'instances':>10} {'1 rep s':>8} {'2 rep s':>8} {'1 rep inst/s':>13} {'2 rep inst/s':>13} {'ratio':>6} "
              f"{'emu MiB 1/2':>12} {'emu +MiB 1/2':>13} {'replica MiB':>12} {'server MiB':>11}")
        ratios: dict[int, float] = {}
        for count in args.sizes:
            path = root / f"instances-{count}"
            _write_instances(path, count, args.format)
            uri = f"gs://bench/input/instances-{count}"
            bucket.blob(uri.removeprefix("gs://bench/")).upload_from_filename(str(path))
            path.unlink()
            runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
            for _ in range(args.repeat):
                for replicas in (1, 2):
                    result = bench.job(uri, replicas)
                    if result["successful"] != count:
                        raise SystemExit(f"{replicas} replicas predicted {result['successful']} of {count}")
                    runs[replicas].append(result)
            best = {r: min(x["seconds"] for x in results) for r, results in runs.items()}
            ratios[count] = best[1] / best[2]
            peak = {r: max(x["emulator_peak_mib"] for x in results) for r, results in runs.items()}
            growth = {r: max(x["emulator_growth_mib"] for x in results) for r, results in runs.items()}
            replica = max(x["replica_peak_mib"] for x in runs[2])
            server = max(x["server_peak_mib"] for x in runs[2])
            print(f"{count:>10} {best[1]:>8.2f} {best[2]:>8.2f} {count / best[1]:>13,.0f} {count / best[2]:>13,.0f} "
                  f"{ratios[count]:>6.2f} {peak[1]:>5.0f}/{peak[2]:<6.0f} {growth[1]:>+6.1f}/{growth[2]:<+6.1f} "
                  f"{replica:>12.1f} {server:>11.1f}", flush=True)
            cpu = {r: min(runs[r], key=lambda x: x["seconds"]) for r in (1, 2)}
            print(f"{'':>10} CPU seconds of the best jobs: 1 replica: emulator {cpu[1]['emulator_cpu']:.2f}; "
                  f"2 replicas: emulator {cpu[2]['emulator_cpu']:.2f}, replicas "
                  + " + ".join(f"{c:.2f}" for c in cpu[2]["replica_cpu"]), flush=True)
            bucket.blob(uri.removeprefix("gs://bench/")).delete()
    largest = max(args.sizes)
    verdict = "meets" if ratios[largest] >= TARGET_RATIO else "MISSES"
    print(f"2 replicas at {largest:,} instances: {ratios[largest]:.2f}x the throughput of 1 ({verdict} the target of "
          f">= {TARGET_RATIO}x)")
    print(f"load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
