"""The pipeline variant of the local stack (``vertex-ml:flow: pipeline``) through the real Pulumi CLI on the
emulator's local runner: the seed pipeline (train over 2 replicas, upload, batch-predict) runs as one PipelineJob,
its outputs name the model and the batch prediction job, the predictions are in the emulator's storage; an
unchanged preview is quiet, a parameter change replaces the run, destroy deletes it."""

from __future__ import annotations

import json
from pathlib import Path

from program import ProgramConfig
from program.local import stage
from program.stack_files import stack_config
from tests.program.conftest import record
from tests.pulumi_cli import PulumiProject
from vertex_emulator import Emulator
from vertex_emulator.testing import gapic_clients

PARENT = "projects/local-project/locations/us-central1"
FLOW = {"vertex-ml:flow": "pipeline"}


def test_the_pipeline_flow_is_one_pipeline_job_on_the_stacks_data() -> None:
    report = record("local", FLOW)
    assert report["error"] is None, report["error"]
    [run] = report["resources"]
    assert (run["type"], run["name"]) == ("pulumi-python:dynamic/vertex:PipelineJob", "pipeline")
    inputs = run["inputs"]
    assert inputs["pipeline_spec"]["pipelineInfo"]["name"] == "seed-train-upload-predict"
    assert inputs["runtime_config"]["gcs_output_directory"] == "gs://vml-local-output/vml-local/pipeline-root"
    assert inputs["runtime_config"]["parameter_values"]["training_data"] == "gs://vml-local-staging/data/train.csv"
    assert inputs["labels"] == {"app": "vertex-ml", "environment": "local", "stack": "local"}
    assert set(report["exports"]) == {
        "environment", "location", "pipeline_job", "pipeline_state", "task_states", "model", "batch_prediction_job",
        "predictions",
    }


def test_on_a_cloud_stack_the_run_uses_the_foundations_service_account() -> None:
    report = record("dev", FLOW)
    assert report["error"] is None, report["error"]
    vertex = [r for r in report["resources"] if r["type"].startswith("pulumi-python:dynamic/vertex:")]
    assert [r["name"] for r in vertex] == ["pipeline"], "the flow is one run, no dataset or pipelines beside it"
    assert vertex[0]["inputs"]["service_account"] == "vml-dev-train@acme-ml-dev.iam.gserviceaccount.com"
    assert vertex[0]["property_dependencies"]["service_account"], "the run waits for the account"


def test_the_pipeline_flow_through_the_real_cli(tmp_path: Path) -> None:
    with Emulator() as emulator:
        config = ProgramConfig.from_stack_values(
            "local", stack_config("local", overrides={"vertex:endpoint": emulator.endpoint, **FLOW})
        )
        stage(config, emulator.storage_host)
        project = PulumiProject.of_this_repo(tmp_path, emulator.endpoint, **FLOW).init()

        emulator.control.reset_counters()
        preview = project.pulumi("preview")
        assert "pulumi-python:dynamic/vertex:PipelineJob" in preview
        assert "+ 2 to create" in preview  # the stack and the run
        assert sum(emulator.control.counters().values()) == 0, "a preview calls no API"

        up = project.pulumi("up", "--yes", timeout=1200)
        assert "+ 2 created" in up, up
        assert "running train" in up, "progress lines name the running task"
        outputs = json.loads(project.pulumi("stack", "output", "--json"))
        assert outputs["pipeline_state"] == "PIPELINE_STATE_SUCCEEDED"
        assert outputs["task_states"]["train"] == "SUCCEEDED"
        assert outputs["task_states"]["model-batch-predict"] == "SUCCEEDED"
        clients = gapic_clients(emulator.endpoint)
        model, _, version = outputs["model"].partition("@")  # the model version the run uploaded, as GCPC names it
        assert model in {m.name for m in clients.model.list_models(parent=PARENT)}
        assert version == "1"
        batch = clients.job.get_batch_prediction_job(name=outputs["batch_prediction_job"])
        assert batch.output_info.gcs_output_directory == outputs["predictions"]
        trainers = list(clients.job.list_custom_jobs(parent=PARENT))
        assert [pool.replica_count for pool in trainers[0].job_spec.worker_pool_specs] == [1, 1], "2 replicas"

        results = [uri for uri in emulator.storage.list(outputs["predictions"]) if "prediction.results-" in uri]
        lines = [line for uri in results for line in emulator.storage.read_text(uri).splitlines() if line]
        instances = [line for line in emulator.storage.read_text(config.batch_input_uri).splitlines() if line.strip()]
        assert len(lines) == len(instances), "every staged instance got a prediction"
        assert {json.loads(line)["prediction"] for line in lines} <= {"setosa", "versicolor", "virginica"}

        project.pulumi("preview", "--expect-no-changes")  # the program compiles the same IR again: no diff

        project.pulumi("destroy", "--yes", timeout=600)
        assert list(clients.pipeline.list_pipeline_jobs(parent=PARENT)) == []


PROGRAM = """
import pulumi

import vertex_resources as vr
from vertex_resources.specs import PipelineRuntimeConfig

config = pulumi.Config("test")
run = vr.PipelineJob("seed", vr.PipelineJobArgs(
    display_name="seed",
    pipeline_spec="seed.yaml",  # compiled by kfp; read at check, relative to the project
    runtime_config=PipelineRuntimeConfig(
        gcs_output_directory="gs://pipelines/root",
        parameter_values={
            "training_data": config.require("trainingData"),
            "model_dir": "gs://pipelines/model",
            "instances": "gs://pipelines/data/instances.jsonl",
            "predictions_prefix": "gs://pipelines/predictions",
        },
    ),
))
pulumi.export("state", run.state)
pulumi.export("model", run.model_name)
"""


def test_a_failed_task_fails_the_up_by_name_and_the_next_up_replaces_the_failed_run(tmp_path: Path) -> None:
    from examples.pipelines.seed_pipeline import compile_to

    with Emulator() as emulator:
        emulator.storage.create_bucket("pipelines")
        data = Path(__file__).resolve().parents[2] / "examples" / "data"
        emulator.storage.write_text("gs://pipelines/data/train.csv", (data / "train.csv").read_text())
        emulator.storage.write_text("gs://pipelines/data/instances.jsonl", (data / "instances.jsonl").read_text())
        config = {
            "vertex:project": "local-project",
            "vertex:location": "us-central1",
            "vertex:endpoint": emulator.endpoint,
            "vertex:pollInitialInterval": "0.1",
            "test:trainingData": "gs://pipelines/data/missing.csv",
        }
        project = PulumiProject.write(tmp_path, {"__main__.py": PROGRAM}, config)
        compile_to(project.directory / "seed.yaml")
        project.init()

        failed = project.run("up", "--yes", timeout=900)
        assert failed.returncode != 0
        output = failed.stdout + failed.stderr
        assert "ended PIPELINE_STATE_FAILED" in output, output
        assert "task train FAILED" in output, "the failure names the failed task"
        clients = gapic_clients(emulator.endpoint)
        [leftover] = list(clients.pipeline.list_pipeline_jobs(parent=PARENT))

        project.pulumi("config", "set", "test:trainingData", "gs://pipelines/data/train.csv")
        up = project.pulumi("up", "--yes", timeout=900)
        assert "leftover of an earlier create" in up, up
        outputs = json.loads(project.pulumi("stack", "output", "--json"))
        assert outputs["state"] == "PIPELINE_STATE_SUCCEEDED"
        assert outputs["model"].startswith("projects/")
        [run] = list(clients.pipeline.list_pipeline_jobs(parent=PARENT))
        assert run.name != leftover.name, "the failed run was deleted, one run is left"
        project.pulumi("refresh", "--yes")
        project.pulumi("preview", "--expect-no-changes")
        project.pulumi("destroy", "--yes")
        assert list(clients.pipeline.list_pipeline_jobs(parent=PARENT)) == []
