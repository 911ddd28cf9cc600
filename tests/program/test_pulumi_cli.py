"""The local stack through the real Pulumi CLI (``scripts/pulumi``) on the emulator, as a user types it: preview,
up, an unchanged preview, a config change, drift and refresh, destroy. Jobs really run (the local runner)."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from program import ProgramConfig
from program.local import stage
from program.stack_files import ROOT, stack_config
from tests.pulumi_cli import INIT, PulumiProject, marked_block, typed
from vertex_emulator import Emulator
from vertex_emulator.testing import gapic_clients

PARENT = "projects/local-project/locations/us-central1"
PINNED_CLI = re.search(
    r"^require github.com/pulumi/pulumi/pkg/v3 v([\d.]+)$", (ROOT / "tools" / "pulumi-cli" / "go.mod").read_text(), re.M
)[1]
README = ROOT / "README.md"
EXCERPT_START = "<!-- preview-diff: captured by tests/program/test_pulumi_cli.py -->"
EXCERPT_END = "<!-- /preview-diff -->"
PREVIEW_DIFF = ("preview", "--diff")


def _holdings(emulator: Emulator) -> dict[str, set[str]]:
    clients = gapic_clients(emulator.endpoint)
    return {
        "datasets": {d.name for d in clients.dataset.list_datasets(parent=PARENT)},
        "trainingPipelines": {p.name for p in clients.pipeline.list_training_pipelines(parent=PARENT)},
        "batchPredictionJobs": {j.name for j in clients.job.list_batch_prediction_jobs(parent=PARENT)},
        "customJobs": {j.name for j in clients.job.list_custom_jobs(parent=PARENT)},
        "hyperparameterTuningJobs": {j.name for j in clients.job.list_hyperparameter_tuning_jobs(parent=PARENT)},
        "models": {m.name for m in clients.model.list_models(parent=PARENT)},
    }


def _api_calls(emulator: Emulator) -> int:
    return sum(emulator.control.counters().values())


def _rest(emulator: Emulator, method: str, path: str, body: dict[str, Any] | None = None) -> None:
    request = urllib.request.Request(
        f"{emulator.endpoint}/v1/{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.status == 200


def _operations(output: str) -> dict[str, str]:
    """What Pulumi's output says happens to each of our resources (name -> "create", "replace", "updated", ...), from
    its progress lines (`` +  pulumi-python:dynamic/vertex:Dataset dataset create``) or, with ``--diff``, its
    headers (``+-pulumi-python:dynamic/vertex:TrainingPipeline: (replace)`` and the ``[urn=...::name]`` under it)."""
    found: dict[str, str] = {}
    header: str | None = None
    for line in output.splitlines():
        if progress := re.search(r"pulumi-python:dynamic/vertex:\w+ ([\w-]+) (\w+)", line):
            found[progress.group(1)] = progress.group(2)
        elif diff_header := re.search(r"pulumi-python:dynamic/vertex:\w+: \((\w+)\)", line):
            header = diff_header.group(1)
        elif header and (urn := re.search(r"\[urn=.*::([\w-]+)\]", line)):
            found[urn.group(1)], header = header, None
    return found


def preview_excerpt(output: str) -> str:
    """The lines of ``pulumi preview --diff`` that say what changes and why (resource headers, changed values, the
    summary), with what differs run to run (ids, project numbers) replaced by placeholders."""
    kept = []
    for line in output.splitlines():
        if re.search(r"^Previewing|: \((same|replace|update|create|delete)\)$|\[urn=|=>|^Resources:|^    \S", line):
            line = re.sub(r"projects/\d+/", "projects/<number>/", line)
            kept.append(re.sub(r"/\d{6,}", "/<id>", line.rstrip()))
    return "\n".join(kept)


def _blocks(excerpt: str) -> list[str]:
    """The excerpt cut at each resource header, sorted: the engine may list independent resources in any order."""
    blocks = re.split(r"\n(?=\s*(?:\+-|~|\+|-)?pulumi[-:][\w:/-]+: \()", excerpt)
    return sorted(blocks)


def readme_excerpt() -> str:
    return marked_block(README, EXCERPT_START, EXCERPT_END).removeprefix("```").removesuffix("```").strip()


def test_the_local_stack_through_the_real_cli(tmp_path: Path) -> None:
    with Emulator() as emulator:
        config = ProgramConfig.from_stack_values(
            "local", stack_config("local", overrides={"vertex:endpoint": emulator.endpoint})
        )
        stage(config, emulator.storage_host)  # what scripts/up-local does before `pulumi up`
        project = PulumiProject.of_this_repo(tmp_path, emulator.endpoint).init()

        # A fresh stack's preview plans every create and calls no API.
        emulator.control.reset_counters()
        preview = project.pulumi("preview")
        assert _operations(preview) == dict.fromkeys(("dataset", "training", "tuning", "batch-prediction"), "create")
        assert "+ 5 to create" in preview
        assert _api_calls(emulator) == 0

        # up creates everything; the outputs name real resources; the predictions are in the emulator's storage.
        up = project.pulumi("up", "--yes")
        assert "+ 5 created" in up, up
        outputs = json.loads(project.pulumi("stack", "output", "--json"))
        held = _holdings(emulator)
        assert outputs["dataset"] in held["datasets"]
        assert outputs["model"] in held["models"]
        assert outputs["model_version"] == "1"
        assert outputs["best_trial"]["parameters"]["max-depth"] in range(2, 7)
        assert outputs["batch_prediction_job"] in held["batchPredictionJobs"]
        assert outputs["best_trial"]["metrics"]["accuracy"] > 0.8  # the example trainer really ran on the split
        results = [uri for uri in emulator.storage.list(outputs["predictions"]) if "prediction.results-" in uri]
        lines = [line for uri in results for line in emulator.storage.read_text(uri).splitlines() if line]
        instances = [line for line in emulator.storage.read_text(config.batch_input_uri).splitlines() if line.strip()]
        assert len(lines) == len(instances)  # every staged instance got a prediction
        species = {json.loads(line)["prediction"] for line in lines}
        assert species <= {"setosa", "versicolor", "virginica"}
        assert len(species) > 1

        # Nothing changed: the real engine sees no diff.
        project.pulumi("preview", "--expect-no-changes")

        # A change of the split replaces the pipelines and the batch job, never the dataset.
        project.pulumi("config", "set", "--path", "vertex-ml:split.trainingFraction", "0.7")
        project.pulumi("config", "set", "--path", "vertex-ml:split.validationFraction", "0.2")
        diff = project.pulumi(*PREVIEW_DIFF)
        assert _operations(diff) == dict.fromkeys(("training", "tuning", "batch-prediction"), "replace"), diff
        assert "+-3 to replace" in diff
        assert "2 unchanged" in diff  # the stack and the dataset
        assert _blocks(readme_excerpt()) == _blocks(preview_excerpt(diff)), (
            "README.md's preview excerpt is not what `pulumi preview --diff` prints now; put this between its "
            f"markers:\n{preview_excerpt(diff)}"
        )
        replaced = project.pulumi("up", "--yes")
        assert "+-3 replaced" in replaced, replaced
        after = json.loads(project.pulumi("stack", "output", "--json"))
        assert after["dataset"] == outputs["dataset"]
        assert after["training_pipeline"] != outputs["training_pipeline"]

        # Drift: a label changed and a job deleted behind Pulumi's back; refresh sees both, up converges.
        _rest(emulator, "PATCH", f"{after['dataset']}?updateMask=labels", {"labels": {"edited": "by-hand"}})
        _rest(emulator, "DELETE", after["batch_prediction_job"])
        refresh = project.pulumi("refresh", "--yes")
        assert _operations(refresh).get("dataset") == "updated", refresh
        assert "pulumi-python:dynamic/vertex:Dataset dataset updated" in refresh
        assert re.search(r"Dataset dataset update.*\[diff: ~labels\]", refresh), refresh  # nothing but the label
        assert _operations(refresh).get("batch-prediction") == "deleted", refresh
        converged = project.pulumi("up", "--yes")
        assert _operations(converged).get("batch-prediction") == "created", converged
        assert _operations(converged).get("dataset") == "updated", converged
        project.pulumi("preview", "--expect-no-changes")

        # destroy leaves nothing (the local stack sets deleteArtifacts).
        project.pulumi("destroy", "--yes")
        assert _holdings(emulator) == {kind: set() for kind in _holdings(emulator)}


def _processes_of(state_dir: Path) -> list[int]:
    """Pids of live processes started for this project (they inherit its VERTEX_ML_STATE_DIR)."""
    marker = f"VERTEX_ML_STATE_DIR={state_dir}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def recovery_commands() -> list[list[str]]:
    """The commands docs/program.md tells a user to run after an interrupted ``pulumi up``."""
    block = marked_block(
        ROOT / "docs" / "program.md", "<!-- recovery: run by tests/program/test_pulumi_cli.py -->", "<!-- /recovery -->"
    )
    commands = [line.strip() for line in block.splitlines() if line.strip().startswith("scripts/pulumi ")]
    assert commands, "no recovery commands in docs/program.md"
    return [command.replace("--stack local", "").split()[1:] for command in commands]


def test_an_up_killed_while_a_pipeline_runs_recovers_to_one_pipeline(tmp_path: Path) -> None:
    with Emulator(runner="scheduled") as emulator:
        emulator.control.set_job_timing("trainingPipelines", "hold")
        project = PulumiProject.of_this_repo(tmp_path, emulator.endpoint).init()
        clients = gapic_clients(emulator.endpoint)
        running = subprocess.Popen(
            project.command("up", "--yes"), cwd=project.directory, env=project.env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while not emulator.control.held_jobs():
                assert running.poll() is None, "the up ended before its training pipeline started"
                assert time.monotonic() < deadline, "no training pipeline started"
                time.sleep(0.2)
            time.sleep(1.0)  # the provider is now polling the pipeline it created
        finally:
            # As a machine going down would: pulumi and every plugin it started (they run in process groups of
            # their own: language host, program, provider).
            os.killpg(running.pid, signal.SIGKILL)
            for pid in _processes_of(project.state_dir):
                with contextlib.suppress(ProcessLookupError):  # it may have gone with its parent
                    os.kill(pid, signal.SIGKILL)
            running.wait()
        (held,) = emulator.control.held_jobs()

        # The pipeline goes on without Pulumi; the user then runs what the docs say.
        emulator.control.set_job_timing("trainingPipelines", "instant")
        emulator.control.release(held)
        for command in recovery_commands():
            project.pulumi(*command)
        pipelines = list(clients.pipeline.list_training_pipelines(parent=PARENT))
        assert sorted(p.display_name for p in pipelines) == ["vml-local-train", "vml-local-tune"]
        outputs = json.loads(project.pulumi("stack", "output", "--json"))
        assert outputs["training_pipeline"] == held
        project.pulumi("preview", "--expect-no-changes")


PARALLEL_PROGRAM = """
    import pulumi
    import vertex_resources as vr
    from vertex_resources.specs import CustomJobSpec, ContainerSpec, MachineSpec, WorkerPoolSpec

    token = pulumi.Config().get_secret("token")
    for index in range(int(pulumi.Config().get("count") or 1)):
        env = [{"name": "API_TOKEN", "value": token}] if token is not None else []
        job = vr.CustomJob(f"job-{index}", vr.CustomJobArgs(
            display_name=f"job-{index}",
            job_spec={
                "worker_pool_specs": [{
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": 1,
                    "container_spec": {"image_uri": "python:3.11", "command": ["python", "-c", "print(1)"], "env": env},
                }],
            },
        ))
        pulumi.export(f"job-{index}", job.name)
"""


def test_twelve_long_jobs_under_the_default_parallelism(tmp_path: Path) -> None:
    with Emulator(runner="scheduled") as emulator:
        emulator.control.set_job_timing("customJobs", "delay", seconds=4)
        project = PulumiProject.write(
            tmp_path,
            {"__main__.py": PARALLEL_PROGRAM},
            {"vertex:endpoint": emulator.endpoint, "vertex:project": "local-project",
             "vertex:location": "us-central1", "vertex:pollInitialInterval": "0.5", "test-project:count": "12"},
        ).init()
        process = subprocess.Popen(
            project.command("up", "--yes"), cwd=project.directory, env=project.env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )
        assert process.stdout is not None
        arrivals, lines = [], []
        for line in process.stdout:
            arrivals.append(time.monotonic())
            lines.append(line)
        assert process.wait(timeout=300) == 0, "".join(lines)
        output = "".join(lines)
        assert "+ 13 created" in output, output  # the stack and twelve jobs
        # Four RPCs at a time in the provider: three waves of 4 s jobs; progress never stalls for a wave's length.
        assert arrivals[-1] - arrivals[0] >= 3 * 4
        assert max(later - earlier for earlier, later in itertools.pairwise(arrivals)) < 8, output
        jobs = list(gapic_clients(emulator.endpoint).job.list_custom_jobs(parent=PARENT))
        assert len(jobs) == 12
        assert {job.state.name for job in jobs} == {"JOB_STATE_SUCCEEDED"}


def test_a_secret_config_value_never_reaches_the_state_in_plain_text(tmp_path: Path) -> None:
    secret = "s3cr3t-token-value"
    with Emulator(runner="scheduled") as emulator:
        project = PulumiProject.write(
            tmp_path,
            {"__main__.py": PARALLEL_PROGRAM},
            {"vertex:endpoint": emulator.endpoint, "vertex:project": "local-project",
             "vertex:location": "us-central1", "vertex:pollInitialInterval": "0.1"},
        ).init()
        project.pulumi("config", "set", "--secret", "token", secret)
        assert secret not in project.stack_file.read_text()
        up = project.pulumi("up", "--yes")
        assert secret not in up
        (job,) = gapic_clients(emulator.endpoint).job.list_custom_jobs(parent=PARENT)
        assert job.job_spec.worker_pool_specs[0].container_spec.env[0].value == secret  # it did reach the job
        exported = project.pulumi("stack", "export")
        assert secret not in exported
        assert "secure" in exported or "ciphertext" in exported
        for path in project.state_files():
            assert secret.encode() not in path.read_bytes(), path
        project.pulumi("destroy", "--yes")


def test_the_pr_workflow_previews_the_local_stack_with_the_tests_commands() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "preview.yml").read_text())
    steps = {step.get("name"): step for step in workflow["jobs"]["preview"]["steps"]}
    commands = [line.split(" | ")[0].strip() for line in steps["Preview the local stack"]["run"].splitlines()]
    assert commands == [typed(*INIT), typed(*PREVIEW_DIFF)]
    assert steps["Install the Pulumi CLI"]["with"]["pulumi-version"] == PINNED_CLI
