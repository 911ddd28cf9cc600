"""The command line: start the emulator, print one ready line, stop cleanly on SIGINT or SIGTERM.

Exit codes: 0 stopped cleanly; 1 could not start (e.g. the port is taken); 2 bad arguments; 3 the state
file under the data dir cannot be read (move it aside, or `--reset-state` to start empty on purpose).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType

from vertex_emulator._emulator import RUNNER_MODES, Emulator, exposure_warning
from vertex_emulator._limits import (
    DEFAULT_CREATE_OPERATION_SECONDS,
    DEFAULT_MAX_REPLICAS_PER_JOB,
    MAX_CONTROL_SECONDS,
    is_bounded_seconds,
)
from vertex_emulator._store import BrokenStateError
from vertex_emulator.runners import JobTiming

READY_PREFIX = "vertex-emulator ready"
EXIT_CANNOT_START = 1
EXIT_BROKEN_STATE = 3


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number of seconds") from None
    if not is_bounded_seconds(value):
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_CONTROL_SECONDS:g} seconds")
    return value


def _parser() -> argparse.ArgumentParser:
    # The same flags whether run as `python -m vertex_emulator` or as the installed `vertex-emulator` script.
    prog = "vertex-emulator" if os.path.basename(sys.argv[0]) == "vertex-emulator" else "python -m vertex_emulator"
    parser = argparse.ArgumentParser(prog=prog, description="A local Vertex AI v1 REST API.")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1; any other address lets the network run jobs on this machine)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also serve requests addressed to NAME or NAME:PORT (repeatable); by default only localhost, "
        "127.0.0.0/8 and [::1] on the emulator's port are served, against DNS rebinding",
    )
    parser.add_argument(
        "--reset-state",
        action="store_true",
        help="delete the state file and the storage under --data-dir and start empty (resources, operations "
        "and stored objects are lost)",
    )
    parser.add_argument(
        "--max-replicas-per-job",
        type=_positive_int,
        default=DEFAULT_MAX_REPLICAS_PER_JOB,
        help=f"replica processes one job may ask for (default {DEFAULT_MAX_REPLICAS_PER_JOB}); more is a quota "
        "error at create time",
    )
    parser.add_argument(
        "--create-operation-seconds",
        type=_seconds,
        default=DEFAULT_CREATE_OPERATION_SECONDS,
        metavar="N",
        help=f"a create's operation (CreateDataset, UploadModel) is pending for N seconds, as the real API's is "
        f"(default {DEFAULT_CREATE_OPERATION_SECONDS:g}; 0: done in the first answer)",
    )
    parser.add_argument("--port", type=int, default=8765, help="Vertex API port (default 8765; 0 picks one)")
    parser.add_argument("--storage-port", type=int, default=8766, help="GCS API port (default 8766; 0 picks one)")
    parser.add_argument("--data-dir", default=".vertex-emulator", help="state and storage directory")
    parser.add_argument(
        "--runner",
        choices=RUNNER_MODES,
        default="local",
        help="local (default): jobs really run as local processes; scheduled: nothing runs, jobs follow "
        "--job-mode (and ImportData only records its configs)",
    )
    parser.add_argument(
        "--job-mode",
        choices=["instant", "delay", "hold"],
        default="instant",
        help="how scheduled jobs (--runner scheduled) run until the control plane says otherwise",
    )
    parser.add_argument("--job-seconds", type=float, default=0.0, help="job duration for --job-mode delay")
    parser.add_argument("--job-outcome", choices=["succeed", "fail"], default="succeed")
    parser.add_argument("--log-level", default="WARNING")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    timing = JobTiming(mode=args.job_mode, seconds=args.job_seconds, outcome=args.job_outcome)
    emulator = Emulator(
        args.data_dir,
        host=args.host,
        port=args.port,
        storage_port=args.storage_port,
        runner=args.runner,
        job_timing=timing,
        allowed_hosts=args.allow_host,
        reset_state=args.reset_state,
        max_replicas_per_job=args.max_replicas_per_job,
        create_operation_seconds=args.create_operation_seconds,
    )
    warning = exposure_warning(args.host)
    if warning is not None:
        print(warning, file=sys.stderr, flush=True)
    try:
        emulator.start()
    except BrokenStateError as err:
        print(f"vertex-emulator: cannot start: {err}", file=sys.stderr)
        return EXIT_BROKEN_STATE
    except OSError as err:
        print(f"vertex-emulator: cannot start: {err}", file=sys.stderr)
        return EXIT_CANNOT_START
    try:
        print(
            f"{READY_PREFIX}: api={emulator.endpoint} storage={emulator.storage_host} data_dir={emulator.data_dir} "
            f"runner={args.runner}",
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    finally:
        emulator.close()
    return 0
