"""Python training packages: fetch them from storage and install them into an isolated venv, offline.

The venv has no pip of its own; a ``.pth`` line adds the host interpreter's site directories after the venv's
own, so the job sees every package already installed here (and pip) while its own packages come first and
never touch the host environment. Installs run ``pip --no-index --no-deps --no-build-isolation``: no network,
sdists build with the host's setuptools. Venvs are keyed by the packages' content and reused (tuning trials).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from vertex_emulator._schemas import MAX_PACKAGE_URIS

from ._errors import DependencyError, InvalidSpecError, ObjectNotFoundError
from ._object_store import ObjectStore
from ._processes import LocalProcess, log_tail, run_to_completion

_INSTALL_TIMEOUT_SECONDS = 600.0
_PACKAGE_SUFFIXES = (".tar.gz", ".tgz", ".zip", ".whl", ".tar.bz2")
_site_dirs_cache: dict[str, list[str]] = {}
_site_dirs_lock = threading.Lock()
_venv_locks: dict[Path, threading.Lock] = {}
_venv_locks_guard = threading.Lock()


def _site_dirs(python: str) -> list[str]:
    """The site-packages directories of ``python`` (asked once per interpreter)."""
    with _site_dirs_lock:
        if python not in _site_dirs_cache:
            code = "import json, site; print(json.dumps(site.getsitepackages()))"
            output = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True).stdout
            _site_dirs_cache[python] = [str(Path(p)) for p in json.loads(output)]
        return _site_dirs_cache[python]


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


@contextlib.contextmanager
def _exclusive(venv: Path) -> Iterator[None]:
    """One creator per venv: a thread lock (trials in this process) and a file lock (other processes)."""
    with _venv_locks_guard:
        lock = _venv_locks.setdefault(venv, threading.Lock())
    venv.parent.mkdir(parents=True, exist_ok=True)
    with lock, open(f"{venv}.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        yield


def fetch_packages(store: ObjectStore, package_uris: Sequence[str], destination: Path) -> list[Path]:
    """Download the package files (sdists or wheels), keeping their file names (pip parses them)."""
    if not package_uris:
        raise InvalidSpecError("pythonPackageSpec.packageUris must name at least one package")
    if len(package_uris) > MAX_PACKAGE_URIS:
        raise InvalidSpecError(f"pythonPackageSpec.packageUris allows at most {MAX_PACKAGE_URIS} packages")
    files = []
    for index, uri in enumerate(package_uris):
        file_name = uri.rstrip("/").rsplit("/", 1)[-1]
        if not file_name.endswith(_PACKAGE_SUFFIXES):
            raise InvalidSpecError(
                f"{uri} is not a Python package file (expected an sdist .tar.gz/.zip or a .whl wheel)"
            )
        path = destination / str(index) / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            store.download_to(uri, path)
        except FileNotFoundError:
            raise ObjectNotFoundError(f"The Python package {uri} does not exist") from None
        files.append(path)
    return files


def prepare_venv(
    package_files: Sequence[Path],
    *,
    venvs_dir: Path,
    python: str,
    cancel: threading.Event,
    grace_seconds: float = 3.0,
) -> Path | None:
    """A venv with the packages installed; its python's path. None if cancelled meanwhile."""
    digest = hashlib.sha256()
    for path in package_files:
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as package:
            for chunk in iter(lambda: package.read(1 << 20), b""):
                digest.update(chunk)
    venv = venvs_dir / digest.hexdigest()[:16]
    ready_marker = venv / ".ready"
    with _exclusive(venv):
        if ready_marker.exists():
            return _venv_python(venv)
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
        venv_site = next(venv.glob("lib/python*/site-packages"))
        lines = [f"import site; site.addsitedir({site_dir!r})" for site_dir in _site_dirs(python)]
        (venv_site / "_vertex_emulator_host_site.pth").write_text("\n".join(lines) + "\n")
        log_path = venv.parent / f"{venv.name}-install.log"
        log_path.unlink(missing_ok=True)
        pip = LocalProcess(
            "pip",
            [str(_venv_python(venv)), "-m", "pip", "install", "--no-index", "--no-deps", "--no-build-isolation",
             "--ignore-installed", "--disable-pip-version-check", "--no-input", "--quiet",
             *map(str, package_files)],
            env={**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1"},
            log_path=log_path,
        )
        returncode = run_to_completion(
            pip, cancel=cancel, timeout_seconds=_INSTALL_TIMEOUT_SECONDS, grace_seconds=grace_seconds
        )
        if returncode is None:
            if cancel.is_set():
                return None
            raise DependencyError(f"Installing the training packages took over {_INSTALL_TIMEOUT_SECONDS:.0f}s")
        if returncode != 0:
            raise DependencyError(
                "Installing the training packages failed (offline install: dependencies must already be "
                f"installed where the emulator runs):\n{log_tail(log_path)}"
            )
        ready_marker.touch()
    return _venv_python(venv)
