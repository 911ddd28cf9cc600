"""The program run under ``pulumi.runtime.set_mocks``, one process per run (``set_mocks`` and the provider server's
``configure`` clash in one process). Run as ``python -m tests.program.engine <stack> <mode> [options]``; it prints
one JSON report line.

The one mode, ``record``: every registration with its type, inputs and dependencies, the resource's outputs made up
by ``RecordingMocks`` (plausible names), and the stack exports. It checks the program of every stack, the cloud
stacks included, whose pulumi-gcp resources cannot be created here. Everything that creates, previews or destroys
goes through the real Pulumi CLI (``tests/pulumi_cli.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import sys
import zlib
from typing import Any

from pulumi import Output
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks, set_mocks
from pulumi.runtime.settings import get_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from program.stack_files import ROOT, stack_config

PROJECT = "vertex-ml"
DYNAMIC = "pulumi-python:dynamic"
UNKNOWN_TEXT = "<unknown>"


def _plain(value: Any) -> Any:
    """Inputs and outputs as JSON: unknown values become ``<unknown>``."""
    from pulumi.output import Unknown

    if isinstance(value, Unknown) or value == rpc.UNKNOWN:
        return UNKNOWN_TEXT
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class RecordingMonitor(MockMonitor):
    """A mock monitor that also keeps what the engine would know about each registration: its dependencies."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[dict[str, Any]] = []

    def RegisterResource(self, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(
                {
                    "type": request.type,
                    "name": request.name,
                    "urn": self.make_urn(request.parent, request.type, request.name),
                    "dependencies": sorted(set(request.dependencies)),
                    "property_dependencies": {
                        key: sorted(deps.urns) for key, deps in request.propertyDependencies.items() if deps.urns
                    },
                }
            )
        return super().RegisterResource(request)


class RecordingMocks(Mocks):
    """Outputs a real create would give, made up from the inputs (enough for dependents and exports)."""

    def __init__(self, project: str, location: str) -> None:
        self.project, self.location = project, location
        self.inputs: dict[str, dict[str, Any]] = {}

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.inputs[args.name] = _plain({k: v for k, v in args.inputs.items() if k != "__provider"})
        outputs = dict(args.inputs)
        parent = f"projects/{self.project}/locations/{self.location}"
        kind = args.typ.rsplit(":", 1)[-1]
        collection = {
            "Dataset": "datasets",
            "TrainingPipeline": "trainingPipelines",
            "BatchPredictionJob": "batchPredictionJobs",
        }.get(kind)
        if args.typ.startswith(DYNAMIC) and collection:
            resource_id = str(zlib.crc32(args.name.encode()) % 10**8)
            outputs.update(name=f"{parent}/{collection}/{resource_id}", resource_id=resource_id)
            if kind == "TrainingPipeline":
                outputs.update(
                    model_name=f"{parent}/models/{args.name}-model",
                    model_version_id="1",
                    backing_custom_job=f"{parent}/customJobs/{resource_id}",
                )
            if kind == "BatchPredictionJob":
                outputs["output_directory"] = "gs://predictions/prediction-model-1"
            return outputs["name"], outputs
        if args.typ == "gcp:serviceaccount/account:Account":
            outputs["email"] = f"{args.inputs['accountId']}@{args.inputs['project']}.iam.gserviceaccount.com"
            outputs["name"] = f"projects/{args.inputs['project']}/serviceAccounts/{outputs['email']}"
        if args.typ == "gcp:storage/bucket:Bucket":
            outputs["url"] = f"gs://{args.inputs['name']}"
        return f"{args.name}-id", outputs


def _run_program(mocks: Mocks, stack: str, preview: bool) -> tuple[RecordingMonitor, dict[str, Any], str | None]:
    monitor = RecordingMonitor(mocks)
    set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
    error: str | None = None
    try:
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")))
    except Exception as failure:  # reported to the test, which decides
        error = f"{type(failure).__name__}: {failure}"
    exports: dict[str, Any] = {}
    root = get_root_resource()
    for key, value in (getattr(root, "outputs", None) or {}).items():
        output = Output.from_input(value)
        known = _sync_await(output.is_known())
        exports[key] = _plain(_sync_await(output.future())) if known else UNKNOWN_TEXT
    return monitor, exports, error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("stack")
    parser.add_argument("mode", choices=["record"])
    parser.add_argument("--set", default="{}", help="JSON object of config values replacing the stack file's")
    args = parser.parse_args(argv)
    config = stack_config(args.stack, overrides=json.loads(args.set))
    os.environ["PULUMI_CONFIG"] = json.dumps(config)  # how the engine hands the program its config
    project = config.get("vertex:project") or config.get("gcp:project") or "p"
    location = config.get("vertex:location") or config.get("gcp:region") or "l"
    mocks = RecordingMocks(project, location)
    monitor, exports, error = _run_program(mocks, args.stack, preview=False)
    report = {
        "resources": [{**r, "inputs": mocks.inputs.get(r["name"], {})} for r in monitor.registrations],
        "exports": exports,
        "error": error,
    }
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
