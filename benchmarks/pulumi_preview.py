"""Real preview cost: ``pulumi preview`` of 200 of our resources against the same CLI previewing 200 do-nothing
dynamic resources.

    venv/bin/python benchmarks/pulumi_preview.py

Two projects, previewed by the real CLI through ``scripts/pulumi`` (a fresh stack each: the engine runs the
program and sends every registration to the provider's Check). One registers the mix of ``provider_preview.py``
(``benchmarks/_specs.py``: TrainingPipeline, CustomJob, BatchPredictionJob, Dataset, 50 each) through
``vertex_resources``; the other registers the same property maps as ``pulumi.dynamic.Resource`` of
``_noop_provider.NoopProvider``. Runs alternate; the figure is the median wall time of ``ROUNDS`` runs each. The
emulator is the stack's endpoint; its request counters show the API calls made (target: none).
Target: at most 1.1x the do-nothing preview's wall time. It measures; it does not assert (exit status 0).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pulumi_cli import PulumiProject  # noqa: E402
from vertex_emulator import Emulator  # noqa: E402

RESOURCES = 200
ROUNDS = 5
TARGET_RATIO = 1.1

PROGRAM = """
    import pulumi
    from pulumi.dynamic import Resource

    import vertex_resources as vr
    from benchmarks import _specs
    from benchmarks._noop_provider import NoopProvider

    class Noop(Resource, module="noop", name="Noop"):
        pass

    config = pulumi.Config()
    KINDS = [
        (vr.TrainingPipeline, vr.TrainingPipelineArgs, _specs.pipeline),
        (vr.CustomJob, vr.CustomJobArgs, _specs.custom_job),
        (vr.BatchPredictionJob, vr.BatchPredictionJobArgs, _specs.batch_job),
        (vr.Dataset, vr.DatasetArgs, _specs.dataset),
    ]
    noop = NoopProvider()
    for index in range(config.require_int("count")):
        resource, args, build = KINDS[index % len(KINDS)]
        inputs = build(index, False)
        if config.require("variant") == "noop":
            Noop(noop, f"r{index}", inputs)
        else:
            resource(f"r{index}", args(**inputs))
"""


def _project(root: Path, variant: str, endpoint: str) -> PulumiProject:
    project = PulumiProject.write(
        root,
        {"__main__.py": PROGRAM},
        {
            "vertex:project": "acme-ml",
            "vertex:location": "us-central1",
            "vertex:endpoint": endpoint,
            "test-project:variant": variant,
            "test-project:count": str(RESOURCES),
        },
    )
    (project.directory / "benchmarks").symlink_to(ROOT / "benchmarks")
    return project.init()


def _timed_preview(project: PulumiProject) -> float:
    started = time.perf_counter()
    output = project.pulumi("preview")
    elapsed = time.perf_counter() - started
    assert f"+ {RESOURCES + 1} to create" in output, output[-2000:]
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pulumi-preview-") as temp, Emulator(runner="scheduled") as emulator:
        projects = {
            variant: _project(Path(temp) / variant, variant, emulator.endpoint) for variant in ("vertex", "noop")
        }
        for project in projects.values():
            _timed_preview(project)  # warm-up: the CLI's and Python's files in the page cache
        emulator.control.reset_counters()
        times: dict[str, list[float]] = {variant: [] for variant in projects}
        for _ in range(ROUNDS):
            for variant, project in projects.items():
                times[variant].append(_timed_preview(project))
        calls = emulator.control.counters()
    vertex, noop = statistics.median(times["vertex"]), statistics.median(times["noop"])
    ratio = vertex / noop
    print(f"Real `pulumi preview` of {RESOURCES} resources (fresh stack), median of {ROUNDS} runs each")
    print(f"  Vertex resources : {vertex:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times['vertex'])})")
    print(f"  do-nothing       : {noop:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times['noop'])})")
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"  ratio            : {ratio:.2f}x (target <= {TARGET_RATIO}x) -> {verdict}")
    print(f"  emulator API requests during the previews: {sum(calls.values())} {calls} (target 0)")


if __name__ == "__main__":
    main()
