"""KFP IR placeholders in a task's command, args and constants, resolved as the Vertex AI Pipelines backend does.

Strings may hold `{{$...}}` placeholders; an argument may also be a JSON object string with a structure:
`{"Concat": [...]}` (joined) or `{"IfPresent": {"InputName": x, "Then": ..., "Else": ...}}` (a list in Then/Else
expands into several arguments). Understood placeholders:

    {{$}}  {{$.json_escape[1]}}                      the executor input (JSON; escaped once for embedding)
    {{$.inputs.parameters['x']}}                     a value: strings as they are, anything else as JSON
    {{$.outputs.parameters['x'].output_file}}        the file the task writes the parameter to
    {{$.inputs.artifacts['a'].uri|path|metadata}}    and .metadata['k'], .outputs.artifacts[...] the same
    {{$.pipeline_job_uuid}} _name _resource_name, {{$.pipeline_task_name}} _uuid, {{$.pipeline_root}},
    {{$.pipeline_google_cloud_project_id}} _location, {{$.pipeline_persistent_resource_id}}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._errors import InvalidSpecError

JsonDict = dict[str, Any]

_ESCAPED_INPUT = "{{$.json_escape[1]}}"
_PLACEHOLDER = re.compile(r"\{\{\$(?P<path>[^{}]*)\}\}")
_INPUT_PARAMETER = re.compile(r"^\.inputs\.parameters\['(?P<name>[^']+)'\]$")
_OUTPUT_PARAMETER = re.compile(r"^\.outputs\.parameters\['(?P<name>[^']+)'\]\.output_file$")
_ARTIFACT = re.compile(
    r"^\.(?P<side>inputs|outputs)\.artifacts\['(?P<name>[^']+)'\]\.(?P<what>uri|path|metadata)"
    r"(?:\['(?P<key>[^']+)'\])?$"
)


@dataclass
class Resolver:
    """Everything a placeholder can name for one task.

    executor_input: the task's executor input (as the process sees it). parameters: input parameter values.
    parameter_types: input name -> IR parameterType (how an unset optional one is written). artifact_paths:
    (side, name) -> the local path of that artifact. pipeline: `pipeline_job_uuid`, `pipeline_root`, ... values.
    pipeline_only: leave every placeholder but the pipeline-level ones as it is.
    """

    executor_input: JsonDict
    parameters: Mapping[str, Any]
    parameter_types: Mapping[str, str] = field(default_factory=dict)
    artifact_paths: Mapping[tuple[str, str], str] = field(default_factory=dict)
    pipeline: Mapping[str, str] = field(default_factory=dict)
    pipeline_only: bool = False  # fill pipeline-level placeholders only (defaults, before the task's inputs exist)

    # -- whole arguments --------------------------------------------------------------------------------
    def arguments(self, values: Sequence[Any]) -> list[str]:
        """A command or args list with structures expanded and placeholders filled."""
        result: list[str] = []
        for value in values:
            structure = _structure(value)
            if structure is None:
                result.append(self.text(str(value)))
            else:
                result.extend(self._expand(structure))
        return result

    def _expand(self, structure: Any) -> list[str]:
        if isinstance(structure, str):
            return [self.text(structure)]
        if isinstance(structure, list):
            return [item for part in structure for item in self._expand(part)]
        if isinstance(structure, dict) and "Concat" in structure:
            return ["".join("".join(self._expand(part)) for part in structure["Concat"])]
        if isinstance(structure, dict) and "IfPresent" in structure:
            branch = structure["IfPresent"]
            present = self.present(str(branch.get("InputName", "")))
            chosen = branch.get("Then") if present else branch.get("Else")
            return [] if chosen is None else self._expand(chosen)
        raise InvalidSpecError(f"Unsupported placeholder structure {json.dumps(structure)[:200]}")

    def present(self, name: str) -> bool:
        inputs = self.executor_input.get("inputs", {})
        return name in inputs.get("parameterValues", {}) or name in inputs.get("artifacts", {})

    # -- strings ----------------------------------------------------------------------------------------
    def text(self, value: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self._value(m["path"]), value)

    def value(self, value: Any) -> Any:
        """A constant of any JSON type with the placeholders in its strings filled (a whole-string placeholder of
        a non-string parameter keeps its type)."""
        if isinstance(value, str):
            whole = _PLACEHOLDER.fullmatch(value)
            match = _INPUT_PARAMETER.match(whole["path"]) if whole else None
            if match and match["name"] in self.parameters:
                return self.parameters[match["name"]]
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value

    def _value(self, path: str) -> str:
        if self.pipeline_only:
            name = path[1:]
            return self.pipeline[name] if path.startswith(".") and name in self.pipeline else f"{{{{${path}}}}}"
        if path == "":
            return json.dumps(self.executor_input)
        if path == ".json_escape[1]":
            return json.dumps(json.dumps(self.executor_input))[1:-1]
        if path.startswith("."):
            name = path[1:]
            if name in self.pipeline:
                return self.pipeline[name]
        match = _INPUT_PARAMETER.match(path)
        if match:
            return self._parameter(match["name"])
        match = _OUTPUT_PARAMETER.match(path)
        if match:
            outputs = self.executor_input.get("outputs", {}).get("parameters", {})
            return str(outputs.get(match["name"], {}).get("outputFile", ""))
        match = _ARTIFACT.match(path)
        if match:
            return self._artifact(match["side"], match["name"], match["what"], match["key"])
        raise InvalidSpecError(f"Unsupported placeholder {{{{${path}}}}}")

    def _parameter(self, name: str) -> str:
        if name not in self.parameters:
            # An optional input nobody set: empty text, or JSON null where a JSON value stands.
            return "" if self.parameter_types.get(name, "STRING") == "STRING" else "null"
        rendered = render(self.parameters[name], self.parameter_types.get(name, ""))
        # A parameter value may itself hold the escaped executor input: GCPC's custom job made from a component
        # embeds the component's `--executor_input {{$.json_escape[1]}}` in its worker pool specs.
        if _ESCAPED_INPUT in rendered:
            rendered = rendered.replace(_ESCAPED_INPUT, self._value(".json_escape[1]"))
        return rendered

    def _artifact(self, side: str, name: str, what: str, key: str | None) -> str:
        artifacts = self.executor_input.get(side, {}).get("artifacts", {}).get(name, {}).get("artifacts", [])
        if not artifacts:
            return ""
        artifact = artifacts[0]
        if what == "uri":
            return str(artifact.get("uri", ""))
        if what == "path":
            return self.artifact_paths.get((side, name), str(artifact.get("uri", "")))
        metadata = artifact.get("metadata", {})
        if key is None:
            return json.dumps(metadata)
        item = metadata.get(key, "")
        return item if isinstance(item, str) else json.dumps(item)


def render(value: Any, parameter_type: str = "") -> str:
    """A parameter value as text in a command line: strings as they are, integers without `.0`, else JSON."""
    if isinstance(value, str):
        return value
    if parameter_type == "NUMBER_INTEGER" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value)


def typed(value: Any, parameter_type: str) -> Any:
    """A JSON value as the IR type says (proto Struct numbers are all doubles: integers come back as ints)."""
    if parameter_type == "NUMBER_INTEGER" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _structure(value: Any) -> Any:
    """The structure a JSON-object argument holds (Concat / IfPresent), else None."""
    if not isinstance(value, str) or not value.startswith("{"):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    if isinstance(parsed, dict) and ({"Concat", "IfPresent"} & set(parsed)):
        return parsed
    return None


def remove_empty(value: Any) -> Any:
    """What GCPC's launchers send: the payload without empty objects, lists, strings, zeros, false or null."""
    while True:
        cleaned = _remove_empty_once(value)
        if cleaned == value:
            return cleaned
        value = cleaned


def _remove_empty_once(value: Any) -> Any:
    if isinstance(value, list):
        return [v if isinstance(v, (int, float, str, bool)) else _remove_empty_once(v) for v in value
                if isinstance(v, (int, float, str, bool)) or _remove_empty_once(v)]
    if isinstance(value, dict):
        return {k: _remove_empty_once(v) for k, v in value.items() if v}
    return value
