"""Uploads that are more than one plain body: multipart (metadata + media) and resumable sessions.

A resumable session is a row in the index (bucket, name, metadata, preconditions) plus a growing file
`tmp/session-<id>`; the file's size is how many bytes were received, so a session survives an emulator
restart and a chunk cut off half-way is simply resent from the offset the next status check reports.
"""

from __future__ import annotations

import email.message
import json
import re
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vertex_emulator._gcs_errors import ObjectNotFound, RequestRefused, StorageError
from vertex_emulator._gcs_index import JsonDict, ObjectRow, UploadRow, now_rfc3339
from vertex_emulator._gcs_names import check_object_name
from vertex_emulator._gcs_resources import Conditions, object_fields
from vertex_emulator._gcs_service import GcsService, check_checksums

MAX_OBJECT_BYTES = 5 * 1024**3  # the emulator's cap on one object (GCS allows 5 TiB)
MAX_JSON_BYTES = 1 << 20  # metadata and other JSON bodies
_CHUNK = 1 << 20
_CONTENT_RANGE = re.compile(r"bytes (?:(?P<first>[0-9]{1,19})-(?P<last>[0-9]{1,19})|\*)/(?P<total>[0-9]{1,19}|\*)")
_CHECKSUM_FIELDS = ("md5Hash", "crc32c")
Reader = Callable[[int], bytes]


def load_json(data: bytes, what: str) -> JsonDict:
    """A JSON object from a request body (empty: `{}`); 400 for anything else."""
    if not data.strip():
        return {}
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise StorageError(f"Invalid JSON in the {what}: {err}.") from None
    if not isinstance(value, dict):
        raise StorageError(f"The {what} must be a JSON object.")
    return value


def split_checksums(metadata: JsonDict) -> tuple[JsonDict, JsonDict]:
    """(metadata without md5Hash/crc32c, the checksums the client claimed)."""
    claimed = {key: metadata[key] for key in _CHECKSUM_FIELDS if key in metadata}
    return {k: v for k, v in metadata.items() if k not in _CHECKSUM_FIELDS}, claimed


def boundary_of(content_type: str) -> bytes:
    message = email.message.Message()
    message["content-type"] = content_type
    boundary = message.get_param("boundary")
    if message.get_content_type() != "multipart/related" or not isinstance(boundary, str) or not boundary:
        raise RequestRefused(400, "A multipart upload is multipart/related with a boundary.", "invalid")
    return boundary.encode("latin-1", "replace")


def parse_multipart(spool: Path, size: int, boundary: bytes) -> tuple[JsonDict, str | None, int, int]:
    """(metadata, the media part's Content-Type, offset and length of the media) of a spooled body."""
    delimiter = b"--" + boundary
    with spool.open("rb") as handle:
        head = handle.read(MAX_JSON_BYTES + 8192)
        handle.seek(max(0, size - len(delimiter) - 64))
        tail_start = handle.tell()
        tail = handle.read()
    bad = StorageError("The multipart body is not metadata and media parts separated by its boundary.")
    first = head.find(delimiter)
    if first < 0 or (first > 0 and head[first - 2 : first] != b"\r\n"):
        raise bad
    headers_end = head.find(b"\r\n\r\n", first)
    second = head.find(b"\r\n" + delimiter, headers_end)
    if headers_end < 0 or second < 0:
        raise bad
    metadata = load_json(head[headers_end + 4 : second], "multipart metadata")
    media_headers_end = head.find(b"\r\n\r\n", second)
    closing = tail.rfind(b"\r\n" + delimiter + b"--")
    if media_headers_end < 0 or closing < 0:
        raise bad
    start, end = media_headers_end + 4, tail_start + closing
    if end < start:
        raise bad
    media_type = None
    for line in head[second + 2 + len(delimiter) : media_headers_end].split(b"\r\n"):
        key, _, value = line.decode("latin-1").partition(":")
        if key.strip().lower() == "content-type":
            media_type = value.strip()
    return metadata, media_type, start, end - start


def parse_content_range(header: str | None, length: int) -> tuple[int | None, int | None, int | None]:
    """(first, last, total) of a chunk's Content-Range; a missing header is the whole object in one PUT."""
    if header is None:
        return (0, length - 1, length) if length else (None, None, 0)
    match = _CONTENT_RANGE.fullmatch(header.strip())
    if match is None:
        raise StorageError(f"Invalid Content-Range {header[:100]!r}.")
    total = None if match["total"] == "*" else int(match["total"])
    if match["first"] is None:
        if length:
            raise StorageError("A chunk with a body names its byte range.")
        return None, None, total
    first, last = int(match["first"]), int(match["last"])
    if last < first or last - first + 1 != length or (total is not None and last >= total):
        raise StorageError(f"Content-Range {header[:100]!r} does not match the {length} bytes sent.")
    return first, last, total


class ResumableUploads:
    def __init__(self, service: GcsService) -> None:
        self._service = service
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def _lock(self, upload_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(upload_id, threading.Lock())

    def start(self, bucket: str, name: str, metadata: JsonDict, conditions: Conditions) -> str:
        """A new session for `bucket/name`; its id (checked now, and the preconditions again at the end)."""
        check_object_name(name)
        settable, claimed = split_checksums(metadata)
        fields = {**object_fields(settable), **claimed}
        service = self._service
        with service.index.lock:
            service.bucket(bucket)
            conditions.check_write(service.index.object(bucket, name))
            upload_id = secrets.token_hex(16)
            service.index.put_upload(UploadRow(upload_id, bucket, name, fields, conditions.to_json(), now_rfc3339()))
        return upload_id

    def _session(self, upload_id: str) -> UploadRow:
        row = self._service.index.upload(upload_id)
        if row is None:
            raise ObjectNotFound(f"No such upload session: {upload_id[:64]}")
        return row

    def put(self, upload_id: str, content_range: str | None, read: Reader, length: int) -> int | ObjectRow:
        """Append a chunk; the bytes received so far (answer 308), or the finished object."""
        first, last, total = parse_content_range(content_range, length)
        with self._lock(upload_id):
            session = self._session(upload_id)
            path = self._service.blobs.session_path(upload_id)
            received = path.stat().st_size if path.exists() else 0
            if first is not None and last is not None:
                if first > received:
                    return received  # a gap: the client resends from what we have
                if last + 1 > MAX_OBJECT_BYTES:
                    raise RequestRefused(413, "The object is larger than the emulator's 5 GiB limit.", "uploadTooLarge")
                _append(path, read, skip=received - first, length=length)
                received = max(received, last + 1)
            if total is not None and received > total:
                raise StorageError(f"Received {received} bytes, more than the {total} announced.")
            if total is None or received < total:
                return received
            return self._finish(session, path)

    def status(self, upload_id: str) -> int:
        self._session(upload_id)
        path = self._service.blobs.session_path(upload_id)
        return path.stat().st_size if path.exists() else 0

    def cancel(self, upload_id: str) -> None:
        with self._lock(upload_id):
            self._session(upload_id)
            self._forget(upload_id)

    def _finish(self, session: UploadRow, path: Path) -> ObjectRow:
        path.touch()
        staged = self._service.blobs.adopt(path)
        fields, claimed = split_checksums(session.fields)
        try:
            check_checksums(staged, claimed)
            return self._service.commit(session.bucket, session.name, staged, fields,
                                        Conditions.from_json(session.conditions))  # fmt: skip
        finally:
            self._forget(session.id)

    def _forget(self, upload_id: str) -> None:
        self._service.index.delete_upload(upload_id)
        self._service.blobs.session_path(upload_id).unlink(missing_ok=True)
        with self._guard:
            self._locks.pop(upload_id, None)


def _append(path: Path, read: Reader, skip: int, length: int) -> None:
    """Append the body to the session file, dropping its first `skip` bytes (already received)."""
    left = length
    with path.open("ab") as handle:
        while left:
            chunk = read(min(_CHUNK, left))
            if not chunk:
                raise ConnectionError("the chunk ended early")
            left -= len(chunk)
            if skip >= len(chunk):
                skip -= len(chunk)
                continue
            handle.write(chunk[skip:])
            skip = 0


def session_metadata(body: JsonDict, name_param: str | None, header_type: str | None) -> tuple[str, JsonDict]:
    """The object name and metadata of a resumable upload's first request."""
    name = name_param if name_param is not None else body.get("name")
    if not isinstance(name, str):
        raise StorageError("The upload names no object (the name parameter or the metadata's name).")
    metadata: dict[str, Any] = dict(body)
    if header_type and "contentType" not in metadata:
        metadata["contentType"] = header_type
    return name, metadata
