"""The main-job command and its teardown as a user runs them (scripts/up-local, scripts/down-local), on free ports
and a temporary state dir, with no Pulumi CLI: up-local stops before `pulumi up` and says what already ran."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.error import URLError

import pytest

from program import ProgramConfig
from program.local import StagingError, stage
from program.stack_files import ROOT, stack_config
from vertex_emulator.control import ControlClient
from vertex_emulator.testing import free_port


def _run(script: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / script), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


def test_up_local_without_pulumi_then_down_local(tmp_path: Path) -> None:
    state = tmp_path / "state"
    port = free_port()
    env = {
        **os.environ,
        "VERTEX_ML_STATE_DIR": str(state),
        "VERTEX_EMULATOR_PORT": str(port),
        "VERTEX_EMULATOR_STORAGE_PORT": str(free_port()),
        "PULUMI": "pulumi-cli-that-is-not-installed",
    }
    control = ControlClient(f"http://127.0.0.1:{port}", timeout=2)
    try:
        first = _run("up-local", env)
        assert first.returncode == 3, first.stderr
        assert "The Pulumi CLI is not on PATH, so the last step did not run" in first.stderr
        assert "pulumi up --stack local --yes" in first.stderr
        assert f"started the emulator (pid {(state / 'emulator.pid').read_text().strip()})" in first.stderr
        assert "staged gs://vml-local-staging/packages/trainer-0.1.0.tar.gz" in first.stderr
        assert "https://www.pulumi.com/docs/iac/download-install/" in first.stderr
        health = control.health()
        assert health["status"] == "ok"
        assert Path(health["data_dir"]) == state / "emulator-data"
        assert (state / "emulator.log").exists()

        again = _run("up-local", env)
        assert again.returncode == 3
        assert f"reusing the emulator already answering on http://127.0.0.1:{port} (ours)" in again.stdout
    finally:
        down = _run("down-local", env, "--purge")
    assert down.returncode == 0, down.stderr
    assert "the Pulumi CLI is not on PATH: nothing destroyed through Pulumi" not in down.stdout, "no Pulumi state yet"
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
