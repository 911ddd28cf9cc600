"""The program run under ``pulumi.runtime.set_mocks``, one process per run (``set_mocks`` and the provider server's
``configure`` clash in one process). Run as ``python -m tests.program.engine <stack> <mode> [options]``; it prints
one JSON report line.

Modes:
- ``record``: every registration with its type, inputs and dependencies, the resource's outputs made up by
  ``RecordingMocks`` (plausible names), and the stack exports.
- ``preview`` / ``up``: a small engine. Registrations of dynamic resources go to Pulumi's own provider server
  (``python -m pulumi.dynamic``) exactly as the engine sends them: Check, then Diff against the state of the last
  ``up``, then Create / Update / Create-then-Delete for a replacement (``up``) or nothing (``preview``, where the
  outputs of what changes are unknown, as in a real preview). ``up`` deletes what the program no longer declares
  and writes the state file.
- ``destroy``: deletes everything in the state file, dependents first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import runpy
import sys
import zlib
from pathlib import Path
from typing import Any

from pulumi import Output
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks, set_mocks
from pulumi.runtime.proto import provider_pb2
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


class ForwardingMocks(Mocks):
    """The engine's part for dynamic resources: the provider server's answers decide each step."""

    def __init__(self, server: Any, state: dict[str, Any], preview: bool) -> None:
        self.server, self.state, self.preview = server, state, preview
        self.steps: list[dict[str, Any]] = []
        self.new_state: dict[str, Any] = {}

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if not args.typ.startswith(DYNAMIC):
            raise AssertionError(f"the local stack must hold only Vertex AI resources, got {args.typ}")
        urn = f"urn:pulumi:{self.server.stack}::{PROJECT}::{args.typ}::{args.name}"
        stub = self.server.stub
        old = self.state.get(urn)
        checked = stub.Check(
            provider_pb2.CheckRequest(
                urn=urn, olds=_serialize(old["inputs"] if old else {}), news=_serialize(args.inputs)
            )
        )
        if checked.failures:
            failures = "; ".join(f"{f.property}: {f.reason}" for f in checked.failures)
            raise AssertionError(f"{args.name}: check failed: {failures}")
        inputs = rpc.deserialize_properties(checked.inputs, True)
        step: dict[str, Any] = {"urn": urn, "name": args.name, "type": args.typ.rsplit(":", 1)[-1]}
        if old is None:
            step["op"] = "create"
        else:
            diff = stub.Diff(
                provider_pb2.DiffRequest(
                    id=old["id"], urn=urn, olds=_serialize(old["outputs"]), news=_serialize(inputs)
                )
            )
            changed = diff.changes == provider_pb2.DiffResponse.DIFF_SOME
            step["op"] = "same" if not changed else ("replace" if diff.replaces else "update")
            step["replaces"] = sorted(diff.replaces)
        self.steps.append(step)

        if step["op"] == "same":
            id_, outputs = old["id"], old["outputs"]
        elif self.preview:
            id_, outputs = (old["id"] if old else ""), inputs  # what changes is not known until it is applied
        elif step["op"] == "update":
            answer = stub.Update(
                provider_pb2.UpdateRequest(
                    id=old["id"], urn=urn, olds=_serialize(old["outputs"]), news=_serialize(inputs)
                )
            )
            id_, outputs = old["id"], rpc.deserialize_properties(answer.properties)
        else:  # create, or the create half of a create-before-delete replacement
            answer = stub.Create(provider_pb2.CreateRequest(urn=urn, properties=_serialize(inputs)))
            id_, outputs = answer.id, rpc.deserialize_properties(answer.properties)
            if old is not None:
                stub.Delete(provider_pb2.DeleteRequest(id=old["id"], urn=urn, properties=_serialize(old["outputs"])))
        if not self.preview:
            self.new_state[urn] = {"id": id_, "inputs": _plain(inputs), "outputs": _plain(outputs)}
        return id_, outputs


def _serialize(props: dict[str, Any]) -> Any:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


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


class _Server:
    def __init__(self, stack: str, config: dict[str, str]) -> None:
        from tests.vertex_resources.providers.harness import ProviderServer

        self.stack = stack
        self.process = ProviderServer(config)
        self.stub = self.process.stub

    def close(self) -> str:
        text = self.process.stderr_text()
        self.process.kill()
        return text


def _destroy(server: _Server, state: dict[str, Any]) -> list[dict[str, Any]]:
    steps = []
    for urn, entry in reversed(list(state.items())):
        server.stub.Delete(provider_pb2.DeleteRequest(id=entry["id"], urn=urn, properties=_serialize(entry["outputs"])))
        steps.append({"urn": urn, "name": urn.rsplit("::", 1)[-1], "op": "delete"})
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("stack")
    parser.add_argument("mode", choices=["record", "preview", "up", "destroy"])
    parser.add_argument("--set", default="{}", help="JSON object of config values replacing the stack file's")
    parser.add_argument("--state", type=Path, help="state file of the preview/up/destroy engine")
    args = parser.parse_args(argv)
    config = stack_config(args.stack, overrides=json.loads(args.set))
    report: dict[str, Any] = {}
    import os

    os.environ["PULUMI_CONFIG"] = json.dumps(config)  # how the engine hands the program its config
    if args.mode == "record":
        project = config.get("vertex:project") or config.get("gcp:project") or "p"
        location = config.get("vertex:location") or config.get("gcp:region") or "l"
        mocks = RecordingMocks(project, location)
        monitor, exports, error = _run_program(mocks, args.stack, preview=False)
        report = {
            "resources": [{**r, "inputs": mocks.inputs.get(r["name"], {})} for r in monitor.registrations],
            "exports": exports,
            "error": error,
        }
    else:
        assert args.state is not None
        state = json.loads(args.state.read_text()) if args.state.exists() else {}
        server = _Server(args.stack, config)
        try:
            if args.mode == "destroy":
                report = {"steps": _destroy(server, state), "error": None}
                args.state.write_text("{}")
            else:
                forwarding = ForwardingMocks(server, state, preview=args.mode == "preview")
                _, exports, error = _run_program(forwarding, args.stack, preview=args.mode == "preview")
                steps = forwarding.steps
                if args.mode == "up" and error is None:
                    gone = {urn: entry for urn, entry in state.items() if urn not in forwarding.new_state}
                    steps += _destroy(server, gone)
                    args.state.write_text(json.dumps(forwarding.new_state))
                report = {"steps": steps, "exports": exports, "error": error}
        finally:
            report["provider_stderr"] = server.close()
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
