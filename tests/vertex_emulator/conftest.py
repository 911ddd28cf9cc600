"""Fixtures: one in-process emulator per test session (per xdist worker), wiped before each test that uses it.
It runs the scheduled runner: these tests are about the API, so jobs follow the control plane's timing and
nothing really runs (real execution: test_local_runner.py and test_end_to_end.py).

emulator  the running `Emulator`, freshly reset       control  its `ControlClient`
clients   the four GAPIC REST clients (anonymous)     parent   projects/test-project/locations/us-central1
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vertex_emulator import ControlClient, Emulator
from vertex_emulator.testing import GapicClients, gapic_clients, location_parent


@pytest.fixture(scope="session")
def running_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator(tmp_path_factory.mktemp("vertex-emulator"), runner="scheduled") as emulator:
        yield emulator


@pytest.fixture
def emulator(running_emulator: Emulator) -> Emulator:
    running_emulator.control.reset()
    return running_emulator


@pytest.fixture
def control(emulator: Emulator) -> ControlClient:
    return emulator.control


@pytest.fixture(scope="session")
def session_clients(running_emulator: Emulator) -> GapicClients:
    return gapic_clients(running_emulator.endpoint)


@pytest.fixture
def clients(emulator: Emulator, session_clients: GapicClients) -> GapicClients:
    return session_clients


@pytest.fixture
def parent() -> str:
    return location_parent()
