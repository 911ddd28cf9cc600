"""`python -m vertex_emulator` as a real process: the ready line, clean stops, and durability across SIGKILL."""

from __future__ import annotations

import signal
import socket
import threading
from pathlib import Path

import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from tests.vertex_emulator import bodies
from tests.vertex_emulator.bodies import JobState, PipelineState
from vertex_emulator.testing import EmulatorProcess, gapic_clients, location_parent, wait_until

SCHEDULED = ("--runner", "scheduled")  # these tests hold and count jobs: nothing needs to really run


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_prints_one_ready_line_and_stops_cleanly(tmp_path: Path, sig: int) -> None:
    process = EmulatorProcess(tmp_path / "data").start()
    assert process.ready_line.startswith("vertex-emulator ready: ")
    assert f"api=http://127.0.0.1:{process.port}" in process.ready_line
    assert f"storage=http://127.0.0.1:{process.storage_port}" in process.ready_line
    health = process.control.health()
    assert health["storage_emulator_host"] == f"http://127.0.0.1:{process.storage_port}"
    assert process.stop(sig) == 0
    assert (tmp_path / "data" / "state.sqlite3").exists()


def test_state_survives_sigkill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    parent = location_parent()
    with EmulatorProcess(data, *SCHEDULED) as first:
        clients = gapic_clients(first.endpoint)
        control = first.control
        dataset = clients.dataset.create_dataset(parent=parent, dataset=bodies.dataset()).result(timeout=10)
        job = clients.job.create_custom_job(parent=parent, custom_job=bodies.custom_job())
        model = bodies.upload_model(clients, parent, model_id="durable")
        bodies.upload_model(clients, parent, parent_model=model.model)
        control.set_job_timing("trainingPipelines", mode="hold")
        running = clients.pipeline.create_training_pipeline(parent=parent, training_pipeline=bodies.custom_pipeline())
        control.set_job_timing("customJobs", mode="hold", cancel_seconds=60)
        cancelling = clients.job.create_custom_job(parent=parent, custom_job=bodies.custom_job("cancelling"))
        clients.job.cancel_custom_job(name=cancelling.name)
        control.set_operation_timing(1.0)
        pending_delete = clients.dataset.delete_dataset(name=dataset.name).operation.name
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", first.storage_host)
        client = gcs.Client(project="test-project", credentials=AnonymousCredentials())
        client.create_bucket("kept").blob("a/b.txt").upload_from_string("still here")
        first.kill()

    with EmulatorProcess(data, *SCHEDULED) as second:
        clients = gapic_clients(second.endpoint)
        assert clients.job.get_custom_job(name=job.name).state == JobState.JOB_STATE_SUCCEEDED
        assert [v.version_id for v in clients.model.list_model_versions(name=model.model)] == ["1", "2"]

        failed = clients.pipeline.get_training_pipeline(name=running.name)
        assert failed.state == PipelineState.PIPELINE_STATE_FAILED
        assert "restarted" in failed.error.message
        assert failed.end_time
        backing = clients.job.get_custom_job(name=failed.training_task_metadata["backingCustomJob"])
        assert backing.state == JobState.JOB_STATE_FAILED
        assert clients.job.get_custom_job(name=cancelling.name).state == JobState.JOB_STATE_CANCELLED

        # The pending delete resumes on its schedule.
        operation = clients.dataset._transport.operations_client.get_operation(pending_delete)
        done = operation.done or wait_until(
            lambda: clients.dataset._transport.operations_client.get_operation(pending_delete).done, timeout=10
        )
        assert done
        with pytest.raises(exceptions.NotFound):
            clients.dataset.get_dataset(name=dataset.name)

        assert second.control.config()["jobs"]["trainingPipelines"]["mode"] == "hold"  # settings persist
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", second.storage_host)
        client = gcs.Client(project="test-project", credentials=AnonymousCredentials())
        assert client.bucket("kept").blob("a/b.txt").download_as_text() == "still here"


def test_every_acknowledged_create_survives_a_kill_mid_write(tmp_path: Path) -> None:
    data = tmp_path / "data"
    parent = location_parent()
    acknowledged: list[str] = []
    with EmulatorProcess(data, *SCHEDULED) as first:
        clients = gapic_clients(first.endpoint)
        stop = threading.Event()

        def create_forever() -> None:
            while not stop.is_set():
                try:
                    job = clients.job.create_custom_job(parent=parent, custom_job=bodies.custom_job(), retry=None)
                except Exception:
                    return
                acknowledged.append(job.name)

        writers = [threading.Thread(target=create_forever) for _ in range(2)]
        for writer in writers:
            writer.start()
        wait_until(lambda: len(acknowledged) >= 20, timeout=20)
        first.kill()
        stop.set()
        for writer in writers:
            writer.join(timeout=10)

    with EmulatorProcess(data, *SCHEDULED) as second:
        clients = gapic_clients(second.endpoint)
        listed = {j.name: j for j in clients.job.list_custom_jobs(request={"parent": parent, "page_size": 1000})}
        assert set(acknowledged) <= set(listed)
        assert all(j.state in (JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED) for j in listed.values())


def test_port_in_use_fails_with_a_message(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        process = EmulatorProcess(tmp_path / "data", port=busy.getsockname()[1])
        with pytest.raises(RuntimeError, match="cannot start"):
            process.start()


def test_in_process_start_on_a_busy_port_releases_everything(tmp_path: Path) -> None:
    from vertex_emulator import Emulator

    with Emulator(tmp_path / "a") as first:
        busy = int(first.endpoint.rsplit(":", 1)[1])
        second = Emulator(tmp_path / "b", port=busy)
        with pytest.raises(OSError, match="in use"):
            second.start()
        with Emulator(tmp_path / "b") as third:  # the same data dir opens again
            assert third.control.health()["status"] == "ok"


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "soon"])
def test_create_operation_seconds_must_be_a_finite_number(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    from vertex_emulator._cli import main

    with pytest.raises(SystemExit) as exited:
        main(["--create-operation-seconds", value])
    assert exited.value.code == 2
    assert "--create-operation-seconds" in capsys.readouterr().err
