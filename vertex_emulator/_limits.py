"""The emulator's limits, in one place: request sizes, nesting, time spans, replicas per job.

The real API refuses oversized and malformed requests too; here each limit is chosen so that no request a
Google client sends legitimately comes near it, while no request can exhaust the machine or a thread.
"""

from __future__ import annotations

import math

from vertex_emulator._errors import InvalidArgument

MAX_BODY_BYTES = 10 * 1024 * 1024  # a request body over this is 413
MAX_JSON_DEPTH = 32  # objects and arrays nested deeper are 400 (the deepest real body nests about 12)
LISTEN_BACKLOG = 1024  # connections the kernel queues before the server accepts them
IDLE_TIMEOUT_SECONDS = 60.0  # a keep-alive connection with no new request is closed after this
BODY_TIMEOUT_SECONDS = 10.0  # a client that announced a body and stops sending it is cut off after this
MAX_WAIT_SECONDS = 3600.0  # WaitOperation's timeout is capped at this (the real API caps it too)
MAX_CONTROL_SECONDS = 86_400.0  # control-plane delays and latencies: at most a day
DEFAULT_CREATE_OPERATION_SECONDS = 1.0  # a create's operation is pending this long (the real API's is, recorded)
DEFAULT_MAX_REPLICAS_PER_JOB = 8  # replica processes one job (or one round of tuning trials) may start


def is_bounded_seconds(value: object, maximum: float = MAX_CONTROL_SECONDS) -> bool:
    """A real number (not a bool) in [0, maximum]: no NaN, no infinity."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0.0 <= value <= maximum
    )


def finite_seconds(value: object, what: str, *, maximum: float = MAX_CONTROL_SECONDS) -> float:
    """`value` as a number of seconds in [0, maximum]; INVALID_ARGUMENT for NaN, infinities, negatives, text."""
    if isinstance(value, bool):
        raise InvalidArgument(f"{what} must be a number of seconds, not {value!r}.")
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError) as err:
        raise InvalidArgument(f"{what} must be a number of seconds, not {value!r}.") from err
    if not math.isfinite(seconds) or not 0.0 <= seconds <= maximum:
        raise InvalidArgument(f"{what} must be between 0 and {maximum:g} seconds, not {value!r}.")
    return seconds
