"""One-time import of a data dir written by earlier versions (gcp-storage-emulator's layout).

Those kept objects as files `.cloudstorage/<bucket>/<name>` with their metadata in `.cloudstorage/.meta`
(JSON). At start, if that file is there, every bucket and every object whose file is still inside
`.cloudstorage` is imported, then the directory is renamed `.cloudstorage.imported` (kept, never deleted). An
import cut short is simply redone at the next start: it overwrites what it imported before.
"""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path
from typing import Any

from vertex_emulator._gcs_errors import Conflict, StorageError
from vertex_emulator._gcs_names import bucket_problem, check_object_name
from vertex_emulator._gcs_resources import NO_CONDITIONS, object_fields
from vertex_emulator._gcs_service import GcsService

LEGACY_DIR = ".cloudstorage"
_log = logging.getLogger(__name__)


def import_legacy(root: Path, service: GcsService) -> None:
    legacy = root / LEGACY_DIR
    meta_file = legacy / ".meta"
    if not meta_file.is_file():
        return
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        objects: dict[str, dict[str, Any]] = meta.get("objects") or {}
        buckets = set(meta.get("buckets") or {}) | set(objects)
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError):
        _log.warning("%s is not the old storage layout's metadata; left as it is", meta_file)
        return
    imported = skipped = 0
    base = legacy.resolve()
    for bucket in sorted(b for b in buckets if isinstance(b, str) and bucket_problem(b) is None):
        with contextlib.suppress(Conflict):
            service.insert_bucket({"name": bucket})
        for name, resource in (objects.get(bucket) or {}).items():
            path = (legacy / bucket / name).resolve()
            try:
                check_object_name(name)
                if not path.is_relative_to(base / bucket) or not path.is_file():
                    raise StorageError(f"no file for {bucket}/{name}")
                fields = object_fields({k: v for k, v in (resource or {}).items() if k in ("contentType", "metadata")})
                staged = service.blobs.stage_range(path, 0, path.stat().st_size)
                service.commit(bucket, name, staged, fields, NO_CONDITIONS)
                imported += 1
            except (StorageError, OSError, AttributeError, TypeError):
                skipped += 1
    legacy.rename(root / f"{LEGACY_DIR}.imported")
    _log.warning("imported %d objects (%d skipped) from the old storage layout in %s", imported, skipped, legacy)
