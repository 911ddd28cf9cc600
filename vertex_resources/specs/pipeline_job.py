"""The PipelineJob resource: a compiled Kubeflow pipeline (KFP IR, a ``PipelineSpec``) run by Vertex AI Pipelines.

The pipeline comes from one of three places: a compiled pipeline file (``pipeline_spec="pipeline.yaml"``, read at
check: the IR itself is what the stack keeps and diffs), the IR as a dict (``compile_pipeline(my_pipeline)``
compiles a ``@dsl.pipeline`` function with ``kfp.compiler`` in the program), or a template the API fetches
(``template_uri``). The IR is checked at preview against the shape of a PipelineSpec, and the run's parameter values
and input artifacts against the pipeline's declared root inputs.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo

from ..errors import Problem, SpecError
from ._base import REPLACE, ApiModel, Change, FieldKind
from ._resource import JobOutputs
from ._rules import exactly_one
from ._types import (
    NOT_KNOWN_YET,
    DisplayName,
    GcsPrefix,
    IpRangeName,
    NetworkName,
    ResourceLabels,
    ServiceAccount,
    _strict_bool,
    is_lenient,
)
from .enums import PipelineFailurePolicyField, PipelineState
from .job import EncryptionSpec

__all__ = [
    "PARAMETER_TYPES",
    "InputArtifact",
    "PipelineJobDefinition",
    "PipelineRuntimeConfig",
    "compile_pipeline",
]

APPLIED_TO_PIPELINE_SPEC = Change(FieldKind.REPLACE, in_body=False)
"""A field that is not a field of the message but changes the pipeline spec sent (``enable_caching``)."""

PARAMETER_TYPES: dict[str, str] = {
    "NUMBER_INTEGER": "a whole number",
    "NUMBER_DOUBLE": "a number",
    "STRING": "a string",
    "BOOLEAN": "true or false",
    "LIST": "a list",
    "STRUCT": "a mapping",
    "TASK_FINAL_STATUS": "the status of the tasks an exit handler runs after (set by the pipeline, not by a run)",
}
"""``ParameterType.ParameterTypeEnum`` of the KFP pipeline spec, with what a value of each type is."""
_LEGACY_PARAMETER_TYPES = {"INT": "NUMBER_INTEGER", "DOUBLE": "NUMBER_DOUBLE", "STRING": "STRING"}
"""``type`` of the pipeline specs KFP 1.8 wrote (schema 2.0.0), in the names of ``parameterType``."""
_SCHEMA_VERSION = re.compile(r"^2\.(\d+)\.(\d+)$")
_PIPELINE_FILE_SUFFIXES = (".yaml", ".yml", ".json")
_MAX_PIPELINE_FILE_BYTES = 64 * 1024 * 1024
_BILLING_LABEL = "vertex-ai-pipelines-run-billing-id"
# Template URIs the Vertex SDK sends as templateUri: Artifact Registry (Vertex Template Registry & Gallery), or a
# JSON or YAML file over https.
_ARTIFACT_REGISTRY = re.compile(r"^https://[a-z0-9-]+-kfp\.pkg\.dev/[a-z0-9-]+/[a-z0-9-]+/[A-Za-z0-9._-]+/[\w.-]+$")
_HTTPS_FILE = re.compile(r"^https://[A-Za-z0-9.-]+(?::\d{1,5})?/[\w./~%-]*\.(?:json|yaml|yml)$")


# --- the compiled pipeline -------------------------------------------------------------------------------------
def _as_json(value: Any) -> Any:
    """The IR as JSON values only (what the API's Struct and Pulumi's state hold): mapping keys become strings,
    YAML timestamps strings; NaN, infinities and other objects are refused."""
    try:
        return json.loads(json.dumps(value, allow_nan=False, default=_refuse))
    except (TypeError, ValueError) as error:
        raise ValueError(f"a pipeline spec holds JSON values only: {error}") from None
    except RecursionError:
        raise ValueError("a pipeline spec nested this deep is not a compiled pipeline") from None


def _refuse(value: Any) -> Any:
    if hasattr(value, "isoformat"):  # YAML reads an unquoted date as a date
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _read_pipeline_file(text: str) -> Any:
    if text.startswith("gs://"):
        raise ValueError(
            f"{text[:120]!r} is in Cloud Storage: the API reads no pipeline from there; download it in the program "
            "and give its local path (or an Artifact Registry template_uri)"
        )
    if text.startswith(("https://", "http://")):
        raise ValueError(f"a pipeline template URI goes into template_uri, got {text[:120]!r}")
    try:
        path = Path(text).expanduser()
    except RuntimeError:  # ~user of no such user
        raise ValueError(f"cannot read {text[:120]!r}: no such home directory") from None
    if path.suffix.lower() not in _PIPELINE_FILE_SUFFIXES:
        raise ValueError(
            "a compiled pipeline (the IR dict, or the path of a .yaml, .yml or .json file kfp.compiler wrote), "
            f"got {text[:120]!r}"
        )
    try:
        if path.stat().st_size > _MAX_PIPELINE_FILE_BYTES:
            limit = _MAX_PIPELINE_FILE_BYTES // 2**20
            raise ValueError(f"{text[:120]!r} is larger than {limit} MiB: not a compiled pipeline")
        content = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot read {text[:120]!r} ({error.strerror or error}; relative to {Path.cwd()})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{text[:120]!r} is not UTF-8 text: not a compiled pipeline") from None
    import yaml  # pulumi's own dependency; JSON is YAML

    try:
        document = yaml.safe_load(content)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "not YAML"
        raise ValueError(f"{text[:120]!r} does not parse{where}: {problem}") from None
    if isinstance(document, dict) and isinstance(document.get("pipelineSpec"), dict):
        return document["pipelineSpec"]  # a PipelineJob file (KFP 1.8's format): its spec, as the Vertex SDK reads it
    return document


def _load_pipeline_spec(value: Any, info: ValidationInfo) -> Any:
    if value == NOT_KNOWN_YET:
        return value
    if isinstance(value, str) and not is_lenient(info):
        value = _read_pipeline_file(value)
    if not isinstance(value, dict):
        raise ValueError(
            "a compiled pipeline (the IR dict, or the path of a .yaml, .yml or .json file kfp.compiler wrote), "
            f"got {type(value).__name__}"
        )
    return _as_json(value)


def _mapping_at(
    spec: Mapping[str, Any], path: tuple[str, ...], problems: list[Problem], *, required: bool = True
) -> dict[str, Any]:
    """The mapping at ``path`` inside ``spec``, or ``{}`` with a problem when it is missing or not a mapping."""
    found: Any = spec
    for part in path:
        found = found.get(part) if isinstance(found, dict) else None
    if isinstance(found, dict):
        return found
    if found is not None or required:
        what = "is missing" if found is None else f"must be a mapping, got {type(found).__name__}"
        problems.append(Problem(path, f"{what} (this is not a compiled KFP pipeline)"))
    return {}


# How a task's input is bound (pipeline_spec.proto's TaskInputsSpec): to an input of the DAG's own component, or to
# an output of another task of the same DAG.
_INPUT_BINDINGS = {
    "parameters": ("componentInputParameter", "taskOutputParameter"),
    "artifacts": ("componentInputArtifact", "taskOutputArtifact"),
}


def _binding_problems(
    path: tuple[str, ...], task: dict[str, Any], tasks: dict[str, Any], inputs: Any, problems: list[Problem]
) -> None:
    """Each input of ``task`` names an input its DAG has, or a task of the DAG as its producer."""
    for kind, (from_input, from_task) in _INPUT_BINDINGS.items():
        declared = _mapping_in(inputs, kind)
        for input_name, binding in _mapping_in(task, "inputs", kind).items():
            where = (*path, "inputs", kind, input_name)
            if not isinstance(binding, dict):
                continue
            source = binding.get(from_input)
            if source is not None and (not isinstance(source, str) or source not in declared):
                what = kind[:-1]
                problems.append(Problem((*where, from_input), f"the DAG has no input {what} {str(source)[:80]!r}"))
            producer = _mapping_in(binding, from_task).get("producerTask")
            if producer is not None and (not isinstance(producer, str) or producer not in tasks):
                problems.append(
                    Problem((*where, from_task, "producerTask"), f"no task {str(producer)[:80]!r} in the same DAG")
                )


def _dag_problems(
    dag_path: tuple[str, ...],
    tasks: dict[str, Any],
    components: dict[str, Any],
    problems: list[Problem],
    inputs: Any = None,
) -> None:
    """The tasks of one DAG: their components exist, and what they depend on and read is in the DAG (``inputs``: the
    inputDefinitions of the component the DAG belongs to)."""
    for task_name, task in tasks.items():
        path = (*dag_path, task_name)
        if not isinstance(task, dict):
            problems.append(Problem(path, f"a task is a mapping, got {type(task).__name__}"))
            continue
        ref = task.get("componentRef")
        name = ref.get("name") if isinstance(ref, dict) else None
        if not isinstance(name, str):
            problems.append(Problem((*path, "componentRef", "name"), "every task names its component"))
        elif name not in components:
            problems.append(Problem((*path, "componentRef", "name"), f"no component {name[:80]!r} in components"))
        dependencies = task.get("dependentTasks") or []
        for index, dependency in enumerate(dependencies if isinstance(dependencies, list) else [dependencies]):
            if not isinstance(dependency, str) or dependency not in tasks:
                problems.append(
                    Problem((*path, "dependentTasks", index), f"no task {str(dependency)[:80]!r} in the same DAG")
                )
        _binding_problems(path, task, tasks, inputs, problems)


def _parameter_type(definition: Any) -> str | None:
    if not isinstance(definition, dict):
        return None
    declared = definition.get("parameterType")
    if declared is None and isinstance(definition.get("type"), str):
        return _LEGACY_PARAMETER_TYPES.get(definition["type"], definition["type"])
    return declared if isinstance(declared, str) else None


def pipeline_spec_problems(spec: Mapping[str, Any]) -> list[Problem]:
    """What keeps ``spec`` from being a PipelineSpec that Vertex AI Pipelines can run (paths in the IR's own keys)."""
    problems: list[Problem] = []
    info = _mapping_at(spec, ("pipelineInfo",), problems)
    name = info.get("name")
    if info and (not isinstance(name, str) or not name.strip()):
        problems.append(Problem(("pipelineInfo", "name"), "a pipeline has a name"))
    version = spec.get("schemaVersion")
    if version is None:
        problems.append(Problem(("schemaVersion",), "is missing (this is not a compiled KFP pipeline)"))
    elif not isinstance(version, str) or not _SCHEMA_VERSION.match(version):
        problems.append(
            Problem(("schemaVersion",), f"must be a KFP schema version 2.x.y (2.1.0 from KFP v2), got {version!r:.40}")
        )
    components = _mapping_at(spec, ("components",), problems, required=False)
    executors = _mapping_at(spec, ("deploymentSpec", "executors"), problems, required=False)
    root = _mapping_at(spec, ("root",), problems)
    tasks = _mapping_at(spec, ("root", "dag", "tasks"), problems) if root else {}
    if root and not tasks and not problems:
        problems.append(Problem(("root", "dag", "tasks"), "a pipeline runs at least one task"))
    _dag_problems(("root", "dag", "tasks"), tasks, components, problems, _mapping_in(spec, "root", "inputDefinitions"))
    for component_name, component in components.items():
        path = ("components", component_name)
        if not isinstance(component, dict):
            problems.append(Problem(path, f"a component is a mapping, got {type(component).__name__}"))
            continue
        label = component.get("executorLabel")
        if label is not None and not isinstance(label, str):
            problems.append(Problem((*path, "executorLabel"), f"must be a string, got {type(label).__name__}"))
        elif label is not None and label not in executors:
            problems.append(
                Problem((*path, "executorLabel"), f"no executor {label[:80]!r} in deploymentSpec.executors")
            )
        inner = _mapping_at(spec, (*path, "dag", "tasks"), problems, required=False)
        _dag_problems((*path, "dag", "tasks"), inner, components, problems, component.get("inputDefinitions"))
    parameters = _mapping_at(spec, ("root", "inputDefinitions", "parameters"), problems, required=False)
    for parameter, definition in parameters.items():
        if _parameter_type(definition) not in PARAMETER_TYPES:
            problems.append(
                Problem(
                    ("root", "inputDefinitions", "parameters", parameter, "parameterType"),
                    f"must be one of {', '.join(PARAMETER_TYPES)}",
                )
            )
    return problems


def _pipeline_spec_shape(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, dict) and not is_lenient(info):
        problems = pipeline_spec_problems(value)
        if problems:
            raise SpecError(problems, subject="pipeline_spec")
    return value


PipelineSpecIR = Annotated[
    dict[str, Any] | str, BeforeValidator(_load_pipeline_spec), AfterValidator(_pipeline_spec_shape)
]
"""A compiled pipeline: the KFP IR (``PipelineSpec``) as a dict, or the path of the file kfp.compiler wrote (read
at check; the IR is what is kept)."""


def _template_uri_problem(uri: str, info: ValidationInfo) -> str:
    if uri == NOT_KNOWN_YET or is_lenient(info):
        return uri
    if uri.startswith("gs://"):
        # The API fetches templates from Artifact Registry or https; the Vertex SDK reads a gs:// one itself.
        raise ValueError(
            f"the API does not fetch templates from Cloud Storage, got {uri[:120]!r}: give pipeline_spec the "
            "compiled file (downloaded in the program), or a template in Artifact Registry"
        )
    if not (_ARTIFACT_REGISTRY.match(uri) or _HTTPS_FILE.match(uri)):
        raise ValueError(
            "a pipeline template is in Artifact Registry (https://REGION-kfp.pkg.dev/PROJECT/REPOSITORY/PACKAGE/"
            f"TAG-OR-VERSION) or a JSON or YAML file over https, got {uri[:120]!r}"
        )
    return uri


CachingChoice = Annotated[Literal[True, False], BeforeValidator(_strict_bool)]
"""True or false, and unset is neither: a ``Literal`` so that false is kept (a proto bool's false reads as unset)."""
TemplateUri = Annotated[str, AfterValidator(_template_uri_problem)]


def compile_pipeline(
    pipeline_func: Any,
    *,
    pipeline_name: str | None = None,
    pipeline_parameters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The IR of a ``@dsl.pipeline`` function (or a component), compiled with ``kfp.compiler`` in the program:
    a value for ``PipelineJobArgs.pipeline_spec``. Needs ``kfp`` (``pip install vertex-ml[pipelines]``)."""
    try:
        from kfp import compiler  # type: ignore[import-untyped]
    except ImportError as error:
        raise ImportError("compile_pipeline needs kfp: pip install 'vertex-ml[pipelines]'") from error
    import tempfile

    import yaml

    with tempfile.TemporaryDirectory() as directory:
        package = Path(directory) / "pipeline.yaml"
        compiler.Compiler().compile(
            pipeline_func,
            package_path=str(package),
            pipeline_name=pipeline_name,
            pipeline_parameters=dict(pipeline_parameters) if pipeline_parameters else None,
        )
        compiled: dict[str, Any] = yaml.safe_load(package.read_text(encoding="utf-8"))
    return compiled


# --- the run ---------------------------------------------------------------------------------------------------
class InputArtifact(ApiModel):
    """An artifact of the project's default metadata store given to a pipeline input (by its id)."""

    artifact_id: str = Field(min_length=1, max_length=128)


class PipelineRuntimeConfig(ApiModel):
    """Where the run writes (its pipeline root), and the values of the pipeline's inputs."""

    gcs_output_directory: GcsPrefix
    """The pipeline root: a Cloud Storage directory; each task's artifacts go to
    ``<gcs_output_directory>/<job id>/<task id>/<output key>``."""
    parameter_values: dict[str, Any] | None = None
    """A value for input parameters of the pipeline (its ``root.inputDefinitions.parameters``), by name: each of its
    declared type; those with no default must be set."""
    input_artifacts: dict[str, InputArtifact] | None = None
    """An artifact for input artifacts of the pipeline (its ``root.inputDefinitions.artifacts``), by name."""
    failure_policy: PipelineFailurePolicyField | None = None


def _value_problem(declared: str, value: Any) -> str | None:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if declared == "NUMBER_INTEGER":
        # Pulumi carries every number as a double: 2 arrives as 2.0.
        ok = number and (isinstance(value, int) or (math.isfinite(value) and float(value).is_integer()))
    elif declared == "NUMBER_DOUBLE":
        ok = number and math.isfinite(value)
    elif declared == "STRING":
        ok = isinstance(value, str)
    elif declared == "BOOLEAN":
        ok = isinstance(value, bool)
    elif declared == "LIST":
        ok = isinstance(value, list)
    elif declared == "STRUCT":
        ok = isinstance(value, dict)
    elif declared == "TASK_FINAL_STATUS":
        return f"is {PARAMETER_TYPES[declared]}"
    else:
        return None
    if ok:
        return None
    return f"the pipeline declares it {declared}: must be {PARAMETER_TYPES[declared]}, got {value!r:.80}"


def _is_optional(definition: Mapping[str, Any]) -> bool:
    return bool(definition.get("isOptional")) or "defaultValue" in definition


def _inputs_problems(
    declared: Mapping[str, Any], given: Mapping[str, Any], path: tuple[str, ...], what: str, check: Callable[..., Any]
) -> Iterator[Problem]:
    names = ", ".join(sorted(declared)) or "none"
    for name, value in given.items():
        if name not in declared:
            yield Problem((*path, name), f"the pipeline has no input {what} {name!r} (it has: {names})")
        else:
            problem = check(declared[name], value)
            if problem is not None:
                yield Problem((*path, name), problem)
    for name, definition in declared.items():
        if name not in given and isinstance(definition, dict) and not _is_optional(definition):
            yield Problem(path, f"the pipeline's input {what} {name!r} is required (it has no default): set it")


class PipelineJobDefinition(JobOutputs):
    """Runs a compiled Kubeflow pipeline (``pipeline_spec``, or a ``template_uri``) with ``runtime_config``.

    Vertex AI has no update of a pipeline run: a change of anything that defines the run replaces it. With
    ``enable_caching`` set, every task of the pipeline is sent with ``cachingOptions.enableCache`` set to it (the
    Vertex SDK's ``enable_caching``); unset, each task keeps what the pipeline compiled in.
    """

    display_name: Annotated[DisplayName | None, REPLACE] = None
    pipeline_spec: Annotated[PipelineSpecIR | None, REPLACE] = None
    """The compiled pipeline (KFP IR): its dict (``compile_pipeline(my_pipeline)``), or the path of the .yaml or
    .json file kfp.compiler wrote, read at check (relative to the project directory); the IR is what the stack keeps
    and compares. Exactly one of pipeline_spec and template_uri."""
    template_uri: Annotated[TemplateUri | None, REPLACE] = None
    """A pipeline template the API fetches: Artifact Registry (``https://REGION-kfp.pkg.dev/...``) or a JSON or YAML
    file over https (what the Vertex SDK sends as a template URI; not gs://, which the SDK reads itself). Its
    parameters are checked by the API at create, not at preview."""
    runtime_config: Annotated[PipelineRuntimeConfig, REPLACE]
    enable_caching: Annotated[CachingChoice | None, APPLIED_TO_PIPELINE_SPEC] = None
    """Sets ``cachingOptions.enableCache`` on every task of ``pipeline_spec`` (the Vertex SDK's enable_caching);
    unset, each task keeps what the pipeline compiled in."""
    service_account: Annotated[ServiceAccount | None, REPLACE] = None
    """The service account the pipeline's workload runs as (default: the project's Compute Engine default service
    account); whoever starts the run needs ``iam.serviceAccounts.actAs`` on it."""
    network: Annotated[NetworkName | None, REPLACE] = None
    reserved_ip_ranges: Annotated[list[IpRangeName] | None, REPLACE] = None
    labels: Annotated[ResourceLabels | None, REPLACE] = None
    encryption_spec: Annotated[EncryptionSpec | None, REPLACE] = None

    state_enum = PipelineState

    def _problems(self) -> Iterator[Problem]:
        yield from exactly_one(
            {"pipeline_spec": self.pipeline_spec, "template_uri": self.template_uri}, ["pipeline_spec", "template_uri"]
        )
        if self.reserved_ip_ranges and self.network is None:
            yield Problem(("reserved_ip_ranges",), "reserved IP ranges are ranges of a network: set network too")
        if self.enable_caching is not None and self.template_uri is not None:
            yield Problem(
                ("enable_caching",),
                "applies to a pipeline_spec; a template_uri's pipeline runs with the caching options it was "
                "compiled with",
            )
        spec = self.pipeline_spec
        if not isinstance(spec, dict):
            return  # a template, or a spec not known yet: its inputs are checked when it is
        config = self.runtime_config
        version = _SCHEMA_VERSION.match(str(spec.get("schemaVersion")))
        if version is not None and (int(version[1]), int(version[2])) < (1, 0):
            # KFP 1.8's schema: its values go into the deprecated RuntimeConfig.parameters, which we do not send.
            if config.parameter_values:
                yield Problem(
                    ("runtime_config", "parameter_values"),
                    f"a pipeline of schema {spec.get('schemaVersion')} (KFP 1.8 or older) takes no parameter_values: "
                    "compile it with KFP 2",
                )
            return
        inputs = _mapping_in(spec, "root", "inputDefinitions")
        yield from _inputs_problems(
            _mapping_in(inputs, "parameters"),
            config.parameter_values or {},
            ("runtime_config", "parameter_values"),
            "parameter",
            lambda definition, value: _value_problem(_parameter_type(definition) or "", value),
        )
        yield from _inputs_problems(
            _mapping_in(inputs, "artifacts"),
            config.input_artifacts or {},
            ("runtime_config", "input_artifacts"),
            "artifact",
            lambda _definition, _value: None,
        )

    def _notes(self) -> Iterator[Problem]:
        if self.labels and _BILLING_LABEL in self.labels:
            yield Problem(
                ("labels", _BILLING_LABEL), "Vertex AI Pipelines sets this label itself: the value is replaced"
            )

    def _to_wire_shape(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.enable_caching is not None and isinstance(data.get("pipelineSpec"), dict):
            data["pipelineSpec"] = with_caching(data["pipelineSpec"], self.enable_caching)
        return data


def _mapping_in(value: Any, *path: str) -> dict[str, Any]:
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def with_caching(pipeline_spec: Mapping[str, Any], enable_caching: bool) -> dict[str, Any]:
    """``pipeline_spec`` with ``cachingOptions.enableCache`` set on every task of every DAG (as the Vertex SDK's
    ``enable_caching`` does)."""
    spec = copy.deepcopy(dict(pipeline_spec))
    components = [spec.get("root"), *(spec.get("components") or {}).values()]
    for component in components:
        tasks = ((component or {}).get("dag") or {}).get("tasks") if isinstance(component, dict) else None
        for task in (tasks or {}).values():
            if isinstance(task, dict):
                task["cachingOptions"] = {"enableCache": enable_caching}
    return spec
