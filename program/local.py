"""Stage what the local stack reads into the emulator's storage: its buckets, the example data and an sdist of the
example trainer, at exactly the URIs ``stacks/Pulumi.local.yaml`` names.

    python -m program.local stage [--stack local] [--endpoint http://127.0.0.1:8765]

The endpoint defaults to the stack's ``vertex:endpoint``; the storage endpoint comes from the emulator's health
answer. Cloud stacks do not stage: their inputs are published by CI and data pipelines (see docs/program.md).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vertex_emulator.control import ControlClient

from .config import ProgramConfig, StackConfigError
from .stack_files import ROOT, stack_config

__all__ = ["EXAMPLE_DATA", "TRAINER_DIR", "StagingError", "build_sdist", "stage"]

EXAMPLE_DATA = ROOT / "examples" / "data"
TRAINER_DIR = ROOT / "examples" / "trainer"


class StagingError(Exception):
    """Something the local stack needs cannot be staged; the message says what and how to fix it."""


@dataclass(frozen=True)
class Staged:
    uri: str
    source: Path


def build_sdist(trainer_dir: Path, out_dir: Path) -> Path:
    """The trainer's sdist, built offline by the trainer's own ``make_sdist.py`` (setuptools, no isolation)."""
    script = trainer_dir / "make_sdist.py"
    if not script.exists():
        raise StagingError(f"{script} is missing: the local stack trains the example package in {trainer_dir}")
    done = subprocess.run(
        [sys.executable, str(script), str(out_dir)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise StagingError(f"building the sdist of {trainer_dir} failed:\n{done.stderr[-2000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


def _storage_client(storage_host: str) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage  # type: ignore[attr-defined]

    return storage.Client(
        project="local-project",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": storage_host},
    )


def _split(uri: str) -> tuple[str, str]:
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    return bucket, name


def stage(config: ProgramConfig, storage_host: str, trainer_dir: Path = TRAINER_DIR) -> list[Staged]:
    """Create the stack's buckets in the emulator's storage and upload the data and the trainer sdist."""
    if not config.is_local:
        raise StagingError(f"stack {config.stack} is {config.environment}: only the local stack is staged")
    client = _storage_client(storage_host)
    for bucket in sorted({config.staging_bucket, config.output_bucket}):
        if client.lookup_bucket(bucket) is None:
            client.create_bucket(bucket)
    with tempfile.TemporaryDirectory(prefix="vertex-ml-sdist-") as temp:
        sdist = build_sdist(trainer_dir, Path(temp))
        staged = [
            Staged(config.training_data_uri, EXAMPLE_DATA / "train.csv"),
            Staged(config.batch_input_uri, EXAMPLE_DATA / "instances.jsonl"),
            Staged(config.trainer_package_uri, sdist),
        ]
        for item in staged:
            bucket, name = _split(item.uri)
            if client.lookup_bucket(bucket) is None:
                client.create_bucket(bucket)
            client.bucket(bucket).blob(name).upload_from_filename(str(item.source))
    return staged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m program.local", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    staging = commands.add_parser("stage", help="stage the example data and trainer sdist into the emulator")
    staging.add_argument("--stack", default="local")
    staging.add_argument("--endpoint", help="the emulator's Vertex API URL (default: the stack's vertex:endpoint)")
    args = parser.parse_args(argv)
    overrides = {"vertex:endpoint": args.endpoint} if args.endpoint else None
    try:
        config = ProgramConfig.from_stack_values(args.stack, stack_config(args.stack, overrides=overrides))
        endpoint = config.endpoint or ""
        storage_host = str(ControlClient(endpoint).health()["storage_emulator_host"])
        for item in stage(config, storage_host):
            source = item.source.relative_to(ROOT) if item.source.is_relative_to(ROOT) else item.source.name
            print(f"staged {item.uri} <- {source}")
    except (StackConfigError, StagingError) as error:
        print(f"program.local: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        where = args.endpoint or "the stack's vertex:endpoint"
        print(f"program.local: the emulator at {where} does not answer: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
