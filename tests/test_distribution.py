"""The library as a user installs it: the wheel this repository builds, installed with its emulator extra into a
fresh virtualenv outside the repository, and a project of the user's own whose ``__main__.py`` is the README's
example, word for word, run through the real ``pulumi up``, an unchanged preview and ``destroy`` against the
installed ``vertex-emulator``. Nothing of the repository is on that project's ``sys.path``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from program import ProgramConfig
from program.local import stage
from program.stack_files import ROOT, stack_config
from tests.pulumi_cli import PulumiProject, marked_block
from vertex_emulator.testing import EmulatorProcess, gapic_clients

README_START = "<!-- readme-example: run as written by tests/test_distribution.py -->"
README_END = "<!-- /readme-example -->"


def readme_example() -> str:
    block = marked_block(ROOT / "README.md", README_START, README_END)
    assert block.startswith("```python\n"), "the README example is one python block"
    assert block.endswith("\n```"), "the README example is one python block"
    return block.removeprefix("```python\n").removesuffix("```")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    (built,) = out.glob("vertex_ml-*.whl")
    return built


def test_the_wheel_ships_the_two_packages_typed_and_nothing_of_the_program(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "vertex_resources/py.typed" in names
    assert "vertex_emulator/py.typed" in names
    assert {name.split("/")[0] for name in names} == {"vertex_resources", "vertex_emulator", wheel.name.split("-")[0]
                                                       + "-" + wheel.name.split("-")[1] + ".dist-info"}
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("/METADATA"))).decode()
    assert "Name: vertex-ml" in metadata
    assert "License: Apache-2.0" in metadata
    assert "Provides-Extra: emulator" in metadata
    assert any(line.startswith("Requires-Dist: pulumi") for line in metadata.splitlines())
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("/entry_points.txt"))).decode()
    assert "vertex-emulator = vertex_emulator._cli:main" in entry_points


@pytest.fixture(scope="module")
def user_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv outside the repository with ``vertex-ml[emulator]`` installed from the wheel."""
    venv = tmp_path_factory.mktemp("iris") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         f"{wheel}[emulator]"],
        capture_output=True, text=True, timeout=600,
    )
    assert installed.returncode == 0, installed.stderr
    return venv


@pytest.fixture
def installed_emulator(user_venv: Path, tmp_path: Path) -> Iterator[EmulatorProcess]:
    with EmulatorProcess(tmp_path / "emulator-data", program=[str(user_venv / "bin" / "vertex-emulator")]) as running:
        yield running


def _clean_env(venv: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(str(ROOT)))
    return env


def test_a_users_project_runs_the_readme_example_on_the_installed_package(
    user_venv: Path, installed_emulator: EmulatorProcess, tmp_path: Path
) -> None:
    emulator = installed_emulator
    assert emulator.ready_line.startswith("vertex-emulator ready")
    # The README's example data, where scripts/up-local puts it.
    overrides = {"vertex:endpoint": emulator.endpoint}
    config = ProgramConfig.from_stack_values("local", stack_config("local", overrides=overrides))
    stage(config, emulator.storage_host)

    directory = user_venv.parent  # the user's project, with its virtualenv in it
    (directory / "Pulumi.yaml").write_text(
        yaml.safe_dump({"name": "iris", "runtime": {"name": "python", "options": {"toolchain": "pip",
                                                                                   "virtualenv": "venv"}}})
    )
    (directory / "Pulumi.local.yaml").write_text(yaml.safe_dump({"config": {
        "vertex:project": "local-project", "vertex:location": "us-central1", "vertex:endpoint": emulator.endpoint,
        "vertex:pollInitialInterval": "0.2",
    }}))
    (directory / "__main__.py").write_text(readme_example())
    env = _clean_env(user_venv)
    seen = subprocess.run(
        [str(directory / "venv" / "bin" / "python"), "-c",
         "import sys, vertex_resources; print(vertex_resources.__file__); print(sys.path)"],
        cwd=directory, env=env, capture_output=True, text=True, check=True,
    ).stdout
    assert str(ROOT) not in seen, seen
    assert seen.startswith(str(user_venv))

    state = tmp_path / "state"
    state.mkdir()
    project = PulumiProject(directory, state, {**env, "VERTEX_ML_STATE_DIR": str(state)}).init()
    up = project.pulumi("up", "--yes")
    assert "+ 4 created" in up, up
    outputs = json.loads(project.pulumi("stack", "output", "--json"))
    clients = gapic_clients(emulator.endpoint)
    parent = "projects/local-project/locations/us-central1"
    assert outputs["dataset"] in {d.name for d in clients.dataset.list_datasets(parent=parent)}
    assert outputs["model_version"] == "1"
    assert outputs["predictions"].startswith("gs://vml-local-output/iris/predictions/")
    project.pulumi("preview", "--expect-no-changes")

    project.pulumi("destroy", "--yes")
    assert list(clients.dataset.list_datasets(parent=parent)) == []
    assert list(clients.pipeline.list_training_pipelines(parent=parent)) == []
    assert list(clients.job.list_batch_prediction_jobs(parent=parent)) == []
    # What destroy keeps unless delete_artifacts is set, as the README says: the model and the job it trained.
    assert [m.display_name for m in clients.model.list_models(parent=parent)] == ["iris"]
    assert len(list(clients.job.list_custom_jobs(parent=parent))) == 1
