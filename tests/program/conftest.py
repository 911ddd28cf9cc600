"""The program under mocks runs in its own process per stack (``tests/program/engine.py``): ``set_mocks`` holds
global state, and the suite runs under pytest-xdist. The real CLI's helpers are in ``tests/pulumi_cli.py``."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from program.stack_files import ROOT, stack_names

STACKS = stack_names()


def _command(stack: str, overrides: dict[str, Any] | None) -> list[str]:
    return [sys.executable, "-m", "tests.program.engine", stack, "record", "--set", json.dumps(overrides or {})]


def _report(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return report


def record(stack: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """One run of the program under mocks; its JSON report."""
    command = _command(stack, overrides)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    return _report(done)


@pytest.fixture(scope="session")
def recorded() -> dict[str, dict[str, Any]]:
    """Every stack's program run under mocks, all at once: the registrations, their inputs and dependencies."""
    running = {
        stack: subprocess.Popen(
            _command(stack, None), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for stack in STACKS
    }
    reports = {}
    for stack, process in running.items():
        stdout, stderr = process.communicate(timeout=120)
        reports[stack] = _report(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))
        assert reports[stack]["error"] is None, reports[stack]["error"]
    return reports
