"""A killed emulator leaves nothing running: the next start on its data dir stops its jobs' processes first.

Real processes throughout: `python -m vertex_emulator` in a subprocess, a job whose process sleeps (a replica
with a child of its own, a pip install building a package, a model server), SIGKILL, restart. Each sleeper
writes "<pid> <process group>" to a file the test reads.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import tarfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from google.cloud import aiplatform_v1

from tests.vertex_emulator.bodies import TRAINING_IMAGE
from vertex_emulator.storage import ObjectStorage
from vertex_emulator.testing import EmulatorProcess, GapicClients, gapic_clients, location_parent, wait_until

BUCKET = "bkt"


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


@pytest.fixture
def pids(tmp_path: Path) -> Iterator[Path]:
    """Where the sleeper writes its pid and process group; whatever is left of that group is killed after the
    test, whatever the test found."""
    path = tmp_path / "pids"
    yield path
    if path.exists():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(int(path.read_text().split()[1]), signal.SIGKILL)


def write_pids_then_sleep(pids: Path) -> str:
    """Python that records "<pid> <group>" (atomically) and sleeps; a `sleep` child shares the group."""
    return textwrap.dedent(f"""
        import os, subprocess, time
        subprocess.Popen(["sleep", "600"])
        with open({str(pids)!r} + ".tmp", "w") as out:
            out.write(f"{{os.getpid()}} {{os.getpgrp()}}")
        os.replace({str(pids)!r} + ".tmp", {str(pids)!r})
        time.sleep(600)
    """)


def sleeping_replica(clients: GapicClients, pids: Path) -> str:
    container = {"image_uri": TRAINING_IMAGE, "command": ["python", "-c", write_pids_then_sleep(pids)]}
    pool = {"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1, "container_spec": container}
    body = {"display_name": "sleeper", "job_spec": {"worker_pool_specs": [pool]}}
    return str(clients.job.create_custom_job(parent=location_parent(), custom_job=body).name)


def crash_and_restart(data_dir: Path, pids: Path, start_job: Callable[[GapicClients], str]) -> None:
    """Start the job on an emulator process, SIGKILL it once the sleeper runs, start again on the data dir."""
    first = EmulatorProcess(data_dir).start()
    try:
        name = start_job(gapic_clients(first.endpoint))
        wait_until(pids.exists, timeout=30)
        pid, group = map(int, pids.read_text().split())
        ledger = data_dir / "jobs" / name.rsplit("/", 1)[1] / "processes"
        assert (ledger / f"{group}.json").exists()
    finally:
        first.kill()
        first.stop()
    assert alive(pid), "the job's process outlives a SIGKILL of the emulator"

    with EmulatorProcess(data_dir) as second:
        assert not alive(pid)
        assert not any(alive(int(p.name)) for p in Path("/proc").iterdir() if p.name.isdigit() and _in(group, p))
        assert not ledger.exists()
        clients = gapic_clients(second.endpoint)
        kind = name.split("/")[-2]
        get = clients.job.get_custom_job if kind == "customJobs" else clients.job.get_batch_prediction_job
        done = get(name=name)
    assert done.state == aiplatform_v1.JobState.JOB_STATE_FAILED
    assert "emulator restarted" in done.error.message


def _in(group: int, proc: Path) -> bool:
    try:
        return (proc / "stat").read_text().rsplit(")", 1)[1].split()[2] == str(group)
    except (OSError, IndexError):
        return False


def test_a_restart_stops_the_replicas_a_killed_emulator_left_then_fails_the_job(tmp_path: Path, pids: Path) -> None:
    crash_and_restart(tmp_path / "data", pids, lambda clients: sleeping_replica(clients, pids))


def test_a_restart_stops_a_pip_install_a_killed_emulator_left(tmp_path: Path, pids: Path) -> None:
    data_dir = tmp_path / "data"
    setup = write_pids_then_sleep(pids) + "from setuptools import setup\nsetup(name='sleepy', version='0.1')\n"
    files = {"setup.py": setup, "PKG-INFO": "Metadata-Version: 2.1\nName: sleepy\nVersion: 0.1\n"}
    sdist = io.BytesIO()
    with tarfile.open(fileobj=sdist, mode="w:gz") as archive:
        for name, text in files.items():
            info = tarfile.TarInfo(f"sleepy-0.1/{name}")
            info.size = len(text.encode())
            archive.addfile(info, io.BytesIO(text.encode()))
    storage = ObjectStorage(data_dir / "storage")
    storage.create_bucket(BUCKET)
    storage.write_bytes(f"gs://{BUCKET}/sleepy-0.1.tar.gz", sdist.getvalue())

    def package_job(clients: GapicClients) -> str:
        package = {"executor_image_uri": TRAINING_IMAGE, "package_uris": [f"gs://{BUCKET}/sleepy-0.1.tar.gz"],
                   "python_module": "sleepy"}
        pool = {"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1,
                "python_package_spec": package}
        body = {"display_name": "installing", "job_spec": {"worker_pool_specs": [pool]}}
        return str(clients.job.create_custom_job(parent=location_parent(), custom_job=body).name)

    crash_and_restart(data_dir, pids, package_job)


def test_a_restart_stops_a_model_server_a_killed_emulator_left(tmp_path: Path, pids: Path) -> None:
    data_dir = tmp_path / "data"
    storage = ObjectStorage(data_dir / "storage")
    storage.create_bucket(BUCKET)
    storage.write_text(f"gs://{BUCKET}/instances.jsonl", "[1]\n")

    def prediction_job(clients: GapicClients) -> str:
        server = {"image_uri": "example.com/never-healthy:1", "command": ["python3", "-c", write_pids_then_sleep(pids)]}
        model = clients.model.upload_model(
            parent=location_parent(), model={"display_name": "server", "container_spec": server}
        ).result(timeout=10)
        job = clients.job.create_batch_prediction_job(
            parent=location_parent(),
            batch_prediction_job={
                "display_name": "predict",
                "model": model.model,
                "input_config": {"instances_format": "jsonl",
                                 "gcs_source": {"uris": [f"gs://{BUCKET}/instances.jsonl"]}},
                "output_config": {"predictions_format": "jsonl",
                                  "gcs_destination": {"output_uri_prefix": f"gs://{BUCKET}/out"}},
            },
        )
        return str(job.name)

    crash_and_restart(data_dir, pids, prediction_job)


def test_a_stopped_emulator_leaves_no_record_behind(tmp_path: Path, pids: Path) -> None:
    data_dir = tmp_path / "data"
    with EmulatorProcess(data_dir) as process:
        name = sleeping_replica(gapic_clients(process.endpoint), pids)
        wait_until(pids.exists, timeout=20)
        pid, _ = map(int, pids.read_text().split())
    assert not alive(pid)
    assert not (data_dir / "jobs" / name.rsplit("/", 1)[1] / "processes").exists()
