"""The local stack's main job and its teardown (what scripts/up-local and scripts/down-local run).

    python -m program.local up      # emulator in the background, stage data + trainer sdist, pulumi up (real CLI)
    python -m program.local down    # pulumi destroy, stop the emulator (--purge: also remove the state dir)
    python -m program.local stage [--endpoint URL]   # only the staging step, against a running emulator

Staging puts what the local stack reads into the emulator's storage: its buckets, the example data and an sdist of
the example trainer, at exactly the URIs ``stacks/Pulumi.local.yaml`` names. Cloud stacks do not stage: their inputs
are published by CI and data pipelines (see docs/program.md).

Environment: ``VERTEX_ML_STATE_DIR`` (default ``.state``: emulator pid, log and data, the Pulumi file backend),
``VERTEX_EMULATOR_PORT`` / ``VERTEX_EMULATOR_STORAGE_PORT`` (8765 / 8766), ``VERTEX_EMULATOR_ARGS`` (more emulator
options), ``VERTEX_ML_PULUMI`` (a Pulumi CLI to use instead of the one ``scripts/pulumi`` finds or builds).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vertex_emulator.control import ControlClient

from ._emulator_process import EmulatorProcess, LocalEmulatorError
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


PULUMI = ROOT / "scripts" / "pulumi"
"""The project's one entry point to the Pulumi CLI: a recent enough ``pulumi`` on PATH, or the pinned one it builds;
for the local stack it sets the file backend under the state dir, a private PULUMI_HOME and no passphrase."""


@dataclass(frozen=True)
class _Local:
    state_dir: Path
    emulator: EmulatorProcess

    @classmethod
    def from_environment(cls) -> _Local:
        state_dir = (ROOT / os.environ.get("VERTEX_ML_STATE_DIR", ".state")).resolve()
        emulator = EmulatorProcess(
            state_dir,
            port=int(os.environ.get("VERTEX_EMULATOR_PORT", "8765")),
            storage_port=int(os.environ.get("VERTEX_EMULATOR_STORAGE_PORT", "8766")),
            extra_args=tuple(shlex.split(os.environ.get("VERTEX_EMULATOR_ARGS", ""))),
        )
        return cls(state_dir, emulator)

    def run_pulumi(self, *args: str) -> None:
        command = [str(PULUMI), *args, "--non-interactive"]
        print(f"== pulumi {' '.join(args)}", flush=True)
        env = {**os.environ, "VERTEX_ML_STATE_DIR": str(self.state_dir)}
        subprocess.run(command, cwd=ROOT, env=env, check=True)


def _say(line: str) -> None:
    print(f"== {line}", flush=True)


def _up(local: _Local, stack: str) -> int:
    _say(local.emulator.ensure_running())
    overrides = {"vertex:endpoint": local.emulator.endpoint}
    config = ProgramConfig.from_stack_values(stack, stack_config(stack, overrides=overrides))
    storage_host = str(ControlClient(local.emulator.endpoint).health()["storage_emulator_host"])
    for item in stage(config, storage_host):
        _say(f"staged {item.uri}")
    configured = stack_config(stack).get("vertex:endpoint")
    if configured != local.emulator.endpoint:
        raise StagingError(
            f"stacks/Pulumi.{stack}.yaml has vertex:endpoint {configured} but the emulator runs on "
            f"{local.emulator.endpoint}: use the same port (VERTEX_EMULATOR_PORT) or edit the stack file"
        )
    local.run_pulumi("stack", "select", "--create", "--stack", stack)
    local.run_pulumi("up", "--stack", stack, "--yes")
    local.run_pulumi("stack", "output", "--stack", stack)
    return 0


def _down(local: _Local, stack: str, purge: bool) -> int:
    if (local.state_dir / "pulumi" / ".pulumi" / "stacks").exists():
        print(f"== {local.emulator.ensure_running()}", flush=True)  # destroy talks to the emulator
        local.run_pulumi("destroy", "--stack", stack, "--yes")
    print(f"== {local.emulator.stop()}", flush=True)
    if purge and local.state_dir.exists():
        shutil.rmtree(local.state_dir)
        print(f"== removed {local.state_dir}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m program.local", description=(__doc__ or "").split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="emulator, staging, then pulumi up --stack local --yes")
    down = commands.add_parser("down", help="pulumi destroy --stack local --yes, then stop the emulator")
    down.add_argument("--purge", action="store_true", help="also remove the state dir (emulator data, Pulumi state)")
    staging = commands.add_parser("stage", help="stage the example data and trainer sdist into a running emulator")
    staging.add_argument("--endpoint", help="the emulator's Vertex API URL (default: the stack's vertex:endpoint)")
    for command in (up, down, staging):
        command.add_argument("--stack", default="local")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            return _up(_Local.from_environment(), args.stack)
        if args.command == "down":
            return _down(_Local.from_environment(), args.stack, args.purge)
        overrides = {"vertex:endpoint": args.endpoint} if args.endpoint else None
        config = ProgramConfig.from_stack_values(args.stack, stack_config(args.stack, overrides=overrides))
        storage_host = str(ControlClient(config.endpoint or "").health()["storage_emulator_host"])
        for item in stage(config, storage_host):
            source = item.source.relative_to(ROOT) if item.source.is_relative_to(ROOT) else item.source.name
            print(f"staged {item.uri} <- {source}")
    except (StackConfigError, StagingError, LocalEmulatorError) as error:
        print(f"program.local: {error}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        print(
            f"program.local: {' '.join(map(str, error.cmd[:3]))} failed with exit code {error.returncode}",
            file=sys.stderr,
        )
        return 1
    except OSError as error:
        print(f"program.local: the emulator does not answer: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
