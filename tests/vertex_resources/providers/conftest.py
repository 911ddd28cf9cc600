from __future__ import annotations

from collections.abc import Iterator

import pytest

from vertex_emulator import ControlClient, Emulator

from .harness import ProviderServer

PROJECT = "acme-ml"
LOCATION = "us-central1"


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator(runner="scheduled") as running:
        yield running


@pytest.fixture
def control(emulator: Emulator) -> Iterator[ControlClient]:
    emulator.control.reset()
    yield emulator.control
    emulator.control.clear_faults()


@pytest.fixture(scope="session")
def server(emulator: Emulator) -> Iterator[ProviderServer]:
    running = ProviderServer(
        {
            "vertex:project": PROJECT,
            "vertex:location": LOCATION,
            "vertex:endpoint": emulator.endpoint,
            "vertex:retryInitialDelay": "0.05",
            "vertex:pollInitialInterval": "0.05",
        }
    )
    yield running
    running.kill()
