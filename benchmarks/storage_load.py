"""Concurrent clients on the emulator's storage endpoint: latency, connection resets, 5xx, lost objects.

Starts `python -m vertex_emulator --runner scheduled` on free ports, then N clients (threads, released together
by a barrier so every connection arrives at once) each run R rounds of upload, download and list under their
own prefix. Half the clients are google-cloud-storage clients (retries off, so a reset or a 5xx is counted
rather than retried away), half raw HTTP (one keep-alive connection each, media uploads).

    venv/bin/python benchmarks/storage_load.py [--clients 300] [--rounds 5] [--size 4096]

Prints p50 / p99 per operation and overall, resets, 5xx and other failures, and whether every object written
is listed with its bytes afterwards (target: 0 resets, 0 5xx, nothing lost).
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from vertex_emulator.testing import EmulatorProcess  # noqa: E402

BUCKET = "load"
_RESETS = (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected, ConnectionAbortedError)


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.resets = 0
        self.server_errors = 0
        self.other: list[str] = []

    def timed(self, op: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = call(*args, **kwargs)
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies[op].append(elapsed)
        return result

    def failed(self, error: BaseException) -> None:
        with self.lock:
            status = getattr(error, "code", None) or getattr(error, "status", None)
            if isinstance(error, _RESETS) or isinstance(getattr(error, "__cause__", None), _RESETS):
                self.resets += 1
            elif isinstance(status, int) and status >= 500:
                self.server_errors += 1
            else:
                self.other.append(repr(error)[:200])


class _Status(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def raw_client(host: str, index: int, rounds: int, payload: bytes, tally: Tally, barrier: threading.Barrier) -> None:
    parts = urlsplit(host)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=120)

    def send(method: str, path: str, body: bytes | None = None) -> bytes:
        connection.request(method, path, body=body)
        response = connection.getresponse()
        data = response.read()
        if response.status >= 400:
            raise _Status(response.status)
        return data

    barrier.wait()
    for round_ in range(rounds):
        name = quote(f"raw/{index}/{round_}", safe="")
        tally.timed("upload", send, "POST", f"/upload/storage/v1/b/{BUCKET}/o?uploadType=media&name={name}", payload)
        tally.timed("download", send, "GET", f"/download/storage/v1/b/{BUCKET}/o/{name}?alt=media")
        tally.timed("list", send, "GET", f"/storage/v1/b/{BUCKET}/o?prefix=raw/{index}/")
    connection.close()


def gcs_client(host: str, index: int, rounds: int, payload: bytes, tally: Tally, barrier: threading.Barrier) -> None:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(project="bench", credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                            client_options={"api_endpoint": host})  # fmt: skip
    bucket = client.bucket(BUCKET)
    barrier.wait()
    for round_ in range(rounds):
        blob = bucket.blob(f"gcs/{index}/{round_}")
        tally.timed("upload", blob.upload_from_string, payload, retry=None)
        tally.timed("download", blob.download_as_bytes, retry=None)
        tally.timed("list", lambda: list(client.list_blobs(BUCKET, prefix=f"gcs/{index}/", retry=None)))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=4096, help="bytes per object")
    args = parser.parse_args()
    payload = os.urandom(args.size)
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="storage-load-") as temp, \
            EmulatorProcess(Path(temp) / "data", "--runner", "scheduled") as emulator:  # fmt: skip
        address = urlsplit(emulator.storage_host)
        setup = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=60)
        setup.request("POST", "/storage/v1/b?project=bench", body=f'{{"name": "{BUCKET}"}}'.encode(),
                      headers={"Content-Type": "application/json"})  # fmt: skip
        setup.getresponse().read()
        barrier = threading.Barrier(args.clients, timeout=120)

        def run(index: int) -> None:
            try:
                worker = gcs_client if index % 2 else raw_client
                worker(emulator.storage_host, index, args.rounds, payload, tally, barrier)
            except BaseException as error:  # counted, not raised: the run goes on
                tally.failed(error)

        assert emulator.process is not None
        server_cpu, started = _cpu_seconds(emulator.process.pid), time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(run, range(args.clients)))
        wall = time.perf_counter() - started
        server_cpu = _cpu_seconds(emulator.process.pid) - server_cpu
        found = _count_objects(setup)

    expected = args.clients * args.rounds
    print(f"storage load: {args.clients} clients x {args.rounds} rounds (upload, download, list) of "
          f"{args.size} B objects, half google-cloud-storage, half raw HTTP; {wall:.1f} s wall, the emulator "
          f"process used {server_cpu:.1f} s CPU (the clients share the same 2 cores)")  # fmt: skip
    everything: list[float] = []
    for op in ("upload", "download", "list"):
        values = tally.latencies[op] or [0.0]
        everything += values
        print(f"  {op:<9} n={len(values):>5}  p50 {_percentile(values, 0.5):7.1f} ms  "
              f"p99 {_percentile(values, 0.99):7.1f} ms  max {max(values) * 1000:7.1f} ms")  # fmt: skip
    print(f"  all       n={len(everything):>5}  p50 {_percentile(everything, 0.5):7.1f} ms  "
          f"p99 {_percentile(everything, 0.99):7.1f} ms  mean {statistics.mean(everything) * 1000:.1f} ms")  # fmt: skip
    print(f"  connection resets: {tally.resets}   5xx: {tally.server_errors}   other failures: {len(tally.other)}"
          f"   objects listed afterwards: {found}/{expected}")  # fmt: skip
    for line in tally.other[:5]:
        print(f"    {line}")
    return 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _count_objects(connection: http.client.HTTPConnection) -> int:
    import json

    count, token = 0, ""
    while True:
        connection.request(
            "GET", f"/storage/v1/b/{BUCKET}/o?maxResults=1000" + (f"&pageToken={token}" if token else "")
        )
        page = json.loads(connection.getresponse().read())
        count += len(page.get("items", []))
        token = page.get("nextPageToken", "")
        if not token:
            return count


if __name__ == "__main__":
    sys.exit(main())
