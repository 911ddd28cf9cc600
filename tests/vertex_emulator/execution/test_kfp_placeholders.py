"""KFP IR placeholders and trigger conditions, filled and evaluated as Vertex AI Pipelines does."""

from __future__ import annotations

import json

import pytest

from vertex_emulator.execution import InvalidSpecError
from vertex_emulator.execution._kfp_conditions import evaluate
from vertex_emulator.execution._kfp_placeholders import Resolver, remove_empty

EXECUTOR_INPUT = {
    "inputs": {
        "parameterValues": {"name": "m", "count": 3, "flags": ["a"], "spec": [{"args": ["{{$.json_escape[1]}}"]}]},
        "artifacts": {"model": {"artifacts": [{"uri": "gs://b/m", "metadata": {"resourceName": "models/1@2"}}]}},
    },
    "outputs": {"parameters": {"gcp_resources": {"outputFile": "/tmp/out/gcp_resources"}}, "outputFile": "/tmp/o.json"},
}


def resolver() -> Resolver:
    parameters = EXECUTOR_INPUT["inputs"]["parameterValues"]
    types = {"name": "STRING", "count": "NUMBER_INTEGER", "flags": "LIST", "spec": "LIST", "labels": "STRUCT",
             "note": "STRING"}
    return Resolver(EXECUTOR_INPUT, parameters, types, {("inputs", "model"): "/stage/b/m"},
                    {"pipeline_job_uuid": "run-1", "pipeline_google_cloud_project_id": "123"})


def test_placeholders_in_strings() -> None:
    fill = resolver().text
    assert fill("{{$.inputs.parameters['name']}}-{{$.inputs.parameters['count']}}") == "m-3"
    assert fill("{{$.inputs.parameters['flags']}}") == '["a"]'
    assert fill('{"labels": {{$.inputs.parameters[\'labels\']}}, "note": "{{$.inputs.parameters[\'note\']}}"}') == (
        '{"labels": null, "note": ""}'  # optional inputs nobody set
    )
    assert fill("{{$.outputs.parameters['gcp_resources'].output_file}}") == "/tmp/out/gcp_resources"
    assert fill("{{$.inputs.artifacts['model'].metadata['resourceName']}}") == "models/1@2"
    assert fill("{{$.inputs.artifacts['model'].uri}} {{$.inputs.artifacts['model'].path}}") == "gs://b/m /stage/b/m"
    assert fill("projects/{{$.pipeline_google_cloud_project_id}}/pipelineJobs/{{$.pipeline_job_uuid}}") == (
        "projects/123/pipelineJobs/run-1"
    )
    assert json.loads(fill("{{$}}")) == EXECUTOR_INPUT


def test_the_escaped_executor_input_inside_a_parameter_value_is_filled_too() -> None:
    payload = json.loads(resolver().text('{"worker_pool_specs": {{$.inputs.parameters[\'spec\']}}}'))
    (embedded,) = payload["worker_pool_specs"][0]["args"]
    assert json.loads(embedded)["outputs"]["outputFile"] == "/tmp/o.json"


def test_concat_and_if_present_structures() -> None:
    args = resolver().arguments([
        "--type",
        json.dumps({"Concat": ["a-", "{{$.inputs.parameters['name']}}", {"Concat": ["-", "z"]}]}),
        json.dumps({"IfPresent": {"InputName": "model", "Then": ["--model", "{{$.inputs.artifacts['model'].uri}}"]}}),
        json.dumps({"IfPresent": {"InputName": "parent", "Then": ["--parent", "x"], "Else": "--no-parent"}}),
    ])
    assert args == ["--type", "a-m-z", "--model", "gs://b/m", "--no-parent"]


def test_unknown_placeholders_are_spec_errors_and_pipeline_only_keeps_them() -> None:
    with pytest.raises(InvalidSpecError, match="Unsupported placeholder"):
        resolver().text("{{$.inputs.nothing}}")
    keep = Resolver({}, {}, pipeline={"pipeline_root": "gs://r"}, pipeline_only=True)
    assert keep.text("{{$.pipeline_root}} {{$.json_escape[1]}} {{$.inputs.parameters['x']}}") == (
        "gs://r {{$.json_escape[1]}} {{$.inputs.parameters['x']}}"
    )
    assert resolver().value(["{{$.inputs.parameters['count']}}", "n={{$.inputs.parameters['count']}}"]) == [3, "n=3"]


def test_payloads_lose_their_empty_fields_as_gcps_launchers_send_them() -> None:
    assert remove_empty({"a": "", "b": {"c": None, "d": {}}, "e": [1, {}, ""], "f": 0, "g": False, "h": "x"}) == {
        "e": [1, ""], "h": "x"
    }


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("inputs.parameter_values['side'] == 'heads'", True),
        ("!(inputs.parameter_values['side'] == 'heads')", False),
        ("int(inputs.parameter_values['n']) > 5 && inputs.parameter_values['flag'] == true", True),
        ("inputs.parameter_values['n'] <= 2.5 || inputs.parameter_values['side'] != \"tails\"", True),
        ("double(inputs.parameter_values['n']) >= 7.5", False),
        ("string(inputs.parameter_values['flag']) == 'true'", True),
    ],
)
def test_trigger_conditions(condition: str, expected: bool) -> None:
    assert evaluate(condition, {"side": "heads", "n": 7, "flag": True}) is expected


@pytest.mark.parametrize("condition", ["inputs.parameter_values['x'] == 1", "1 ==", "(1 == 1", "size(x) > 1", "1 + 1"])
def test_conditions_the_emulator_cannot_evaluate_are_spec_errors(condition: str) -> None:
    with pytest.raises(InvalidSpecError, match="trigger condition"):
        evaluate(condition, {})
