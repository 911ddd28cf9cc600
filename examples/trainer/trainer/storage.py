"""Reading and writing local paths or gs:// URIs (google-cloud-storage, which honours STORAGE_EMULATOR_HOST)."""

from __future__ import annotations

import fnmatch
import glob
import os
import shutil
from pathlib import Path
from typing import Any

_SCHEME = "gs://"


def _client() -> Any:
    from google.cloud import storage  # type: ignore[attr-defined]

    if os.environ.get("STORAGE_EMULATOR_HOST"):
        return storage.Client.create_anonymous_client()
    return storage.Client()


def _split(uri: str) -> tuple[str, str]:
    bucket, _, name = uri[len(_SCHEME) :].partition("/")
    return bucket, name


def expand(location: str) -> list[str]:
    """The files a path or URI names; ``*`` wildcards allowed (``gs://b/dir/training-*.csv``)."""
    if not location.startswith(_SCHEME):
        return sorted(glob.glob(location)) if any(ch in location for ch in "*?[") else [location]
    if not any(ch in location for ch in "*?["):
        return [location]
    bucket, pattern = _split(location)
    prefix = pattern[: min(pattern.index(ch) for ch in "*?[" if ch in pattern)]
    names = [blob.name for blob in _client().list_blobs(bucket, prefix=prefix)]
    return [f"{_SCHEME}{bucket}/{name}" for name in sorted(names) if fnmatch.fnmatchcase(name, pattern)]


def read_text(location: str) -> str:
    if location.startswith(_SCHEME):
        bucket, name = _split(location)
        data: bytes = _client().bucket(bucket).blob(name).download_as_bytes()
        return data.decode("utf-8")
    return Path(location).read_text(encoding="utf-8")


def upload(local_file: Path, directory: str) -> str:
    """Copy ``local_file`` into ``directory`` (a gs:// URI or a local path); the destination's location."""
    if directory.startswith(_SCHEME):
        bucket, prefix = _split(directory)
        name = f"{prefix.rstrip('/')}/{local_file.name}".lstrip("/")
        _client().bucket(bucket).blob(name).upload_from_filename(str(local_file))
        return f"{_SCHEME}{bucket}/{name}"
    target = Path(directory) / local_file.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(local_file, target)
    return str(target)
