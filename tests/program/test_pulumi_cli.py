"""The real ``pulumi preview``, ``up``, ``destroy`` of the local stack, when a Pulumi CLI is on PATH.

Without one it is reported skipped with that reason (the only skip of the suite: the CLI cannot be installed on
every machine; the end-to-end test drives the same program through the provider server without it). The project
is copied to a temporary directory so the stack file can point at this test's emulator and the file backend
(with its encryption salt) stays out of the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from program import ProgramConfig
from program.local import stage
from program.stack_files import ROOT, stack_config
from vertex_emulator import Emulator
from vertex_emulator.testing import gapic_clients

PULUMI = shutil.which("pulumi")
pytestmark = pytest.mark.skipif(
    PULUMI is None,
    reason="no Pulumi CLI on PATH, so the real pulumi preview/up/destroy of the local stack did not run "
    "(install it: https://www.pulumi.com/docs/iac/download-install/)",
)


def _project_copy(tmp_path: Path, endpoint: str) -> Path:
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", project)
    shutil.copy(ROOT / "__main__.py", project)
    for shared in ("program", "vertex_resources", "venv", "examples"):
        (project / shared).symlink_to(ROOT / shared)
    stack = yaml.safe_load((ROOT / "stacks" / "Pulumi.local.yaml").read_text())
    stack["config"]["vertex:endpoint"] = endpoint
    stack["config"]["vertex:pollInitialInterval"] = "0.1"
    (project / "stacks" / "Pulumi.local.yaml").write_text(yaml.safe_dump(stack))
    return project


def test_preview_up_destroy_with_the_real_cli(tmp_path: Path) -> None:
    assert PULUMI is not None
    with Emulator() as emulator:
        config = ProgramConfig.from_stack_values(
            "local", stack_config("local", overrides={"vertex:endpoint": emulator.endpoint})
        )
        stage(config, emulator.storage_host)
        project = _project_copy(tmp_path, emulator.endpoint)
        env = {
            **os.environ,
            "PULUMI_BACKEND_URL": f"file://{tmp_path / 'backend'}",
            "PULUMI_CONFIG_PASSPHRASE": "",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
        }
        (tmp_path / "backend").mkdir()

        def pulumi(*args: str) -> str:
            done = subprocess.run(
                [PULUMI, *args, "--non-interactive"], cwd=project, env=env, capture_output=True, text=True, timeout=600
            )
            assert done.returncode == 0, f"pulumi {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
            return done.stdout

        pulumi("stack", "select", "--create", "local")
        preview = pulumi("preview", "--stack", "local", "--diff")
        assert "4 to create" in preview, preview
        pulumi("up", "--stack", "local", "--yes", "--skip-preview")
        pulumi("preview", "--stack", "local", "--expect-no-changes")
        model = pulumi("stack", "output", "model", "--stack", "local").strip()
        assert model.startswith("projects/")
        pulumi("destroy", "--stack", "local", "--yes", "--skip-preview")
        clients = gapic_clients(emulator.endpoint)
        parent = "projects/local-project/locations/us-central1"
        assert list(clients.dataset.list_datasets(parent=parent)) == []
        assert list(clients.pipeline.list_training_pipelines(parent=parent)) == []
        assert list(clients.job.list_batch_prediction_jobs(parent=parent)) == []
