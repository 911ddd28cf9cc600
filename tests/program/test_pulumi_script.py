"""``scripts/pulumi``, the project's one entry point to the Pulumi CLI: which CLI it runs, the settings it gives the
local stack and no other, and how it builds the pinned CLI (one build at a time, never a half-built one that
looks usable, one short message when it cannot)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.pulumi_cli import SCRIPT

PINNED = "3.274.1"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    go = subprocess.run(["go", "env", "GOCACHE", "GOMODCACHE"], capture_output=True, text=True, check=True)
    gocache, gomodcache = go.stdout.split()
    return {
        **os.environ,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),  # an empty cache of ours; Go's own caches stay warm
        "GOCACHE": gocache,
        "GOMODCACHE": gomodcache,
        "VERTEX_ML_STATE_DIR": str(tmp_path / "state"),
        **extra,
    }


def _fake_cli(directory: Path, version: str) -> Path:
    """A ``pulumi`` that reports ``version`` and prints the settings it was given."""
    directory.mkdir(parents=True, exist_ok=True)
    fake = directory / "pulumi"
    fake.write_text(
        "#!/bin/sh\n"
        f'[ "$1" = version ] && {{ echo v{version}; exit 0; }}\n'
        'echo "args=$*"; echo "backend=${PULUMI_BACKEND_URL:-}"; echo "home=${PULUMI_HOME:-}"\n'
        'echo "passphrase=${PULUMI_CONFIG_PASSPHRASE-unset}"\n'
        'echo "plugins=${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION:-}"\n'
    )
    fake.chmod(0o755)
    return fake


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=300)


def test_a_recent_enough_cli_on_path_is_used_with_local_settings_only_for_the_local_stack(tmp_path: Path) -> None:
    fake = _fake_cli(tmp_path / "bin", "3.280.0")
    env = _env(tmp_path, PATH=f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    local = _run(env, "preview", "--stack", "local")
    assert local.returncode == 0, local.stderr
    assert "args=preview --stack local" in local.stdout
    assert f"backend=file://{tmp_path / 'state' / 'pulumi'}" in local.stdout
    assert f"home={tmp_path / 'state' / 'pulumi-home'}" in local.stdout
    assert "passphrase=\n" in local.stdout
    assert "plugins=true" in local.stdout
    assert not (tmp_path / "cache").exists(), "nothing was built"

    cloud = _run({**env, "PULUMI_CONFIG_PASSPHRASE": "theirs"}, "preview", "--stack", "prod-us")
    assert "backend=\n" in cloud.stdout
    assert "home=\n" in cloud.stdout
    assert "passphrase=theirs" in cloud.stdout
    # A user's own backend wins even for the local stack.
    own = _run({**env, "PULUMI_BACKEND_URL": "gs://their-bucket"}, "stack", "select", "--create", "local")
    assert "backend=gs://their-bucket" in own.stdout


def test_without_a_cli_and_without_go_one_message_says_what_to_install(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "sed", "dirname", "mkdir", "cat"):
        (bin_dir / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")
    _fake_cli(tmp_path / "old", "3.100.0")  # too old: not used
    done = _run(_env(tmp_path, PATH=f"{tmp_path / 'old'}{os.pathsep}{bin_dir}"), "preview", "--stack", "local")
    assert done.returncode == 127
    assert done.stderr.strip().splitlines() == [
        "scripts/pulumi: no Pulumi CLI >= 3.274 on PATH and no Go to build one: install the Pulumi CLI "
        "(https://www.pulumi.com/docs/install/) or Go 1.26+ (https://go.dev/dl/), then run this again"
    ]


def test_one_build_at_a_time_and_a_killed_build_leaves_nothing_that_looks_usable(tmp_path: Path) -> None:
    env = _env(tmp_path, PATH=os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep)
                                             if not (Path(d) / "pulumi").exists()))
    cache = tmp_path / "cache" / "vertex-ml" / f"pulumi-v{PINNED}"
    first = subprocess.Popen(
        [str(SCRIPT), "--build-only"], env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    assert first.stderr is not None
    for line in first.stderr:  # the first holds the lock once it says it is building
        if "compiling" in line:
            break
    second = subprocess.Popen([str(SCRIPT), "--build-only"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    time.sleep(2)
    assert second.poll() is None, "the second call waits for the first build"
    os.killpg(first.pid, signal.SIGKILL)  # the first build dies half-way
    first.wait()
    assert not (cache / "bin").exists(), "a killed build left a bin directory"

    out, err = second.communicate(timeout=600)
    assert second.returncode == 0, err
    assert "another scripts/pulumi is building the CLI v3.274.1; waiting for it" in err
    assert err.count("building the Pulumi CLI") == 1  # the second built once the first was gone
    assert out.strip() == str(cache / "bin")
    version = subprocess.run([str(cache / "bin" / "pulumi"), "version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"v{PINNED}"
    for plugin in ("pulumi-language-python", "pulumi-language-python-exec", "pulumi-resource-pulumi-python"):
        assert os.access(cache / "bin" / plugin, os.X_OK), plugin
    assert [p.name for p in cache.iterdir() if p.name.startswith("build.")] == []
