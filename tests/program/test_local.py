"""The main-job command and its teardown as a user runs them (scripts/up-local, scripts/down-local): the real
``pulumi up`` and ``destroy`` through scripts/pulumi, in a copy of the repository whose local stack names free
ports, with a temporary state dir."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.error import URLError

import pytest
import yaml

from program import ProgramConfig
from program.local import StagingError, stage
from program.stack_files import ROOT, stack_config
from vertex_emulator.control import ControlClient
from vertex_emulator.testing import free_port

NOT_COPIED = shutil.ignore_patterns("venv", ".state", ".git", "__pycache__", ".*_cache", ".hypothesis")


def _checkout(root: Path, port: int) -> Path:
    """This repository as a fresh clone would have it (its virtualenv shared), the local stack on ``port``."""
    checkout = root / "checkout"
    shutil.copytree(ROOT, checkout, ignore=NOT_COPIED, symlinks=True)
    (checkout / "venv").symlink_to(ROOT / "venv")
    # The shared virtualenv has the library installed (editable) from this repository: the copy must not
    # re-point it at itself (it is deleted after the test).
    requirements = checkout / "requirements.txt"
    kept = [line for line in requirements.read_text().splitlines(True) if not line.startswith("-e ")]
    requirements.write_text("".join(kept))
    stack_file = checkout / "stacks" / "Pulumi.local.yaml"
    stack = yaml.safe_load(stack_file.read_text())
    stack["config"]["vertex:endpoint"] = f"http://127.0.0.1:{port}"
    stack_file.write_text(yaml.safe_dump(stack))
    return checkout


def _run(checkout: Path, script: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(checkout / "scripts" / script), *args], cwd=checkout, env=env, capture_output=True, text=True,
        timeout=400,
    )


def test_up_local_runs_the_real_pulumi_up_then_down_local_destroys(tmp_path: Path) -> None:
    state, port = tmp_path / "state", free_port()
    checkout = _checkout(tmp_path, port)
    env = {
        **os.environ,
        "VERTEX_ML_STATE_DIR": str(state),
        "VERTEX_EMULATOR_PORT": str(port),
        "VERTEX_EMULATOR_STORAGE_PORT": str(free_port()),
    }
    control = ControlClient(f"http://127.0.0.1:{port}", timeout=2)
    try:
        first = _run(checkout, "up-local", env)
        assert first.returncode == 0, f"{first.stdout}\n{first.stderr}"
        assert f"started the emulator (pid {(state / 'emulator.pid').read_text().strip()})" in first.stdout
        assert "staged gs://vml-local-staging/packages/trainer-0.1.0.tar.gz" in first.stdout
        # Pulumi's own update output: the resource table, the summary, then the stack outputs.
        assert "pulumi-python:dynamic/vertex:TrainingPipeline training created" in first.stdout
        assert "Resources:\n    + 5 created" in first.stdout, first.stdout
        assert "Current stack outputs (12):" in first.stdout
        assert "WARNING: Location" not in first.stdout + first.stderr
        health = control.health()
        assert health["status"] == "ok"
        assert Path(health["data_dir"]) == state / "emulator-data"

        again = _run(checkout, "up-local", env)
        assert again.returncode == 0, again.stderr
        assert f"reusing the emulator already answering on http://127.0.0.1:{port} (ours)" in again.stdout
        assert "Resources:\n    5 unchanged" in again.stdout, again.stdout
    finally:
        down = _run(checkout, "down-local", env, "--purge")
    assert down.returncode == 0, down.stderr
    assert "The resources in the stack have been deleted" in down.stdout
    assert "stopped the emulator" in down.stdout
    with pytest.raises(URLError, match="Connection refused"):
        control.health()
    assert not state.exists()


def test_only_the_local_stack_is_staged() -> None:
    config = ProgramConfig.from_stack_values("dev", stack_config("dev"))
    with pytest.raises(StagingError, match="stack dev is dev: only the local stack is staged"):
        stage(config, "http://127.0.0.1:1")


def test_staging_says_when_the_trainer_is_missing(tmp_path: Path) -> None:
    from vertex_emulator import Emulator

    with Emulator() as emulator:
        config = ProgramConfig.from_stack_values(
            "local", stack_config("local", overrides={"vertex:endpoint": emulator.endpoint})
        )
        with pytest.raises(StagingError, match=r"make_sdist\.py is missing"):
            stage(config, emulator.storage_host, trainer_dir=tmp_path)
        staged = stage(config, emulator.storage_host)
        package = emulator.storage.read_bytes(config.trainer_package_uri)
        assert package[:2] == b"\x1f\x8b", "a gzip'd sdist"
        assert emulator.storage.read_text(config.training_data_uri).startswith("sepal_length,")
        assert [item.uri for item in staged][-1] == "gs://vml-local-staging/packages/trainer-0.1.0.tar.gz"
