"""PipelineJob: every rule of the spec (a failing case naming the field path, a passing case next to it), the ways a
compiled pipeline arrives (IR dict, file read at check, kfp in the program), caching, and the wire form."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from google.cloud.aiplatform_v1.types import pipeline_failure_policy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pulumi.output import Unknown

from vertex_resources import SpecError
from vertex_resources.providers._inputs import check_problems
from vertex_resources.specs import (
    ApiModel,
    InputArtifact,
    PipelineFailurePolicy,
    PipelineJobDefinition,
    PipelineRuntimeConfig,
    compile_pipeline,
)
from vertex_resources.specs._base import change_of

from .cases import with_change

EXECUTOR = {"container": {"image": "python:3.11", "command": ["python", "-c", "print(1)"]}}
IR: dict[str, Any] = {
    "pipelineInfo": {"name": "train-and-score"},
    "schemaVersion": "2.1.0",
    "sdkVersion": "kfp-2.17.3",
    "components": {
        "comp-train": {"executorLabel": "exec-train", "inputDefinitions": {"parameters": {}}},
        "comp-score": {"executorLabel": "exec-score"},
        "comp-inner": {
            "dag": {"tasks": {"score-inner": {"componentRef": {"name": "comp-score"}, "taskInfo": {"name": "s"}}}}
        },
    },
    "deploymentSpec": {"executors": {"exec-train": EXECUTOR, "exec-score": EXECUTOR}},
    "root": {
        "dag": {
            "tasks": {
                "train": {
                    "componentRef": {"name": "comp-train"},
                    "taskInfo": {"name": "train"},
                    "inputs": {
                        "parameters": {"epochs": {"componentInputParameter": "epochs"}},
                        "artifacts": {"data": {"componentInputArtifact": "data"}},
                    },
                },
                "score": {
                    "componentRef": {"name": "comp-inner"},
                    "dependentTasks": ["train"],
                    "inputs": {
                        "parameters": {
                            "accuracy": {"taskOutputParameter": {"producerTask": "train", "outputParameterKey": "acc"}}
                        },
                        "artifacts": {
                            "model": {"taskOutputArtifact": {"producerTask": "train", "outputArtifactKey": "model"}}
                        },
                    },
                    "taskInfo": {"name": "score"},
                    "cachingOptions": {"enableCache": True},
                },
            }
        },
        "inputDefinitions": {
            "parameters": {
                "epochs": {"parameterType": "NUMBER_INTEGER"},
                "rate": {"parameterType": "NUMBER_DOUBLE", "defaultValue": 0.1, "isOptional": True},
                "name": {"parameterType": "STRING", "defaultValue": "x", "isOptional": True},
                "fast": {"parameterType": "BOOLEAN", "defaultValue": False, "isOptional": True},
                "columns": {"parameterType": "LIST", "defaultValue": [], "isOptional": True},
                "options": {"parameterType": "STRUCT", "defaultValue": {}, "isOptional": True},
            },
            "artifacts": {
                "data": {"artifactType": {"schemaTitle": "system.Dataset", "schemaVersion": "0.0.1"}},
                "extra": {"artifactType": {"schemaTitle": "system.Artifact"}, "isOptional": True},
            },
        },
    },
}
BASE: dict[str, Any] = {
    "display_name": "nightly",
    "pipeline_spec": IR,
    "runtime_config": {
        "gcs_output_directory": "gs://acme-pipelines/root",
        "parameter_values": {"epochs": 3},
        "input_artifacts": {"data": {"artifact_id": "123"}},
    },
}
ROOT = "pipeline_spec.root"

# (path to change, bad value, expected problem path, words in the message, a good value for the same path)
CASES: list[tuple[str, Any, str, str, Any]] = [
    # the compiled pipeline
    ("pipeline_spec", "pipeline.txt", "pipeline_spec", ".yaml, .yml or .json file", IR),
    ("pipeline_spec", "gs://acme/pipeline.yaml", "pipeline_spec", "download it in the program", IR),
    ("pipeline_spec", "https://acme.example/pipeline.yaml", "pipeline_spec", "goes into template_uri", IR),
    ("pipeline_spec", "/nonexistent/pipeline.yaml", "pipeline_spec", "cannot read", IR),
    ("pipeline_spec", "~no-such-user-h2/pipeline.yaml", "pipeline_spec", "no such home directory", IR),
    ("pipeline_spec", "/tmp/pipe\0line.yaml", "pipeline_spec", "null byte", IR),
    ("pipeline_spec", "/tmp", "pipeline_spec", ".yaml, .yml or .json file", IR),
    ("pipeline_spec", [IR], "pipeline_spec", "compiled pipeline", IR),
    ("pipeline_spec.root", None, ROOT, "is missing", IR["root"]),
    ("pipeline_spec.root", ["tasks"], ROOT, "must be a mapping", IR["root"]),
    ("pipeline_spec.pipelineInfo", None, "pipeline_spec.pipelineInfo", "is missing", {"name": "p"}),
    ("pipeline_spec.pipelineInfo.name", " ", "pipeline_spec.pipelineInfo.name", "has a name", "p"),
    ("pipeline_spec.schemaVersion", "1.0", "pipeline_spec.schemaVersion", "2.x.y", "2.1.0"),
    ("pipeline_spec.schemaVersion", None, "pipeline_spec.schemaVersion", "is missing", "2.1.0"),
    ("pipeline_spec.root.dag.tasks", {}, f"{ROOT}.dag.tasks", "at least one task", IR["root"]["dag"]["tasks"]),
    (
        "pipeline_spec.root.dag.tasks.train.componentRef.name",
        "comp-nope",
        f"{ROOT}.dag.tasks.train.componentRef.name",
        "no component 'comp-nope'",
        "comp-train",
    ),
    (
        "pipeline_spec.root.dag.tasks.train.componentRef",
        None,
        f"{ROOT}.dag.tasks.train.componentRef.name",
        "names its component",
        {"name": "comp-train"},
    ),
    (
        "pipeline_spec.root.dag.tasks.score.dependentTasks",
        ["trian"],
        f"{ROOT}.dag.tasks.score.dependentTasks[0]",
        "no task 'trian'",
        ["train"],
    ),
    (
        "pipeline_spec.components.comp-inner.dag.tasks.score-inner.componentRef.name",
        "comp-x",
        "pipeline_spec.components.comp-inner.dag.tasks.score-inner.componentRef.name",
        "no component",
        "comp-score",
    ),
    (
        "pipeline_spec.root.dag.tasks.train.inputs.parameters.epochs.componentInputParameter",
        "epoch",
        f"{ROOT}.dag.tasks.train.inputs.parameters.epochs.componentInputParameter",
        "the DAG has no input parameter 'epoch'",
        "epochs",
    ),
    (
        "pipeline_spec.root.dag.tasks.train.inputs.artifacts.data.componentInputArtifact",
        "dataset",
        f"{ROOT}.dag.tasks.train.inputs.artifacts.data.componentInputArtifact",
        "the DAG has no input artifact 'dataset'",
        "data",
    ),
    (
        "pipeline_spec.root.dag.tasks.score.inputs.parameters.accuracy.taskOutputParameter.producerTask",
        "trainer",
        f"{ROOT}.dag.tasks.score.inputs.parameters.accuracy.taskOutputParameter.producerTask",
        "no task 'trainer' in the same DAG",
        "train",
    ),
    (
        "pipeline_spec.root.dag.tasks.score.inputs.artifacts.model.taskOutputArtifact.producerTask",
        7,
        f"{ROOT}.dag.tasks.score.inputs.artifacts.model.taskOutputArtifact.producerTask",
        "no task '7'",
        "train",
    ),
    (
        "pipeline_spec.components.comp-inner.dag.tasks.score-inner.inputs",
        {"parameters": {"x": {"componentInputParameter": "x"}}},
        "pipeline_spec.components.comp-inner.dag.tasks.score-inner.inputs.parameters.x.componentInputParameter",
        "the DAG has no input parameter 'x'",
        {"parameters": {"x": {"runtimeValue": {"constant": 1}}}},
    ),
    (
        "pipeline_spec.components.comp-train.executorLabel",
        "exec-nope",
        "pipeline_spec.components.comp-train.executorLabel",
        "deploymentSpec.executors",
        "exec-train",
    ),
    (
        "pipeline_spec.root.inputDefinitions.parameters.epochs.parameterType",
        "INTEGER",
        f"{ROOT}.inputDefinitions.parameters.epochs.parameterType",
        "NUMBER_INTEGER, NUMBER_DOUBLE",
        "NUMBER_INTEGER",
    ),
    ("pipeline_spec.sdkVersion", float("nan"), "pipeline_spec", "JSON values", "kfp-2.17.3"),
    # parameter values against the pipeline's inputs
    ("runtime_config.parameter_values.epochs", 1.5, "runtime_config.parameter_values.epochs", "NUMBER_INTEGER", 2.0),
    ("runtime_config.parameter_values.epochs", True, "runtime_config.parameter_values.epochs", "whole number", 2),
    ("runtime_config.parameter_values.rate", "fast", "runtime_config.parameter_values.rate", "NUMBER_DOUBLE", 1),
    ("runtime_config.parameter_values.name", 3, "runtime_config.parameter_values.name", "a string", "three"),
    ("runtime_config.parameter_values.fast", "yes", "runtime_config.parameter_values.fast", "true or false", True),
    ("runtime_config.parameter_values.columns", {}, "runtime_config.parameter_values.columns", "a list", ["a"]),
    ("runtime_config.parameter_values.options", [], "runtime_config.parameter_values.options", "a mapping", {"a": 1}),
    (
        "runtime_config.parameter_values.epoch",
        3,
        "runtime_config.parameter_values.epoch",
        "no input parameter 'epoch' (it has: columns, epochs, fast, name, options, rate)",
        None,
    ),
    (
        "runtime_config.parameter_values",
        {"rate": 0.5},
        "runtime_config.parameter_values",
        "'epochs' is required",
        {"epochs": 1, "rate": 0.5},
    ),
    # input artifacts
    (
        "runtime_config.input_artifacts.dataa",
        {"artifact_id": "1"},
        "runtime_config.input_artifacts.dataa",
        "no input artifact 'dataa' (it has: data, extra)",
        None,
    ),
    (
        "runtime_config.input_artifacts",
        {"extra": {"artifact_id": "1"}},
        "runtime_config.input_artifacts",
        "'data' is required",
        {"data": {"artifact_id": "1"}, "extra": {"artifact_id": "2"}},
    ),
    ("runtime_config.input_artifacts.data", {"artifact_id": ""}, "runtime_config.input_artifacts.data.artifact_id",
     "at least 1 character", {"artifact_id": "a1"}),
    # the rest of the runtime config
    ("runtime_config.gcs_output_directory", "/tmp/root", "runtime_config.gcs_output_directory", "gs://", "gs://a-b"),
    ("runtime_config.gcs_output_directory", "gs://A", "runtime_config.gcs_output_directory", "bucket names", "gs://a12"),
    (
        "runtime_config.failure_policy",
        "fast",
        "runtime_config.failure_policy",
        "PIPELINE_FAILURE_POLICY_FAIL_FAST",
        "PIPELINE_FAILURE_POLICY_FAIL_FAST",
    ),
    # the run
    ("display_name", "x" * 129, "display_name", "at most 128", "x" * 128),
    ("service_account", "me@gmail.com", "service_account", "account email", "runner@acme-ml.iam.gserviceaccount.com"),
    ("network", "default", "network", "projects/{project number}/global/networks", "projects/123/global/networks/vpc"),
    ("labels", {"Team": "ml"}, "labels.Team", "label keys", {"team": "ml"}),
    ("labels", {"pulumi-create-key": "x"}, "labels.pulumi-create-key", "the provider's own label", {"team": "x"}),
    ("labels", {f"k{i}": "v" for i in range(63)}, "labels", "at most 62 labels", {f"k{i}": "v" for i in range(62)}),
    ("enable_caching", "no", "enable_caching", "true or false", False),
    ("encryption_spec", {"kms_key_name": "k"}, "encryption_spec.kms_key_name", "keyRings", None),
]


def _case_id(case: tuple[str, Any, str, str, Any]) -> str:
    return f"{case[2]}:{case[3][:30]}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(case) for case in CASES])
def test_each_rule_fails_on_its_field_path_and_passes_when_met(case: tuple[str, Any, str, str, Any]) -> None:
    path, bad, where, words, good = case
    with pytest.raises(SpecError) as caught:
        PipelineJobDefinition.parse(with_change(BASE, path, bad))
    matching = [p for p in caught.value.problems if p.where == where and words in p.message]
    assert matching, f"expected a problem at {where!r} mentioning {words!r}, got:\n{caught.value}"
    PipelineJobDefinition.parse(with_change(BASE, path, good))


TEMPLATE: dict[str, Any] = {
    "template_uri": "https://us-central1-kfp.pkg.dev/acme-ml/pipelines/train/latest",
    "runtime_config": {"gcs_output_directory": "gs://acme-pipelines/root"},
}
TEMPLATE_CASES: list[tuple[str, Any, str, str, Any]] = [
    ("template_uri", "https://example.com/pipeline", "template_uri", "Artifact Registry", "https://example.com/p.yaml"),
    ("template_uri", "gs://acme/p.yaml", "template_uri", "not fetch templates from Cloud Storage",
     "https://storage.googleapis.com/acme/p.yaml"),
    ("enable_caching", True, "enable_caching", "applies to a pipeline_spec", None),
    ("pipeline_spec", IR, "", "exactly one of pipeline_spec or template_uri (got pipeline_spec, template_uri)", None),
    ("reserved_ip_ranges", ["r1"], "reserved_ip_ranges", "set network too", None),
    ("reserved_ip_ranges", ["R_1"], "reserved_ip_ranges[0]", "reserved IP range names", None),
]


@pytest.mark.parametrize("case", TEMPLATE_CASES, ids=[_case_id(case) for case in TEMPLATE_CASES])
def test_rules_of_a_run_from_a_template(case: tuple[str, Any, str, str, Any]) -> None:
    path, bad, where, words, good = case
    with pytest.raises(SpecError) as caught:
        PipelineJobDefinition.parse(with_change(TEMPLATE, path, bad))
    matching = [p for p in caught.value.problems if p.where == where and words in p.message]
    assert matching, f"expected a problem at {where!r} mentioning {words!r}, got:\n{caught.value}"
    PipelineJobDefinition.parse(with_change(TEMPLATE, path, good))


def test_neither_a_pipeline_spec_nor_a_template_is_refused() -> None:
    with pytest.raises(SpecError, match="set exactly one of pipeline_spec or template_uri"):
        PipelineJobDefinition.parse(with_change(TEMPLATE, "template_uri", None))


def test_a_pipeline_file_is_read_at_check_and_the_ir_is_what_is_kept(tmp_path: Path) -> None:
    as_yaml = tmp_path / "pipeline.yaml"
    as_yaml.write_text(json.dumps(IR, indent=1))  # JSON is YAML
    as_json = tmp_path / "pipeline.json"
    as_json.write_text(json.dumps({"pipelineSpec": IR, "runtimeConfig": {}}))  # a PipelineJob file (KFP 1.8)
    for path in (as_yaml, as_json):
        spec = PipelineJobDefinition.parse({**BASE, "pipeline_spec": str(path)})
        assert spec.to_plain()["pipeline_spec"] == IR
        assert spec.to_api()["pipelineSpec"] == IR


def test_a_pipeline_file_that_does_not_parse_names_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "pipeline.yaml"
    broken.write_text("pipelineInfo:\n  name: [unclosed\n")
    with pytest.raises(SpecError) as caught:
        PipelineJobDefinition.parse({**BASE, "pipeline_spec": str(broken)})
    assert caught.value.problems[0].where == "pipeline_spec"
    assert "does not parse at line 3" in caught.value.problems[0].message


def test_yaml_dates_and_numeric_keys_become_json(tmp_path: Path) -> None:
    odd = tmp_path / "pipeline.yaml"
    odd.write_text(json.dumps(IR) + "\n")
    text = odd.read_text().replace('"sdkVersion": "kfp-2.17.3"', '"sdkVersion": 2024-01-01, 7: 8')
    odd.write_text(text)
    spec = PipelineJobDefinition.parse({**BASE, "pipeline_spec": str(odd)})
    assert spec.to_plain()["pipeline_spec"]["sdkVersion"] == "2024-01-01"
    assert spec.to_plain()["pipeline_spec"]["7"] == 8


@pytest.mark.parametrize(
    "ir",
    [
        {"root": {"dag": {"tasks": ["a"]}}, "pipelineInfo": [], "schemaVersion": 2},
        {"root": {"dag": {"tasks": {"a": 1}}}, "components": [], "deploymentSpec": {"executors": 3}},
        {"root": {"dag": {"tasks": {"a": {"componentRef": []}}}, "inputDefinitions": []}},
        {"root": {"dag": {"tasks": {"a": {"componentRef": {"name": "c"}, "dependentTasks": "b"}}}}},
        {"components": {"c": 1, "d": {"dag": []}}, "root": {"inputDefinitions": {"parameters": {"p": 1}}}},
        {"root": {"inputDefinitions": {"parameters": [], "artifacts": 3}}},
        {"a": {"b": [None] * 3}, "root": None},
        {"k": object()},
    ],
)
def test_no_malformed_pipeline_spec_crashes_the_check(ir: dict[str, Any]) -> None:
    data = copy.deepcopy(BASE) if "k" not in ir else dict(BASE)
    data["pipeline_spec"] = ir
    problems, _notes, _spec = check_problems(PipelineJobDefinition, data)
    assert problems
    assert all(problem.where.startswith("pipeline_spec") for problem in problems)


def test_values_not_known_yet_wait_and_the_rest_is_checked() -> None:
    data = with_change(BASE, "runtime_config.parameter_values", {"epochs": Unknown(), "rate": "fast"})
    problems, _notes, spec = check_problems(PipelineJobDefinition, data)
    assert [problem.where for problem in problems] == ["runtime_config.parameter_values.rate"]
    assert spec is None
    problems, _notes, _spec = check_problems(PipelineJobDefinition, {**BASE, "pipeline_spec": Unknown()})
    assert problems == []


def test_enable_caching_sets_every_task_of_every_dag_and_unset_keeps_the_compiled_options() -> None:
    def caching(spec: dict[str, Any]) -> list[Any]:
        tasks = [
            *spec["root"]["dag"]["tasks"].values(),
            *spec["components"]["comp-inner"]["dag"]["tasks"].values(),
        ]
        return [task.get("cachingOptions") for task in tasks]

    for enabled in (True, False):
        sent = PipelineJobDefinition.parse({**BASE, "enable_caching": enabled}).to_api()
        assert caching(sent["pipelineSpec"]) == [{"enableCache": enabled}] * 3
        assert "enableCaching" not in sent
    assert caching(PipelineJobDefinition.parse(BASE).to_api()["pipelineSpec"]) == [None, {"enableCache": True}, None]
    assert PipelineJobDefinition.parse({**BASE, "enable_caching": False}).to_plain()["enable_caching"] is False


def test_the_request_body_is_the_v1_pipeline_job_message() -> None:
    spec = PipelineJobDefinition.parse(
        {
            **BASE,
            "labels": {"team": "ml"},
            "network": "projects/123/global/networks/vpc",
            "reserved_ip_ranges": ["range-a"],
            "runtime_config": {**BASE["runtime_config"], "failure_policy": "PIPELINE_FAILURE_POLICY_FAIL_FAST"},
        }
    )
    body = spec.to_api()
    assert body["runtimeConfig"] == {
        "gcsOutputDirectory": "gs://acme-pipelines/root",
        "parameterValues": {"epochs": 3},
        "inputArtifacts": {"data": {"artifactId": "123"}},
        "failurePolicy": "PIPELINE_FAILURE_POLICY_FAIL_FAST",
    }
    assert {key for key in body if key != "runtimeConfig"} == {
        "displayName",
        "pipelineSpec",
        "labels",
        "network",
        "reservedIpRanges",
    }
    from google.cloud import aiplatform_v1

    aiplatform_v1.PipelineJob.from_json(json.dumps(body), ignore_unknown_fields=False)  # the official type takes it


def test_a_response_is_read_leniently() -> None:
    spec = PipelineJobDefinition.parse(BASE)
    answer = {
        **spec.to_api(),
        "name": "projects/1/locations/us-central1/pipelineJobs/nightly-1",
        "state": "PIPELINE_STATE_SUCCEEDED",
        "jobDetail": {"taskDetails": []},
        "templateMetadata": {},
        "labels": {"team": "ml", "pulumi-create-key": "k"},
    }
    read = PipelineJobDefinition.from_api(answer)
    assert read.state == "PIPELINE_STATE_SUCCEEDED"
    assert read.pipeline_spec == IR


def test_a_legacy_schema_takes_no_parameter_values() -> None:
    legacy = with_change(IR, "schemaVersion", "2.0.0")
    legacy["root"]["inputDefinitions"]["parameters"] = {"epochs": {"type": "INT"}}
    with pytest.raises(SpecError, match="compile it with KFP 2"):
        PipelineJobDefinition.parse({**BASE, "pipeline_spec": legacy})
    PipelineJobDefinition.parse(
        {**BASE, "pipeline_spec": legacy, "runtime_config": {**BASE["runtime_config"], "parameter_values": None}}
    )


def test_the_failure_policy_enum_matches_the_official_proto() -> None:
    official = pipeline_failure_policy.PipelineFailurePolicy
    assert {m.name: m.value for m in PipelineFailurePolicy} == {m.name: m.value for m in official}


def test_the_billing_label_is_a_warning() -> None:
    spec = PipelineJobDefinition.parse({**BASE, "labels": {"vertex-ai-pipelines-run-billing-id": "x"}})
    assert [note.where for note in spec.notes()] == ["labels.vertex-ai-pipelines-run-billing-id"]


def test_compile_pipeline_compiles_a_kfp_pipeline_in_the_program() -> None:
    from .kfp_pipelines import add_pipeline

    ir = compile_pipeline(add_pipeline)
    spec = PipelineJobDefinition.parse(
        {"pipeline_spec": ir, "runtime_config": {"gcs_output_directory": "gs://a-b", "parameter_values": {"a": 1}}}
    )
    assert spec.pipeline_spec is not None
    config = {"gcs_output_directory": "gs://a-b", "parameter_values": {"a": 1, "b": "x"}}
    with pytest.raises(SpecError, match=r"runtime_config\.parameter_values\.b: the pipeline declares it NUMBER_DOUBLE"):
        PipelineJobDefinition.parse({"pipeline_spec": ir, "runtime_config": config})


def _paths(value: Any, prefix: str = "") -> list[str]:
    """Every dotted path inside ``value`` (list indexes as numbers), for the fuzz below."""
    found = [prefix] if prefix else []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        found += _paths(item, f"{prefix}.{key}" if prefix else str(key))
    return found


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


@given(path=st.sampled_from(_paths(BASE)), value=JSON_VALUES)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_value_anywhere_in_a_pipeline_job_crashes_the_check(path: str, value: Any) -> None:
    assume(value is not None or not path.rsplit(".", 1)[-1].isdigit())  # with_change deletes a key on None
    data = with_change(BASE, path, value)
    with contextlib.suppress(SpecError):
        PipelineJobDefinition.parse(data)
    problems, _notes, _spec = check_problems(PipelineJobDefinition, data)
    assert all(isinstance(problem.message, str) for problem in problems)


def test_a_pipeline_of_loops_conditions_and_nested_pipelines_passes() -> None:
    from .kfp_pipelines import nested_pipeline

    ir = compile_pipeline(nested_pipeline)
    assert len([name for name, c in ir["components"].items() if "dag" in c]) >= 3  # DAGs inside DAGs
    spec = PipelineJobDefinition.parse({"pipeline_spec": ir, "runtime_config": {"gcs_output_directory": "gs://a-b"}})
    assert spec.to_api()["pipelineSpec"] == ir


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (PipelineJobDefinition, "PipelineJob"),
        (PipelineRuntimeConfig, "PipelineJob.RuntimeConfig"),
        (InputArtifact, "PipelineJob.RuntimeConfig.InputArtifact"),
    ],
)
def test_every_field_sent_is_a_field_of_the_v1_message(model: type[ApiModel], message: str) -> None:
    from google.cloud import aiplatform_v1

    found: Any = aiplatform_v1
    for part in message.split("."):
        found = getattr(found, part)
    proto_fields = found.pb().DESCRIPTOR.fields_by_name
    for name, info in model.model_fields.items():
        change = change_of(info)
        if change is None or change.in_body:
            assert name in proto_fields, f"{model.__name__}.{name} is not a field of {message}"
