"""How to start the emulator as a process (stdlib only, cheap to import)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["THIS_PYTHON", "command_line"]

THIS_PYTHON = (sys.executable, "-m", "vertex_emulator")


def command_line(
    port: int, storage_port: int, data_dir: str | Path, *extra_args: str, program: Sequence[str] = THIS_PYTHON
) -> list[str]:
    """The command that runs the emulator: ``python -m vertex_emulator`` with this Python, or ``program`` (an
    installed ``vertex-emulator`` console script, say)."""
    return [
        *program,
        "--port",
        str(port),
        "--storage-port",
        str(storage_port),
        "--data-dir",
        str(data_dir),
        *extra_args,
    ]
