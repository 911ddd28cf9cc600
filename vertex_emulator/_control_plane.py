"""The control plane under `/_emulator/` (not part of the Vertex API; never counted or faulted).

GET    /_emulator/health                -> {"status": "ok", "endpoint", "storage_emulator_host", "data_dir", "runner"}
POST   /_emulator/reset                 wipe resources, operations, storage, faults, counters and settings
GET    /_emulator/config                -> {"jobs": {kind: timing}, "operations": {"seconds", "create_seconds"}}
POST   /_emulator/config/jobs           {"kind": "*" | "trainingPipelines" | "customJobs" |
                                         "hyperparameterTuningJobs" | "batchPredictionJobs",
                                         "mode": "instant" | "delay" | "hold", "seconds", "outcome":
                                         "succeed" | "fail", "error_code", "error_message", "cancel_seconds"}
POST   /_emulator/config/operations     {"seconds": delay before every operation is done; null: the defaults
                                         (creates pending for the emulator's create_seconds, others done at once)}
GET    /_emulator/jobs/held             -> {"names": [...]}
POST   /_emulator/jobs/release          {"name", "outcome"?} (404 when the job is not held)
GET    /_emulator/faults                -> {"rules": [...]}
POST   /_emulator/faults                {"rules": [rule, ...], "seed"?} or one rule; rule = {"rpc", "fraction" |
                                         "count", "status": "UNAVAILABLE" | "RESOURCE_EXHAUSTED" |
                                         "PERMISSION_DENIED" | "NOT_FOUND" | "INVALID_ARGUMENT" |
                                         "FAILED_PRECONDITION" | null, "message"?, "latency_seconds", "after"}
DELETE /_emulator/faults                clear every rule
GET    /_emulator/counters              -> {"requests": {rpc: n}, "faults": {rpc: n}}
DELETE /_emulator/counters              zero the counters
"""

from __future__ import annotations

from typing import Any

from vertex_emulator import _protos
from vertex_emulator._backend import Backend
from vertex_emulator._errors import InvalidArgument, NotFound
from vertex_emulator._faults import FaultRule
from vertex_emulator._handlers import ROUTES as API_ROUTES
from vertex_emulator._limits import finite_seconds
from vertex_emulator._routing import Reply, Request, Route
from vertex_emulator.runners import JobKind, JobTiming

JsonDict = dict[str, Any]
_ROOT = "/_emulator"


def _payload(request: Request) -> JsonDict:
    return _protos.load_json_object(request.body, "control request")


def health(backend: Backend, request: Request) -> Reply:
    return Reply(
        payload={
            "status": "ok",
            "endpoint": backend.endpoint,
            "storage_emulator_host": backend.storage_host,
            "data_dir": str(backend.data_dir),
            "runner": type(backend.active_runner()).__name__,
        }
    )


def reset(backend: Backend, request: Request) -> Reply:
    runner = backend.active_runner()
    for name in backend.jobs.active_jobs():
        runner.cancel(name)
    backend.store.wipe()
    backend.storage.wipe()
    backend.faults.clear()
    backend.faults.reset_counters()
    backend.operations.set_delay(None)
    backend.load_timings()
    return Reply(payload={"status": "ok"})


def _config(backend: Backend) -> JsonDict:
    return {
        "jobs": {kind.value: timing.to_json() for kind, timing in backend.scheduled.timings().items()},
        "operations": {
            "seconds": backend.operations.delay_seconds,
            "create_seconds": backend.operations.create_seconds,
        },
    }


def get_config(backend: Backend, request: Request) -> Reply:
    return Reply(payload=_config(backend))


def set_job_timing(backend: Backend, request: Request) -> Reply:
    payload = _payload(request)
    kind_text = payload.pop("kind", "*")
    try:
        kind = None if kind_text in ("*", "all", "") else JobKind(kind_text)
        timing = JobTiming.from_json(payload)
    except (TypeError, ValueError) as err:
        raise InvalidArgument(f"Invalid job timing: {err}") from err
    backend.scheduled.configure(timing, kind)
    backend.save_timings()
    return Reply(payload=_config(backend))


def set_operation_timing(backend: Backend, request: Request) -> Reply:
    value = _payload(request).get("seconds", 0.0)
    backend.operations.set_delay(None if value is None else finite_seconds(value, "Operation timing seconds"))
    return Reply(payload=_config(backend))


def held(backend: Backend, request: Request) -> Reply:
    return Reply(payload={"names": backend.scheduled.held()})


def release(backend: Backend, request: Request) -> Reply:
    payload = _payload(request)
    outcome = payload.get("outcome")
    if outcome not in (None, "succeed", "fail"):
        raise InvalidArgument("outcome must be succeed or fail.")
    name = str(payload.get("name", ""))
    if not backend.scheduled.release(name, outcome):
        raise NotFound(f"No held job named {name!r}.")
    return Reply(payload={"released": name})


def get_faults(backend: Backend, request: Request) -> Reply:
    return Reply(payload={"rules": [rule.to_json() for rule in backend.faults.rules()]})


def add_faults(backend: Backend, request: Request) -> Reply:
    payload = _payload(request)
    raw_rules = payload.get("rules", [payload] if "rules" not in payload else [])
    seed = payload.get("seed") if "rules" in payload else None
    try:
        rules = [FaultRule.from_json(dict(r.items())) for r in raw_rules]
    except (TypeError, ValueError, AttributeError) as err:
        raise InvalidArgument(f"Invalid fault rule: {err}") from err
    known = {route.rpc for route in API_ROUTES}
    unknown = sorted({rule.rpc for rule in rules if rule.rpc and rule.rpc not in known})
    if unknown:
        raise InvalidArgument(f"Unknown RPC name(s) {unknown}; known: {', '.join(sorted(known))}.")
    backend.faults.add(rules, seed)
    return get_faults(backend, request)


def clear_faults(backend: Backend, request: Request) -> Reply:
    backend.faults.clear()
    return Reply(payload={"rules": []})


def counters(backend: Backend, request: Request) -> Reply:
    return Reply(payload=backend.faults.counters())


def reset_counters(backend: Backend, request: Request) -> Reply:
    backend.faults.reset_counters()
    return Reply(payload=backend.faults.counters())


ROUTES = [
    Route("GET", f"{_ROOT}/health", "health", health),
    Route("POST", f"{_ROOT}/reset", "reset", reset),
    Route("GET", f"{_ROOT}/config", "config", get_config),
    Route("POST", f"{_ROOT}/config/jobs", "config", set_job_timing),
    Route("POST", f"{_ROOT}/config/operations", "config", set_operation_timing),
    Route("GET", f"{_ROOT}/jobs/held", "held", held),
    Route("POST", f"{_ROOT}/jobs/release", "release", release),
    Route("GET", f"{_ROOT}/faults", "faults", get_faults),
    Route("POST", f"{_ROOT}/faults", "faults", add_faults),
    Route("DELETE", f"{_ROOT}/faults", "faults", clear_faults),
    Route("GET", f"{_ROOT}/counters", "counters", counters),
    Route("DELETE", f"{_ROOT}/counters", "counters", reset_counters),
]
