"""Container images mapped to local runtimes (no Docker engine here: code runs as local processes).

A JSON file the user can extend (``ImageRegistry.load(path)``, or the path in ``VERTEX_EMULATOR_IMAGES``)::

    {"images": [
      {"image": "us-central1-docker.pkg.dev/my-project/repo/trainer:*",   # fnmatch pattern
       "entrypoint": ["python", "-m", "trainer.task"],                    # the image's ENTRYPOINT
       "cmd": [],                                                         # the image's CMD
       "pythonPath": ["../examples/trainer"],                             # added to PYTHONPATH
       "workingDir": ".",                                                 # relative paths: to this file
       "env": {"KEY": "value"},
       "predictor": null}                                                 # "sklearn"/"xgboost": in-process
    ]}

User mappings are tried first, then the defaults: prebuilt Vertex AI training images (no ENTRYPOINT: the
command says what to run) and the prebuilt scikit-learn / XGBoost prediction images (served in-process).
A ``python``/``python3`` program in the final command line runs on the local interpreter.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import ImageNotMappedError, InvalidSpecError

CONFIG_ENV_VAR = "VERTEX_EMULATOR_IMAGES"
_PYTHON_PROGRAM = re.compile(r"^(?:/usr(?:/local)?/bin/)?python(?:3(?:\.\d+)?)?$")
_KNOWN_KEYS = {"image", "entrypoint", "cmd", "pythonPath", "workingDir", "env", "predictor"}
PREDICTORS = ("sklearn", "xgboost")


@dataclass(frozen=True)
class ImageMapping:
    """One image pattern and the local runtime it stands for."""

    image: str
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    python_path: tuple[str, ...] = ()
    working_dir: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    predictor: str | None = None

    def matches(self, image_uri: str) -> bool:
        return fnmatch.fnmatchcase(image_uri, self.image)


@dataclass(frozen=True)
class LocalCommand:
    """What to start for a container: argv, extra environment, working dir, PYTHONPATH additions."""

    argv: list[str]
    env: dict[str, str]
    working_dir: str | None
    python_path: list[str]


_TRAINING = ImageMapping("*-docker.pkg.dev/vertex-ai/training/*")
_TRAINING_GCR = ImageMapping("gcr.io/cloud-aiplatform/training/*")
DEFAULT_MAPPINGS: tuple[ImageMapping, ...] = (
    _TRAINING,
    _TRAINING_GCR,
    ImageMapping("*-docker.pkg.dev/vertex-ai/prediction/sklearn-*", predictor="sklearn"),
    ImageMapping("gcr.io/cloud-aiplatform/prediction/sklearn-*", predictor="sklearn"),
    ImageMapping("*-docker.pkg.dev/vertex-ai/prediction/xgboost-*", predictor="xgboost"),
    ImageMapping("gcr.io/cloud-aiplatform/prediction/xgboost-*", predictor="xgboost"),
)


class ImageRegistry:
    """Looks images up: user mappings first, then ``DEFAULT_MAPPINGS``."""

    def __init__(self, mappings: Sequence[ImageMapping] = (), *, source: str | None = None) -> None:
        self.mappings = (*mappings, *DEFAULT_MAPPINGS)
        self.source = source

    @classmethod
    def load(cls, path: str | Path) -> ImageRegistry:
        path = Path(path)
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise InvalidSpecError(f"Cannot read the image mapping file {path}: {error}") from None
        base = path.resolve().parent
        entries = document.get("images") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise InvalidSpecError(f'{path}: expected {{"images": [...]}}')
        return cls([_mapping(entry, base, f"{path}: images[{i}]") for i, entry in enumerate(entries)],
                   source=str(path))

    @classmethod
    def from_env(cls) -> ImageRegistry:
        """The file named by ``VERTEX_EMULATOR_IMAGES`` if set, else the defaults only."""
        path = os.environ.get(CONFIG_ENV_VAR)
        return cls.load(path) if path else cls()

    def lookup(self, image_uri: str) -> ImageMapping | None:
        return next((m for m in self.mappings if m.matches(image_uri)), None)

    def resolve(self, image_uri: str, command: Sequence[str], args: Sequence[str], *, python: str) -> LocalCommand:
        """The local command line for a container, by the Vertex AI override rules.

        Neither command nor args: ENTRYPOINT + CMD. Only command: command (CMD ignored). Only args:
        ENTRYPOINT + args. Both: command + args.
        """
        mapping = self.lookup(image_uri)
        if mapping is None and not command:
            raise ImageNotMappedError(self._not_mapped_message(image_uri))
        entrypoint = list(mapping.entrypoint) if mapping else []
        default_cmd = list(mapping.cmd) if mapping else []
        argv = [*command, *args] if command else [*entrypoint, *(args or default_cmd)]
        if not argv:
            raise ImageNotMappedError(
                f"Nothing to run for image {image_uri!r}: its local mapping has no entrypoint or cmd and the "
                "spec sets neither command nor args. Set containerSpec.command, or give the image an "
                f"entrypoint in {self._where()}."
            )
        if _PYTHON_PROGRAM.match(argv[0]):
            argv[0] = python
        return LocalCommand(
            argv=argv,
            env=dict(mapping.env) if mapping else {},
            working_dir=mapping.working_dir if mapping else None,
            python_path=list(mapping.python_path) if mapping else [],
        )

    def _where(self) -> str:
        if self.source:
            return f"the image mapping file {self.source}"
        return f"an image mapping file (a JSON file named by the {CONFIG_ENV_VAR} environment variable)"

    def _not_mapped_message(self, image_uri: str) -> str:
        example = json.dumps({"images": [{"image": image_uri, "entrypoint": ["python", "-m", "trainer.task"]}]})
        return (
            f"The image {image_uri!r} has no local runtime mapping and the spec sets no command, so the "
            f"emulator cannot tell what the container would run. Set containerSpec.command, or add a mapping "
            f"to {self._where()}, for example: {example}"
        )


def _mapping(entry: Any, base: Path, where: str) -> ImageMapping:
    if not isinstance(entry, dict) or not isinstance(entry.get("image"), str):
        raise InvalidSpecError(f'{where}: each mapping needs an "image" pattern')
    unknown = set(entry) - _KNOWN_KEYS
    if unknown:
        raise InvalidSpecError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(_KNOWN_KEYS)}")

    def strings(key: str) -> tuple[str, ...]:
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidSpecError(f"{where}: {key} must be a list of strings")
        return tuple(value)

    env = entry.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise InvalidSpecError(f"{where}: env must map names to strings")
    predictor = entry.get("predictor")
    if predictor is not None and predictor not in PREDICTORS:
        raise InvalidSpecError(f"{where}: predictor must be one of {PREDICTORS} or null")
    working_dir = entry.get("workingDir")
    return ImageMapping(
        image=entry["image"],
        entrypoint=strings("entrypoint"),
        cmd=strings("cmd"),
        python_path=tuple(str(base / p) for p in strings("pythonPath")),
        working_dir=str(base / working_dir) if isinstance(working_dir, str) else None,
        env=dict(env),
        predictor=predictor,
    )
