"""Hypothesis strategies producing valid specs of every kind (used by the round-trip tests)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from vertex_resources.specs import (
    BatchPredictionJobDefinition,
    CustomJobDefinition,
    DatasetDefinition,
    HyperparameterTuningJobDefinition,
    ModelDefinition,
    TrainingPipelineDefinition,
)

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)
words = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != "")
gcs_uris = names.map(lambda n: f"gs://bucket-{n}0/path/{n}")
labels = st.dictionaries(names.map(lambda n: "k" + n), names, max_size=4)
fractions = st.floats(min_value=0, max_value=0.33, allow_nan=False).map(lambda f: round(f, 6))
optional = st.none

env_names = st.from_regex(r"[A-Z_][A-Z0-9_]{0,11}", fullmatch=True)
env = st.lists(st.fixed_dictionaries({"name": env_names, "value": words}), max_size=3)
accounts = st.from_regex(r"[a-z][a-z0-9-]{4,20}[a-z0-9]", fullmatch=True).map(
    lambda n: f"{n}@acme-ml.iam.gserviceaccount.com"
)
machine = st.one_of(
    st.fixed_dictionaries({"machine_type": st.sampled_from(["n1-standard-4", "e2-highmem-8", "c2-standard-30"])}),
    st.sampled_from(
        [
            {"machine_type": "a2-highgpu-2g", "accelerator_type": "NVIDIA_TESLA_A100", "accelerator_count": 2},
            {"machine_type": "g2-standard-48", "accelerator_type": "NVIDIA_L4", "accelerator_count": 4},
            {"machine_type": "n1-highmem-16", "accelerator_type": "NVIDIA_TESLA_T4", "accelerator_count": 4},
            {"machine_type": "ct5lp-hightpu-4t", "accelerator_type": "TPU_V5_LITEPOD", "accelerator_count": 4},
        ]
    ),
)
container = st.fixed_dictionaries(
    {"image_uri": st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,6})?", fullmatch=True).map(lambda n: f"gcr.io/p/{n}:1")},
    optional={"command": st.lists(words, max_size=3), "args": st.lists(words, max_size=3), "env": env},
)
package = st.fixed_dictionaries(
    {
        "executor_image_uri": st.just("us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest"),
        "package_uris": st.lists(gcs_uris, min_size=1, max_size=3),
        "python_module": st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True).map(lambda n: f"trainer.{n}"),
    },
    optional={"args": st.lists(words, max_size=3), "env": env},
)
disk = st.fixed_dictionaries(
    {},
    optional={
        "boot_disk_type": st.sampled_from(["pd-ssd", "pd-standard"]),
        "boot_disk_size_gb": st.integers(100, 64000),
    },
)


@st.composite
def pools(draw: st.DrawFn, replica_count: int | None = None) -> dict[str, Any]:
    pool: dict[str, Any] = {"machine_spec": draw(machine)}
    if draw(st.booleans()):
        pool["container_spec"] = draw(container)
    else:
        pool["python_package_spec"] = draw(package)
    pool["replica_count"] = replica_count if replica_count is not None else draw(st.integers(1, 4))
    if draw(st.booleans()):
        pool["disk_spec"] = draw(disk)
    return pool


@st.composite
def job_specs(draw: st.DrawFn, with_output: bool = False) -> dict[str, Any]:
    count = draw(st.integers(1, 4))
    worker_pools = [draw(pools(1 if count > 1 else None))] + [draw(pools()) for _ in range(count - 1)]
    spec: dict[str, Any] = {"worker_pool_specs": worker_pools}
    if with_output or draw(st.booleans()):
        spec["base_output_directory"] = {"output_uri_prefix": draw(gcs_uris)}
    if draw(st.booleans()):
        spec["scheduling"] = {"timeout": draw(st.integers(1, 86400).map(lambda s: f"{s}s"))}
    if draw(st.booleans()):
        spec["service_account"] = draw(accounts)
    if draw(st.booleans()):
        spec["enable_web_access"] = draw(st.booleans())
    return spec


@st.composite
def parameters(draw: st.DrawFn, grid: bool) -> dict[str, Any]:
    kinds = ["integer", "categorical", "discrete"] + ([] if grid else ["double"])
    kind = draw(st.sampled_from(kinds))
    spec: dict[str, Any] = {"parameter_id": draw(names)}
    if kind == "double":
        low = draw(st.floats(0.001, 10).map(lambda f: round(f, 4)))
        spec["double_value_spec"] = {
            "min_value": low,
            "max_value": low + draw(st.floats(0.5, 10).map(lambda f: round(f, 3))),
        }
        spec["scale_type"] = draw(st.sampled_from(["UNIT_LINEAR_SCALE", "UNIT_LOG_SCALE"]))
    elif kind == "integer":
        low = draw(st.integers(1, 100))
        spec["integer_value_spec"] = {"min_value": low, "max_value": low + draw(st.integers(1, 100))}
    elif kind == "categorical":
        spec["categorical_value_spec"] = {"values": draw(st.lists(names, min_size=1, max_size=4, unique=True))}
    else:
        values = draw(st.lists(st.integers(1, 1000).map(float), min_size=1, max_size=4, unique=True))
        spec["discrete_value_spec"] = {"values": values}
    return spec


@st.composite
def tuning_tasks(draw: st.DrawFn) -> dict[str, Any]:
    algorithm = draw(st.sampled_from(["GRID_SEARCH", "RANDOM_SEARCH", "ALGORITHM_UNSPECIFIED"]))
    params = draw(
        st.lists(parameters(algorithm == "GRID_SEARCH"), min_size=1, max_size=3, unique_by=lambda p: p["parameter_id"])
    )
    most = draw(st.integers(1, 50))
    task: dict[str, Any] = {
        "study_spec": {
            "metrics": [{"metric_id": draw(names), "goal": draw(st.sampled_from(["MAXIMIZE", "MINIMIZE"]))}],
            "parameters": params,
            "algorithm": algorithm,
        },
        "max_trial_count": most,
        "parallel_trial_count": draw(st.integers(1, most)),
        "trial_job_spec": draw(job_specs(with_output=True)),
    }
    if draw(st.booleans()):
        task["max_failed_trial_count"] = draw(st.integers(0, 5))
    if draw(st.booleans()):
        task["study_spec"]["measurement_selection_type"] = draw(
            st.sampled_from(["LAST_MEASUREMENT", "BEST_MEASUREMENT"])
        )
    return task


@st.composite
def splits(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["fraction", "filter", "predefined", "timestamp", "stratified"]))
    if kind == "filter":
        return {"kind": kind, "training_filter": "labels.a=1", "validation_filter": "-", "test_filter": draw(names)}
    if kind == "predefined":
        return {"kind": kind, "key": draw(names)}
    split: dict[str, Any] = {"kind": kind}
    for name in ("training_fraction", "validation_fraction", "test_fraction"):
        if draw(st.booleans()):
            split[name] = draw(fractions)
    if kind in ("timestamp", "stratified"):
        split["key"] = draw(names)
    return split


input_data = st.fixed_dictionaries(
    {"dataset_id": st.integers(1, 10**18).map(str)},
    optional={
        "split": splits(),
        "gcs_destination": gcs_uris.map(lambda u: {"output_uri_prefix": u}),
        "annotations_filter": words,
    },
)
serving = st.fixed_dictionaries(
    {"image_uri": st.just("us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest")},
    optional={
        "predict_route": st.just("/predict"),
        "health_route": st.just("/health"),
        "ports": st.lists(st.integers(1, 65535).map(lambda p: {"container_port": p}), max_size=2),
        "env": env,
    },
)
models_to_upload = st.fixed_dictionaries(
    {"display_name": words.map(lambda w: w[:100]), "container_spec": serving},
    optional={"description": words, "labels": labels, "version_description": words},
)


@st.composite
def training_pipelines(draw: st.DrawFn) -> TrainingPipelineDefinition:
    data: dict[str, Any] = {"display_name": draw(names), "labels": draw(labels)}
    if draw(st.booleans()):
        data["custom_task"] = draw(job_specs(with_output=True))
    else:
        data["tuning_task"] = draw(tuning_tasks())
    if draw(st.booleans()):
        data["input_data_config"] = draw(input_data)
    if draw(st.booleans()):
        data["model_to_upload"] = draw(models_to_upload)
        if draw(st.booleans()):
            data["model_id"] = "m" + draw(names).lower()
    return TrainingPipelineDefinition.parse(data)


custom_jobs = st.builds(
    lambda name, spec, lab: CustomJobDefinition.parse({"display_name": name, "job_spec": spec, "labels": lab}),
    names,
    job_specs(),
    labels,
)
tuning_jobs = st.builds(
    lambda name, task: HyperparameterTuningJobDefinition.parse({"display_name": name, **task}), names, tuning_tasks()
)
datasets = st.one_of(
    st.builds(
        lambda name, uris, lab: DatasetDefinition.parse(
            {
                "display_name": name,
                "metadata_schema_uri": "tabular",
                "metadata": {"input_config": {"gcs_source": {"uri": uris}}},
                "labels": lab,
            }
        ),
        names,
        st.lists(gcs_uris, min_size=1, max_size=3),
        labels,
    ),
    st.builds(
        lambda name, kind, desc: DatasetDefinition.parse(
            {"display_name": name, "metadata_schema_uri": kind, "description": desc}
        ),
        names,
        st.sampled_from(["image", "text", "video"]),
        words,
    ),
)
models = st.builds(lambda model, uri: ModelDefinition.parse({**model, "artifact_uri": uri}), models_to_upload, gcs_uris)
batch_jobs = st.builds(
    lambda name, fmt, uris, out, size, explain: BatchPredictionJobDefinition.parse(
        {
            "display_name": name,
            "model": "projects/acme-ml/locations/us-central1/models/42@1",
            "input_config": {"instances_format": fmt, "gcs_source": {"uris": uris}},
            "output_config": {"predictions_format": "jsonl", "gcs_destination": {"output_uri_prefix": out}},
            "manual_batch_tuning_parameters": {"batch_size": size},
            "generate_explanation": explain,
            "dedicated_resources": {
                "machine_spec": {"machine_type": "n1-standard-2"},
                "starting_replica_count": 1,
                "max_replica_count": 2,
            },
            "instance_config": {"instance_type": "object", "excluded_fields": ["id"]},
            "model_parameters": {"threshold": 0.5},
        }
    ),
    names,
    st.sampled_from(["jsonl", "csv", "file-list"]),
    st.lists(gcs_uris, min_size=1, max_size=3),
    gcs_uris,
    st.integers(1, 1000),
    st.booleans(),
)

ALL_KINDS = {
    "TrainingPipeline": training_pipelines(),
    "CustomJob": custom_jobs,
    "HyperparameterTuningJob": tuning_jobs,
    "Dataset": datasets,
    "Model": models,
    "BatchPredictionJob": batch_jobs,
}
