"""The program runs in its own process per run (``tests/program/engine.py``): ``set_mocks`` and the provider
server's ``configure`` must not meet in one process, and the suite runs under pytest-xdist."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from program.stack_files import ROOT, stack_names
from vertex_emulator import Emulator

STACKS = stack_names()


def _command(stack: str, mode: str, overrides: dict[str, Any] | None, state: Path | None) -> list[str]:
    command = [sys.executable, "-m", "tests.program.engine", stack, mode, "--set", json.dumps(overrides or {})]
    return [*command, "--state", str(state)] if state is not None else command


def _report(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return report


def run_engine(
    stack: str, mode: str, overrides: dict[str, Any] | None = None, state: Path | None = None
) -> dict[str, Any]:
    """One run of the program (``record``, ``preview``, ``up``) or a ``destroy``; its JSON report."""
    done = subprocess.run(
        _command(stack, mode, overrides, state), cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    return _report(done)


@pytest.fixture(scope="session")
def recorded() -> dict[str, dict[str, Any]]:
    """Every stack's program run under mocks, all at once: the registrations, their inputs and dependencies."""
    running = {
        stack: subprocess.Popen(
            _command(stack, "record", None, None), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for stack in STACKS
    }
    reports = {}
    for stack, process in running.items():
        stdout, stderr = process.communicate(timeout=120)
        reports[stack] = _report(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))
        assert reports[stack]["error"] is None, reports[stack]["error"]
    return reports


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(runner="scheduled") as running:
        yield running
