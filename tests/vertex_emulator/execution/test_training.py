"""Custom jobs run as real local processes: environment, pools, failures, timeouts, cancel, packages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from vertex_emulator.execution import DirectoryObjectStore, ExecutionContext, RunState, TrainingRun

TRAINING_IMAGE = "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest"

DUMP_ENV = textwrap.dedent("""
    import json, os, sys
    keys = [k for k in os.environ if k.startswith(("AIP_", "CLOUD_ML_")) or k in
            ("CLUSTER_SPEC", "TF_CONFIG", "STORAGE_EMULATOR_HOST", "GREETING", "VIRTUAL_ENV")]
    record = {"argv": sys.argv[1:], "env": {k: os.environ[k] for k in keys}, "cwd": os.getcwd()}
    task = json.loads(os.environ["CLUSTER_SPEC"])["task"]
    path = os.path.join(os.environ["OUT"], f"{task['type']}-{task['index']}.json")
    with open(path, "w") as f:
        json.dump(record, f)
    print("replica", task["type"], task["index"], "done")
""")


def pool(code: str, *, replicas: int = 1, args: list[str] | None = None, env: dict[str, str] | None = None,
         command: list[str] | None = None) -> dict[str, Any]:
    return {
        "machineSpec": {"machineType": "n1-standard-4"},
        "replicaCount": str(replicas),
        "containerSpec": {
            "imageUri": TRAINING_IMAGE,
            "command": command or ["python3", "-c", code],
            "args": args or [],
            "env": [{"name": k, "value": v} for k, v in (env or {}).items()],
        },
    }


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_every_replica_gets_the_vertex_environment(context: ExecutionContext, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    env = {"OUT": str(out), "GREETING": "hi"}
    spec = {
        "workerPoolSpecs": [
            pool(DUMP_ENV, env=env, args=["--model-dir=$(AIP_MODEL_DIR)", "--greeting=$(GREETING)", "$$(KEEP)"]),
            pool(DUMP_ENV, replicas=2, env=env),
            {},  # an empty placeholder pool, as the SDK sends for unused pools
        ],
        "baseOutputDirectory": {"outputUriPrefix": "gs://bkt/runs/1"},
    }
    dataset_env = {"AIP_DATA_FORMAT": "csv", "AIP_TRAINING_DATA_URI": "gs://bkt/export/training-*.csv"}
    run = TrainingRun(spec, context.derive(storage_emulator_host="http://127.0.0.1:9"), dataset_env=dataset_env)
    outcome = run.run()

    assert outcome.state is RunState.SUCCEEDED, outcome.error_message
    assert outcome.error is None
    assert sorted(outcome.logs) == ["workerpool0-0", "workerpool1-0", "workerpool1-1"]
    assert outcome.exit_codes == {"workerpool0-0": 0, "workerpool1-0": 0, "workerpool1-1": 0}
    assert "replica workerpool1 1 done" in Path(outcome.logs["workerpool1-1"]).read_text()
    primary = json.loads((out / "workerpool0-0.json").read_text())
    assert primary["argv"] == ["--model-dir=gs://bkt/runs/1/model/", "--greeting=hi", "$(KEEP)"]
    assert primary["env"]["AIP_MODEL_DIR"] == "gs://bkt/runs/1/model/"
    assert primary["env"]["AIP_CHECKPOINT_DIR"] == "gs://bkt/runs/1/checkpoints/"
    assert primary["env"]["AIP_TENSORBOARD_LOG_DIR"] == "gs://bkt/runs/1/logs/"
    assert primary["env"]["CLOUD_ML_JOB_ID"] == "42"
    assert primary["env"]["CLOUD_ML_PROJECT_ID"] == "test-project"
    assert primary["env"]["CLOUD_ML_REGION"] == "us-central1"
    assert primary["env"]["STORAGE_EMULATOR_HOST"] == "http://127.0.0.1:9"
    assert primary["env"]["GREETING"] == "hi"
    assert primary["env"]["AIP_DATA_FORMAT"] == "csv"
    assert primary["env"]["AIP_TRAINING_DATA_URI"] == "gs://bkt/export/training-*.csv"
    cluster = json.loads(primary["env"]["CLUSTER_SPEC"])
    assert len(cluster["cluster"]["workerpool0"]) == 1
    assert len(cluster["cluster"]["workerpool1"]) == 2
    assert json.loads(primary["env"]["TF_CONFIG"])["task"]["type"] == "chief"
    second_worker = json.loads((out / "workerpool1-1.json").read_text())
    assert json.loads(second_worker["env"]["CLUSTER_SPEC"])["task"] == {"type": "workerpool1", "index": 1}
    assert json.loads(second_worker["env"]["TF_CONFIG"])["task"]["type"] == "worker"
    assert second_worker["cwd"] != primary["cwd"]  # each replica has its own working directory


def test_a_failing_replica_fails_the_job_with_exit_code_and_log_tail(context: ExecutionContext) -> None:
    crash = "import sys; print('loading data'); print('ValueError: bad column', file=sys.stderr); sys.exit(3)"
    spec = {"workerPoolSpecs": [pool("import time; time.sleep(30)"), pool(crash)]}
    started = time.monotonic()
    outcome = TrainingRun(spec, context).run()
    assert outcome.state is RunState.FAILED
    assert outcome.error_code == 3
    assert "The replica workerpool1-0 exited with a non-zero status of 3" in outcome.error_message
    assert "ValueError: bad column" in outcome.error_message
    assert time.monotonic() - started < 10  # the sleeping primary was stopped, not waited for
    assert outcome.exit_codes["workerpool1-0"] == 3


def test_the_job_succeeds_when_the_primary_does_and_stops_lingering_replicas(context: ExecutionContext) -> None:
    spec = {"workerPoolSpecs": [pool("print('chief done')"), {}, pool("import time; time.sleep(60)")]}
    outcome = TrainingRun(spec, context, shutdown_grace_seconds=0.2).run()
    assert outcome.state is RunState.SUCCEEDED
    assert outcome.exit_codes == {"workerpool0-0": 0, "workerpool2-0": None}


def test_scheduling_timeout_stops_the_job(context: ExecutionContext) -> None:
    spec = {"workerPoolSpecs": [pool("print('working', flush=True); import time; time.sleep(60)")],
            "scheduling": {"timeout": "0.5s"}}
    started = time.monotonic()
    outcome = TrainingRun(spec, context).run()
    assert outcome.state is RunState.FAILED
    assert outcome.error_code == 4
    assert "scheduling.timeout of 0.5s" in outcome.error_message
    assert "working" in outcome.error_message
    assert time.monotonic() - started < 5


def test_cancel_kills_the_whole_process_group(context: ExecutionContext, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    code = textwrap.dedent(f"""
        import os, subprocess, time
        child = subprocess.Popen(["sleep", "60"])
        with open({str(pids)!r}, "w") as f:
            f.write(f"{{os.getpid()}} {{child.pid}}")
        time.sleep(60)
    """)
    run = TrainingRun({"workerPoolSpecs": [pool(code)]}, context)
    run.start()
    deadline = time.monotonic() + 10
    while not (pids.exists() and pids.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    parent_pid, child_pid = map(int, pids.read_text().split())
    assert alive(parent_pid)
    assert alive(child_pid)
    run.cancel()
    outcome = run.wait(10)
    assert outcome is not None
    assert outcome.state is RunState.CANCELLED
    assert outcome.error == {"code": 1, "message": "The job was cancelled."}
    assert not alive(parent_pid)
    assert not alive(child_pid)


def test_start_returns_at_once_and_on_done_reports(context: ExecutionContext) -> None:
    reported: list[RunState] = []
    run = TrainingRun({"workerPoolSpecs": [pool("import time; time.sleep(0.3)")]}, context)
    started = time.monotonic()
    run.start(on_done=lambda outcome: reported.append(outcome.state))
    assert time.monotonic() - started < 0.2
    assert not run.done
    outcome = run.wait(10)
    assert outcome is not None
    assert outcome.succeeded
    assert run.done
    assert reported == [RunState.SUCCEEDED]


def test_an_unmapped_image_without_command_fails_with_how_to_map_it(context: ExecutionContext) -> None:
    spec = {"workerPoolSpecs": [{"replicaCount": "1",
                                 "containerSpec": {"imageUri": "us-central1-docker.pkg.dev/p/r/trainer:3"}}]}
    outcome = TrainingRun(spec, context).run()
    assert outcome.state is RunState.FAILED
    assert outcome.error_code == 3
    assert "us-central1-docker.pkg.dev/p/r/trainer:3" in outcome.error_message
    assert "VERTEX_EMULATOR_IMAGES" in outcome.error_message


def test_invalid_specs_fail_the_run_with_invalid_argument(context: ExecutionContext) -> None:
    for spec, message in [
        ({"workerPoolSpecs": []}, "workerPoolSpecs[0]"),
        ({"workerPoolSpecs": [pool("pass", replicas=2)]}, "replicaCount must be 1"),
        ({"workerPoolSpecs": [pool("pass")], "unknownField": 1}, "unknownField"),
    ]:
        outcome = TrainingRun(spec, context).run()
        assert outcome.state is RunState.FAILED
        assert outcome.error_code == 3
        assert message in outcome.error_message


PACKAGE_TASK = textwrap.dedent("""
    import json, os, sys
    import sklearn  # installed where the emulator runs: visible from the job's venv
    from demo_pkg import VERSION
    print(json.dumps({"argv": sys.argv[1:], "prefix": sys.prefix, "version": VERSION,
                      "virtual_env": os.environ.get("VIRTUAL_ENV")}))
""")


def build_demo_packages(tmp_path: Path) -> tuple[Path, Path]:
    source = tmp_path / "demo-src"
    (source / "demo_pkg").mkdir(parents=True)
    (source / "demo_pkg" / "__init__.py").write_text("VERSION = '0.3'\n")
    (source / "demo_pkg" / "task.py").write_text(PACKAGE_TASK)
    (source / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "demo-pkg"
        version = "0.3"
        [tool.setuptools]
        packages = ["demo_pkg"]
    """))
    dist = tmp_path / "dist"
    code = f"from setuptools import build_meta as b; print(b.build_sdist({str(dist)!r}), b.build_wheel({str(dist)!r}))"
    output = subprocess.run([sys.executable, "-c", code], cwd=source, check=True, capture_output=True, text=True)
    words = output.stdout.split()  # build chatter, and the file names build_meta returns
    sdist = next(w for w in words if w.endswith(".tar.gz"))
    wheel = next(w for w in words if w.endswith(".whl"))
    return dist / sdist, dist / wheel


def upload(store: DirectoryObjectStore, path: Path, uri: str) -> str:
    with store.open_write(uri) as stream:
        stream.write(path.read_bytes())
    return uri


def python_package_spec(package_uri: str) -> dict[str, Any]:
    return {"workerPoolSpecs": [{
        "replicaCount": "1",
        "pythonPackageSpec": {"executorImageUri": TRAINING_IMAGE, "packageUris": [package_uri],
                              "pythonModule": "demo_pkg.task", "args": ["--epochs=2", "--dir=$(AIP_MODEL_DIR)"]},
    }], "baseOutputDirectory": {"outputUriPrefix": "gs://bkt/pkg"}}


def last_json_line(log: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(Path(log).read_text().strip().splitlines()[-1])
    return result


@pytest.mark.slow
def test_python_packages_install_offline_into_an_isolated_venv(
    context: ExecutionContext, store: DirectoryObjectStore, tmp_path: Path
) -> None:
    sdist, wheel = build_demo_packages(tmp_path)
    for package in (sdist, wheel):
        uri = upload(store, package, f"gs://bkt/staging/{package.name}")
        outcome = TrainingRun(python_package_spec(uri), context.derive(work_dir=tmp_path / package.suffix)).run()
        assert outcome.state is RunState.SUCCEEDED, outcome.error_message
        report = last_json_line(outcome.logs["workerpool0-0"])
        assert report["argv"] == ["--epochs=2", "--dir=gs://bkt/pkg/model/"]
        assert report["version"] == "0.3"
        assert report["prefix"] == report["virtual_env"]
        assert report["prefix"].startswith(str(tmp_path))
    # The host environment was not touched.
    assert subprocess.run([sys.executable, "-c", "import demo_pkg"], capture_output=True).returncode != 0


def test_a_missing_package_fails_with_not_found(context: ExecutionContext) -> None:
    outcome = TrainingRun(python_package_spec("gs://bkt/staging/none-0.1.tar.gz"), context).run()
    assert outcome.state is RunState.FAILED
    assert outcome.error_code == 5
    assert "gs://bkt/staging/none-0.1.tar.gz" in outcome.error_message


def test_a_package_that_does_not_build_fails_with_pip_output(
    context: ExecutionContext, store: DirectoryObjectStore, tmp_path: Path
) -> None:
    broken = tmp_path / "broken-0.1.tar.gz"
    broken.write_bytes(b"not a tarball")
    uri = upload(store, broken, "gs://bkt/staging/broken-0.1.tar.gz")
    outcome = TrainingRun(python_package_spec(uri), context).run()
    assert outcome.state is RunState.FAILED
    assert outcome.error_code == 9
    assert "Installing the training packages failed" in outcome.error_message


def test_host_job_variables_do_not_leak_into_jobs(
    context: ExecutionContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIP_MODEL_DIR", "gs://wrong/")
    monkeypatch.setenv("CLOUD_ML_TRIAL_ID", "99")
    out = tmp_path / "out"
    out.mkdir()
    outcome = TrainingRun({"workerPoolSpecs": [pool(DUMP_ENV, env={"OUT": str(out)})]}, context).run()
    assert outcome.succeeded
    env = json.loads((out / "workerpool0-0.json").read_text())["env"]
    assert "AIP_MODEL_DIR" not in env
    assert "CLOUD_ML_TRIAL_ID" not in env
    assert os.environ["AIP_MODEL_DIR"] == "gs://wrong/"
