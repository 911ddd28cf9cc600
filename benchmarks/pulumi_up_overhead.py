"""``pulumi up`` overhead on the local stack: the wall time of a real ``up`` minus the time its jobs ran.

    venv/bin/python benchmarks/pulumi_up_overhead.py

The repository's local stack (dataset, training pipeline, tuning pipeline, batch prediction job) on an in-process
emulator with the local runner (jobs really run), through ``scripts/pulumi up --yes --skip-preview``, ``ROUNDS``
times on fresh stacks. The jobs' own run time is the union of the ``startTime``..``endTime`` intervals the emulator
reports for the pipelines and the batch prediction job (they overlap where the engine runs them in parallel), and the
emulator's pending time of each create operation (the API's own latency, like the jobs'; CreateDataset is pending
for ``create_operation_seconds``, as on Google Cloud). The overhead is everything else: the CLI, the program, the
providers' checks, creates and polling (noticing the operations and jobs ended included), the dataset import.
Target: at most 5 s. It measures; it does not assert (exit status 0).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from program import ProgramConfig  # noqa: E402
from program.local import stage  # noqa: E402
from program.stack_files import stack_config  # noqa: E402
from tests.pulumi_cli import PulumiProject  # noqa: E402
from vertex_emulator import Emulator  # noqa: E402
from vertex_emulator.testing import gapic_clients  # noqa: E402

ROUNDS = 3
TARGET_SECONDS = 5.0
PARENT = "projects/local-project/locations/us-central1"


def _union(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


_CREATE_OPERATIONS = ("CreateDataset", "UploadModel")


def _jobs_run_time(endpoint: str) -> float:
    clients = gapic_clients(endpoint)
    resources = [
        *clients.pipeline.list_training_pipelines(parent=PARENT),
        *clients.job.list_batch_prediction_jobs(parent=PARENT),
    ]
    return _union([(r.start_time.timestamp(), r.end_time.timestamp()) for r in resources])


def one_round(root: Path) -> tuple[float, float]:
    with Emulator() as emulator:
        config = ProgramConfig.from_stack_values(
            "local", stack_config("local", overrides={"vertex:endpoint": emulator.endpoint})
        )
        stage(config, emulator.storage_host)
        project = PulumiProject.of_this_repo(root, emulator.endpoint).init()
        started = time.perf_counter()
        project.pulumi("up", "--yes", "--skip-preview")
        wall = time.perf_counter() - started
        counted = emulator.control.counters()
        pending = sum(counted.get(rpc, 0) for rpc in _CREATE_OPERATIONS) * emulator.create_operation_seconds
        jobs = _jobs_run_time(emulator.endpoint) + pending
        project.pulumi("destroy", "--yes", "--skip-preview")
    return wall, jobs


def main() -> None:
    rounds = []
    with tempfile.TemporaryDirectory(prefix="pulumi-up-") as temp:
        for index in range(ROUNDS):
            rounds.append(one_round(Path(temp) / str(index)))
    overheads = [wall - jobs for wall, jobs in rounds]
    overhead = statistics.median(overheads)
    print(f"`pulumi up` of the local stack (4 resources, jobs really run), {ROUNDS} fresh stacks")
    for wall, jobs in rounds:
        print(f"  up {wall:5.2f} s, jobs and pending creates {jobs:5.2f} s -> overhead {wall - jobs:5.2f} s")
    verdict = "met" if overhead <= TARGET_SECONDS else "NOT met"
    print(f"  median overhead: {overhead:.2f} s (target <= {TARGET_SECONDS:.0f} s) -> {verdict}")


if __name__ == "__main__":
    main()
