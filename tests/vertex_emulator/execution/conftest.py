"""Fixtures for the execution package.

store       a DirectoryObjectStore in a tmp dir          context   an ExecutionContext on it (job id 42)
gcs         the emulator's own ObjectStorage serving a real GCS endpoint (bucket "bkt"), for code that
            reaches gs:// from a subprocess through STORAGE_EMULATOR_HOST
trainer_sdist  the example trainer built as an sdist (once per session)
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from vertex_emulator.execution import DirectoryObjectStore, ExecutionContext
from vertex_emulator.storage import ObjectStorage

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def store(tmp_path: Path) -> DirectoryObjectStore:
    return DirectoryObjectStore(tmp_path / "gcs")


@pytest.fixture
def context(tmp_path: Path, store: DirectoryObjectStore) -> ExecutionContext:
    return ExecutionContext(
        store=store, work_dir=tmp_path / "work", project="test-project", job_id="42", kill_grace_seconds=1.0
    )


@pytest.fixture(scope="session")
def _gcs_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ObjectStorage]:
    storage = ObjectStorage(tmp_path_factory.mktemp("gcs"))
    storage.serve("127.0.0.1", 0)
    storage.create_bucket("bkt")
    yield storage
    storage.close()


@pytest.fixture
def gcs(_gcs_session: ObjectStorage) -> ObjectStorage:
    return _gcs_session


@pytest.fixture
def gcs_context(tmp_path: Path, gcs: ObjectStorage) -> ExecutionContext:
    return ExecutionContext(
        store=gcs, work_dir=tmp_path / "work", project="test-project", job_id="7",
        storage_emulator_host=gcs.host, kill_grace_seconds=1.0,
    )


def _load_make_sdist() -> object:
    spec = importlib.util.spec_from_file_location("make_sdist", REPO / "examples" / "trainer" / "make_sdist.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_sdist", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def trainer_sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = _load_make_sdist().build_sdist  # type: ignore[attr-defined]
    path: Path = build(tmp_path_factory.mktemp("sdist"))
    return path
