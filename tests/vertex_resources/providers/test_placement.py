"""No request and no credential leaves for a malformed project, location or endpoint.

A recording TCP server on this machine stands for "some other host". Every malformed value (crafted to aim at
the recorder, or arbitrary) is a check failure, and a ``ConfigError``/``SpecError`` before any client (and so any
credential) exists: the recorder sees nothing. Through Pulumi's provider server, the recorder is also the
metadata server Application Default Credentials come from: the control shows a valid placement fetching a token
there and connecting, the reported attack shows neither happening.
"""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vertex_resources import ConfigError, SpecError
from vertex_resources.providers import CustomJobProvider
from vertex_resources.providers._config import ProviderConfig, endpoint_problem
from vertex_resources.specs._types import project_problem, region_problem

from ..specs.cases import BASES
from .harness import ProviderServer

pytestmark = pytest.mark.timeout(120)  # a leak would wait on a connection: fail rather than hang

INPUTS: dict[str, Any] = dict(next(data for kind, data in BASES.items() if kind.__name__ == "CustomJobDefinition"))
JOB_ID = "projects/acme-ml/locations/us-central1/customJobs/1"
TOKEN = "ya29.a-token-of-the-test"


class Recorder(socketserver.ThreadingTCPServer):
    """Records the first bytes of every connection; answers token requests with ``TOKEN``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[bytes] = []
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def settled(self) -> list[bytes]:
        time.sleep(0.1)  # let connections already made be accepted
        with self.lock:
            return list(self.received)

    def clear(self) -> None:
        with self.lock:
            self.received.clear()


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(2)
        try:
            data = self.request.recv(65536)
        except OSError:
            data = b""
        server = self.server
        assert isinstance(server, Recorder)
        with server.lock:
            server.received.append(data)
        line = data.split(b"\r\n", 1)[0]
        status, body = b"200 OK", b"acme-ml"  # the metadata server's answers (ping, project id)
        if b"/token" in line:
            body = json.dumps({"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"}).encode()
        elif b"service-accounts/default" in line:
            body = json.dumps({"email": "vm@acme-ml.iam.gserviceaccount.com", "scopes": [], "aliases": []}).encode()
        elif b"/v1/projects/" in line:  # an API call: nothing there
            status = b"404 Not Found"
            body = json.dumps({"error": {"code": 404, "message": "not here", "status": "NOT_FOUND"}}).encode()
        head = b"HTTP/1.1 " + status + b"\r\nMetadata-Flavor: Google\r\nContent-Type: application/json\r\n"
        self.request.sendall(head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def credentials(recorder: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Application Default Credentials that never need the network to fail: if a client were built here, its
    token refresh would fail at once (and the call would raise something other than the expected errors)."""
    adc = tmp_path / "adc.json"
    adc.write_text(
        json.dumps({"type": "authorized_user", "client_id": "c", "client_secret": "s", "refresh_token": "r"})
    )
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    recorder.clear()
    return recorder


@pytest.fixture
def metadata_credentials(credentials: Recorder, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """For provider servers started now: Application Default Credentials come from the recorder, as the metadata
    server (no key file, no gcloud login)."""
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    monkeypatch.setenv("GCE_METADATA_HOST", f"127.0.0.1:{credentials.port}")
    monkeypatch.setenv("GCE_METADATA_IP", f"127.0.0.1:{credentials.port}")
    return credentials


def _provider(config: dict[str, str]) -> CustomJobProvider:
    provider = CustomJobProvider()
    provider._config = ProviderConfig.from_stack(config)
    return provider


def _every_call_refuses(provider: CustomJobProvider, inputs: dict[str, Any], field: str) -> None:
    """Check names ``field``; create, read and delete raise before any client exists."""
    failures = provider.check({}, inputs).failures or []
    assert any(f.property in (field, "(provider)") for f in failures), failures
    for call in (
        lambda: provider.create(inputs),
        lambda: provider.read(JOB_ID, inputs),
        lambda: provider.delete(JOB_ID, inputs),
    ):
        with pytest.raises((ConfigError, SpecError)):
            call()
    assert provider._sessions == {} or all(not session._clients for session in provider._sessions.values())


def test_control_an_emulator_endpoint_on_this_machine_is_reached_without_a_token(credentials: Recorder) -> None:
    endpoint = f"http://127.0.0.1:{credentials.port}"
    provider = _provider({"vertex:project": "acme-ml", "vertex:location": "us-central1", "vertex:endpoint": endpoint})
    assert provider.read(JOB_ID, INPUTS).id == ""  # the recorder answers 404: gone
    received = credentials.settled()
    assert len(received) == 1
    assert received[0].startswith(b"GET /v1/projects/acme-ml/locations/us-central1/customJobs/1")
    assert b"authorization" not in received[0].lower()


ATTACKS = ["evil.example#", "127.0.0.1:{port}/#", "127.0.0.1:{port}?", "localhost:{port}#", "127.0.0.1:{port}/x"]


@pytest.mark.parametrize("template", ATTACKS)
def test_a_location_never_becomes_a_host(credentials: Recorder, template: str) -> None:
    location = template.format(port=credentials.port)
    _every_call_refuses(_provider({"vertex:project": "acme-ml", "vertex:location": location}), INPUTS, "location")
    # The same value on the resource itself.
    provider = _provider({"vertex:project": "acme-ml", "vertex:location": "us-central1"})
    _every_call_refuses(provider, {**INPUTS, "location": location}, "location")
    assert credentials.settled() == []


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/v1",
        "http://127.0.0.1:{port}#",
        "http://user@127.0.0.1:{port}",
        "https://127.0.0.1:{port}/?x=1",
        "ftp://127.0.0.1:{port}",
        "http://evil.example:{port}",
        "http://127.0.0.1:{port} ",
        "http://[127.0.0.1:{port}",
    ],
)
def test_an_endpoint_must_be_a_plain_host_and_http_only_on_this_machine(credentials: Recorder, template: str) -> None:
    endpoint = template.format(port=credentials.port)
    assert endpoint_problem(endpoint) is not None
    provider = _provider({"vertex:project": "acme-ml", "vertex:location": "us-central1", "vertex:endpoint": endpoint})
    _every_call_refuses(provider, INPUTS, "(provider)")
    assert credentials.settled() == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(["vertex:project", "vertex:location"]),
    value=st.one_of(
        st.text(min_size=1, max_size=40),
        st.text(max_size=10).map(lambda tail: f"127.0.0.1:{{port}}{tail}"),
        st.sampled_from(["../../v1/x", "acme-ml/locations/x", "us-central1/../..", "us-central1#", "US-CENTRAL1"]),
    ),
    with_endpoint=st.booleans(),
)
def test_no_malformed_placement_sends_anything(
    credentials: Recorder, field: str, value: str, with_endpoint: bool
) -> None:
    value = value.replace("{port}", str(credentials.port))
    problem = project_problem(value) if field == "vertex:project" else region_problem(value)
    assume(problem is not None)
    config = {"vertex:project": "acme-ml", "vertex:location": "us-central1", field: value}
    if with_endpoint:  # a request that got through would arrive at the recorder
        config["vertex:endpoint"] = f"https://127.0.0.1:{credentials.port}"
    _every_call_refuses(_provider(config), INPUTS, field.split(":")[1])
    assert credentials.settled() == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tail=st.text(min_size=1, max_size=12))
def test_no_malformed_endpoint_sends_anything(credentials: Recorder, tail: str) -> None:
    endpoint = f"http://127.0.0.1:{credentials.port}{tail}"
    assume(endpoint_problem(endpoint) is not None)
    provider = _provider({"vertex:project": "acme-ml", "vertex:location": "us-central1", "vertex:endpoint": endpoint})
    _every_call_refuses(provider, INPUTS, "(provider)")
    assert credentials.settled() == []


def test_through_pulumis_provider_server_a_valid_placement_fetches_a_token_and_connects(
    metadata_credentials: Recorder,
) -> None:
    """The control of the next test: Application Default Credentials really come from the recorder."""
    endpoint = (
        f"https://127.0.0.1:{metadata_credentials.port}"  # valid, so the provider connects (TLS fails on the recorder)
    )
    config = {"vertex:project": "acme-ml", "vertex:location": "us-central1", "vertex:endpoint": endpoint}
    server = ProviderServer({**config, "vertex:retryTimeout": "1", "vertex:retryInitialDelay": "0.1"})
    try:
        with pytest.raises(Exception, match=r"SSL|ssl|Connection"):
            server.resource(CustomJobProvider(), "placed").create(INPUTS)
    finally:
        server.kill()
    received = metadata_credentials.settled()
    assert any(b"/token" in data.split(b"\r\n", 1)[0] for data in received), received
    assert any(data.startswith(b"\x16\x03") for data in received), "a TLS connection to the configured host"


def test_through_pulumis_provider_server(metadata_credentials: Recorder) -> None:
    """The reported case, driven the way the engine drives it: no token fetched, no connection."""
    server = ProviderServer(
        {"vertex:project": "acme-ml", "vertex:location": f"127.0.0.1:{metadata_credentials.port}/#"}
    )
    try:
        resource = server.resource(CustomJobProvider(), "placed")
        failures = resource.check(INPUTS).failures
        assert [prop for prop, _ in failures] == ["location"]
        assert "a Google Cloud region like us-central1" in failures[0][1]
        assert "(from vertex:location (or gcp:region))" in failures[0][1]
        with pytest.raises(Exception, match="vertex:location"):
            resource.create(INPUTS)
    finally:
        server.kill()
    assert metadata_credentials.settled() == []
