"""GET latency of the emulator against a trivial HTTP server answering the same JSON (the floor).

Both servers run as their own processes on loopback; one GAPIC PipelineServiceClient (REST transport,
anonymous credentials) per server calls GetTrainingPipeline. Calls alternate between the two servers in
blocks, so both see the same machine conditions. The floor uses the same stdlib HTTP stack with keep-alive,
TCP_NODELAY and one write per response, so the ratio measures what the emulator adds, not socket tricks.

    venv/bin/python benchmarks/emulator_get_latency.py [--calls 1000] [--warmup 50] [--strict]

Prints p50 / p99 latency and requests per second for each, and the p50 ratio (target: at most 2x).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_RATIO = 2.0
BLOCK = 100


def serve_floor(port: int, body_file: Path) -> None:
    """The floor: answers every GET with the same bytes."""
    payload = body_file.read_bytes()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: {len(payload)}\r\n\r\n"
    response = head.encode("latin-1") + payload

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            self.wfile.write(response)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("floor ready", flush=True)
    server.serve_forever()


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _measure(call: Callable[[], object], count: int) -> tuple[list[float], float]:
    samples = []
    started = time.perf_counter()
    for _ in range(count):
        before = time.perf_counter()
        call()
        samples.append(time.perf_counter() - before)
    return samples, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--strict", action="store_true", help="exit 1 when the p50 ratio misses the target")
    parser.add_argument("--floor-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--body-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_server:
        serve_floor(args.port, args.body_file)
        return 0

    from vertex_emulator.testing import EmulatorProcess, free_port, gapic_clients, location_parent

    with tempfile.TemporaryDirectory() as tmp, EmulatorProcess(Path(tmp) / "data", "--runner", "scheduled") as emulator:
        clients = gapic_clients(emulator.endpoint)
        pipeline = clients.pipeline.create_training_pipeline(
            parent=location_parent(),
            training_pipeline={
                "display_name": "benchmark",
                "training_task_definition": (
                    "gs://google-cloud-aiplatform/schema/trainingjob/definition/custom_task_1.0.0.yaml"
                ),
                "training_task_inputs": {
                    "worker_pool_specs": [
                        {
                            "machine_spec": {"machine_type": "n1-standard-4"},
                            "replica_count": 1,
                            "container_spec": {"image_uri": "us-docker.pkg.dev/p/r/trainer:1", "args": ["--epochs=3"]},
                        }
                    ],
                    "base_output_directory": {"output_uri_prefix": "gs://bucket/benchmark"},
                },
                "model_to_upload": {
                    "display_name": "benchmark-model",
                    "container_spec": {"image_uri": "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"},
                },
                "labels": {"purpose": "benchmark"},
            },
        )
        url = f"{emulator.endpoint}/v1/{pipeline.name}?%24alt=json%3Benum-encoding%3Dint"
        with urllib.request.urlopen(url) as response:
            payload = response.read()
        body_file = Path(tmp) / "body.json"
        body_file.write_bytes(payload)

        floor_port = free_port()
        floor = subprocess.Popen(
            [sys.executable, __file__, "--floor-server", "--port", str(floor_port), "--body-file", str(body_file)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert floor.stdout is not None
            floor.stdout.readline()
            floor_clients = gapic_clients(f"http://127.0.0.1:{floor_port}")
            targets: dict[str, Callable[[], object]] = {
                "emulator": lambda: clients.pipeline.get_training_pipeline(name=pipeline.name),
                "floor": lambda: floor_clients.pipeline.get_training_pipeline(name=pipeline.name),
            }
            assert targets["emulator"]() == targets["floor"](), "both servers must answer the same resource"
            for call in targets.values():
                _measure(call, args.warmup)
            emulator.control.reset_counters()
            samples: dict[str, list[float]] = {name: [] for name in targets}
            elapsed = dict.fromkeys(targets, 0.0)
            remaining = args.calls
            while remaining > 0:
                block = min(BLOCK, remaining)
                for name, call in targets.items():
                    block_samples, block_time = _measure(call, block)
                    samples[name].extend(block_samples)
                    elapsed[name] += block_time
                remaining -= block
            counted = emulator.control.counters().get("GetTrainingPipeline", 0)
        finally:
            floor.terminate()
            floor.wait(timeout=10)

    print(f"GetTrainingPipeline through the GAPIC REST client, {args.calls} calls each, {len(payload)} byte body")
    print(f"{'server':<10} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'req/s':>8}")
    figures = {}
    for name, values in samples.items():
        p50, p99 = _percentile(values, 0.5) * 1000, _percentile(values, 0.99) * 1000
        rps = len(values) / elapsed[name]
        figures[name] = {"p50_ms": p50, "p99_ms": p99, "mean_ms": statistics.mean(values) * 1000, "rps": rps}
        print(f"{name:<10} {p50:>8.3f} {p99:>8.3f} {statistics.mean(values) * 1000:>8.3f} {rps:>8.0f}")
    ratio = figures["emulator"]["p50_ms"] / figures["floor"]["p50_ms"]
    verdict = "within" if ratio <= TARGET_RATIO else "MISSES"
    print(f"p50 ratio emulator/floor: {ratio:.2f}x ({verdict} the {TARGET_RATIO:.0f}x target)")
    print(f"emulator counted {counted} GetTrainingPipeline calls")
    print(
        json.dumps(
            {"ratio_p50": round(ratio, 3), **{k: {m: round(v, 3) for m, v in f.items()} for k, f in figures.items()}}
        )
    )
    return 1 if args.strict and ratio > TARGET_RATIO else 0


if __name__ == "__main__":
    raise SystemExit(main())
