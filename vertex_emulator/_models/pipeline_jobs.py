"""PipelineJob: what a create must hold beyond the proto, and how the record shows its tasks.

The body arrives parsed by the official `google.cloud.aiplatform.v1.PipelineJob` type (so `pipelineSpec` is
any JSON object); here it is checked as Vertex AI Pipelines checks a submitted run: a compiled KFP pipeline
(`root.dag.tasks`, `components`, `deploymentSpec.executors`), a pipeline root (`runtimeConfig.gcsOutputDirectory`
or the spec's `defaultPipelineRoot`) and parameter values that match the pipeline's declared inputs by name and
type. Problems are reported all at once with their field paths.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from vertex_emulator import _validation
from vertex_emulator._errors import InvalidArgument
from vertex_emulator._names import PIPELINE_JOB_ID
from vertex_emulator.storage import ObjectStorage

JsonDict = dict[str, Any]

PATH = "pipeline_job"
# Fields the service fills; a create that sends them has them dropped, as the API ignores output-only fields.
OUTPUT_ONLY = ("jobDetail", "scheduleName", "templateMetadata")
# Filter fields of ListPipelineJobs the emulator understands (besides labels.KEY).
LIST_FILTER_FIELDS = ("displayName", "state", "pipelineName", "createTime", "updateTime", "endTime", "templateUri")

# KFP IR parameter types -> a check of a JSON value and the words an error uses.
_PARAMETER_TYPES: dict[str, tuple[Any, str]] = {
    "STRING": (lambda v: isinstance(v, str), "a string"),
    "NUMBER_INTEGER": (
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer(),
        "an integer",
    ),
    "NUMBER_DOUBLE": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
    "BOOLEAN": (lambda v: isinstance(v, bool), "a boolean"),
    "LIST": (lambda v: isinstance(v, list), "a list"),
    "STRUCT": (lambda v: isinstance(v, dict), "a JSON object"),
    "TASK_FINAL_STATUS": (lambda v: isinstance(v, dict), "a JSON object"),
}
# The deprecated `runtimeConfig.parameters` (typed Value messages) as plain values.
_LEGACY_VALUE_KEYS = {"intValue": int, "doubleValue": float, "stringValue": str}


def check_job_id(job_id: str) -> None:
    if not PIPELINE_JOB_ID.match(job_id):
        raise InvalidArgument(
            f"pipeline_job_id '{job_id[:200]}' is invalid: it must match [a-z][-a-z0-9]{{0,127}} (at most 128 "
            "characters, lowercase letters, digits and hyphens, starting with a letter)."
        )


def load_template(storage: ObjectStorage, uri: str) -> JsonDict:
    """The compiled pipeline a `templateUri` names (a gs:// object in the emulator's storage, JSON or YAML)."""
    field = f"{PATH}.template_uri"
    if not uri.startswith("gs://"):
        raise InvalidArgument(
            f"{field}: the emulator reads templates from its own storage only (gs://BUCKET/OBJECT), got '{uri}'; "
            "send the compiled pipeline as pipeline_spec instead."
        )
    try:
        text = storage.read_text(uri)
    except Exception as err:  # any storage failure: the object cannot be read
        raise InvalidArgument(f"{field}: cannot read {uri}: {err}") from err
    try:
        import yaml  # PyYAML comes with kfp; JSON is YAML too

        value = yaml.safe_load(text)
    except ImportError:
        value = json.loads(text)
    except Exception as err:  # yaml has its own error types
        raise InvalidArgument(f"{field}: {uri} is not a compiled pipeline (YAML or JSON): {err}") from err
    if not isinstance(value, dict):
        raise InvalidArgument(f"{field}: {uri} is not a compiled pipeline (expected a mapping).")
    return value


def prepare(body: JsonDict) -> JsonDict:
    """The create body checked and with output-only fields dropped; INVALID_ARGUMENT listing every problem."""
    problems = _validation.Problems()
    if len(body.get("displayName", "")) > 128:
        problems.add(f"{PATH}.display_name", "Display name must be at most 128 characters.")
    _validation.labels(problems, body, PATH)
    spec = body.get("pipelineSpec")
    if problems.require(spec, f"{PATH}.pipeline_spec"):
        _check_spec(problems, spec, f"{PATH}.pipeline_spec")
    runtime = body.get("runtimeConfig", {})
    root = runtime.get("gcsOutputDirectory") or _at(spec, "defaultPipelineRoot") or ""
    if not root:
        problems.add(
            f"{PATH}.runtime_config.gcs_output_directory",
            "Required: the pipeline root (or the pipeline spec's defaultPipelineRoot).",
        )
    elif not isinstance(root, str):
        problems.add(f"{PATH}.pipeline_spec.defaultPipelineRoot", "Must be a gs:// URI.")
    else:
        _validation.gcs_uri(problems, root, f"{PATH}.runtime_config.gcs_output_directory")
    if isinstance(spec, dict):
        _check_parameters(problems, spec, parameter_values(body))
    if runtime.get("inputArtifacts"):
        problems.add(f"{PATH}.runtime_config.input_artifacts", "Input artifacts are not supported by the emulator.")
    problems.raise_if_any()
    return {k: v for k, v in body.items() if k not in OUTPUT_ONLY}


def parameter_values(body: Mapping[str, Any]) -> JsonDict:
    """`runtimeConfig.parameterValues` merged over the deprecated typed `runtimeConfig.parameters`."""
    runtime = body.get("runtimeConfig", {})
    values: JsonDict = {}
    for name, typed in runtime.get("parameters", {}).items():
        for key, convert in _LEGACY_VALUE_KEYS.items():
            if key in typed:
                values[name] = convert(typed[key])
    values.update(runtime.get("parameterValues", {}))
    return values


def list_view(body: JsonDict) -> JsonDict:
    """What ListPipelineJobs filters see: the job, and its pipeline's name as `pipelineName`."""
    name = _at(body, "pipelineSpec", "pipelineInfo", "name")
    return {**body, "pipelineName": name} if isinstance(name, str) else body


def _at(value: Any, *keys: str) -> Any:
    """`value[k1][k2]...`, or None where a level is missing or not a JSON object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _check_spec(problems: _validation.Problems, spec: Any, path: str) -> None:
    if not isinstance(spec, dict):
        problems.add(path, "Must be a compiled KFP pipeline (a JSON object).")
        return
    name = _at(spec, "pipelineInfo", "name")
    if not isinstance(name, str) or not name:
        problems.add(f"{path}.pipelineInfo.name", "Required field is not set.")
    components = spec.get("components", {})
    executors = _at(spec, "deploymentSpec", "executors")
    if not isinstance(components, dict) or not isinstance(executors, dict):
        problems.add(f"{path}.components", "components and deploymentSpec.executors must be JSON objects.")
        return
    for label, executor in executors.items():
        _check_executor(problems, executor, f"{path}.deploymentSpec.executors.{label}")
    tasks = _at(spec, "root", "dag", "tasks")
    if not isinstance(tasks, dict) or not tasks:
        problems.add(f"{path}.root.dag.tasks", "Required: the pipeline's tasks.")
        return
    _check_dag(problems, tasks, components, executors, f"{path}.root.dag.tasks", depth=0)


def _check_executor(problems: _validation.Problems, executor: Any, path: str) -> None:
    container = _at(executor, "container")
    if isinstance(container, dict):
        if not isinstance(container.get("image"), str) or not container["image"]:
            problems.add(f"{path}.container.image", "Required field is not set.")
        for key in ("command", "args"):
            if not isinstance(container.get(key, []), list):
                problems.add(f"{path}.container.{key}", "Must be a list of strings.")
        env = container.get("env", [])
        if not isinstance(env, list) or not all(isinstance(item, dict) for item in env):
            problems.add(f"{path}.container.env", "Must be a list of {name, value} objects.")
    elif not isinstance(executor, dict) or not executor:
        problems.add(path, "Must be a container, importer or other executor object.")
    elif "importer" in executor and not isinstance(executor["importer"], dict):
        problems.add(f"{path}.importer", "Must be a JSON object.")


def _check_dag(
    problems: _validation.Problems,
    tasks: Mapping[str, Any],
    components: Mapping[str, Any],
    executors: Mapping[str, Any],
    path: str,
    depth: int,
) -> None:
    for task_name, task in tasks.items():
        where = f"{path}.{task_name}"
        if not isinstance(task, dict):
            problems.add(where, "Must be a JSON object.")
            continue
        ref = _at(task, "componentRef", "name")
        component = components.get(ref) if isinstance(ref, str) else None
        if not isinstance(component, dict):
            problems.add(f"{where}.componentRef.name", f"No component {ref!r} in the pipeline spec's components.")
            continue
        dependencies = task.get("dependentTasks", [])
        for dependency in dependencies if isinstance(dependencies, list) else [dependencies]:
            if not isinstance(dependency, str) or dependency not in tasks:
                problems.add(f"{where}.dependentTasks", f"No task {dependency!r} in the same DAG.")
        _check_task_inputs(problems, task, tasks, f"{where}.inputs")
        label = component.get("executorLabel")
        sub_dag = _at(component, "dag", "tasks")
        for kind in ("inputDefinitions", "outputDefinitions"):
            for section in ("parameters", "artifacts"):
                value = _at(component, kind, section)
                if value is not None and not (isinstance(value, dict) and all(
                    isinstance(item, dict) for item in value.values()
                )):
                    problems.add(f"{where}.componentRef.name", f"The component's {kind}.{section} is not an object.")
        if label is not None and (not isinstance(label, str) or label not in executors):
            problems.add(f"{where}.componentRef.name", f"The executor {label!r} is not in deploymentSpec.executors.")
        elif isinstance(sub_dag, dict) and depth < 8:
            _check_dag(problems, sub_dag, components, executors, f"{where}.dag.tasks", depth + 1)
        elif label is None and sub_dag is None:
            problems.add(f"{where}.componentRef.name", f"The component {ref!r} has neither an executor nor a DAG.")


def _check_task_inputs(
    problems: _validation.Problems, task: Mapping[str, Any], tasks: Mapping[str, Any], path: str
) -> None:
    inputs = task.get("inputs", {})
    if not isinstance(inputs, dict):
        problems.add(path, "Must be a JSON object.")
        return
    for kind, producer_key in (("parameters", "taskOutputParameter"), ("artifacts", "taskOutputArtifact")):
        sources = inputs.get(kind, {})
        if not isinstance(sources, dict):
            problems.add(f"{path}.{kind}", "Must be a JSON object.")
            continue
        for key, source in sources.items():
            if not isinstance(source, dict):
                problems.add(f"{path}.{kind}.{key}", "Must be a JSON object.")
                continue
            producer = source.get(producer_key)
            if producer is None:
                continue
            if not isinstance(producer, dict) or _mapping(producer).get("producerTask") not in tasks:
                problems.add(f"{path}.{kind}.{key}.{producer_key}.producerTask", "No such task in the same DAG.")


def _check_parameters(problems: _validation.Problems, spec: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    declared = _mapping(_at(spec, "root", "inputDefinitions", "parameters"))
    path = f"{PATH}.runtime_config.parameter_values"
    for name, value in values.items():
        definition = declared.get(name)
        if not isinstance(definition, dict):
            allowed = ", ".join(sorted(declared)) or "none"
            problems.add(f"{path}.{name}", f"The pipeline has no input parameter '{name}' (its inputs: {allowed}).")
            continue
        check = _PARAMETER_TYPES.get(str(definition.get("parameterType")))
        if check is not None and not check[0](value):
            problems.add(f"{path}.{name}", f"Must be {check[1]} ({definition['parameterType']}), got {value!r:.80}.")
    for name, definition in declared.items():
        if not isinstance(definition, dict) or name in values:
            continue
        if "defaultValue" not in definition and not definition.get("isOptional"):
            problems.add(f"{path}.{name}", "Required: the pipeline input has no default value.")
