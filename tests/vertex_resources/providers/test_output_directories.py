"""Each created training job trains into its own directory: two versions of one model, trained for real by the
emulator's local runner (the example trainer), keep their own artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from program.local import EXAMPLE_DATA, TRAINER_DIR, build_sdist
from vertex_emulator import Emulator
from vertex_emulator.testing import gapic_clients
from vertex_resources.providers import TrainingPipelineProvider

from .conftest import LOCATION, PROJECT
from .harness import ProviderServer

BUCKET = "vml-output"
TRAIN_CSV = f"gs://{BUCKET}/data/train.csv"
CONFIGURED = f"gs://{BUCKET}/iris/model"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, str]]:
    with Emulator(tmp_path_factory.mktemp("local")) as emulator:  # the local runner: jobs really run
        storage = emulator.storage
        storage.create_bucket(BUCKET)
        storage.write_bytes(TRAIN_CSV, (EXAMPLE_DATA / "train.csv").read_bytes())
        sdist = build_sdist(TRAINER_DIR, tmp_path_factory.mktemp("sdist"))
        package = f"gs://{BUCKET}/packages/{sdist.name}"
        storage.write_bytes(package, sdist.read_bytes())
        yield emulator, package


@pytest.fixture(scope="module")
def local_server(local: tuple[Emulator, str]) -> Iterator[ProviderServer]:
    emulator, _ = local
    running = ProviderServer(
        {
            "vertex:project": PROJECT,
            "vertex:location": LOCATION,
            "vertex:endpoint": emulator.endpoint,
            "vertex:pollInitialInterval": "0.2",
        }
    )
    yield running
    running.kill()


def _pipeline(package: str, max_depth: int, **more: Any) -> dict[str, Any]:
    pool = {
        "machine_spec": {"machine_type": "n1-standard-4"},
        "python_package_spec": {
            "executor_image_uri": "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest",
            "package_uris": [package],
            "python_module": "trainer.task",
            "args": ["--target-column=species", f"--training-data={TRAIN_CSV}", f"--max-depth={max_depth}"],
        },
    }
    return {
        "display_name": "iris-train",
        "custom_task": {"worker_pool_specs": [pool], "base_output_directory": {"output_uri_prefix": CONFIGURED}},
        "model_to_upload": {
            "display_name": "iris",
            "container_spec": {"image_uri": "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"},
        },
        **more,
    }


def _files(emulator: Emulator, directory: str) -> dict[str, bytes]:
    return {uri: emulator.storage.read_bytes(uri) for uri in emulator.storage.list(directory)}


def test_a_new_model_version_never_overwrites_the_files_of_the_previous_one(
    local: tuple[Emulator, str], local_server: ProviderServer, tmp_path: Path
) -> None:
    emulator, package = local
    training = local_server.resource(TrainingPipelineProvider(), "training")
    v1_inputs = training.check(_pipeline(package, max_depth=1)).inputs
    v1_id, v1 = training.create(v1_inputs)
    assert v1["state"] == "PIPELINE_STATE_SUCCEEDED"
    assert v1["output_directory"].startswith(f"{CONFIGURED}/training-")
    assert v1["custom_task"]["base_output_directory"] == {"output_uri_prefix": CONFIGURED}, "as configured"
    assert training.diff(v1_id, v1, v1_inputs).changes is False, "the derived directory is no change"
    clients = gapic_clients(emulator.endpoint)
    version1 = clients.model.get_model(name=f"{v1['model_name']}@1")
    assert version1.artifact_uri == f"{v1['output_directory']}/model/"
    v1_files = _files(emulator, version1.artifact_uri)
    assert f"{version1.artifact_uri}model.joblib" in v1_files

    again_id, again = training.create(v1_inputs)  # an interrupted create run again adopts what it made
    assert (again_id, again["output_directory"]) == (v1_id, v1["output_directory"])

    # The replacement (prod-us: each run a new version of one model), into the same configured directory.
    v2_inputs = training.check(_pipeline(package, max_depth=3, parent_model=v1["model_name"])).inputs
    assert training.diff(v1_id, v1, v2_inputs).replaces
    _, v2 = training.create(v2_inputs)
    assert v2["state"] == "PIPELINE_STATE_SUCCEEDED"
    assert (v2["model_name"], v2["model_version_id"]) == (v1["model_name"], "2")
    assert v2["output_directory"].startswith(f"{CONFIGURED}/training-")
    assert v2["output_directory"] != v1["output_directory"]

    versions = {v.version_id: v.artifact_uri for v in clients.model.list_model_versions(name=v1["model_name"])}
    assert versions == {"1": f"{v1['output_directory']}/model/", "2": f"{v2['output_directory']}/model/"}
    assert _files(emulator, versions["1"]) == v1_files, "version 1's artifacts are as version 1 trained them"
    v2_model = _files(emulator, versions["2"])[f"{versions['2']}model.joblib"]
    assert v2_model != v1_files[f"{versions['1']}model.joblib"], "version 2 is its own (deeper) tree"


def test_opting_out_trains_into_the_configured_directory(
    local: tuple[Emulator, str], local_server: ProviderServer
) -> None:
    emulator, package = local
    training = local_server.resource(TrainingPipelineProvider(), "shared-directory")
    inputs = training.check(_pipeline(package, max_depth=2, unique_output_directory=False)).inputs
    _, outs = training.create(inputs)
    assert outs["output_directory"] == CONFIGURED
    model = gapic_clients(emulator.endpoint).model.get_model(name=f"{outs['model_name']}@1")
    assert model.artifact_uri == f"{CONFIGURED}/model/"
