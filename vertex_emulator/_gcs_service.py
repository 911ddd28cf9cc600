"""Buckets and objects as GCS defines them, over the index and the blob store (no HTTP here).

Every change that reads a precondition, places a blob and writes its row does so under the index lock, so two
racing writers are ordered as GCS orders them (the later generation wins, `ifGenerationMatch` sees the other's
write), and a blob is removed only when no row references it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

from vertex_emulator._gcs_blobs import BlobStore, StagedBlob
from vertex_emulator._gcs_errors import Conflict, ObjectNotFound, PreconditionFailed, StorageError
from vertex_emulator._gcs_index import BucketRow, Index, JsonDict, ObjectRow, now_rfc3339
from vertex_emulator._gcs_names import check_bucket_name, check_object_name
from vertex_emulator._gcs_resources import (
    CONDITIONS_FAILED,
    DEFAULT_CONTENT_TYPE,
    NO_CONDITIONS,
    Conditions,
    bucket_fields,
    decode_page_token,
    encode_page_token,
    object_fields,
    successor,
)

MAX_PAGE = 1000
MAX_COMPOSE_SOURCES = 32
_SCAN = 256


@dataclass(frozen=True)
class ListQuery:
    prefix: str = ""
    delimiter: str = ""
    start_offset: str = ""
    end_offset: str = ""
    include_trailing_delimiter: bool = False
    page_token: str | None = None
    max_results: int = MAX_PAGE


@dataclass
class Listing:
    items: list[ObjectRow] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    next_page_token: str | None = None


def _no_bucket(bucket: str) -> ObjectNotFound:
    return ObjectNotFound(f"The specified bucket does not exist: {bucket}")


def _no_object(bucket: str, name: str) -> ObjectNotFound:
    return ObjectNotFound(f"No such object: {bucket}/{name}")


def check_checksums(staged: StagedBlob, claimed: Mapping[str, Any]) -> None:
    """The md5Hash/crc32c a client sent in the metadata must be those of the bytes received."""
    for key, actual in (("md5Hash", staged.md5), ("crc32c", staged.crc32c)):
        if key in claimed and claimed[key] != actual:
            raise StorageError(f"Provided {key} {claimed[key]!r} doesn't match calculated {key} {actual!r}.")


class GcsService:
    def __init__(self, index: Index, blobs: BlobStore) -> None:
        self.index = index
        self.blobs = blobs

    # -- buckets -------------------------------------------------------------------------------------
    def bucket(self, name: str) -> BucketRow:
        row = self.index.bucket(name)
        if row is None:
            raise _no_bucket(name)
        return row

    def insert_bucket(self, body: Mapping[str, Any]) -> BucketRow:
        name = body.get("name")
        if not isinstance(name, str):
            raise StorageError("A bucket needs a name.")
        check_bucket_name(name)
        fields = bucket_fields(body)
        now = now_rfc3339()
        with self.index.lock:
            if self.index.bucket(name) is not None:
                raise Conflict("Your previous request to create the named bucket succeeded and you already own it.")
            row = BucketRow(name, now, now, 1, fields)
            self.index.put_bucket(row)
        return row

    def patch_bucket(self, name: str, body: Mapping[str, Any], metageneration_match: int | None) -> BucketRow:
        with self.index.lock:
            old = self.bucket(name)
            if metageneration_match is not None and metageneration_match != old.metageneration:
                raise PreconditionFailed(CONDITIONS_FAILED)
            row = replace(old, fields=bucket_fields(body, old.fields), updated=now_rfc3339(),
                          metageneration=old.metageneration + 1)  # fmt: skip
            self.index.put_bucket(row)
        return row

    def delete_bucket(self, name: str) -> None:
        with self.index.lock:
            self.bucket(name)
            if not self.index.bucket_is_empty(name):
                raise Conflict("The bucket you tried to delete is not empty.")
            self.index.delete_bucket(name)

    def list_buckets(self, prefix: str, page_token: str | None, max_results: int) -> tuple[list[BucketRow], str | None]:
        start = decode_page_token(page_token)[0] if page_token else ""
        rows: list[BucketRow] = []
        while len(rows) <= max_results:
            batch = self.index.buckets(start, _SCAN)
            if not batch:
                break
            for row in batch:
                if row.name.startswith(prefix):
                    rows.append(row)
            start = batch[-1].name
        if len(rows) > max_results:
            return rows[:max_results], encode_page_token(rows[max_results - 1].name, False)
        return rows, None

    # -- objects -------------------------------------------------------------------------------------
    def get(
        self, bucket: str, name: str, generation: int | None = None, conditions: Conditions = NO_CONDITIONS
    ) -> ObjectRow:
        row = self.index.object(bucket, name)
        if row is None or (generation is not None and generation != row.generation):
            if self.index.bucket(bucket) is None:
                raise _no_bucket(bucket)
            raise _no_object(bucket, name)
        conditions.check_read(row)
        return row

    def open(self, bucket: str, name: str, generation: int | None = None,
             conditions: Conditions = NO_CONDITIONS) -> tuple[ObjectRow, BinaryIO]:  # fmt: skip
        """The object's row and an open stream of its bytes (opened under the lock: it cannot be removed first)."""
        with self.index.lock:
            row = self.get(bucket, name, generation, conditions)
            return row, self.blobs.open(row.blob)

    def commit(self, bucket: str, name: str, staged: StagedBlob, fields: JsonDict, conditions: Conditions) -> ObjectRow:
        """Make `staged` the new generation of `bucket/name` (the staged file is consumed either way)."""
        try:
            check_object_name(name)
            with self.index.lock:
                self.bucket(bucket)
                current = self.index.object(bucket, name)
                conditions.check_write(current)
                self.blobs.place(staged)
                row = self._new_generation(bucket, name, staged.sha256, staged.size, staged.md5, staged.crc32c, fields)
                self._replace(current, row)
                return row
        finally:
            staged.path.unlink(missing_ok=True)

    def _new_generation(self, bucket: str, name: str, blob: str, size: int, md5: str, crc32c: str,
                        fields: JsonDict) -> ObjectRow:  # fmt: skip
        fields = {"contentType": DEFAULT_CONTENT_TYPE, **fields}
        now = now_rfc3339()
        return ObjectRow(bucket, name, self.index.next_generation(), 1, blob, size, md5, crc32c, now, now, fields)

    def _replace(self, current: ObjectRow | None, row: ObjectRow) -> None:
        self.index.put_object(row)
        if current is not None and current.blob != row.blob and not self.index.blob_in_use(current.blob):
            self.blobs.remove(current.blob)

    def delete(
        self, bucket: str, name: str, generation: int | None = None, conditions: Conditions = NO_CONDITIONS
    ) -> None:
        with self.index.lock:
            current = self.get(bucket, name, generation)
            conditions.check_write(current)
            self.index.delete_object(bucket, name)
            if not self.index.blob_in_use(current.blob):
                self.blobs.remove(current.blob)

    def patch(
        self, bucket: str, name: str, body: Mapping[str, Any], conditions: Conditions, *, update: bool
    ) -> ObjectRow:
        """PATCH merges `body` into the settable fields; PUT (`update`) replaces them."""
        with self.index.lock:
            current = self.get(bucket, name)
            conditions.check_write(current)
            fields = object_fields(body) if update else object_fields(body, current.fields)
            fields.setdefault("contentType", current.fields.get("contentType", DEFAULT_CONTENT_TYPE))
            row = replace(current, fields=fields, metageneration=current.metageneration + 1, updated=now_rfc3339())
            self.index.put_object(row)
        return row

    def copy(self, source: tuple[str, str], source_generation: int | None, source_conditions: Conditions,
             destination: tuple[str, str], body: Mapping[str, Any], conditions: Conditions) -> ObjectRow:  # fmt: skip
        """rewrite and copy: the destination shares the source's blob; the body's fields override the source's."""
        check_object_name(destination[1])
        with self.index.lock:
            src = self.get(*source, source_generation)
            source_conditions.check_write(src)
            self.bucket(destination[0])
            current = self.index.object(*destination)
            conditions.check_write(current)
            fields = object_fields(body, src.fields) if body else dict(src.fields)
            row = self._new_generation(*destination, src.blob, src.size, src.md5, src.crc32c, fields)
            self._replace(current, row)
        return row

    def compose(self, bucket: str, name: str, body: Mapping[str, Any], conditions: Conditions) -> ObjectRow:
        sources = body.get("sourceObjects")
        if not isinstance(sources, list) or not 1 <= len(sources) <= MAX_COMPOSE_SOURCES:
            raise StorageError(f"sourceObjects: 1-{MAX_COMPOSE_SOURCES} objects to compose.")
        destination = body.get("destination") or {}
        if not isinstance(destination, dict):
            raise StorageError("destination: an object resource.")
        handles: list[BinaryIO] = []
        try:
            with self.index.lock:  # open every source under the lock; then concatenate without holding it
                for source in sources:
                    if not isinstance(source, dict) or not isinstance(source.get("name"), str):
                        raise StorageError("Each of sourceObjects needs a name.")
                    generation = source.get("generation")
                    wanted = source.get("objectPreconditions", {}).get("ifGenerationMatch")
                    row, handle = self.open(bucket, source["name"], None if generation is None else int(generation))
                    handles.append(handle)
                    if wanted is not None and int(wanted) != row.generation:
                        raise PreconditionFailed(CONDITIONS_FAILED)
            staged = self.blobs.stage_concatenation(handles)
        except StorageError:
            raise
        except (TypeError, ValueError, AttributeError):  # int() of a generation, .get() of a non-object
            raise StorageError(
                "sourceObjects: objects with a name, an integer generation, objectPreconditions."
            ) from None
        finally:
            for handle in handles:
                handle.close()
        fields = object_fields(destination)
        fields["componentCount"] = len(sources)
        return self.commit(bucket, name, staged, fields, conditions)

    def list(self, bucket: str, query: ListQuery) -> Listing:
        """One page of objects and prefixes, as GCS pages them (maxResults counts both)."""
        self.bucket(bucket)
        listing = Listing()
        seen: set[str] = set()
        key, inclusive = max(query.prefix, query.start_offset), True
        if query.page_token:
            token_key, token_inclusive = decode_page_token(query.page_token)
            if (token_key, not token_inclusive) > (key, not inclusive):
                key, inclusive = token_key, token_inclusive
        for row, cursor in self._scan(bucket, key, inclusive, query):
            entries: list[ObjectRow | str] = []
            rolled = None
            if query.delimiter:
                at = row.name.find(query.delimiter, len(query.prefix))
                if at >= 0:
                    rolled = row.name[: at + len(query.delimiter)]
            if rolled is None or (query.include_trailing_delimiter and row.name == rolled):
                entries.append(row)
            if rolled is not None and rolled not in seen:
                entries.append(rolled)
            if not entries:
                continue
            count = len(listing.items) + len(listing.prefixes)
            if count and count + len(entries) > query.max_results:
                listing.next_page_token = encode_page_token(row.name, True)
                break
            for entry in entries:
                if isinstance(entry, str):
                    seen.add(entry)
                    listing.prefixes.append(entry)
                    cursor.skip_past(entry)
                else:
                    listing.items.append(entry)
        return listing

    def _scan(self, bucket: str, key: str, inclusive: bool, query: ListQuery) -> Iterator[tuple[ObjectRow, _Cursor]]:
        """The rows from (`key`, `inclusive`) within the prefix and end offset, in name order."""
        cursor = _Cursor(key, inclusive)
        ends = [end for end in (successor(query.prefix) if query.prefix else None, query.end_offset) if end]
        end = min(ends) if ends else None
        while not cursor.done:
            batch = self.index.objects(bucket, cursor.key, cursor.inclusive, end, _SCAN)
            if not batch:
                return
            for row in batch:
                if not row.name.startswith(query.prefix) or (query.end_offset and row.name >= query.end_offset):
                    return
                cursor.advance(row.name)
                yield row, cursor
                if cursor.jumped:
                    break


class _Cursor:
    """Where `_scan` reads next; `skip_past(prefix)` jumps over every name under a rolled-up prefix."""

    def __init__(self, key: str, inclusive: bool) -> None:
        self.key, self.inclusive, self.jumped, self.done = key, inclusive, False, False

    def advance(self, name: str) -> None:
        self.key, self.inclusive, self.jumped = name, False, False

    def skip_past(self, prefix: str) -> None:
        after = successor(prefix)
        self.jumped = True
        if after is None:
            self.done = True
        else:
            self.key, self.inclusive = after, True
