"""Fuzz: thousands of generated requests over real HTTP to every route of the API and the control plane, and not
one answer is a 5xx; the emulator is healthy afterwards.

Requests are built by hypothesis (derandomized, so a run repeats): each picks a route (or, now and then, a path
no route takes), fills its path variables with ids of real resources or odd text (`..`, `%2F`, `@1`, unicode,
very long), adds a query string (filters with bad escapes, page sizes and tokens, update masks, timeouts), a
method (mostly the route's), headers (mostly Google's: JSON, loopback Host) and a body: a valid body of that
route mutated at random leaves, random JSON, JSON of the wrong type, deep nesting, NaN, or plain bytes.

The scheduled runner serves them, so nothing really runs. Answers injected by a fault rule the fuzz itself set
through the control plane (503/429 saying so) are the control plane working, not failures; rules and timings
that would make the fuzz wait (latencies, operation delays) are never generated.
"""

from __future__ import annotations

import functools
import http.client
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from google.cloud import aiplatform_v1
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.vertex_emulator import bodies
from vertex_emulator import Emulator
from vertex_emulator._control_plane import ROUTES as CONTROL_ROUTES
from vertex_emulator._handlers import ROUTES as API_ROUTES
from vertex_emulator._routing import Route
from vertex_emulator.testing import gapic_clients, location_parent

EXAMPLES = 520
REQUESTS_PER_EXAMPLE = 10
MINIMUM_REQUESTS = 5_000
ROUTES: list[Route] = [*API_ROUTES, *CONTROL_ROUTES]
_VARIABLE = re.compile(r"\{(\w+)(?::((?:[^{}]|\{[^{}]*\})+))?\}")
RESET = "/_emulator/reset"
_INJECTED = "fault injected by the emulator's control plane"
# Control-plane fields that would make later requests wait (a latency, an operation delay): never generated.
_NEVER = {"latency_seconds", "seconds"}


def rest_json(message_class: Any, value: dict[str, Any]) -> dict[str, Any]:
    """A GAPIC-style dict as the REST JSON Google's clients send (camelCase, enum names)."""
    result: dict[str, Any] = json.loads(message_class.to_json(message_class(value), use_integers_for_enums=False))
    return result


@functools.cache
def valid_bodies() -> dict[str, dict[str, Any]]:
    """A valid body per RPC that takes one; the fuzz mutates them."""
    model = bodies.model_to_upload()
    return {
        "CreateDataset": rest_json(aiplatform_v1.Dataset, bodies.dataset()),
        "UpdateDataset": {"displayName": "renamed", "labels": {"a": "b"}},
        "ImportData": {
            "importConfigs": [{"gcsSource": {"uris": ["gs://bucket/items.jsonl"]}, "importSchemaUri": "gs://x/y"}]
        },
        "ExportData": {"exportConfig": {"gcsDestination": {"outputUriPrefix": "gs://bucket/export"}}},
        "CreateTrainingPipeline": rest_json(aiplatform_v1.TrainingPipeline, bodies.custom_pipeline()),
        "CreateCustomJob": rest_json(aiplatform_v1.CustomJob, bodies.custom_job()),
        "CreateHyperparameterTuningJob": rest_json(aiplatform_v1.HyperparameterTuningJob, bodies.tuning_job()),
        "CreateBatchPredictionJob": rest_json(
            aiplatform_v1.BatchPredictionJob, bodies.batch_prediction_job("projects/p/locations/us-central1/models/1")
        ),
        "CreatePipelineJob": rest_json(aiplatform_v1.PipelineJob, bodies.pipeline_job()),
        "UploadModel": {"model": rest_json(aiplatform_v1.Model, {**model, "artifact_uri": "gs://bucket/m/"})},
        "UpdateModel": {"displayName": "renamed", "description": "d"},
        "MergeVersionAliases": {"versionAliases": ["gold", "-silver"]},
        "WaitOperation": {"timeout": "0.01s"},
        "config": {"kind": "customJobs", "mode": "hold", "outcome": "fail", "error_code": 9},
        "release": {"name": "projects/p/locations/us-central1/customJobs/1", "outcome": "succeed"},
        "faults": {"rules": [{"rpc": "GetDataset", "count": 1, "status": "UNAVAILABLE"}]},
    }


@dataclass
class Seeds:
    """Ids of real resources, so that generated requests reach past the not-found checks."""

    values: dict[str, list[str]]


def seed(emulator: Emulator) -> Seeds:
    clients = gapic_clients(emulator.endpoint)
    parent = location_parent()
    dataset = clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset()).result(timeout=10)
    emulator.control.set_job_timing("customJobs", mode="hold")
    held = clients.job.create_custom_job(parent=parent, custom_job=bodies.custom_job("held"))
    done = clients.job.create_hyperparameter_tuning_job(parent=parent, hyperparameter_tuning_job=bodies.tuning_job())
    pipeline = clients.pipeline.create_training_pipeline(parent=parent, training_pipeline=bodies.custom_pipeline())
    uploaded = bodies.upload_model(clients, parent, model={"version_aliases": ["gold"]})
    prediction = clients.job.create_batch_prediction_job(
        parent=parent, batch_prediction_job=bodies.batch_prediction_job(uploaded.model)
    )
    pipeline_job = clients.pipeline.create_pipeline_job(
        parent=parent, pipeline_job=bodies.pipeline_job(), pipeline_job_id="fuzz-pipeline"
    )
    operation = clients.dataset.delete_dataset(
        name=clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset("gone")).result(timeout=10).name
    )
    model_id = uploaded.model.rsplit("/", 1)[1]
    project = dataset.name.split("/")[1]
    return Seeds(
        {
            "project": ["test-project", project],
            "location": ["us-central1", "europe-west4"],
            "dataset": [dataset.name.rsplit("/", 1)[1]],
            "job": [
                r.rsplit("/", 1)[1] for r in (held.name, done.name, pipeline.name, prediction.name, pipeline_job.name)
            ],
            "model": [model_id, f"{model_id}@1", f"{model_id}@gold", f"{model_id}@9"],
            "name": [operation.operation.name],
            "owner": [parent, dataset.name],
            "version": ["v1", "ui"],
        }
    )


ODD_SEGMENTS = st.sampled_from(
    ["..", ".", "%2F", "%2e%2e", "%00", "@", "@1", "-", "1" * 300, "%C3%A9", "%ZZ", "a:b", "%20", "%", "~", "0", "-1"]
)
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=20)
ODD = st.one_of(ODD_SEGMENTS, TEXT.map(lambda text: quote(text, safe="")))


def segment(seeds: Seeds, variable: str, pattern: str | None) -> st.SearchStrategy[str]:
    """A path variable: mostly the id of a real resource (looked up when drawn: a reset makes new ones), else odd."""
    known = st.integers(0, 1_000).map(lambda index: _known(seeds, variable, index))
    choices: list[st.SearchStrategy[str]] = [known, known, known, ODD]
    if pattern is not None and variable in ("name", "owner"):
        choices.append(st.from_regex(pattern, fullmatch=True).map(lambda text: quote(text, safe="/")))
    return st.one_of(choices)


def _known(seeds: Seeds, variable: str, index: int) -> str:
    values = seeds.values.get(variable) or ["unknown"]
    return values[index % len(values)]


def path_strategy(route: Route, seeds: Seeds) -> st.SearchStrategy[str]:
    """The route's template with each variable drawn (built once per route: strategies are costly to build)."""
    pieces: list[st.SearchStrategy[str]] = []
    position = 0
    for match in _VARIABLE.finditer(route.template):
        pieces.append(st.just(route.template[position : match.start()]))
        pieces.append(segment(seeds, match[1], match[2]))
        position = match.end()
    pieces.append(st.just(route.template[position:]))
    return st.tuples(*pieces).map("".join)


JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
    st.sampled_from(["gs://", "gs://b/../..", "bq://x", "NaN", "Infinity", "-1", "1e999", "9" * 40, "3.5s", "inf"]),
)


def keys_strategy() -> st.SearchStrategy[str]:
    known = sorted({key for body in valid_bodies().values() for key in _keys(body)} - _NEVER)
    return st.one_of(st.sampled_from(known), TEXT)  # without_waits drops a generated _NEVER key


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield key
            yield from _keys(child)
    elif isinstance(value, list):
        for child in value:
            yield from _keys(child)


KEYS = keys_strategy()
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(KEYS, children, max_size=3)),
    max_leaves=4,
)


@st.composite
def mutated(draw: st.DrawFn, body: Any) -> Any:
    """`body` with one leaf or subtree replaced (or removed), recursively chosen."""
    if isinstance(body, dict) and body and draw(st.integers(0, 3)):
        keys = sorted(body)
        key = keys[draw(st.integers(0, len(keys) - 1))]
        changed = dict(body)
        if draw(st.integers(0, 5)) == 0:
            del changed[key]
        else:
            changed[key] = draw(mutated(body[key]))
        return changed
    if isinstance(body, list) and body and draw(st.integers(0, 3)):
        index = draw(st.integers(0, len(body) - 1))
        return [*body[:index], draw(mutated(body[index])), *body[index + 1 :]]
    return draw(JSON_VALUES)


def without_waits(value: Any) -> Any:
    """Drop generated fields that would make later requests wait (see _NEVER)."""
    if isinstance(value, dict):
        return {k: without_waits(v) for k, v in value.items() if k not in _NEVER}
    if isinstance(value, list):
        return [without_waits(v) for v in value]
    return value


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


JSON_OBJECTS = st.dictionaries(KEYS, JSON_VALUES, max_size=4)
BROKEN_BODIES = st.sampled_from([b"", b"{", b"[]", b"null", b'{"a": NaN}', b"\xff\xfe", nested(60), b"[" * 5000])
BYTES = st.binary(max_size=64)


@st.composite
def body_of(draw: st.DrawFn, route: Route) -> bytes:
    valid = valid_bodies().get(route.rpc)
    kind = draw(st.integers(0, 9))
    if valid is not None and kind <= 3:
        value: Any = valid if kind == 0 else draw(mutated(valid))
        return json.dumps(without_waits(value)).encode()
    if kind <= 5:
        return json.dumps(without_waits(draw(JSON_OBJECTS))).encode()
    if kind == 6:
        return json.dumps(without_waits(draw(JSON_VALUES))).encode()
    if kind == 7:
        return draw(BROKEN_BODIES)
    if kind == 8:
        return draw(BYTES)
    return b"{}"


QUERY_KEYS = st.sampled_from(
    ["filter", "pageSize", "pageToken", "updateMask", "timeout", "$alt", "readMask", "x", "filter", "pageSize",
     "pipelineJobId"]
)
QUERY_VALUES = st.one_of(
    TEXT,
    st.sampled_from(
        [
            'display_name="\\x"',
            'displayName="a" AND labels.team:*',
            "state=JOB_STATE_SUCCEEDED",
            "labels.",
            '"',
            "0",
            "-1",
            "99999999999999999999999",
            "eyJhZnRlciI6IDEsICJmaWx0ZXIiOiAiIn0",
            "inf",
            "nan",
            "1e308s",
            "displayName,labels",
            "json;enum-encoding=int",
        ]
    ),
)


RAW_QUERIES = st.sampled_from(["%", "%ZZ", "a=%E9", "&&=&", "filter=%22%5C", "a" * 2000])
QUERY_PAIRS = st.lists(st.tuples(QUERY_KEYS, QUERY_VALUES), max_size=3)


@st.composite
def query_of(draw: st.DrawFn) -> str:
    if not draw(st.integers(0, 2)):
        return ""
    if not draw(st.integers(0, 9)):
        return "?" + draw(RAW_QUERIES)
    return "?" + urlencode(draw(QUERY_PAIRS))


@dataclass(frozen=True)
class FuzzRequest:
    method: str
    path: str
    body: bytes
    headers: dict[str, str]
    route: str


METHODS = st.sampled_from(["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"])
ANY_ROUTE = st.sampled_from(ROUTES)
CONTENT_TYPES = st.sampled_from(["text/plain", "application/json; charset=latin-1", ""])


@st.composite
def requests_for(draw: st.DrawFn, seeds: Seeds, port: int, paths: dict[str, st.SearchStrategy[str]]) -> FuzzRequest:
    route = draw(ANY_ROUTE)
    path = draw(paths[route.template]) if draw(st.integers(0, 19)) else "/" + quote(draw(TEXT), safe="/:")
    method = route.method if draw(st.integers(0, 5)) else draw(METHODS)
    headers = {"Content-Type": "application/json", "Host": f"127.0.0.1:{port}"}
    variant = draw(st.integers(0, 19))
    if variant == 0:
        headers["Content-Type"] = draw(CONTENT_TYPES)
    elif variant == 1:
        headers["Origin"] = draw(st.sampled_from(["http://evil.example", f"http://localhost:{port}", "null"]))
    elif variant == 2:
        headers["Host"] = draw(st.sampled_from(["evil.example", f"localhost:{port}", f"[::1]:{port}", ":"]))
    return FuzzRequest(method, path + draw(query_of()), draw(body_of(route)), headers, route.template)


class Client:
    """One keep-alive connection, reopened whenever the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def send(self, request: FuzzRequest) -> tuple[int, bytes]:
        """(status, body); status 0 when the connection failed (a reset, a dropped connection)."""
        try:
            return self._send(request)
        except (http.client.HTTPException, OSError) as err:
            self.connection.close()
            return 0, repr(err).encode()

    def _send(self, request: FuzzRequest) -> tuple[int, bytes]:
        connection = self.connection
        connection.putrequest(request.method, request.path, skip_host=True, skip_accept_encoding=True)
        for name, value in request.headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(request.body)))
        connection.endheaders(request.body)
        response = connection.getresponse()
        payload = response.read()
        if response.will_close:
            connection.close()
        return response.status, payload

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def fuzzed() -> Iterator[Emulator]:
    # Creates done at once: the fuzz seeds its resources again after every generated reset.
    with Emulator(runner="scheduled", create_operation_seconds=0) as emulator:
        yield emulator


def test_no_generated_request_gets_a_5xx(fuzzed: Emulator) -> None:
    seeds = seed(fuzzed)
    port = int(fuzzed.endpoint.rsplit(":", 1)[1])
    client = Client(port)
    sent: list[str] = []
    failures: list[str] = []
    paths = {route.template: path_strategy(route, seeds) for route in ROUTES}
    one = requests_for(seeds, port, paths)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(one, min_size=REQUESTS_PER_EXAMPLE, max_size=REQUESTS_PER_EXAMPLE))
    def run(batch: list[FuzzRequest]) -> None:
        wiped = False
        for request in batch:
            status, payload = client.send(request)
            sent.append(request.route)
            if (status >= 500 or status == 0) and _INJECTED.encode() not in payload:
                failures.append(
                    f"{status} {request.method} {request.path[:200]} {request.body[:200]!r}: {payload[:300]!r}"
                )
            wiped = wiped or (request.route == RESET and request.method == "POST" and status == 200)
        # Faults the fuzz set would answer everything 503 from now on: clear them between examples.
        fuzzed.control.clear_faults()
        if wiped:  # a generated reset removed the resources the paths name: make them again
            seeds.values.update(seed(fuzzed).values)

    run()
    client.close()
    assert failures == [], f"{len(failures)} answers >= 500, e.g. {failures[:5]}"
    assert len(sent) >= MINIMUM_REQUESTS
    assert set(sent) >= {route.template for route in ROUTES}
    assert fuzzed.control.health()["status"] == "ok"
    clients = gapic_clients(fuzzed.endpoint)
    created = clients.dataset.create_dataset(parent=location_parent(), dataset=bodies.dataset("after")).result(10)
    assert clients.dataset.get_dataset(name=created.name).display_name == "after"
