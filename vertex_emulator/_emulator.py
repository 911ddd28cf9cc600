"""The emulator as one object: state, storage, runner and the two HTTP endpoints, started and stopped together."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Literal

from vertex_emulator._backend import Backend
from vertex_emulator._control_plane import ROUTES as CONTROL_ROUTES
from vertex_emulator._errors import Unavailable, error_envelope
from vertex_emulator._guard import is_loopback_address, normalize_allowed_hosts
from vertex_emulator._handlers import ROUTES as API_ROUTES
from vertex_emulator._http import HttpServer, RequestPolicy
from vertex_emulator._jobs import JobLifecycle
from vertex_emulator._limits import DEFAULT_CREATE_OPERATION_SECONDS, DEFAULT_MAX_REPLICAS_PER_JOB, is_bounded_seconds
from vertex_emulator._local_runner import LocalRunner
from vertex_emulator._operations import Operations
from vertex_emulator._routing import Router
from vertex_emulator._scheduler import Scheduler
from vertex_emulator._serving import JSON_CONTENT_TYPE
from vertex_emulator._store import Store, remove_state
from vertex_emulator.control import ControlClient
from vertex_emulator.execution import stop_orphaned_processes
from vertex_emulator.runners import JobTiming, RunnerContext, RunnerFactory, ScheduledRunner
from vertex_emulator.storage import ObjectStorage

_log = logging.getLogger(__name__)
_API_ROUTER = Router(API_ROUTES)
_CONTROL_ROUTER = Router(CONTROL_ROUTES, counted=False)
_CONTROL_PREFIX = "/_emulator/"
STATE_FILE = "state.sqlite3"
RunnerMode = Literal["local", "scheduled"]
RUNNER_MODES: tuple[RunnerMode, ...] = ("local", "scheduled")


def _bound_names(host: str) -> list[str]:
    """A specific address the emulator binds is a name it is reached by (an address, never rebound by DNS)."""
    if host in ("", "0.0.0.0", "::") or is_loopback_address(host):
        return []
    return [host]


def exposure_warning(host: str) -> str | None:
    """What binding `host` exposes, or None for a loopback address."""
    if is_loopback_address(host):
        return None
    return (
        f"vertex-emulator: WARNING: --host {host} is not a loopback address: anyone who can reach this machine on "
        "the API port can create jobs that run commands as this user, read and change every resource, and reset "
        "the emulator, and on the storage port read and overwrite every object. There is no authentication. "
        "Prefer 127.0.0.1 (the default) and a tunnel."
    )


class Emulator:
    """A local Vertex AI: `with Emulator() as emu: ...` then point clients at `emu.endpoint`.

    data_dir: where state (SQLite) and storage live; None means a temporary dir removed on close.
    port / storage_port: 0 picks free ports.
    runner: "local" (the default: jobs really run as local processes, datasets read their files) or
    "scheduled" (nothing runs: jobs follow `job_timing`, ImportData only records its configs).
    job_timing: the scheduled runner's default for every kind (the control plane can change it; with the
    local runner, a kind whose timing the control plane sets is scheduled). runner_factory: plugs in another
    JobRunner instead of the local one (see `runners`).
    allowed_hosts: names (`NAME` or `NAME:PORT`) served besides loopback ones, e.g. a hostname the emulator is
    reached by from a container (see "Threat model" in docs/emulator.md); the address bound is always served.
    reset_state: delete the state file and the storage first and start empty (a state file or storage index
    that cannot be read otherwise makes `start` raise BrokenStateError). max_replicas_per_job: the most replica
    processes one job may ask for. create_operation_seconds: how long a create's operation (CreateDataset,
    UploadModel) stays pending, as the real API's do (0: done in the first answer; the control plane's
    `set_operation_timing` overrides it until a reset).
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        storage_port: int = 0,
        runner: RunnerMode = "local",
        job_timing: JobTiming | None = None,
        runner_factory: RunnerFactory | None = None,
        allowed_hosts: Iterable[str] = (),
        reset_state: bool = False,
        max_replicas_per_job: int = DEFAULT_MAX_REPLICAS_PER_JOB,
        create_operation_seconds: float = DEFAULT_CREATE_OPERATION_SECONDS,
    ) -> None:
        if runner not in RUNNER_MODES:
            raise ValueError(f"runner must be one of {RUNNER_MODES}, not {runner!r}")
        self._temporary = data_dir is None
        self.data_dir = Path(tempfile.mkdtemp(prefix="vertex-emulator-") if data_dir is None else data_dir).resolve()
        self.host = host
        self.allowed_hosts = normalize_allowed_hosts([*allowed_hosts, *_bound_names(host)])
        self._reset_state = reset_state
        if max_replicas_per_job < 1:
            raise ValueError("max_replicas_per_job must be at least 1")
        self.max_replicas_per_job = max_replicas_per_job
        if not is_bounded_seconds(create_operation_seconds):
            raise ValueError("create_operation_seconds must be a number of seconds between 0 and a day")
        self.create_operation_seconds = float(create_operation_seconds)
        self._port = port
        self._storage_port = storage_port
        self._job_timing = job_timing or JobTiming()
        self.runner_mode = runner
        self._runner_factory: RunnerFactory | None = runner_factory
        if runner_factory is None and runner == "local":
            self._runner_factory = LocalRunner
        self._backend: Backend | None = None
        self._servers: list[HttpServer] = []
        self._scheduler: Scheduler | None = None

    # -- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> Emulator:
        try:
            return self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> Emulator:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        state_file = self.data_dir / STATE_FILE
        if self._reset_state:
            remove_state(state_file)
        store = Store(state_file)
        try:
            storage = ObjectStorage(self.data_dir / "storage", reset=self._reset_state)
        except BaseException:  # e.g. a damaged storage index: the state opened so far is closed, not leaked
            store.close()
            raise
        self._scheduler = Scheduler()
        backend_ref: list[Backend] = []
        jobs = JobLifecycle(store, lambda: backend_ref[0].active_runner())
        scheduled = ScheduledRunner(jobs)
        backend = Backend(
            store=store,
            storage=storage,
            jobs=jobs,
            operations=Operations(store, self._scheduler, self.create_operation_seconds),
            scheduled=scheduled,
            data_dir=self.data_dir,
            default_timing=self._job_timing,
            reads_data=self.runner_mode == "local",
            max_replicas_per_job=self.max_replicas_per_job,
        )
        backend_ref.append(backend)
        self._backend = backend
        backend.load_timings()
        # Before restart recovery marks interrupted jobs FAILED: stop the processes a killed emulator left running
        # (every replica's group, pip installs, model servers), so a job shown FAILED has nothing left running.
        stop_orphaned_processes(self.data_dir / "jobs")
        jobs.recover_after_restart()
        backend.operations.resume()
        backend.storage_host = storage.serve(self.host, self._storage_port, self.allowed_hosts)
        api = HttpServer(self.host, self._port, self._app, RequestPolicy(allowed_hosts=self.allowed_hosts))
        self._servers = [api]
        backend.endpoint = f"http://{self.host}:{api.port}"
        if self._runner_factory is not None:
            backend.runner = self._runner_factory(
                RunnerContext(jobs, storage, self.data_dir, backend.storage_host, scheduled, backend.endpoint)
            )
        api.start()
        return self

    def close(self) -> None:
        backend, self._backend = self._backend, None
        for server in self._servers:
            server.close()
        self._servers = []
        if backend is not None:
            if backend.runner is not None:
                backend.runner.close()
            backend.scheduled.close()
            backend.storage.close()
            if self._scheduler is not None:
                self._scheduler.close()
            backend.store.close()
        if self._temporary:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # -- what callers use ----------------------------------------------------------------------------
    @property
    def backend(self) -> Backend:
        if self._backend is None:
            raise RuntimeError("the emulator is not running")
        return self._backend

    @property
    def endpoint(self) -> str:
        """The Vertex API base URL, e.g. http://127.0.0.1:8765 (the GAPIC `api_endpoint`)."""
        return self.backend.endpoint

    @property
    def storage_host(self) -> str:
        """The GCS endpoint, the value for STORAGE_EMULATOR_HOST."""
        return self.backend.storage_host

    @property
    def storage(self) -> ObjectStorage:
        return self.backend.storage

    @property
    def scheduled_runner(self) -> ScheduledRunner:
        return self.backend.scheduled

    @property
    def control(self) -> ControlClient:
        return ControlClient(self.endpoint)

    def _app(self, method: str, target: str, body: bytes) -> tuple[int, str, bytes]:
        backend = self._backend
        if backend is None:
            stopping = Unavailable("The emulator is stopping.")
            return stopping.http_status, JSON_CONTENT_TYPE, json.dumps(error_envelope(stopping)).encode()
        router = _CONTROL_ROUTER if target.startswith(_CONTROL_PREFIX) else _API_ROUTER
        response = router.dispatch(backend, method, target, body)
        return response.status, response.content_type, response.body
