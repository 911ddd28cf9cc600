"""Fixtures: one in-process emulator per test session (per xdist worker), wiped before each test that uses it.
It runs the scheduled runner: these tests are about the API, so jobs follow the control plane's timing and
nothing really runs (real execution: test_local_runner.py and test_end_to_end.py).

emulator  the running `Emulator`, freshly reset,      control  its `ControlClient`
          operations done at once
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
def default_timing_emulator(running_emulator: Emulator) -> Emulator:
    """The running emulator, freshly reset: creates pending for a while, as by default (and on the real API)."""
    running_emulator.control.reset()
    return running_emulator


@pytest.fixture
def emulator(default_timing_emulator: Emulator) -> Emulator:
    # Every operation done at once: each pending create costs a GAPIC client 1-2.5 s of polling. The modules whose
    # subject is the default timing (test_operations, test_recordings) take `default_timing_emulator` as `emulator`.
    default_timing_emulator.control.set_operation_timing(0)
    return default_timing_emulator


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
