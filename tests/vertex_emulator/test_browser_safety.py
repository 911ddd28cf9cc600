"""What a web page in the user's browser can no longer do to the emulator, through real HTTP.

A page can send "simple" cross-origin requests (a form or `text/plain` POST, an `<img>` GET) with its own
`Origin`, and through DNS rebinding with its own name in `Host`. Each is refused in the API's envelope and
changes nothing; Google's clients (JSON, loopback Host, no Origin) are served as before.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.vertex_emulator import bodies
from vertex_emulator import Emulator
from vertex_emulator.launch import command_line
from vertex_emulator.testing import GapicClients, free_port, location_parent

JOBS = f"/v1/{location_parent()}/customJobs"


def send(
    emulator: Emulator, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """One request with exactly these headers (http.client adds Host only when not given)."""
    port = int(emulator.endpoint.rsplit(":", 1)[1])
    given = {"Content-Length": str(len(body)), **(headers or {})}
    with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=10)) as connection:
        connection.putrequest(method, path, skip_host="Host" in given, skip_accept_encoding=True)
        for name, value in given.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")


def attack_job() -> bytes:
    """What the attacking page posts: a CustomJob whose command would run on the user's machine."""
    return json.dumps(
        {
            "displayName": "pwned",
            "jobSpec": {
                "workerPoolSpecs": [
                    {
                        "machineSpec": {"machineType": "n1-standard-4"},
                        "replicaCount": "1",
                        "containerSpec": {"imageUri": "python:3.11", "command": ["sh", "-c", "id > /tmp/pwned"]},
                    }
                ]
            },
        }
    ).encode()


def custom_jobs(clients: GapicClients) -> list[Any]:
    return list(clients.job.list_custom_jobs(parent=location_parent()))


def test_a_text_plain_post_from_a_page_creates_nothing(emulator: Emulator, clients: GapicClients) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        status, answer = send(
            emulator,
            "POST",
            JOBS,
            attack_job(),
            {"Content-Type": content_type, "Origin": "https://evil.example"},
        )
        assert (status, answer["error"]["status"]) == (403, "PERMISSION_DENIED")
        assert "evil.example" in answer["error"]["message"]
    status, answer = send(emulator, "POST", JOBS, attack_job(), {"Content-Type": "text/plain"})
    assert status == 403
    assert "application/json" in answer["error"]["message"]
    assert custom_jobs(clients) == []


def test_a_json_post_from_a_foreign_origin_is_refused(emulator: Emulator, clients: GapicClients) -> None:
    for origin in ("https://evil.example", "null", "http://localhost:1", "http://127.0.0.1.evil.example"):
        status, answer = send(
            emulator, "POST", JOBS, attack_job(), {"Content-Type": "application/json", "Origin": origin}
        )
        assert (status, answer["error"]["code"]) == (403, 403), origin
    assert custom_jobs(clients) == []


def test_dns_rebinding_a_foreign_host_is_misdirected(emulator: Emulator, clients: GapicClients) -> None:
    port = emulator.endpoint.rsplit(":", 1)[1]
    for host in (f"evil.example:{port}", "evil.example", f"localhost:{int(port) + 1}", f"0.0.0.0:{port}"):
        status, answer = send(emulator, "POST", JOBS, attack_job(), {"Host": host, "Content-Type": "application/json"})
        assert (status, answer["error"]["status"]) == (421, "PERMISSION_DENIED"), host
        assert send(emulator, "GET", JOBS, headers={"Host": host})[0] == 421
    assert custom_jobs(clients) == []


def test_loopback_hosts_and_own_origins_are_served(emulator: Emulator, clients: GapicClients) -> None:
    port = emulator.endpoint.rsplit(":", 1)[1]
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"127.1.2.3:{port}", f"[::1]:{port}", f"LOCALHOST:{port}"):
        assert send(emulator, "GET", JOBS, headers={"Host": host})[0] == 200, host
    created = send(
        emulator,
        "POST",
        JOBS,
        attack_job(),
        {"Content-Type": "application/json; charset=utf-8", "Origin": f"http://localhost:{port}"},
    )
    assert created[0] == 200
    assert [job.display_name for job in custom_jobs(clients)] == ["pwned"]


def test_requests_a_browser_marks_as_from_another_site_are_refused(emulator: Emulator) -> None:
    for site in ("cross-site", "same-site"):  # same-site: e.g. a page of another dev server on localhost
        status, answer = send(emulator, "GET", JOBS, headers={"Sec-Fetch-Site": site})
        assert (status, answer["error"]["status"]) == (403, "PERMISSION_DENIED")
    for site in ("same-origin", "none"):  # the address bar, or a page the emulator served (none today)
        assert send(emulator, "GET", JOBS, headers={"Sec-Fetch-Site": site})[0] == 200


def test_the_control_plane_has_no_side_effect_a_page_can_reach(emulator: Emulator, clients: GapicClients) -> None:
    clients.job.create_custom_job(parent=location_parent(), custom_job=bodies.custom_job())
    assert send(emulator, "GET", "/_emulator/reset")[0] == 404  # an <img src=...> cannot reset it
    status, _ = send(emulator, "POST", "/_emulator/reset", b"{}", {"Content-Type": "text/plain"})
    assert status == 403
    status, _ = send(
        emulator, "DELETE", "/_emulator/faults", headers={"Content-Type": "application/json", "Origin": "http://x"}
    )
    assert status == 403
    assert len(custom_jobs(clients)) == 1


@pytest.fixture
def allowing() -> Iterator[Emulator]:
    with Emulator(runner="scheduled", allowed_hosts=["Emulator.Internal"]) as emulator:
        yield emulator


def test_allowed_hosts_are_served_by_name_and_origin(allowing: Emulator) -> None:
    port = allowing.endpoint.rsplit(":", 1)[1]
    assert send(allowing, "GET", JOBS, headers={"Host": f"emulator.internal:{port}"})[0] == 200
    assert send(allowing, "GET", JOBS, headers={"Host": "emulator.internal:9000"})[0] == 200  # e.g. port mapping
    status, _ = send(
        allowing,
        "POST",
        JOBS,
        attack_job(),
        {"Content-Type": "application/json", "Origin": f"http://emulator.internal:{port}"},
    )
    assert status == 200
    assert send(allowing, "GET", JOBS, headers={"Host": f"other.internal:{port}"})[0] == 421


def test_a_non_loopback_host_prints_what_it_exposes(tmp_path: Path) -> None:
    api_port, storage_port = free_port(), free_port()
    # Both ports are taken, so nothing is ever exposed: the warning comes before the emulator binds.
    blockers = [socket.socket(), socket.socket()]
    try:
        for blocker, port in zip(blockers, (api_port, storage_port), strict=True):
            blocker.bind(("127.0.0.1", port))
            blocker.listen()
        result = subprocess.run(
            command_line(api_port, storage_port, tmp_path / "data", "--host", "0.0.0.0", "--runner", "scheduled"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        for blocker in blockers:
            blocker.close()
    warning = result.stderr.splitlines()[0]
    assert "WARNING: --host 0.0.0.0 is not a loopback address" in warning
    assert "run commands" in warning
    assert result.returncode == 1
