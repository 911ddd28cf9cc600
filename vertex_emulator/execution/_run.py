"""Outcomes and the background-thread life cycle every run shares: ``start`` / ``wait`` / ``cancel``."""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Generic, TypeVar

from google.rpc import code_pb2

from ._errors import ExecutionError

_log = logging.getLogger(__name__)


class RunState(str, Enum):
    """Terminal states; the names match JobState / PipelineState without their prefix."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """How a run ended. ``error`` is the resource's ``error`` field (None when it succeeded)."""

    state: RunState
    error_code: int = 0
    error_message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.state is RunState.SUCCEEDED

    @property
    def error(self) -> dict[str, Any] | None:
        if self.state is RunState.SUCCEEDED:
            return None
        return {"code": self.error_code, "message": self.error_message}

    def resource_fields(self) -> dict[str, Any]:
        """Output fields for the job resource (proto JSON), e.g. ``trials`` or ``completionStats``."""
        return {}


OutcomeT = TypeVar("OutcomeT", bound=Outcome)


def rfc3339_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class BackgroundRun(ABC, Generic[OutcomeT]):
    """Runs ``_execute`` in a daemon thread. Never raises out of ``wait``: errors become FAILED outcomes.

    ``start(on_done)`` returns at once; ``on_done(outcome)`` is called from the run's thread when it ends.
    ``cancel()`` is safe from any thread, at any time, any number of times.
    """

    _thread_name = "vertex-run"

    def __init__(self) -> None:
        self._cancel_requested = threading.Event()
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None
        self._outcome: OutcomeT | None = None
        self._on_done: Callable[[OutcomeT], None] | None = None

    # -- public life cycle ----------------------------------------------------------------------
    def start(self, on_done: Callable[[OutcomeT], None] | None = None) -> None:
        if self._thread is not None:
            raise RuntimeError("a run can be started only once")
        self._on_done = on_done
        self._thread = threading.Thread(target=self._main, name=self._thread_name, daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> OutcomeT | None:
        """The outcome, or None if the run is still going after ``timeout`` seconds."""
        if self._thread is None:
            raise RuntimeError("the run was not started")
        self._finished.wait(timeout)
        return self._outcome

    def run(self) -> OutcomeT:
        """Start and wait: the blocking form, for scripts and tests."""
        self.start()
        outcome = self.wait()
        assert outcome is not None
        return outcome

    def cancel(self) -> None:
        self._cancel_requested.set()
        self._on_cancel()

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    @property
    def outcome(self) -> OutcomeT | None:
        return self._outcome

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_requested.is_set()

    # -- for subclasses -------------------------------------------------------------------------
    @abstractmethod
    def _execute(self) -> OutcomeT:
        """Do the work; check ``cancel_requested`` at safe points and return a CANCELLED outcome."""

    @abstractmethod
    def _ended(self, state: RunState, code: int, message: str) -> OutcomeT:
        """An outcome of this run's type without results (failures, cancels)."""

    def _on_cancel(self) -> None:
        """Stop what is running now (kill processes); called from the cancelling thread."""

    def _cancelled(self) -> OutcomeT:
        return self._ended(RunState.CANCELLED, code_pb2.CANCELLED, "The job was cancelled.")

    # -- internals ------------------------------------------------------------------------------
    def _main(self) -> None:
        try:
            outcome = self._execute()
        except ExecutionError as error:
            outcome = self._ended(RunState.FAILED, error.code, error.message)
        except Exception as error:  # a bug here must still end the job, with a message
            _log.exception("run failed unexpectedly")
            outcome = self._ended(RunState.FAILED, code_pb2.INTERNAL, f"Internal error in the emulator: {error!r}")
        if self.cancel_requested and outcome.state is RunState.FAILED:
            # Failures caused by the cancel itself (killed processes) are the cancel.
            outcome = replace(outcome, state=RunState.CANCELLED, error_code=code_pb2.CANCELLED,
                              error_message="The job was cancelled.")
        self._outcome = outcome
        self._finished.set()
        if self._on_done is not None:
            try:
                self._on_done(outcome)
            except Exception:
                _log.exception("on_done callback failed")
