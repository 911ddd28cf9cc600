"""Container override rules (seed 003) and the image mapping file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vertex_emulator.execution import ImageMapping, ImageNotMappedError, ImageRegistry, InvalidSpecError

IMAGE = "us-central1-docker.pkg.dev/p/repo/trainer:1"
REGISTRY = ImageRegistry([ImageMapping(IMAGE, entrypoint=("/bin/entry", "-v"), cmd=("default-arg",))])


@pytest.mark.parametrize(
    ("command", "args", "argv"),
    [
        ([], [], ["/bin/entry", "-v", "default-arg"]),  # neither: ENTRYPOINT + CMD
        (["/bin/other"], [], ["/bin/other"]),  # only command: replaces ENTRYPOINT, CMD ignored
        ([], ["--x=1"], ["/bin/entry", "-v", "--x=1"]),  # only args: ENTRYPOINT, args replace CMD
        (["/bin/other"], ["--x=1"], ["/bin/other", "--x=1"]),  # both replaced
    ],
)
def test_override_rules(command: list[str], args: list[str], argv: list[str]) -> None:
    assert REGISTRY.resolve(IMAGE, command, args, python="/py").argv == argv


def test_prebuilt_training_images_run_python_locally() -> None:
    registry = ImageRegistry()
    for image in [
        "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest",
        "europe-docker.pkg.dev/vertex-ai/training/tf-cpu.2-12.py310:latest",
        "gcr.io/cloud-aiplatform/training/scikit-learn-cpu.0-23:latest",
    ]:
        assert registry.resolve(image, ["python3", "task.py"], [], python="/local/python").argv == [
            "/local/python", "task.py",
        ]
    with pytest.raises(ImageNotMappedError, match="Nothing to run"):
        registry.resolve("us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest", [], [], python="/py")


def test_prebuilt_prediction_images_are_served_in_process() -> None:
    registry = ImageRegistry()
    mapping = registry.lookup("us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest")
    assert mapping is not None
    assert mapping.predictor == "sklearn"
    mapping = registry.lookup("us-docker.pkg.dev/vertex-ai/prediction/xgboost-cpu.1-7:latest")
    assert mapping is not None
    assert mapping.predictor == "xgboost"


def test_unmapped_image_without_command_says_how_to_add_a_mapping() -> None:
    with pytest.raises(ImageNotMappedError) as error:
        ImageRegistry().resolve("docker.io/me/custom:2", [], ["--x"], python="/py")
    message = str(error.value)
    assert "docker.io/me/custom:2" in message
    assert "VERTEX_EMULATOR_IMAGES" in message
    assert '"entrypoint"' in message


def test_unmapped_image_with_command_runs_the_command() -> None:
    assert ImageRegistry().resolve("docker.io/me/custom:2", ["python", "-m", "x"], ["--a"], python="/py").argv == [
        "/py", "-m", "x", "--a",
    ]


def test_mapping_file_extends_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    config = tmp_path / "images.json"
    config.write_text(json.dumps({"images": [{
        "image": "us-central1-docker.pkg.dev/p/r/*",
        "entrypoint": ["python", "-m", "trainer.task"],
        "pythonPath": ["code"],
        "workingDir": "code",
        "env": {"MODE": "local"},
    }]}))
    registry = ImageRegistry.load(config)
    command = registry.resolve("us-central1-docker.pkg.dev/p/r/trainer:latest", [], ["--epochs=2"], python="/py")
    assert command.argv == ["/py", "-m", "trainer.task", "--epochs=2"]
    assert command.python_path == [str(tmp_path / "code")]
    assert command.working_dir == str(tmp_path / "code")
    assert command.env == {"MODE": "local"}
    assert registry.lookup("us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest") is not None
    with pytest.raises(ImageNotMappedError, match=str(config)):
        registry.resolve("docker.io/unknown:1", [], [], python="/py")


def test_mapping_file_errors_name_the_entry(tmp_path: Path) -> None:
    config = tmp_path / "images.json"
    config.write_text(json.dumps({"images": [{"image": "x", "entrypoint": "python"}]}))
    with pytest.raises(InvalidSpecError, match=r"images\[0\]: entrypoint must be a list"):
        ImageRegistry.load(config)
    config.write_text(json.dumps({"images": [{"image": "x", "entry": []}]}))
    with pytest.raises(InvalidSpecError, match="unknown keys"):
        ImageRegistry.load(config)
