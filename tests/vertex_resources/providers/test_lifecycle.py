"""Every kind through Pulumi's provider server against the emulator: check (also with unknowns), create, an
unchanged diff, a replacing diff, in-place update where the API has one, refresh, delete."""

from __future__ import annotations

from typing import Any

import pytest
from google.api_core import exceptions as gexc

from vertex_emulator import ControlClient, Emulator
from vertex_emulator.testing import gapic_clients
from vertex_resources.specs.dataset import IMPORT_SCHEMAS

from .harness import UNKNOWN, ProviderServer
from .specs import INPUTS, REPLACING_CHANGE

IMAGE_IMPORT_SCHEMA = IMPORT_SCHEMAS["image"][0]

JOB_KINDS = ("CustomJob", "HyperparameterTuningJob", "TrainingPipeline", "BatchPredictionJob")


def _get(emulator: Emulator, kind: str, name: str) -> Any:
    clients = gapic_clients(emulator.endpoint)
    getter = {
        "Dataset": clients.dataset.get_dataset,
        "Model": clients.model.get_model,
        "CustomJob": clients.job.get_custom_job,
        "HyperparameterTuningJob": clients.job.get_hyperparameter_tuning_job,
        "TrainingPipeline": clients.pipeline.get_training_pipeline,
        "BatchPredictionJob": clients.job.get_batch_prediction_job,
    }[kind]
    return getter(name=name)


def _uploaded_model(emulator: Emulator) -> str:
    from google.cloud import aiplatform_v1

    model = aiplatform_v1.Model(
        display_name="scorer",
        artifact_uri="gs://acme/models/1/",
        container_spec=aiplatform_v1.ModelContainerSpec(image_uri=INPUTS["Model"][1]["container_spec"]["image_uri"]),
    )
    clients = gapic_clients(emulator.endpoint)
    uploaded = clients.model.upload_model(parent="projects/acme-ml/locations/us-central1", model=model).result()
    return str(uploaded.model)


@pytest.mark.parametrize("kind", sorted(INPUTS))
def test_full_lifecycle(kind: str, server: ProviderServer, control: ControlClient, emulator: Emulator) -> None:
    provider_type, inputs = INPUTS[kind]
    if kind == "BatchPredictionJob":
        inputs = {**inputs, "model": _uploaded_model(emulator)}
        control.reset_counters()
    resource = server.resource(provider_type(), f"{kind.lower()}-1")

    preview = resource.check({**inputs, "display_name": UNKNOWN})
    assert preview.failures == []
    assert control.counters() == {}, "check never calls the API"

    checked = resource.check(inputs)
    assert checked.failures == []
    id_, outs = resource.create(checked.inputs)
    assert outs["name"] == id_
    assert outs["project"] == "acme-ml"
    assert outs["location"] == "us-central1"
    assert outs["resource_id"] == id_.split("/")[-1].split("@")[0]
    assert outs["resource_id"].isdigit()
    if kind in JOB_KINDS:
        assert outs["state"].endswith("_SUCCEEDED")
        assert outs["end_time"]

    assert resource.diff(id_, outs, inputs).changes is False, "an unchanged program previews no changes"
    field, value = REPLACING_CHANGE[kind]
    replacing = resource.diff(id_, outs, {**inputs, field: value})
    assert replacing.changes
    assert replacing.replaces == [field]
    assert resource.diff(id_, outs, {**inputs, "display_name": UNKNOWN}).changes

    if kind in ("Dataset", "Model"):
        renamed = {**inputs, "display_name": f"{inputs['display_name']}-renamed", "labels": {"team": "ml-ops"}}
        in_place = resource.diff(id_, outs, renamed)
        assert (in_place.changes, in_place.replaces) == (True, [])
        outs = resource.update(id_, outs, renamed)
        assert outs["display_name"] == renamed["display_name"]
        remote = _get(emulator, kind, id_)
        assert remote.display_name == renamed["display_name"]
        assert remote.labels["team"] == "ml-ops"
        assert "pulumi-create-key" in remote.labels, "the create key survives an update of the labels"
        inputs = renamed
        assert resource.diff(id_, outs, inputs).changes is False

    read_id, read_outs, read_inputs = resource.read(id_, outs)
    assert read_id == id_
    assert resource.diff(id_, read_outs, inputs).changes is False, "a refresh of an unchanged resource is quiet"
    assert read_inputs["display_name"] == inputs["display_name"]

    resource.delete(id_, outs)
    with pytest.raises(gexc.NotFound):
        _get(emulator, kind, id_)
    resource.delete(id_, outs)  # deleting what is already gone is done


def test_batch_prediction_consumes_the_pipeline_model(server: ProviderServer, control: ControlClient) -> None:
    pipeline_type, pipeline_inputs = INPUTS["TrainingPipeline"]
    pipeline = server.resource(pipeline_type(), "pipeline")
    _, pipeline_outs = pipeline.create(pipeline.check(pipeline_inputs).inputs)
    assert pipeline_outs["model_name"].startswith("projects/")
    assert pipeline_outs["model_version_id"] == "1"
    assert pipeline_outs["backing_custom_job"]
    batch_type, batch_inputs = INPUTS["BatchPredictionJob"]
    batch = server.resource(batch_type(), "score")
    _, outs = batch.create(batch.check({**batch_inputs, "model": pipeline_outs["model_name"]}).inputs)
    assert outs["state"] == "JOB_STATE_SUCCEEDED"
    assert outs["model"] == pipeline_outs["model_name"]


def test_refresh_sees_deletion_and_relabelling_outside_pulumi(
    server: ProviderServer, control: ControlClient, emulator: Emulator
) -> None:
    from google.protobuf import field_mask_pb2

    provider_type, inputs = INPUTS["Dataset"]
    resource = server.resource(provider_type(), "drift")
    id_, outs = resource.create(resource.check(inputs).inputs)
    clients = gapic_clients(emulator.endpoint)
    remote = clients.dataset.get_dataset(name=id_)
    remote.labels["team"] = "someone-else"
    clients.dataset.update_dataset(dataset=remote, update_mask=field_mask_pb2.FieldMask(paths=["labels"]))

    _, refreshed, refreshed_inputs = resource.read(id_, outs)
    assert refreshed_inputs["labels"] == {"team": "someone-else"}
    drift = resource.diff(id_, refreshed, inputs)
    assert (drift.changes, drift.replaces) == (True, []), "relabelling shows as an in-place update"

    clients.dataset.delete_dataset(name=id_).result()
    gone_id, _, _ = resource.read(id_, refreshed)
    assert gone_id == ""


def test_delete_while_running_cancels_then_deletes(
    server: ProviderServer, control: ControlClient, emulator: Emulator
) -> None:
    control.set_job_timing("*", mode="hold")
    provider_type, inputs = INPUTS["TrainingPipeline"]
    resource = server.resource(provider_type(), "running")
    id_, outs = resource.create(resource.check({**inputs, "wait_for_completion": False}).inputs)
    assert outs["state"] in ("PIPELINE_STATE_QUEUED", "PIPELINE_STATE_PENDING", "PIPELINE_STATE_RUNNING")
    resource.delete(id_, outs)
    clients = gapic_clients(emulator.endpoint)
    assert list(clients.pipeline.list_training_pipelines(parent="projects/acme-ml/locations/us-central1")) == []
    counters = control.counters()
    assert counters.get("CancelTrainingPipeline") == 1
    assert counters.get("DeleteTrainingPipeline") == 1


def test_failed_job_fails_the_create_with_the_api_message(server: ProviderServer, control: ControlClient) -> None:
    control.set_job_timing("customJobs", outcome="fail", error_message="trainer exited with code 3")
    provider_type, inputs = INPUTS["CustomJob"]
    resource = server.resource(provider_type(), "doomed")
    with pytest.raises(Exception, match="trainer exited with code 3") as caught:
        resource.create(resource.check(inputs).inputs)
    assert "CustomJob projects/" in str(caught.value)
    assert "JOB_STATE_FAILED" in str(caught.value)

    # The next `up` deletes the failed leftover and creates the job again.
    control.set_job_timing("customJobs", outcome="succeed")
    _, outs = resource.create(resource.check(inputs).inputs)
    assert outs["state"] == "JOB_STATE_SUCCEEDED"
    assert control.counters().get("DeleteCustomJob") == 1


def test_a_failed_pipeline_is_removed_by_the_next_create_even_with_other_inputs(
    server: ProviderServer, control: ControlClient, emulator: Emulator
) -> None:
    control.set_job_timing("trainingPipelines", outcome="fail", error_message="trainer exited with code 3")
    provider_type, inputs = INPUTS["TrainingPipeline"]
    resource = server.resource(provider_type(), "flaky")
    with pytest.raises(Exception, match="trainer exited with code 3") as caught:
        resource.create(resource.check(inputs).inputs)
    clients = gapic_clients(emulator.endpoint)
    parent = "projects/acme-ml/locations/us-central1"
    (failed,) = clients.pipeline.list_training_pipelines(parent=parent)
    assert f"TrainingPipeline {failed.name}" in str(caught.value), "the failing up names the failed pipeline"
    assert failed.state.name == "PIPELINE_STATE_FAILED"
    failed_job = failed.training_task_metadata["backingCustomJob"]

    # The user changes the inputs (another create key) and runs `up` again.
    control.set_job_timing("trainingPipelines", outcome="succeed")
    _, outs = resource.create(resource.check({**inputs, "display_name": "pipeline-fixed"}).inputs)
    assert outs["state"] == "PIPELINE_STATE_SUCCEEDED"
    assert [p.name for p in clients.pipeline.list_training_pipelines(parent=parent)] == [outs["name"]]
    assert [j.name for j in clients.job.list_custom_jobs(parent=parent)] == [outs["backing_custom_job"]]
    assert failed_job != outs["backing_custom_job"]
    assert f"{failed.name}: deleting a PIPELINE_STATE_FAILED leftover" in server.stderr_text()


def test_model_new_version_of_a_parent_model(
    server: ProviderServer, control: ControlClient, emulator: Emulator
) -> None:
    provider_type, inputs = INPUTS["Model"]
    base = server.resource(provider_type(), "model-v1")
    base_id, base_outs = base.create(base.check({**inputs, "model_id": "fraud_model"}).inputs)
    assert base_outs["model_name"] == base_id.split("@")[0]
    assert base_outs["version_id"] == "1"
    assert base_id.endswith("/models/fraud_model@1")

    version = server.resource(provider_type(), "model-v2")
    v2_inputs = {**inputs, "artifact_uri": "gs://acme/models/2/", "parent_model": base_outs["model_name"]}
    v2_id, v2_outs = version.create(version.check(v2_inputs).inputs)
    assert v2_outs["model_name"] == base_outs["model_name"]
    assert v2_outs["version_id"] == "2"
    assert version.diff(v2_id, v2_outs, v2_inputs).changes is False
    assert base.diff(base_id, base_outs, {**inputs, "model_id": "fraud_model2"}).delete_before_replace

    version.delete(v2_id, v2_outs)  # removes that version only
    clients = gapic_clients(emulator.endpoint)
    versions = list(clients.model.list_model_versions(name=base_outs["model_name"]))
    assert [v.version_id for v in versions] == ["1"]
    base.delete(base_id, base_outs)
    with pytest.raises(gexc.NotFound):
        clients.model.get_model(name=base_outs["model_name"])


@pytest.mark.parametrize("kind", ["Dataset", "CustomJob"])
def test_a_replacement_is_a_new_resource_not_an_adoption(
    kind: str, server: ProviderServer, control: ControlClient, emulator: Emulator
) -> None:
    provider_type, inputs = INPUTS[kind]
    resource = server.resource(provider_type(), "replaced")
    old_id, _ = resource.create(resource.check(inputs).inputs)
    field, value = REPLACING_CHANGE[kind]
    if kind == "Dataset":  # a field that is not part of the Dataset message still makes a different dataset
        inputs = {**inputs, "metadata_schema_uri": "image", "metadata": None}
        inputs = {k: v for k, v in inputs.items() if v is not None}
        field, value = (
            "data_import_configs",
            [{"gcs_source": {"uris": ["gs://acme/items.jsonl"]}, "import_schema_uri": IMAGE_IMPORT_SCHEMA}],
        )
        old_id, _ = resource.create(resource.check(inputs).inputs)
    new_id, _ = resource.create(resource.check({**inputs, field: value}).inputs)  # create-before-delete
    assert new_id != old_id
    assert _get(emulator, kind, old_id).name == old_id, "what it replaces stays until Pulumi deletes it"


def test_tuning_outputs_name_the_best_trial(server: ProviderServer, control: ControlClient) -> None:
    provider_type, inputs = INPUTS["HyperparameterTuningJob"]
    resource = server.resource(provider_type(), "tuned")
    _, outs = resource.create(resource.check({**inputs, "max_trial_count": 4, "parallel_trial_count": 2}).inputs)
    assert len(outs["trials"]) == 4
    best = outs["best_trial"]
    metric = {t["id"]: t["final_measurement"]["metrics"][0]["value"] for t in outs["trials"]}
    assert best["id"] == max(metric, key=lambda trial_id: metric[trial_id]), "the study maximizes auc"
    assert best["metrics"]["auc"] == max(metric.values())
    assert set(best["parameters"]) == {"alpha"}

    pipeline_type, pipeline_inputs = INPUTS["TrainingPipeline"]
    tuning = {k: v for k, v in pipeline_inputs.items() if k != "custom_task"}
    tuning["tuning_task"] = {
        key: inputs[key] for key in ("study_spec", "max_trial_count", "parallel_trial_count", "trial_job_spec")
    }
    pipeline = server.resource(pipeline_type(), "tuning-pipeline")
    _, pipeline_outs = pipeline.create(pipeline.check(tuning).inputs)
    assert pipeline_outs["backing_hyperparameter_tuning_job"]
    assert pipeline_outs["best_trial"]["metrics"]["auc"] == 1.0
    assert pipeline_outs["model_name"]


@pytest.mark.parametrize("task", ["custom_task", "tuning_task"])
def test_delete_keeps_artifacts_unless_asked(
    task: str, server: ProviderServer, control: ControlClient, emulator: Emulator
) -> None:
    pipeline_type, inputs = INPUTS["TrainingPipeline"]
    if task == "tuning_task":
        tuning_inputs = INPUTS["HyperparameterTuningJob"][1]
        inputs = {k: v for k, v in inputs.items() if k != "custom_task"}
        inputs["tuning_task"] = {
            key: tuning_inputs[key]
            for key in ("study_spec", "max_trial_count", "parallel_trial_count", "trial_job_spec")
        }
    parent = "projects/acme-ml/locations/us-central1"
    clients = gapic_clients(emulator.endpoint)

    def held() -> tuple[int, int, int]:
        return (
            len(list(clients.model.list_models(parent=parent))),
            len(list(clients.job.list_custom_jobs(parent=parent))),
            len(list(clients.job.list_hyperparameter_tuning_jobs(parent=parent))),
        )

    kept = server.resource(pipeline_type(), "kept")
    id_, outs = kept.create(kept.check(inputs).inputs)
    kept.delete(id_, outs)
    assert held()[0] == 1, "the uploaded model outlives its pipeline by default"
    assert sum(held()[1:]) >= 1

    control.reset()
    cleaned = server.resource(pipeline_type(), "cleaned")
    id_, outs = cleaned.create(cleaned.check({**inputs, "delete_artifacts": True}).inputs)
    cleaned.delete(id_, outs)
    assert held() == (0, 0, 0)


def _model_and_version_driver(server: ProviderServer) -> tuple[Any, str, dict[str, Any], Any, dict[str, Any]]:
    """A created model (driver, id, outputs) and a driver with the inputs of a second version of it."""
    provider_type, inputs = INPUTS["Model"]
    base = server.resource(provider_type(), "first")
    base_id, base_outs = base.create(base.check(inputs).inputs)
    version = server.resource(provider_type(), "second")
    version_inputs = {**inputs, "artifact_uri": "gs://acme/models/2/", "parent_model": base_outs["model_name"]}
    return base, base_id, base_outs, version, version_inputs


def test_deleting_the_default_version_keeps_the_newer_one(
    server: ProviderServer, control: ControlClient, emulator: Emulator
) -> None:
    base, base_id, base_outs, newer, newer_inputs = _model_and_version_driver(server)
    newer_id, _ = newer.create(newer.check(newer_inputs).inputs)
    base.delete(base_id, base_outs)  # version 1 is the default one: the alias moves, then it goes
    remaining = gapic_clients(emulator.endpoint).model.get_model(name=newer_id)
    assert remaining.version_id == "2"
    assert "default" in remaining.version_aliases


def test_a_repeated_version_upload_adopts_the_version(
    server: ProviderServer, control: ControlClient, emulator: Emulator
) -> None:
    """A create repeated after its answer was lost (an interrupted `up`) finds the version it uploaded."""
    _, _, base_outs, version, v2_inputs = _model_and_version_driver(server)
    first_id, _ = version.create(version.check(v2_inputs).inputs)
    again_id, _ = version.create(version.check(v2_inputs).inputs)
    assert again_id == first_id
    versions = gapic_clients(emulator.endpoint).model.list_model_versions(name=base_outs["model_name"])
    assert [v.version_id for v in versions] == ["1", "2"]


@pytest.mark.parametrize("kind", ["Dataset", "Model"])
def test_a_create_waits_for_its_operation_and_reads_the_resource(
    kind: str, server: ProviderServer, control: ControlClient, emulator: Emulator
) -> None:
    """As on Google Cloud (recorded), the create's operation is pending at first and its response is not the
    resource (a dataset's has no createTime, updateTime or etag): the outputs come from reading the resource."""
    provider_type, inputs = INPUTS[kind]
    resource = server.resource(provider_type(), f"{kind.lower()}-read-after-create")
    control.reset_counters()
    id_, outs = resource.create(resource.check(inputs).inputs)
    counters = control.counters()
    assert counters.get("GetOperation", 0) >= 1, "the create waited on a pending operation"
    assert counters.get(f"Get{kind}", 0) >= 1, "and read the resource it made"
    remote = _get(emulator, kind, id_)
    assert outs["create_time"]
    assert outs["update_time"]
    assert outs["create_time"][:19] == remote.create_time.strftime("%Y-%m-%dT%H:%M:%S")
    assert outs["update_time"][:19] == remote.update_time.strftime("%Y-%m-%dT%H:%M:%S")
