"""Cold start: from starting the provider server to the answer of the first Check.

    venv/bin/python benchmarks/provider_cold_start.py

What the engine waits for before the first resource of a preview: it starts ``$VENV/bin/python -u -m
pulumi.dynamic`` in the project directory, reads the port from its first stdout line, connects, sends Configure,
then Check for the first resource, whose ``__provider`` the server unpickles (importing ``vertex_resources``) and
configures. Each run is a fresh process, timed end to end with a breakdown:

- start: spawn until the port line (Python, grpc and pulumi imports, server up);
- Configure: connect and the Configure RPC;
- first Check: a TrainingPipeline with a custom task (unpickle, provider configure, imports, check);
- a second Check of the same resource in the same process, for scale (what the first Check costs beyond it is
  the unpickle and the imports).

Target: start + Configure + first Check under 1.5 s (median and max of the runs are printed). No API call is
made, so no emulator runs. It measures; it does not assert (exit status 0).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402
from google.protobuf import struct_pb2  # noqa: E402
from pulumi.dynamic.dynamic import serialize_provider  # noqa: E402
from pulumi.runtime import rpc  # noqa: E402
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc  # noqa: E402

from vertex_resources.providers import TrainingPipelineProvider  # noqa: E402
from vertex_resources.specs import (  # noqa: E402
    FractionSplit,
    InputDataConfig,
    ModelContainerSpec,
    ModelToUpload,
    TrainingPipelineDefinition,
    python_package_job,
)

RUNS = 7
TARGET_SECONDS = 1.5
CONFIG = {
    "vertex:project": "acme-ml",
    "vertex:location": "us-central1",
    "vertex:endpoint": "http://127.0.0.1:9",  # never called: a preview makes no API call
    "vertex:pollInitialInterval": "2",
    "vertex:retryInitialDelay": "0.5",
}
URN = "urn:pulumi:dev::vertex-ml::pulumi-python:dynamic/vertex:TrainingPipeline::train"


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def _check_request() -> provider_pb2.CheckRequest:
    inputs = TrainingPipelineDefinition(
        display_name="train-demand",
        custom_task=python_package_job(
            executor_image_uri="us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest",
            package_uris=["gs://acme-ml-staging/trainer/trainer-1.0.0.tar.gz"],
            python_module="trainer.task",
            args=["--epochs", "40"],
            base_output_directory="gs://acme-ml-output/pipelines/train",
        ),
        input_data_config=InputDataConfig(dataset_id="4000000", split=FractionSplit(training_fraction=0.8)),
        model_to_upload=ModelToUpload(
            display_name="demand-model",
            container_spec=ModelContainerSpec(
                image_uri="us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"
            ),
        ),
        labels={"team": "forecasting"},
    ).to_plain()
    props = {
        **inputs,
        "resource_key": "vertex-ml/dev/train",
        "__provider": serialize_provider(TrainingPipelineProvider()),
    }
    return provider_pb2.CheckRequest(urn=URN, olds=_struct({}), news=_struct(props))


@dataclass
class ColdStart:
    start: float
    configure: float
    first_check: float
    second_check: float

    @property
    def total(self) -> float:
        return self.start + self.configure + self.first_check


def cold_start(configure: provider_pb2.ConfigureRequest, check: provider_pb2.CheckRequest) -> ColdStart:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    begun = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.dynamic"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip())
        started = time.perf_counter()
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            stub.Configure(configure)
            configured = time.perf_counter()
            answer = stub.Check(check)
            checked = time.perf_counter()
            stub.Check(check)
            again = time.perf_counter()
        assert not answer.failures, list(answer.failures)
        return ColdStart(started - begun, configured - started, checked - configured, again - checked)
    finally:
        process.kill()
        process.wait()


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:6.0f} ms, max {max(values) * 1000:6.0f} ms"


def main() -> None:
    configure = provider_pb2.ConfigureRequest(args=_struct(CONFIG))
    check = _check_request()
    runs = [cold_start(configure, check) for _ in range(RUNS)]
    totals = [run.total for run in runs]
    print(f"Cold start: provider server start, Configure, first Check (TrainingPipeline), {RUNS} fresh processes")
    print(f"  server start (spawn -> port)  : {_ms([run.start for run in runs])}")
    print(f"  Configure                     : {_ms([run.configure for run in runs])}")
    print(f"  first Check (unpickle + check): {_ms([run.first_check for run in runs])}")
    print(f"  second Check, for scale       : {_ms([run.second_check for run in runs])}")
    print(f"  end to end                    : {_ms(totals)}  (runs: {', '.join(f'{t:.2f}' for t in totals)} s)")
    worst = max(totals)
    print(
        f"  target < {TARGET_SECONDS} s: median {'met' if statistics.median(totals) < TARGET_SECONDS else 'NOT met'}, "
        f"max {'met' if worst < TARGET_SECONDS else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
