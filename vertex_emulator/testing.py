"""Helpers for tests of code that talks to the emulator (this package's tests and the providers' tests).

    with Emulator() as emulator:
        clients = gapic_clients(emulator.endpoint)          # the four GAPIC REST clients, anonymous
        parent = location_parent()                          # projects/test-project/locations/us-central1
        clients.pipeline.create_training_pipeline(parent=parent, training_pipeline=...)

    with EmulatorProcess(tmp_path) as process:              # `python -m vertex_emulator` as a real subprocess
        process.kill()                                      # SIGKILL, then EmulatorProcess(tmp_path) again

`sdk_init(...)` points the high-level SDK (google.cloud.aiplatform) and google-cloud-storage at an emulator.
Google client libraries are imported inside the functions that need them.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from vertex_emulator.control import ControlClient
from vertex_emulator.launch import THIS_PYTHON, command_line

__all__ = [
    "DEFAULT_LOCATION",
    "DEFAULT_PROJECT",
    "EmulatorProcess",
    "GapicClients",
    "free_port",
    "gapic_clients",
    "location_parent",
    "sdk_init",
    "wait_until",
]

DEFAULT_PROJECT = "test-project"
DEFAULT_LOCATION = "us-central1"
_READY = re.compile(r"api=(?P<api>\S+) storage=(?P<storage>\S+)")


def location_parent(project: str = DEFAULT_PROJECT, location: str = DEFAULT_LOCATION) -> str:
    return f"projects/{project}/locations/{location}"


def client_options(endpoint: str) -> dict[str, str]:
    """GAPIC client options for an `http://` endpoint (plain HTTP, no TLS)."""
    return {"api_endpoint": endpoint}


@dataclass(frozen=True)
class GapicClients:
    dataset: Any
    pipeline: Any
    job: Any
    model: Any


def gapic_clients(endpoint: str) -> GapicClients:
    """DatasetService, PipelineService, JobService and ModelService clients: REST transport, anonymous."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import aiplatform_v1

    def make(client_class: Any) -> Any:
        return client_class(
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            transport="rest",
            client_options=client_options(endpoint),
        )

    return GapicClients(
        dataset=make(aiplatform_v1.DatasetServiceClient),
        pipeline=make(aiplatform_v1.PipelineServiceClient),
        job=make(aiplatform_v1.JobServiceClient),
        model=make(aiplatform_v1.ModelServiceClient),
    )


def sdk_init(
    endpoint: str,
    storage_host: str,
    staging_bucket: str,
    project: str = DEFAULT_PROJECT,
    location: str = DEFAULT_LOCATION,
) -> None:
    """Point google.cloud.aiplatform (REST, anonymous) and google-cloud-storage at an emulator.

    Sets STORAGE_EMULATOR_HOST for this process; the staging bucket must exist (create it with
    `emulator.storage.create_bucket`).
    """
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import aiplatform

    os.environ["STORAGE_EMULATOR_HOST"] = storage_host
    aiplatform.init(
        project=project,
        location=location,
        api_endpoint=endpoint,
        api_transport="rest",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        staging_bucket=staging_bucket,
    )


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll `condition` until it returns something truthy (returned); TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class EmulatorProcess:
    """`python -m vertex_emulator` (or another ``program``, such as an installed ``vertex-emulator``) in a
    subprocess on free ports; waits for its ready line."""

    def __init__(
        self,
        data_dir: Path,
        *extra_args: str,
        port: int = 0,
        storage_port: int = 0,
        program: Sequence[str] = THIS_PYTHON,
    ) -> None:
        self.data_dir = data_dir
        self.program = program
        self.port = port or free_port()
        self.storage_port = storage_port or free_port()
        self.extra_args = extra_args
        self.process: subprocess.Popen[str] | None = None
        self.endpoint = ""
        self.storage_host = ""
        self.ready_line = ""

    def start(self, timeout: float = 30.0) -> EmulatorProcess:
        command = command_line(self.port, self.storage_port, self.data_dir, *self.extra_args, program=self.program)
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        line = self.process.stdout.readline()
        if not line or time.monotonic() > deadline:
            _, errors = self.process.communicate(timeout=5)
            raise RuntimeError(f"the emulator did not start: {errors}")
        self.ready_line = line.strip()
        match = _READY.search(line)
        if match is None:
            raise RuntimeError(f"unexpected ready line: {line!r}")
        self.endpoint, self.storage_host = match["api"], match["storage"]
        return self

    @property
    def control(self) -> ControlClient:
        return ControlClient(self.endpoint)

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as in a crash."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        """Send `sig` and wait; returns the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return code

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.stop()
        elif self.process is not None:
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
