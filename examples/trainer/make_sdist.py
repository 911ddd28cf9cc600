"""Build the example trainer's sdist, offline: ``python examples/trainer/make_sdist.py OUT_DIR``.

Prints the path of ``trainer-0.1.0.tar.gz``. Also importable: ``build_sdist(out_dir) -> Path``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parent


def build_sdist(out_dir: Path) -> Path:
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        # Build from a copy so no egg-info lands in the source tree.
        tree = Path(scratch) / "trainer-src"
        shutil.copytree(SOURCE, tree, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "dist", "build"))
        code = f"from setuptools import build_meta; print(build_meta.build_sdist({str(out_dir)!r}))"
        result = subprocess.run([sys.executable, "-c", code], cwd=tree, check=True, capture_output=True, text=True)
    return out_dir / result.stdout.strip().splitlines()[-1]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT_DIR")
    print(build_sdist(Path(sys.argv[1])))
