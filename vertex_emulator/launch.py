"""How to start the emulator as a process (stdlib only, cheap to import)."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["command_line"]


def command_line(port: int, storage_port: int, data_dir: str | Path, *extra_args: str) -> list[str]:
    """The command that runs ``python -m vertex_emulator`` with this Python."""
    return [
        sys.executable,
        "-m",
        "vertex_emulator",
        "--port",
        str(port),
        "--storage-port",
        str(storage_port),
        "--data-dir",
        str(data_dir),
        *extra_args,
    ]
