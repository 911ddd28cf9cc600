"""The emulator as a background process of the local stack: started once, found again by its pid file and its
health answer, stopped on teardown. Its pid, log and data live under the state directory."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from vertex_emulator.control import ControlClient, ControlError
from vertex_emulator.launch import command_line

__all__ = ["EmulatorProcess", "LocalEmulatorError"]


class LocalEmulatorError(Exception):
    """The emulator cannot be started or reached; the message says why and where its log is."""


@dataclass(frozen=True)
class EmulatorProcess:
    state_dir: Path
    port: int = 8765
    storage_port: int = 8766
    extra_args: tuple[str, ...] = ()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "emulator.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "emulator.log"

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "emulator-data"

    def healthy(self, timeout: float = 2.0) -> bool:
        try:
            return ControlClient(self.endpoint, timeout=timeout).health().get("status") == "ok"
        except (OSError, ControlError, ValueError):
            return False

    def pid(self) -> int | None:
        """The pid in the pid file if that process is still alive."""
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid

    def ensure_running(self, timeout: float = 60.0) -> str:
        """Reuse a healthy emulator on the port, else start one in the background and wait for its health.
        Returns what happened, for the user."""
        if self.healthy():
            owner = "ours" if self.pid() is not None else "not started by this script"
            return f"reusing the emulator already answering on {self.endpoint} ({owner})"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        stale = self.pid()
        if stale is not None:
            raise LocalEmulatorError(
                f"the emulator (pid {stale}) is running but {self.endpoint} does not answer; see {self.log_file}, "
                "or stop it with scripts/down-local"
            )
        # jobs really run: the local stack trains and predicts (extra_args may say otherwise)
        command = command_line(self.port, self.storage_port, self.data_dir, "--runner", "local", *self.extra_args)
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # survives this script; stopped by scripts/down-local
            )
        self.pid_file.write_text(f"{process.pid}\n")
        deadline = time.monotonic() + timeout
        while not self.healthy(timeout=1.0):
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                tail = self.log_file.read_text(errors="replace")[-2000:]
                raise LocalEmulatorError(f"the emulator exited with code {process.returncode}:\n{tail}")
            if time.monotonic() > deadline:
                raise LocalEmulatorError(f"the emulator did not answer on {self.endpoint} within {timeout:g} s")
            time.sleep(0.1)
        return f"started the emulator (pid {process.pid}) on {self.endpoint}; log {self.log_file}"

    def stop(self, timeout: float = 15.0) -> str:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return "no emulator of ours is running"
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.pid() is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.pid() is not None:
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return f"stopped the emulator (pid {pid})"
