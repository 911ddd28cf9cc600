"""The storage endpoint over raw HTTP: GCS's error envelope and 4xx for bad input, browser safety, limits, load."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlsplit

import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vertex_emulator import Emulator

JSON = {"Content-Type": "application/json"}


class Raw:
    """One HTTP connection to the storage endpoint; `send` returns (status, headers, body)."""

    def __init__(self, host: str) -> None:
        parts = urlsplit(host)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def send(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        self.connection.request(method, path, body=body if body or method != "GET" else None, headers=headers or {})
        response = self.connection.getresponse()
        payload = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload


@pytest.fixture
def raw(emulator: Emulator) -> Iterator[Raw]:
    emulator.storage.create_bucket("bkt")
    emulator.storage.write_text("gs://bkt/a.txt", "hello")
    client = Raw(emulator.storage_host)
    yield client
    client.connection.close()


MULTIPART = "multipart/related; boundary=BOUND"
BAD_REQUESTS = [  # (method, path, body, headers, status)
    ("POST", "/storage/v1/b?project=p", b"{not json", JSON, 400),
    ("POST", "/storage/v1/b?project=p", b"[1, 2]", JSON, 400),
    ("POST", "/storage/v1/b?project=p", b'{"name": 5}', JSON, 400),
    ("POST", "/storage/v1/b?project=p", b'{"name": "ok-bucket", "labels": "x"}', JSON, 400),
    ("POST", "/storage/v1/b?project=p", b'{"name": "bkt"}', JSON, 409),
    ("GET", "/storage/v1/b/UPPER", b"", {}, 400),
    ("GET", "/storage/v1/b/%2E", b"", {}, 400),
    ("GET", "/storage/v1/b/..", b"", {}, 400),
    ("GET", "/storage/v1/b/missing-bucket/o", b"", {}, 404),
    ("GET", "/storage/v1/b/bkt/o/%FF%FE", b"", {}, 400),
    ("GET", "/storage/v1/b/bkt/o/a%0Ab", b"", {}, 400),
    ("GET", "/storage/v1/b/bkt/o/" + "a" * 1025, b"", {}, 400),
    ("GET", "/storage/v1/b/bkt/o/a.txt?generation=abc", b"", {}, 400),
    ("GET", "/storage/v1/b/bkt/o/a.txt?generation=-1", b"", {}, 400),
    ("GET", "/storage/v1/b/bkt/o/a.txt?ifGenerationMatch=1e9", b"", {}, 400),
    ("GET", "/storage/v1/b/bkt/o/a.txt?generation=99999999999999999999999", b"", {}, 400),
    ("GET", "/storage/v1/b/bkt/o/a.txt?alt=xml", b"", {}, 400),
    ("GET", "/storage/v1/b/bkt/o?pageToken=%%%", b"", {}, 400),
    ("GET", "/storage/v1/b/bkt/o?pageToken=bm90IGpzb24", b"", {}, 400),
    ("GET", "/storage/v1/b/bkt/o?maxResults=many", b"", {}, 400),
    ("GET", "/storage/v1/b/bkt/o?includeTrailingDelimiter=maybe", b"", {}, 400),
    ("GET", "/storage/v1/b/bkt/o?matchGlob=**", b"", {}, 400),
    ("GET", "/storage/v1/b/bkt/o?prefix=%C3", b"", {}, 400),
    ("GET", "/storage/v1/b/bkt/o/missing", b"", {}, 404),
    ("GET", "/storage/v1/nowhere", b"", {}, 404),
    ("PATCH", "/storage/v1/b/bkt/o/a.txt", b'{"metadata": {"k": 1}}', JSON, 400),
    ("PATCH", "/storage/v1/b/bkt/o/a.txt", b'{"contentType": ["x"]}', JSON, 400),
    ("PATCH", "/storage/v1/b/bkt/o/a.txt", b'{"temporaryHold": "yes"}', JSON, 400),
    ("PATCH", "/storage/v1/b/bkt/o/a.txt", b'{"contentDisposition": "a\\r\\nSet-Cookie: x=1"}', JSON, 400),
    ("POST", "/storage/v1/b/bkt/o/a.txt", b"{}", JSON, 405),
    ("POST", "/storage/v1/b/bkt/o/a.txt/rewriteTo/b/bkt/o/b.txt?rewriteToken=x", b"", {}, 400),
    ("POST", "/storage/v1/b/bkt/o/a.txt/copyTo/b/missing-bucket/o/b.txt", b"", {}, 404),
    ("POST", "/storage/v1/b/bkt/o/c.txt/compose", b'{"sourceObjects": []}', JSON, 400),
    ("POST", "/storage/v1/b/bkt/o/c.txt/compose", b'{"sourceObjects": [{"name": 3}]}', JSON, 400),
    (
        "POST",
        "/storage/v1/b/bkt/o/c.txt/compose",
        b'{"sourceObjects": [{"name": "a.txt", "generation": "x"}]}',
        JSON,
        400,
    ),
    ("POST", "/storage/v1/b/bkt/o/c.txt/compose", b'{"sourceObjects": [{"name": "nope"}]}', JSON, 404),
    ("POST", "/upload/storage/v1/b/bkt/o?uploadType=media", b"x", {}, 400),
    ("POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=", b"x", {}, 400),
    ("POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=.", b"x", {}, 400),
    ("POST", "/upload/storage/v1/b/bkt/o?uploadType=weird&name=x", b"x", {}, 400),
    ("POST", "/upload/storage/v1/b/missing-bucket/o?uploadType=media&name=x", b"x", {}, 404),
    ("POST", "/upload/storage/v1/b/bkt/o?uploadType=multipart", b"garbage", {"Content-Type": MULTIPART}, 400),
    ("POST", "/upload/storage/v1/b/bkt/o?uploadType=multipart", b"x", {"Content-Type": "multipart/related"}, 400),
    (
        "POST",
        "/upload/storage/v1/b/bkt/o?uploadType=multipart",
        b'--BOUND\r\nContent-Type: application/json\r\n\r\n{"name": "m", "md5Hash": "AAAA"}\r\n--BOUND\r\n\r\nx\r\n'
        b"--BOUND--\r\n",
        {"Content-Type": MULTIPART},
        400,
    ),
    ("POST", "/upload/storage/v1/b/bkt/o?uploadType=resumable", b"{}", JSON, 400),
    ("POST", "/upload/storage/v1/b/bkt/o?uploadType=resumable&name=x", b"text", {"Content-Type": "text/plain"}, 403),
    ("PUT", "/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id=nope", b"x", {}, 404),
    ("PUT", "/upload/storage/v1/b/bkt/o", b"x", {}, 400),
    ("DELETE", "/upload/storage/v1/b/bkt/o?upload_id=nope", b"", {}, 404),
    ("GET", "/download/storage/v1/b/bkt/o/a.txt?alt=json", b"", {}, 400),
    ("GET", "/download/storage/v1/b/bkt/o/a.txt", b"", {"Range": "bytes=10-20"}, 416),
    ("GET", "/download/storage/v1/b/bkt/o/a.txt", b"", {"Range": "bytes=-0"}, 416),
    ("GET", "/storage/v1/b/bkt/o?" + "&".join(f"k{i}=v" for i in range(100)), b"", {}, 400),
    ("POST", "/storage/v1/b?project=p", b"{}", {"Content-Type": "application/json", "Content-Length": "x"}, 400),
    ("FROB", "/storage/v1/b/bkt", b"", {}, 405),
    ("DELETE", "/storage/v1/b/bkt", b"", {}, 409),
    ("GET", "/wipe", b"", {}, 404),
    ("GET", "/storage/v1/b/bkt/o/a.txt", b"", {"Host": "evil.example"}, 421),
    ("GET", "/storage/v1/b/bkt/o/a.txt", b"", {"Origin": "https://evil.example"}, 403),
    ("POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=pwn", b"x", {"Origin": "null"}, 403),
    (
        "POST",
        "/storage/v1/b?project=p",
        b'{"name": "from-a-form"}',
        {"Content-Type": "application/x-www-form-urlencoded"},
        403,
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "headers", "status"), BAD_REQUESTS)
def test_bad_requests_get_gcs_errors_never_500(
    raw: Raw, emulator: Emulator, method: str, path: str, body: bytes, headers: dict[str, str], status: int
) -> None:
    got, _, payload = raw.send(method, path, body, headers)
    assert got == status, payload
    error = json.loads(payload)["error"]
    assert error["code"] == status
    assert error["message"]
    assert error["errors"][0]["reason"]
    assert emulator.storage.read_text("gs://bkt/a.txt") == "hello"  # nothing changed, the server still serves
    assert not emulator.storage.exists("gs://bkt/pwn")
    assert not emulator.storage.bucket_exists("from-a-form")


def test_loopback_hosts_and_own_origin_are_served(raw: Raw) -> None:
    port = raw.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"127.0.0.2:{port}"):
        status, _, body = raw.send("GET", "/download/storage/v1/b/bkt/o/a.txt?alt=media", headers={"Host": host})
        assert (status, body) == (200, b"hello")
    status, _, _ = raw.send("GET", "/storage/v1/b/bkt", headers={"Origin": f"http://localhost:{port}"})
    assert status == 200
    status, _, _ = raw.send("GET", "/storage/v1/b/bkt", headers={"Host": f"127.0.0.1:{port + 1}"})
    assert status == 421


def test_media_upload_ranges_and_resumable_protocol(raw: Raw, emulator: Emulator) -> None:
    name = quote("dir/raw name.bin", safe="")
    status, _, body = raw.send("POST", f"/upload/storage/v1/b/bkt/o?uploadType=media&name={name}", b"0123456789",
                               {"Content-Type": "application/x-raw"})  # fmt: skip
    assert status == 200
    assert json.loads(body)["size"] == "10"
    status, headers, body = raw.send("GET", f"/download/storage/v1/b/bkt/o/{name}?alt=media",
                                     headers={"Range": "bytes=2-4"})  # fmt: skip
    assert (status, body, headers["content-range"]) == (206, b"234", "bytes 2-4/10")
    assert headers["content-type"] == "application/x-raw"
    status, _, body = raw.send("GET", f"/storage/v1/b/bkt/o/{name}?alt=media", headers={"Range": "bytes=-3"})
    assert (status, body) == (206, b"789")

    status, headers, _ = raw.send("POST", "/upload/storage/v1/b/bkt/o?uploadType=resumable",
                                  b'{"name": "session.bin", "contentType": "text/plain"}', JSON)  # fmt: skip
    assert status == 200
    session = urlsplit(headers["location"])
    target = f"{session.path}?{session.query}"
    status, headers, _ = raw.send("PUT", target, b"", {"Content-Range": "bytes */*"})
    assert status == 308
    assert "range" not in headers
    status, headers, _ = raw.send("PUT", target, b"abcde", {"Content-Range": "bytes 0-4/*"})
    assert (status, headers["range"]) == (308, "bytes=0-4")
    status, headers, _ = raw.send("PUT", target, b"cdefg", {"Content-Range": "bytes 2-6/*"})  # overlap: kept once
    assert (status, headers["range"]) == (308, "bytes=0-6")
    status, headers, _ = raw.send("PUT", target, b"zz", {"Content-Range": "bytes 9-10/11"})  # a gap: resend
    assert (status, headers["range"]) == (308, "bytes=0-6")
    status, _, body = raw.send("PUT", target, b"hij", {"Content-Range": "bytes 7-9/10"})
    assert status == 200
    assert json.loads(body)["contentType"] == "text/plain"
    assert emulator.storage.read_text("gs://bkt/session.bin") == "abcdefghij"
    status, _, _ = raw.send("PUT", target, b"", {"Content-Range": "bytes */10"})
    assert status == 404  # the session is over

    status, headers, _ = raw.send("POST", "/upload/storage/v1/b/bkt/o?uploadType=resumable&name=cancelled", b"", {})
    cancelled = urlsplit(headers["location"])
    status, _, _ = raw.send("DELETE", f"{cancelled.path}?{cancelled.query}")
    assert status == 499
    assert not emulator.storage.exists("gs://bkt/cancelled")


def test_oversized_and_stalled_bodies(emulator: Emulator) -> None:
    emulator.storage.create_bucket("bkt")
    port = urlsplit(emulator.storage_host).port
    with socket.create_connection(("127.0.0.1", port or 0), timeout=30) as sock:
        sock.sendall(b"POST /upload/storage/v1/b/bkt/o?uploadType=media&name=huge HTTP/1.1\r\n"
                     b"Content-Length: 6000000000\r\n\r\n")  # fmt: skip
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 413 ")
    with socket.create_connection(("127.0.0.1", port or 0), timeout=30) as sock:  # curl's way: ask first
        sock.sendall(b"POST /upload/storage/v1/b/bkt/o?uploadType=media&name=huge HTTP/1.1\r\n"
                     b"Expect: 100-continue\r\nContent-Length: 6000000000\r\n\r\n")  # fmt: skip
        assert sock.recv(65536).startswith(b"HTTP/1.1 413 ")
    with socket.create_connection(("127.0.0.1", port or 0), timeout=30) as sock:
        sock.sendall(b"POST /upload/storage/v1/b/bkt/o?uploadType=media&name=asked HTTP/1.1\r\n"
                     b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n")  # fmt: skip
        assert sock.recv(65536).startswith(b"HTTP/1.1 100 ")
        sock.sendall(b"ok")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    assert emulator.storage.read_text("gs://bkt/asked") == "ok"
    with socket.create_connection(("127.0.0.1", port or 0), timeout=30) as sock:
        sock.sendall(b"POST /upload/storage/v1/b/bkt/o?uploadType=media&name=stalled HTTP/1.1\r\n"
                     b"Content-Length: 100\r\n\r\nonly ten..")  # fmt: skip
        started = time.monotonic()
        assert sock.recv(65536) == b""  # the server hangs up on a body that stops, it does not wait forever
        assert time.monotonic() - started < 30
    assert not emulator.storage.exists("gs://bkt/stalled")
    assert not emulator.storage.exists("gs://bkt/huge")


def test_fifty_concurrent_clients(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bounded version of benchmarks/storage_load.py: no resets, no 5xx, nothing lost."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.storage_host)
    emulator.storage.create_bucket("load")
    failures: list[str] = []
    barrier = threading.Barrier(50)

    def gcs_worker(index: int) -> None:
        client = gcs.Client(project="p", credentials=AnonymousCredentials())
        bucket = client.bucket("load")
        barrier.wait()
        for round_ in range(4):
            name = f"gcs/{index}/{round_}"
            bucket.blob(name).upload_from_string(name)
            if bucket.blob(name).download_as_text() != name:
                failures.append(name)
        if len(list(client.list_blobs("load", prefix=f"gcs/{index}/"))) != 4:
            failures.append(f"listing gcs/{index}/")

    def raw_worker(index: int) -> None:
        raw = Raw(emulator.storage_host)
        barrier.wait()
        for round_ in range(8):
            name = quote(f"raw/{index}/{round_}", safe="")
            status, _, _ = raw.send("POST", f"/upload/storage/v1/b/load/o?uploadType=media&name={name}", b"x" * 1000)
            got, _, body = raw.send("GET", f"/download/storage/v1/b/load/o/{name}?alt=media")
            listed, _, _ = raw.send("GET", f"/storage/v1/b/load/o?prefix=raw/{index}/")
            if (status, got, listed, body) != (200, 200, 200, b"x" * 1000):
                failures.append(f"{name}: {status} {got} {listed}")

    def run(index: int) -> None:
        try:
            (gcs_worker if index % 2 else raw_worker)(index)
        except Exception as err:  # a reset or a 5xx the client gave up on
            failures.append(f"{index}: {err!r}")

    with ThreadPoolExecutor(50) as pool:
        list(pool.map(run, range(50)))
    assert failures == []
    assert len(emulator.storage.list("gs://load/")) == 25 * 4 + 25 * 8


_segments = st.sampled_from(["bkt", "a.txt", "missing", "UPPER", "%2E%2E", "%FF", "o", "b", "", "x%2Fy", "..",
                             "rewriteTo", "copyTo", "compose", "a" * 300])  # fmt: skip
_paths = st.tuples(
    st.sampled_from(["/storage/v1/b", "/upload/storage/v1/b", "/download/storage/v1/b", "/storage/v1", "/"]),
    st.lists(_segments, max_size=7),
).map(lambda parts: "/".join([parts[0], *parts[1]]))
_query_keys = st.sampled_from(["uploadType", "name", "upload_id", "generation", "ifGenerationMatch", "alt",
                               "prefix", "delimiter", "pageToken", "maxResults", "startOffset", "rewriteToken",
                               "ifSourceGenerationMatch", "includeTrailingDelimiter", "project"])  # fmt: skip
_query_values = st.one_of(st.sampled_from(["media", "multipart", "resumable", "0", "-1", "1e3", "true", "%ZZ", ""]),
                          st.text(max_size=8))  # fmt: skip
_json_bodies = [b"{}", b'{"name": "bkt"}', b"[]", b"null", b'{"sourceObjects": [{}]}', b'{"metadata": 1}']
_bodies = st.one_of(st.binary(max_size=64), st.sampled_from(_json_bodies))
_content_types = st.sampled_from(["application/json", "text/plain", "multipart/related; boundary=x",
                                  "application/octet-stream", ""])  # fmt: skip


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
    _paths,
    st.dictionaries(_query_keys, _query_values, max_size=4),
    _bodies,
    _content_types,
    st.sampled_from([None, "bytes=0-1", "bytes=5-", "bytes=-2", "bytes=9-3", "bytes=x", "bytes */*", "bytes 0-1/2"]),
)
def test_generated_requests_never_answer_5xx(
    raw: Raw, method: str, path: str, query: dict[str, str], body: bytes, content_type: str, range_: str | None
) -> None:
    target = path + ("?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query.items()) if query else "")
    headers = {"Content-Type": content_type} if content_type else {}
    if range_ is not None:
        headers["Range" if method == "GET" else "Content-Range"] = range_
    status, _, payload = raw.send(method, target, body if method != "GET" else b"", headers)
    assert status < 500, (method, target, payload[:300])
    if method != "HEAD" and status not in (204, 304) and status >= 400:
        assert json.loads(payload)["error"]["code"] == status
    assert raw.send("GET", "/storage/v1/b/bkt/o/a.txt?alt=media")[2] == b"hello"


def test_racing_create_only_uploads_have_one_winner(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.storage_host)
    emulator.storage.create_bucket("race")
    barrier = threading.Barrier(20)

    def upload(index: int) -> str:
        blob = gcs.Client(project="p", credentials=AnonymousCredentials()).bucket("race").blob("once")
        barrier.wait()
        try:
            blob.upload_from_string(f"writer {index}", if_generation_match=0, retry=None)
        except exceptions.PreconditionFailed:
            return "412"
        return f"writer {index}"

    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(upload, range(20)))
    winners = [outcome for outcome in outcomes if outcome != "412"]
    assert len(winners) == 1
    assert emulator.storage.read_text("gs://race/once") == winners[0]
