"""Batch prediction replicas: ``dedicatedResources.startingReplicaCount`` processes sharing one input.

Each replica is its own process that loads the model file and turns blocks of whole input records into output
lines: parse, predict in batches of ``batchSize``, format. Replicas are forked by one replica server per
emulator (``_replica_server``, started on first use with numpy, joblib and scikit-learn imported), so a
replica starts in milliseconds, not in the seconds those imports take. The job's thread only cuts the input
into blocks (``InstanceReader.blocks``), hands each to a replica with room (at most two blocks queued per
replica) and appends what comes back to that replica's own results and errors files, as Vertex AI shards its
output by worker. Memory is bounded by the blocks in flight, whatever the input size.

A replica ends when the job tells it, when its socket closes, or when the replica server dies (SIGKILL through
PR_SET_PDEATHSIG); the server ends when the emulator closes its channel or exits. None outlives the emulator.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import io
import itertools
import json
import os
import queue
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, BinaryIO, cast

from . import _errors
from ._errors import DependencyError, ExecutionError
from ._instances import Instance, RecordParser
from ._predictors import InProcessPredictor, InstanceError, Predictor
from ._processes import log_tail

BLOCK_BYTES = 256 * 1024
_QUEUED_PER_REPLICA = 2
_POLL_SECONDS = 0.05
_STOP_SECONDS = 5.0
_MESSAGE_BYTES = 65536
_SERVER_START_SECONDS = 300.0
_PR_SET_PDEATHSIG = 1
_ERRORS: dict[str, type[ExecutionError]] = {
    name: kind for name, kind in vars(_errors).items() if isinstance(kind, type) and issubclass(kind, ExecutionError)
}


def predict_batch(predictor: Predictor, batch: Sequence[Instance], results: list[str], errors: list[str]) -> None:
    """Output lines of one batch, appended to ``results`` and ``errors``; raises ``ExecutionError`` (lines
    appended so far kept) when the model itself is gone."""
    for instance in batch:
        if instance.error is not None:
            errors.append(error_line(instance, "INVALID_ARGUMENT", instance.error))
    ready = [instance for instance in batch if instance.error is None]
    for instance, prediction in _predict(predictor, ready, errors):
        results.append(f"{instance.output_head}{json.dumps(prediction)}}}\n")


def _predict(predictor: Predictor, instances: list[Instance], errors: list[str]) -> Iterator[tuple[Instance, Any]]:
    """Predict the batch; if the model rejects it, predict one by one so only bad instances fail."""
    if not instances:
        return
    try:
        predictions = predictor.predict([instance.model_input for instance in instances])
    except InstanceError as batch_error:
        if len(instances) == 1:
            errors.append(error_line(instances[0], batch_error.status, str(batch_error)))
            return
        for instance in instances:
            yield from _predict(predictor, [instance], errors)
        return
    yield from zip(instances, predictions, strict=True)


def error_line(instance: Instance, status: str, message: str) -> str:
    error = json.dumps({"status": status, "message": message})
    return f'{{"instance": {instance.echo}, "error": {error}}}\n'


def batches(instances: Iterator[Instance], size: int) -> Iterator[list[Instance]]:
    batch: list[Instance] = []
    for instance in instances:
        batch.append(instance)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class ReplicaPool:
    """``count`` replica processes of one job; ``run`` streams the blocks through them."""

    def __init__(
        self,
        count: int,
        model_path: Path,
        parser: tuple[str, dict[str, Any]],
        batch_size: int,
        *,
        log_dir: Path,
        cancel: threading.Event,
    ) -> None:
        self.count = count
        self.succeeded = self.failed = self.incomplete = 0
        self._cancel = cancel
        self._replicas: list[_Replica] = []
        log_dir.mkdir(parents=True, exist_ok=True)
        try:
            for index in range(count):
                spec = {"model": str(model_path), "parser": list(parser), "batch_size": batch_size,
                        "log": str(log_dir / f"replica-{index}.log")}
                self._replicas.append(_server.start_replica(spec))
            for index in range(count):
                self._expect_ready(index)
        except BaseException:
            self.close()
            raise

    def _expect_ready(self, index: int) -> None:
        replica = self._replicas[index]
        while not replica.connection.poll(_POLL_SECONDS):
            if self._cancel.is_set():
                return
            if not replica.alive():
                raise self._gone(index)
        try:
            message = replica.connection.recv()
        except (EOFError, OSError):
            raise self._gone(index) from None
        self._check(index, message)

    @staticmethod
    def _check(index: int, message: tuple[Any, ...]) -> None:
        if message[0] == "error":
            kind, text = message[1], message[2]
            raise _ERRORS.get(kind, ExecutionError)(text if kind in _ERRORS else f"Replica {index}: {kind}: {text}")

    def run(
        self, blocks: Iterator[tuple[list[str] | None, bytes]], outputs: Sequence[tuple[BinaryIO, BinaryIO]]
    ) -> bool:
        """Predict every block; replica i's lines go to ``outputs[i]`` (results, errors). True if cancelled.
        Counts are in ``succeeded``, ``failed`` and ``incomplete`` (records in blocks no replica answered)."""
        queued: list[list[int]] = [[] for _ in self._replicas]  # per replica: line counts of blocks in flight
        exhausted = False
        by_connection = {replica.connection: index for index, replica in enumerate(self._replicas)}
        try:
            while True:
                if self._cancel.is_set():
                    self.incomplete += sum(map(sum, queued))
                    return True
                for depth, (index, replica) in itertools.product(range(_QUEUED_PER_REPLICA), enumerate(self._replicas)):
                    if exhausted or len(queued[index]) > depth:
                        continue  # one block to each replica with room, then a second one to each
                    block = next(blocks, None)
                    if block is None:
                        exhausted = True
                        continue
                    try:
                        replica.connection.send(("block", block[0], block[1]))
                    except OSError:
                        raise self._gone(index) from None
                    queued[index].append(block[1].count(b"\n") or 1)
                if exhausted and not any(queued):
                    return False
                for ready in wait(list(by_connection), _POLL_SECONDS):
                    index = by_connection[cast(Connection, ready)]
                    try:
                        message = self._replicas[index].connection.recv()
                    except (EOFError, OSError):
                        raise self._gone(index) from None
                    self._check(index, message)
                    _, results, errors, succeeded, failed = message
                    queued[index].pop(0)
                    results_file, errors_file = outputs[index]
                    results_file.write(results)
                    errors_file.write(errors)
                    self.succeeded += succeeded
                    self.failed += failed
        except ExecutionError:
            self.incomplete += sum(map(sum, queued))
            raise

    def _gone(self, index: int) -> DependencyError:
        log = Path(self._replicas[index].log)
        return DependencyError(
            f"Replica {index} of the batch prediction stopped. Last lines of its log ({log}):\n{log_tail(log)}"
        )

    def close(self) -> None:
        """Tell every replica to end; kill those that have not within a few seconds (at once if cancelled)."""
        for replica in self._replicas:
            with contextlib.suppress(OSError, ValueError):
                replica.connection.send(("stop",))
        deadline = time.monotonic() + (0.0 if self._cancel.is_set() else _STOP_SECONDS)
        for replica in self._replicas:
            while replica.alive() and time.monotonic() < deadline:
                time.sleep(0.01)
            replica.kill()
        # SIGKILL is delivered asynchronously: a job reported ended has no replica left.
        deadline = time.monotonic() + _STOP_SECONDS
        while any(replica.alive() for replica in self._replicas) and time.monotonic() < deadline:
            time.sleep(0.01)
        for replica in self._replicas:
            replica.release()
        self._replicas = []


class _Replica:
    """A replica process (not our child: the server's). Through a pidfd where there is one (Linux), so that a
    pid reused after the replica ended is never signalled; else the pid (the server reaps replicas at once)."""

    def __init__(self, pid: int, connection: Connection, log: str) -> None:
        self.pid, self.connection, self.log = pid, connection, log
        self._pidfd: int | None = None
        with contextlib.suppress(AttributeError, OSError):
            self._pidfd = os.pidfd_open(pid)

    def alive(self) -> bool:
        if self._pidfd is not None:
            return not select.select([self._pidfd], [], [], 0)[0]  # readable once the process ended
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            elif self.alive():
                os.kill(self.pid, signal.SIGKILL)

    def release(self) -> None:
        self.connection.close()
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None


class _ReplicaServer:
    """The emulator's one ``python -m vertex_emulator.execution._replica_server``: forks a replica per request
    (a socket for the replica passed along with the request); started on first use, again if it died."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: socket.socket | None = None

    def start_replica(self, spec: dict[str, Any]) -> _Replica:
        ours, theirs = socket.socketpair()
        reply = b""
        try:
            with self._lock:
                for _ in range(2):  # a server that died (or was killed) is started again, once
                    channel = self._open()
                    try:
                        socket.send_fds(channel, [json.dumps(spec).encode()], [theirs.fileno()])
                        reply = channel.recv(_MESSAGE_BYTES)
                    except OSError:
                        reply = b""
                    if reply:
                        break
                    self.close()
        finally:
            theirs.close()
        if not reply:
            ours.close()
            raise DependencyError(
                "The batch prediction replica server did not answer (its error is in the emulator's output)"
            )
        return _Replica(int(json.loads(reply)["pid"]), Connection(ours.detach()), str(spec["log"]))

    def _open(self) -> socket.socket:
        """The channel to a running server; the emulator's own interpreter runs it (replicas run its code)."""
        if self._process is not None and self._process.poll() is None and self._channel is not None:
            return self._channel
        self.close()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        package_root = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "vertex_emulator.execution._replica_server", str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": path},
            )
        except OSError as error:
            ours.close()
            raise DependencyError(f"The batch prediction replica server could not start: {error}") from None
        finally:
            theirs.close()
        ours.settimeout(_SERVER_START_SECONDS)  # the first request waits for the server's imports
        self._channel = ours
        return ours

    def close(self) -> None:
        """End the server (its running replicas die with it)."""
        if self._channel is not None:
            self._channel.close()  # the server ends at EOF
            self._channel = None
        if self._process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(_STOP_SECONDS)
            if self._process.poll() is None:
                self._process.kill()
                self._process.wait()
            self._process = None


_server = _ReplicaServer()
atexit.register(_server.close)  # it would end at exit anyway (EOF); this way nothing is left to reap


def serve(channel: socket.socket) -> None:
    """The replica server's loop: fork a replica for each request, until the emulator closes the channel."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # replicas are reaped at once; nothing waits for them
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the emulator's terminal: the emulator ends us
    server = os.getpid()
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(channel, _MESSAGE_BYTES, 1)
        except OSError:
            return
        if not message or not fds:
            return
        pid = os.fork()
        if pid == 0:
            channel.close()
            _replica_process(json.loads(message), fds[0], server)
        os.close(fds[0])
        channel.send(json.dumps({"pid": pid}).encode())


def _replica_process(spec: dict[str, Any], fd: int, server: int) -> None:
    """The forked replica; never returns."""
    code = 0
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()  # its own group, off the emulator's terminal
        with contextlib.suppress(OSError, AttributeError):  # Linux: SIGKILL when the server goes
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != server:
            os._exit(1)
        log = os.open(spec["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        _replica_main(Connection(fd), spec["model"], tuple(spec["parser"]), int(spec["batch_size"]))
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _replica_main(connection: Connection, model_path: str, parser: tuple[Any, ...], batch_size: int) -> None:
    """A replica: load the model, then answer blocks until told to stop or the job is gone."""
    try:
        predictor = InProcessPredictor(Path(model_path))
    except ExecutionError as error:
        connection.send(("error", type(error).__name__, error.message))
        return
    except Exception as error:  # what unpickling a model raises
        connection.send(("error", type(error).__name__, str(error)))
        return
    connection.send(("ready",))
    records = RecordParser(*parser)
    # A thread takes blocks off the socket while this one predicts, so the job's thread never blocks sending a
    # block while this one blocks sending an answer (at most _QUEUED_PER_REPLICA blocks are in flight).
    inbox: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
    threading.Thread(target=_receive, args=(connection, inbox), daemon=True).start()
    while True:
        message = inbox.get()
        if message is None or message[0] != "block":
            return
        try:
            answer = _answer(predictor, records, batch_size, message[1], message[2])
        except Exception as error:
            connection.send(("error", type(error).__name__, str(error)))
            return
        try:
            connection.send(("done", *answer))
        except OSError:
            return


def _receive(connection: Connection, inbox: queue.SimpleQueue[tuple[Any, ...] | None]) -> None:
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            inbox.put(None)
            return
        inbox.put(message)
        if message[0] != "block":
            return


def _answer(
    predictor: Predictor, records: RecordParser, batch_size: int, header: list[str] | None, data: bytes
) -> tuple[bytes, bytes, int, int]:
    results: list[str] = []
    errors: list[str] = []
    for batch in batches(records.parse(io.BytesIO(data), header), batch_size):
        predict_batch(predictor, batch, results, errors)
    return "".join(results).encode(), "".join(errors).encode(), len(results), len(errors)
