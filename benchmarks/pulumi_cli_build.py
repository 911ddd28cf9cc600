"""How long ``scripts/pulumi`` takes to build the pinned Pulumi CLI: warm (Go's module and build caches full, as on
a machine that built it before) and, with ``--cold``, cold (empty caches: every module downloaded, every package
compiled; several minutes on 2 cores).

    venv/bin/python benchmarks/pulumi_cli_build.py [--cold]

Each build goes into a temporary ``XDG_CACHE_HOME`` (so the CLI the tests use is never touched) through
``scripts/pulumi --build-only``, which also makes the language host's virtualenv. No target: it reports.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _go_caches() -> dict[str, str]:
    names = ("GOCACHE", "GOMODCACHE")
    values = subprocess.run(["go", "env", *names], capture_output=True, text=True, check=True).stdout.split()
    return dict(zip(names, values, strict=True))


def build(cold: bool) -> float:
    with tempfile.TemporaryDirectory(prefix="pulumi-cli-build-") as temp:
        # Go's caches default to XDG_CACHE_HOME too: name the machine's own for a warm build.
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(temp) / "cache"), **_go_caches()}
        if cold:
            env |= {"GOMODCACHE": str(Path(temp) / "gomod"), "GOCACHE": str(Path(temp) / "gobuild")}
        env.pop("VERTEX_ML_PULUMI", None)
        # Hide any pulumi on PATH so the pinned one is built.
        env["PATH"] = os.pathsep.join(
            d for d in env["PATH"].split(os.pathsep) if not (Path(d) / "pulumi").exists()
        )
        started = time.perf_counter()
        subprocess.run([str(ROOT / "scripts" / "pulumi"), "--build-only"], env=env, check=True, cwd=ROOT)
        elapsed = time.perf_counter() - started
        if cold:  # module-cache files are read-only: make them removable
            subprocess.run(["chmod", "-R", "u+w", str(Path(temp) / "gomod")], check=False)
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold", action="store_true", help="also build with empty Go caches (minutes)")
    args = parser.parse_args()
    warm = build(cold=False)
    print(f"Pulumi CLI build through scripts/pulumi on {os.cpu_count()} cores")
    print(f"  warm (Go caches full): {warm:6.1f} s")
    if args.cold:
        cold = build(cold=True)
        print(f"  cold (empty caches)  : {cold:6.1f} s")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
