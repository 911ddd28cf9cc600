"""The JSON shapes of the GCS API: bucket and object resources, the fields clients may set, preconditions.

`base` is the endpoint a resource is rendered for (`http://<Host>`), so `selfLink` and `mediaLink` point at
the address the client used.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from vertex_emulator._gcs_errors import NotModified, PreconditionFailed, StorageError
from vertex_emulator._gcs_index import BucketRow, JsonDict, ObjectRow

PROJECT_NUMBER = "1234567890"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_OBJECT_TEXT_FIELDS = ("contentType", "contentEncoding", "contentDisposition", "contentLanguage", "cacheControl",
                       "customTime", "storageClass")  # fmt: skip
_OBJECT_BOOL_FIELDS = ("temporaryHold", "eventBasedHold")
_BUCKET_TEXT_FIELDS = ("location", "storageClass", "rpo")
_BUCKET_OBJECT_FIELDS = ("versioning", "lifecycle", "iamConfiguration", "website", "logging", "billing",
                         "retentionPolicy", "softDeletePolicy", "hierarchicalNamespace", "autoclass")  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # these fields become response headers: no CR/LF, no controls
CONDITIONS_FAILED = "At least one of the pre-conditions you specified did not hold."
_MAX_METADATA_BYTES = 8192  # GCS's limit on custom metadata


def _etag(generation: int, metageneration: int) -> str:
    return base64.b64encode(f"{generation}:{metageneration}".encode()).decode("ascii")


def object_resource(row: ObjectRow, base: str) -> JsonDict:
    path = f"b/{row.bucket}/o/{quote(row.name, safe='')}"
    resource: JsonDict = {
        "kind": "storage#object",
        "id": f"{row.bucket}/{row.name}/{row.generation}",
        "selfLink": f"{base}/storage/v1/{path}",
        "mediaLink": f"{base}/download/storage/v1/{path}?generation={row.generation}&alt=media",
        "name": row.name,
        "bucket": row.bucket,
        "generation": str(row.generation),
        "metageneration": str(row.metageneration),
        "contentType": DEFAULT_CONTENT_TYPE,
        "storageClass": "STANDARD",
        "size": str(row.size),
        "md5Hash": row.md5,
        "crc32c": row.crc32c,
        "etag": _etag(row.generation, row.metageneration),
        "timeCreated": row.created,
        "updated": row.updated,
        "timeStorageClassUpdated": row.created,
    }
    resource.update(row.fields)
    return resource


def bucket_resource(row: BucketRow, base: str) -> JsonDict:
    resource: JsonDict = {
        "kind": "storage#bucket",
        "id": row.name,
        "selfLink": f"{base}/storage/v1/b/{row.name}",
        "projectNumber": PROJECT_NUMBER,
        "name": row.name,
        "timeCreated": row.created,
        "updated": row.updated,
        "metageneration": str(row.metageneration),
        "location": "US",
        "locationType": "multi-region",
        "storageClass": "STANDARD",
        "etag": _etag(0, row.metageneration),
    }
    resource.update(row.fields)
    return resource


def _labels(value: Any, what: str, patch: bool) -> dict[str, str | None]:
    if not isinstance(value, dict) or not all(isinstance(v, str) or (patch and v is None) for v in value.values()):
        raise StorageError(f"Invalid value for {what}: an object of strings.")
    return dict(value)


def _merged(old: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, str]:
    merged = dict(old)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def object_fields(body: Mapping[str, Any], old: Mapping[str, Any] | None = None) -> JsonDict:
    """The settable fields of an object from a request body; with `old`, a patch of those fields.

    Read-only fields (name, size, generation ...) are ignored, as GCS ignores them.
    """
    fields: JsonDict = dict(old or {})
    for key in _OBJECT_TEXT_FIELDS:
        if key in body:
            value = body[key]
            if value is None:
                fields.pop(key, None)
            elif not isinstance(value, str) or len(value) > 1024 or _CONTROL.search(value):
                raise StorageError(f"Invalid value for {key}: a string of at most 1024 printable characters.")
            else:
                fields[key] = value
    for key in _OBJECT_BOOL_FIELDS:
        if key in body:
            if not isinstance(body[key], bool):
                raise StorageError(f"Invalid value for {key}: true or false.")
            fields[key] = body[key]
    if "metadata" in body:
        changes = body["metadata"]
        if changes is None:
            fields.pop("metadata", None)
        else:
            metadata = _merged(fields.get("metadata", {}) if old is not None else {},
                               _labels(changes, "metadata", patch=True))  # fmt: skip
            if len(json.dumps(metadata).encode()) > _MAX_METADATA_BYTES:
                raise StorageError("Custom metadata is limited to 8 KiB.")
            fields["metadata"] = metadata
    return fields


def bucket_fields(body: Mapping[str, Any], old: Mapping[str, Any] | None = None) -> JsonDict:
    fields: JsonDict = dict(old or {})
    for key in _BUCKET_TEXT_FIELDS:
        if key in body:
            if not isinstance(body[key], str):
                raise StorageError(f"Invalid value for {key}: a string.")
            fields[key] = body[key].upper() if key == "location" else body[key]
    for key in _BUCKET_OBJECT_FIELDS:
        if key in body:
            if not isinstance(body[key], dict):
                raise StorageError(f"Invalid value for {key}: an object.")
            fields[key] = body[key]
    if "labels" in body:
        changes = body["labels"]
        if changes is None:
            fields.pop("labels", None)
        else:
            fields["labels"] = _merged(fields.get("labels", {}) if old is not None else {},
                                       _labels(changes, "labels", patch=True))  # fmt: skip
    return fields


def parse_int(query: Mapping[str, str], key: str) -> int | None:
    value = query.get(key)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 20:
        raise StorageError(f"Invalid value for {key}: {value!r} is not a non-negative integer.")
    return int(value)


@dataclass(frozen=True)
class Conditions:
    """ifGenerationMatch, ifGenerationNotMatch, ifMetagenerationMatch, ifMetagenerationNotMatch."""

    generation_match: int | None = None
    generation_not_match: int | None = None
    metageneration_match: int | None = None
    metageneration_not_match: int | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str], prefix: str = "if") -> Conditions:
        """`prefix` "ifSource" reads the rewrite/copy source's conditions."""
        return cls(
            parse_int(query, f"{prefix}GenerationMatch"),
            parse_int(query, f"{prefix}GenerationNotMatch"),
            parse_int(query, f"{prefix}MetagenerationMatch"),
            parse_int(query, f"{prefix}MetagenerationNotMatch"),
        )

    def to_json(self) -> JsonDict:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Conditions:
        return cls(**value)

    def check_write(self, current: ObjectRow | None) -> None:
        """Before replacing or changing `current` (None: no live object): 412 unless every condition holds."""
        generation = current.generation if current is not None else 0
        failed = (
            (self.generation_match is not None and self.generation_match != generation)
            or (self.generation_not_match is not None and self.generation_not_match == generation)
            or (self.metageneration_match is not None
                and (current is None or self.metageneration_match != current.metageneration))
            or (self.metageneration_not_match is not None
                and current is not None and self.metageneration_not_match == current.metageneration)
        )  # fmt: skip
        if failed:
            raise PreconditionFailed(CONDITIONS_FAILED)

    def check_read(self, current: ObjectRow) -> None:
        """Before reading `current`: 412 for a failed match, 304 for a matched not-match, as GCS answers."""
        if (self.generation_match is not None and self.generation_match != current.generation) or (
            self.metageneration_match is not None and self.metageneration_match != current.metageneration
        ):
            raise PreconditionFailed(CONDITIONS_FAILED)
        if (self.generation_not_match is not None and self.generation_not_match == current.generation) or (
            self.metageneration_not_match is not None and self.metageneration_not_match == current.metageneration
        ):
            raise NotModified("Not Modified")


NO_CONDITIONS = Conditions()


def encode_page_token(key: str, inclusive: bool) -> str:
    return base64.urlsafe_b64encode(json.dumps([key, inclusive]).encode()).decode("ascii")


def decode_page_token(token: str) -> tuple[str, bool]:
    try:
        key, inclusive = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (ValueError, TypeError, UnicodeError):
        raise StorageError(f"Invalid page token {token[:80]!r}.") from None
    if not isinstance(key, str) or not isinstance(inclusive, bool):
        raise StorageError(f"Invalid page token {token[:80]!r}.")
    return key, inclusive


def successor(prefix: str) -> str | None:
    """The least string greater than every string starting with `prefix` (code-point order); None if none is."""
    chars = list(prefix)
    while chars:
        point = ord(chars.pop()) + 1
        if point == 0xD800:  # surrogates never occur in valid names
            point = 0xE000
        if point <= 0x10FFFF:
            return "".join(chars) + chr(point)
    return None
