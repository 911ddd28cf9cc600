"""The real Pulumi CLI in tests, typed as a user types it: ``scripts/pulumi ARGS`` in a project directory.

``scripts/test`` builds (or finds) the CLI before pytest starts, so every test here shares one built CLI. Each
project gets its own state dir (file backend and PULUMI_HOME, set by ``scripts/pulumi`` for the local stack), so
tests under pytest-xdist never share a stack.

    project = PulumiProject.of_this_repo(tmp_path, emulator.endpoint)   # the repo's program, its local stack
    project = PulumiProject.write(tmp_path, {"__main__.py": ...})       # a small project of a test's own
    project.pulumi("up", "--yes")                                       # exit 0 or the test fails with the output
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from program.stack_files import ROOT

SCRIPT = ROOT / "scripts" / "pulumi"
STACK = "local"


def marked_block(path: Path, start: str, end: str) -> str:
    """The text a document (README, docs) holds between two marker comments, stripped: what a test runs or
    compares, so the document cannot drift from what is tested."""
    text = path.read_text()
    begin = text.index(start) + len(start)
    return text[begin : text.index(end, begin)].strip()


def typed(*args: str) -> str:
    """The command line as a user (or the PR workflow) types it from the repository's root."""
    return " ".join(["scripts/pulumi", *args, "--stack", STACK, "--non-interactive"])


INIT = ("stack", "select", "--create")


@dataclass
class PulumiProject:
    directory: Path
    state_dir: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def _new(cls, root: Path) -> PulumiProject:
        directory, state_dir = root / "project", root / "state"
        (directory / "stacks").mkdir(parents=True)
        state_dir.mkdir()
        env = {**os.environ, "VERTEX_ML_STATE_DIR": str(state_dir), "PULUMI_SKIP_UPDATE_CHECK": "true"}
        return cls(directory, state_dir, env)

    @classmethod
    def of_this_repo(cls, root: Path, endpoint: str, **config: Any) -> PulumiProject:
        """A copy of this repository's project whose local stack points at ``endpoint`` (the program and the
        virtualenv, with the library installed in it, are the repository's own), with ``config`` set in the stack
        file."""
        project = cls._new(root)
        for name in ("Pulumi.yaml", "__main__.py"):
            shutil.copy(ROOT / name, project.directory)
        for shared in ("program", "venv", "examples"):
            (project.directory / shared).symlink_to(ROOT / shared)
        stack = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{STACK}.yaml").read_text())
        stack["config"].update({"vertex:endpoint": endpoint, "vertex:pollInitialInterval": "0.1", **config})
        project.stack_file.write_text(yaml.safe_dump(stack))
        return project

    @classmethod
    def write(cls, root: Path, files: dict[str, str], config: dict[str, Any] | None = None) -> PulumiProject:
        """A project of its own: a Pulumi.yaml for this repository's virtualenv (where the library is installed),
        ``files`` (dedented), and a local stack with ``config``."""
        project = cls._new(root)
        pulumi_yaml = {
            "name": "test-project",
            "runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}},
            "stackConfigDir": "stacks",
        }
        (project.directory / "Pulumi.yaml").write_text(yaml.safe_dump(pulumi_yaml))
        (project.directory / "venv").symlink_to(ROOT / "venv")
        for name, text in files.items():
            (project.directory / name).write_text(textwrap.dedent(text))
        project.stack_file.write_text(yaml.safe_dump({"config": config or {}}))
        return project

    @property
    def stack_file(self) -> Path:
        return self.directory / "stacks" / f"Pulumi.{STACK}.yaml"

    def command(self, *args: str) -> list[str]:
        return [str(SCRIPT), *typed(*args).split()[1:]]

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args), cwd=self.directory, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def pulumi(self, *args: str, timeout: float = 600) -> str:
        """``pulumi ARGS --stack local`` that must succeed; its standard output."""
        done = self.run(*args, timeout=timeout)
        assert done.returncode == 0, f"pulumi {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def init(self) -> PulumiProject:
        self.pulumi(*INIT)
        return self

    def state_files(self) -> list[Path]:
        """Every file of the stack's state in the file backend (checkpoints, history, backups)."""
        return [path for path in (self.state_dir / "pulumi").rglob("*") if path.is_file()]
