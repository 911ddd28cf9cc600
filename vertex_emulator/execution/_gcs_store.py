"""``ObjectStore`` over any GCS JSON API endpoint (the storage emulator, or GCS itself) via google-cloud-storage.

Reads and writes go through local temp files so memory stays flat whatever the object size.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from ._object_store import split_gcs_uri


class _UploadOnClose(io.FileIO):
    def __init__(self, temp_path: str, blob: Any) -> None:
        super().__init__(temp_path, "wb")
        self._temp_path = temp_path
        self._blob = blob

    def close(self) -> None:
        if self.closed:
            return
        super().close()
        try:
            self._blob.upload_from_filename(self._temp_path)
        finally:
            os.unlink(self._temp_path)


class GcsObjectStore:
    """``GcsObjectStore("http://127.0.0.1:8766")`` talks to that endpoint anonymously (emulators);
    ``GcsObjectStore()`` uses google-cloud-storage's own defaults (``STORAGE_EMULATOR_HOST`` or GCS)."""

    def __init__(self, endpoint: str | None = None, project: str = "local-project") -> None:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage  # type: ignore[attr-defined]

        options = {"api_endpoint": endpoint} if endpoint else None
        credentials = AnonymousCredentials() if endpoint else None  # type: ignore[no-untyped-call]
        self._client = storage.Client(project=project, credentials=credentials, client_options=options)

    def _blob(self, uri: str) -> Any:
        bucket, name = split_gcs_uri(uri)
        return self._client.bucket(bucket).blob(name)

    def open_read(self, uri: str) -> BinaryIO:
        from google.api_core.exceptions import NotFound

        spool = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
        try:
            self._blob(uri).download_to_file(spool)
        except NotFound:
            spool.close()
            raise FileNotFoundError(uri) from None
        spool.seek(0)
        return spool

    def open_write(self, uri: str) -> BinaryIO:
        handle, temp_path = tempfile.mkstemp(prefix="gcs-upload-")
        os.close(handle)
        return io.BufferedWriter(_UploadOnClose(temp_path, self._blob(uri)), buffer_size=1 << 20)

    def list(self, prefix_uri: str) -> list[str]:
        from google.api_core.exceptions import NotFound

        bucket, prefix = split_gcs_uri(prefix_uri)
        try:
            names = [blob.name for blob in self._client.list_blobs(bucket, prefix=prefix or None)]
        except NotFound:
            return []
        return sorted(f"gs://{bucket}/{name}" for name in names)

    def download_to(self, uri: str, path: Path) -> None:
        from google.api_core.exceptions import NotFound

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._blob(uri).download_to_filename(str(path))
        except NotFound:
            Path(path).unlink(missing_ok=True)
            raise FileNotFoundError(uri) from None
