"""gcs: the emulator's ObjectStorage serving a GCS endpoint with bucket "bkt" (reached via STORAGE_EMULATOR_HOST)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vertex_emulator.storage import ObjectStorage


@pytest.fixture(scope="session")
def gcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ObjectStorage]:
    storage = ObjectStorage(tmp_path_factory.mktemp("gcs"))
    storage.serve("127.0.0.1", 0)
    storage.create_bucket("bkt")
    yield storage
    storage.close()
