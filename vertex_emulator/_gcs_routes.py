"""The GCS JSON API routes google-cloud-storage 3.x uses, request in, response out.

    GET/POST           /storage/v1/b                                 list, insert buckets
    GET/PATCH/PUT/DELETE /storage/v1/b/B                             a bucket (delete only if empty: 409)
    GET                /storage/v1/b/B/o                             list objects (prefix, delimiter, pages)
    GET/PATCH/PUT/DELETE /storage/v1/b/B/o/O                         an object (`alt=media`: its bytes)
    POST               /storage/v1/b/B/o/O/rewriteTo|copyTo/b/B2/o/O2, /storage/v1/b/B/o/O/compose
    POST               /upload/storage/v1/b/B/o?uploadType=media|multipart|resumable
    PUT/DELETE         /upload/storage/v1/b/B/o?upload_id=...        resumable chunks (308 until done), cancel
    GET                /download/storage/v1/b/B/o/O?alt=media        bytes, with Range

Names arrive percent-encoded in the path (google-cloud-storage encodes `/` too) and are decoded strictly.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote

from vertex_emulator._gcs_errors import (
    InvalidObjectName,
    ObjectNotFound,
    RangeNotSatisfiable,
    RequestRefused,
    StorageError,
)
from vertex_emulator._gcs_index import JsonDict, ObjectRow
from vertex_emulator._gcs_names import check_bucket_name, check_object_name
from vertex_emulator._gcs_resources import (
    DEFAULT_CONTENT_TYPE,
    Conditions,
    bucket_resource,
    object_fields,
    object_resource,
    parse_int,
)
from vertex_emulator._gcs_service import MAX_PAGE, GcsService, ListQuery, check_checksums
from vertex_emulator._gcs_uploads import (
    MAX_JSON_BYTES,
    MAX_OBJECT_BYTES,
    ResumableUploads,
    boundary_of,
    load_json,
    parse_multipart,
    session_metadata,
    split_checksums,
)
from vertex_emulator._serving import JSON_CONTENT_TYPE

_B = r"/b/(?P<bucket>[^/]+)"
_B2 = r"/b/(?P<bucket2>[^/]+)"
_O = r"/o/(?P<object>.+?)"
# fmt: off
_ROUTES = [  # (methods, pattern, handler name); the first match wins
    ({"GET", "POST"}, re.compile(r"/storage/v1/b/?"), "buckets"),
    ({"POST"}, re.compile(rf"/storage/v1{_B}{_O}/(?P<op>rewriteTo|copyTo){_B2}/o/(?P<object2>.+)"), "copy"),
    ({"POST"}, re.compile(rf"/storage/v1{_B}/o/(?P<object>.+)/compose"), "compose"),
    ({"GET"}, re.compile(rf"/storage/v1{_B}/o/?"), "objects"),
    ({"GET", "PATCH", "PUT", "DELETE"}, re.compile(rf"/storage/v1{_B}/o/(?P<object>.+)"), "object"),
    ({"GET", "PATCH", "PUT", "DELETE"}, re.compile(rf"/storage/v1{_B}/?"), "bucket"),
    ({"POST", "PUT", "DELETE"}, re.compile(rf"/upload/storage/v1{_B}/o/?"), "upload"),
    ({"GET"}, re.compile(rf"/download/storage/v1{_B}/o/(?P<object>.+)"), "download"),
]
# fmt: on
_RANGE = re.compile(r"bytes=(?P<first>[0-9]{0,19})-(?P<last>[0-9]{0,19})")


class Body:
    """The request body: exactly Content-Length bytes, read on demand."""

    def __init__(self, read: Callable[[int], bytes], length: int) -> None:
        self._read = read
        self.length = self.left = length

    def read(self, size: int) -> bytes:
        data = self._read(min(size, self.left)) if self.left else b""
        self.left -= len(data)
        return data

    def read_all(self, cap: int) -> bytes:
        if self.left > cap:
            raise RequestRefused(413, f"The request body is larger than {cap} bytes.", "requestTooLarge")
        chunks = []
        while self.left:
            chunk = self.read(self.left)
            if not chunk:
                raise ConnectionError("the request body ended early")
            chunks.append(chunk)
        return b"".join(chunks)


@dataclass
class Request:
    method: str
    path: str  # still percent-encoded
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: Body
    base: str  # http://<Host>, for links in resources

    def json(self, what: str) -> JsonDict:
        """The body as a JSON object; a body of another type is refused (what a page could send cross-site)."""
        if self.body.length and _media_type(self.headers.get("content-type")) != "application/json":
            raise RequestRefused(403, "This request's body must be application/json.", "forbidden")
        return load_json(self.body.read_all(MAX_JSON_BYTES), what)


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON_CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    stream: BinaryIO | None = None  # sent after the headers, `length` bytes from its current position
    length: int = 0


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _json(payload: JsonDict, status: int = 200) -> Response:
    return Response(status, json.dumps(payload, ensure_ascii=False).encode())


def _name(raw: str) -> str:
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise InvalidObjectName("A name in the path is not UTF-8 once percent-decoded.") from None


def _bool(query: Mapping[str, str], key: str) -> bool:
    value = query.get(key, "false").lower()
    if value not in ("true", "false"):
        raise StorageError(f"Invalid value for {key}: true or false.")
    return value == "true"


class GcsApi:
    def __init__(self, service: GcsService) -> None:
        self.service = service
        self.uploads = ResumableUploads(service)

    def handle(self, request: Request) -> Response:
        path = request.path.split("?", 1)[0]
        known_path = False
        for methods, pattern, handler in _ROUTES:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            known_path = True
            if request.method in methods:
                parts = {key: _name(value) for key, value in match.groupdict().items() if value is not None}
                for key, check in (("bucket", check_bucket_name), ("bucket2", check_bucket_name),
                                   ("object", check_object_name), ("object2", check_object_name)):  # fmt: skip
                    if key in parts:
                        check(parts[key])
                response: Response = getattr(self, f"_{handler}")(request, parts)
                return response
        if known_path:
            raise RequestRefused(405, f"{request.method[:20]} is not allowed on {path[:200]}.", "methodNotAllowed")
        raise ObjectNotFound(f"Not Found: {path[:200]}")

    # -- buckets -------------------------------------------------------------------------------------
    def _buckets(self, request: Request, parts: dict[str, str]) -> Response:
        if request.method == "POST":
            return _json(bucket_resource(self.service.insert_bucket(request.json("bucket")), request.base))
        limit = min(parse_int(request.query, "maxResults") or MAX_PAGE, MAX_PAGE)
        rows, token = self.service.list_buckets(request.query.get("prefix", ""), request.query.get("pageToken"), limit)
        payload: JsonDict = {"kind": "storage#buckets", "items": [bucket_resource(r, request.base) for r in rows]}
        if token:
            payload["nextPageToken"] = token
        return _json(payload)

    def _bucket(self, request: Request, parts: dict[str, str]) -> Response:
        bucket = parts["bucket"]
        if request.method == "DELETE":
            self.service.delete_bucket(bucket)
            return Response(204, content_type="")
        if request.method in ("PATCH", "PUT"):
            match = parse_int(request.query, "ifMetagenerationMatch")
            row = self.service.patch_bucket(bucket, request.json("bucket"), match)
        else:
            row = self.service.bucket(bucket)
        return _json(bucket_resource(row, request.base))

    # -- objects -------------------------------------------------------------------------------------
    def _objects(self, request: Request, parts: dict[str, str]) -> Response:
        query = request.query
        if "matchGlob" in query:
            raise StorageError("matchGlob is not supported by the emulator; list with a prefix instead.")
        listing = self.service.list(parts["bucket"], ListQuery(
            prefix=query.get("prefix", ""),
            delimiter=query.get("delimiter", ""),
            start_offset=query.get("startOffset", ""),
            end_offset=query.get("endOffset", ""),
            include_trailing_delimiter=_bool(query, "includeTrailingDelimiter"),
            page_token=query.get("pageToken") or None,
            max_results=max(1, min(parse_int(query, "maxResults") or MAX_PAGE, MAX_PAGE)),
        ))  # fmt: skip
        payload: JsonDict = {"kind": "storage#objects"}
        if listing.items:
            payload["items"] = [object_resource(row, request.base) for row in listing.items]
        if listing.prefixes:
            payload["prefixes"] = listing.prefixes
        if listing.next_page_token:
            payload["nextPageToken"] = listing.next_page_token
        return _json(payload)

    def _object(self, request: Request, parts: dict[str, str]) -> Response:
        bucket, name = parts["bucket"], parts["object"]
        generation = parse_int(request.query, "generation")
        conditions = Conditions.from_query(request.query)
        if request.method == "DELETE":
            self.service.delete(bucket, name, generation, conditions)
            return Response(204, content_type="")
        if request.method in ("PATCH", "PUT"):
            body = request.json("object")
            row = self.service.patch(bucket, name, body, conditions, update=request.method == "PUT")
            return _json(object_resource(row, request.base))
        alt = request.query.get("alt", "json")
        if alt == "media":
            return self._download(request, parts)
        if alt != "json":
            raise StorageError(f"Invalid value for alt: {alt[:50]!r} (json or media).")
        return _json(object_resource(self.service.get(bucket, name, generation, conditions), request.base))

    def _copy(self, request: Request, parts: dict[str, str]) -> Response:
        if request.query.get("rewriteToken"):
            raise StorageError("Invalid rewriteToken: the emulator finishes every rewrite in one call.")
        row = self.service.copy(
            (parts["bucket"], parts["object"]),
            parse_int(request.query, "sourceGeneration"),
            Conditions.from_query(request.query, "ifSource"),
            (parts["bucket2"], parts["object2"]),
            request.json("object"),
            Conditions.from_query(request.query),
        )
        resource = object_resource(row, request.base)
        if parts["op"] == "copyTo":
            return _json(resource)
        size = str(row.size)
        return _json({"kind": "storage#rewriteResponse", "totalBytesRewritten": size, "objectSize": size,
                      "done": True, "resource": resource})  # fmt: skip

    def _compose(self, request: Request, parts: dict[str, str]) -> Response:
        body = request.json("compose request")
        row = self.service.compose(parts["bucket"], parts["object"], body, Conditions.from_query(request.query))
        return _json(object_resource(row, request.base))

    def _download(self, request: Request, parts: dict[str, str]) -> Response:
        if request.query.get("alt", "media") != "media":
            raise StorageError("Downloads are alt=media.")
        row, stream = self.service.open(parts["bucket"], parts["object"], parse_int(request.query, "generation"),
                                        Conditions.from_query(request.query))  # fmt: skip
        try:
            return _media(row, stream, request.headers.get("range"))
        except BaseException:
            stream.close()
            raise

    # -- uploads -------------------------------------------------------------------------------------
    def _upload(self, request: Request, parts: dict[str, str]) -> Response:
        bucket, query = parts["bucket"], request.query
        upload_id = query.get("upload_id")
        if upload_id is not None:
            return self._session(request, upload_id)
        if request.method != "POST":
            raise StorageError("A PUT or DELETE on the upload URL needs an upload_id.")
        kind = query.get("uploadType", "")
        conditions = Conditions.from_query(query)
        if kind == "resumable":
            name, metadata = session_metadata(request.json("upload metadata"), query.get("name"),
                                              request.headers.get("x-upload-content-type"))  # fmt: skip
            upload_id = self.uploads.start(bucket, name, metadata, conditions)
            location = f"{request.base}/upload/storage/v1/b/{bucket}/o?uploadType=resumable&upload_id={upload_id}"
            return Response(200, b"", headers={"Location": location, "X-GUploader-UploadID": upload_id})
        if request.body.length > MAX_OBJECT_BYTES:
            raise RequestRefused(413, "The object is larger than the emulator's 5 GiB limit.", "uploadTooLarge")
        if kind == "media":
            media_name = query.get("name")
            if media_name is None:
                raise StorageError("A media upload names its object with the name parameter.")
            check_object_name(media_name)  # before reading the body
            fields = {"contentType": request.headers.get("content-type") or DEFAULT_CONTENT_TYPE}
            staged = self.service.blobs.stage(request.body.read, request.body.length)
            row = self.service.commit(bucket, media_name, staged, object_fields(fields), conditions)
        elif kind == "multipart":
            row = self._multipart(request, bucket, conditions)
        else:
            raise StorageError(f"Invalid uploadType {kind[:50]!r} (media, multipart or resumable).")
        return _json(object_resource(row, request.base))

    def _multipart(self, request: Request, bucket: str, conditions: Conditions) -> ObjectRow:
        boundary = boundary_of(request.headers.get("content-type", ""))
        blobs = self.service.blobs
        spool = Path(tempfile.mkstemp(dir=blobs.tmp_dir, prefix="blob-multipart-")[1])
        try:
            with spool.open("wb") as handle:
                while chunk := request.body.read(1 << 20):
                    handle.write(chunk)
            if request.body.left:
                raise ConnectionError("the request body ended early")
            metadata, media_type, start, length = parse_multipart(spool, request.body.length, boundary)
            name = request.query.get("name", metadata.get("name"))
            if not isinstance(name, str):
                raise StorageError("A multipart upload names its object in the metadata or the name parameter.")
            settable, claimed = split_checksums(metadata)
            fields = object_fields({"contentType": media_type or DEFAULT_CONTENT_TYPE, **settable})
            staged = blobs.stage_range(spool, start, length)
        finally:
            spool.unlink(missing_ok=True)
        try:
            check_checksums(staged, claimed)
        except StorageError:
            staged.path.unlink(missing_ok=True)
            raise
        return self.service.commit(bucket, name, staged, fields, conditions)

    def _session(self, request: Request, upload_id: str) -> Response:
        if request.method == "DELETE":
            self.uploads.cancel(upload_id)
            return _json({"error": {"code": 499, "message": "Client Closed Request"}}, 499)
        if request.method != "PUT":
            raise StorageError("Resumable chunks are PUT.")
        result = self.uploads.put(upload_id, request.headers.get("content-range"), request.body.read,
                                  request.body.length)  # fmt: skip
        if isinstance(result, ObjectRow):
            return _json(object_resource(result, request.base))
        headers = {"Range": f"bytes=0-{result - 1}"} if result else {}
        return Response(308, b"", content_type="text/plain", headers=headers)


def _media(row: ObjectRow, stream: BinaryIO, range_header: str | None) -> Response:
    """The object's bytes, or the one range asked for (206; other Range forms get the whole object)."""
    headers = {
        "X-Goog-Hash": f"crc32c={row.crc32c},md5={row.md5}",
        "X-Goog-Generation": str(row.generation),
        "X-Goog-Metageneration": str(row.metageneration),
        "X-Goog-Stored-Content-Length": str(row.size),
        "X-Goog-Stored-Content-Encoding": row.fields.get("contentEncoding", "identity"),
        "Accept-Ranges": "bytes",
    }
    for key, header in (("contentEncoding", "Content-Encoding"), ("contentDisposition", "Content-Disposition"),
                        ("contentLanguage", "Content-Language"), ("cacheControl", "Cache-Control")):  # fmt: skip
        if key in row.fields:
            headers[header] = row.fields[key]
    content_type = row.fields.get("contentType", DEFAULT_CONTENT_TYPE)
    match = _RANGE.fullmatch(range_header.strip()) if range_header else None
    if match is None or row.size == 0 or (not match["first"] and not match["last"]):
        return Response(200, content_type=content_type, headers=headers, stream=stream, length=row.size)
    if match["first"]:
        first = int(match["first"])
        last = min(int(match["last"]), row.size - 1) if match["last"] else row.size - 1
    else:
        first, last = max(0, row.size - int(match["last"])), row.size - 1
    if first >= row.size or last < first:
        raise RangeNotSatisfiable(f"Requested range {range_header!r} not satisfiable for {row.size} bytes.", row.size)
    stream.seek(first)
    headers["Content-Range"] = f"bytes {first}-{last}/{row.size}"
    return Response(206, content_type=content_type, headers=headers, stream=stream, length=last - first + 1)
