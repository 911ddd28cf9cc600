"""Load, bounded: 100 concurrent clients create, get and list every kind on an emulator process (the full run
of 300 is benchmarks/emulator_load.py): no connection is reset or refused, no answer is a 5xx, and every
acknowledged create is listed exactly once."""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.emulator_load import report, run_load
from vertex_emulator.testing import EmulatorProcess

CLIENTS = 100
ROUNDS = 3


def test_a_hundred_concurrent_clients_lose_nothing(tmp_path: Path) -> None:
    with EmulatorProcess(tmp_path / "data", "--runner", "scheduled") as emulator:
        began = time.perf_counter()
        result = run_load(emulator.endpoint, CLIENTS, ROUNDS, timeout=120)
    summary = report(result, CLIENTS, time.perf_counter() - began)
    assert result.unfinished_clients == 0, summary
    assert result.connection_errors == [], summary
    assert result.server_errors == 0, summary
    assert dict(result.statuses) == {200: CLIENTS * ROUNDS * 3}, summary
    assert result.lost == [], summary
    assert result.duplicated == [], summary
    assert sum(len(names) for names in result.created.values()) == CLIENTS * ROUNDS
