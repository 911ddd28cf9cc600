"""Drive Pulumi's own provider server (``python -m pulumi.dynamic``) over gRPC exactly as the engine does."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from vertex_resources.providers._provider import VertexProvider

ROOT = Path(__file__).resolve().parents[3]
UNKNOWN = rpc.UNKNOWN  # the wire form of a value not known until apply


def _serialize(props: dict[str, Any]) -> struct_pb2.Struct:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def _deserialize(struct: struct_pb2.Struct) -> dict[str, Any]:
    value: dict[str, Any] = rpc.deserialize_properties(struct)
    return value


class ProviderServer:
    """The provider server as a subprocess, configured with a stack config."""

    def __init__(self, config: dict[str, str]) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        # stderr (progress lines) goes to a file: a pipe nobody reads would block a chatty server.
        self.stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (lives as long as the server)
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline().strip())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.stub.Configure(provider_pb2.ConfigureRequest(args=_serialize(config)))

    def kill(self) -> None:
        self.channel.close()
        self.process.kill()
        self.process.wait()
        self.stderr.close()

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()

    def resource(self, provider: VertexProvider, name: str = "res") -> ResourceDriver:
        kind = provider.api_type.kind
        urn = f"urn:pulumi:test::vertex-ml::pulumi-python:dynamic/vertex:{kind}::{name}"
        return ResourceDriver(self, serialize_provider(provider), urn, name)


@dataclass
class CheckOutcome:
    inputs: dict[str, Any]
    failures: list[tuple[str, str]]


@dataclass
class DiffOutcome:
    changes: bool
    replaces: list[str]
    delete_before_replace: bool


class ResourceDriver:
    """One resource's RPCs, the way the engine sends them (properties serialized by pulumi.runtime.rpc)."""

    def __init__(self, server: ProviderServer, provider_blob: str, urn: str, name: str) -> None:
        self.server, self.blob, self.urn, self.name = server, provider_blob, urn, name

    def _props(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "__provider": self.blob, "resource_key": f"vertex-ml/test/{self.name}"}

    def check(self, news: dict[str, Any], olds: dict[str, Any] | None = None) -> CheckOutcome:
        answer = self.server.stub.Check(
            provider_pb2.CheckRequest(urn=self.urn, olds=_serialize(olds or {}), news=_serialize(self._props(news)))
        )
        inputs = rpc.deserialize_properties(answer.inputs, True)
        return CheckOutcome(inputs, [(f.property, f.reason) for f in answer.failures])

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffOutcome:
        answer = self.server.stub.Diff(
            provider_pb2.DiffRequest(id=id_, urn=self.urn, olds=_serialize(olds), news=_serialize(self._props(news)))
        )
        return DiffOutcome(
            answer.changes == provider_pb2.DiffResponse.DIFF_SOME, list(answer.replaces), answer.deleteBeforeReplace
        )

    def create(self, inputs: dict[str, Any], timeout: float | None = None) -> tuple[str, dict[str, Any]]:
        answer = self.server.stub.Create(
            provider_pb2.CreateRequest(urn=self.urn, properties=_serialize(self._props(inputs))), timeout=timeout
        )
        return answer.id, _deserialize(answer.properties)

    def read(self, id_: str, props: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        answer = self.server.stub.Read(
            provider_pb2.ReadRequest(id=id_, urn=self.urn, properties=_serialize(props), inputs=_serialize(props))
        )
        return answer.id, _deserialize(answer.properties), _deserialize(answer.inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        answer = self.server.stub.Update(
            provider_pb2.UpdateRequest(id=id_, urn=self.urn, olds=_serialize(olds), news=_serialize(self._props(news)))
        )
        return _deserialize(answer.properties)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        answer = self.server.stub.Delete(provider_pb2.DeleteRequest(id=id_, urn=self.urn, properties=_serialize(props)))
        assert isinstance(answer, empty_pb2.Empty)
