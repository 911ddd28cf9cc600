"""One pipeline task, run as Vertex AI Pipelines runs it, against the emulator itself.

- importer: the artifact it names (no copy), with its metadata.
- container (lightweight Python components, container components): a CustomJob of one replica with the task's
  image, command and args (placeholders filled), as Vertex runs every container task; images map to local
  runtimes as for any CustomJob. The job's processes see a per-pipeline-job venv (VIRTUAL_ENV) that also sees the
  emulator's packages, so `pip install kfp==... --no-deps` is satisfied offline and other packages install there.
- GCPC's Vertex components, recognised by their launcher module: `custom_job.launcher` (CustomTrainingJobOp and
  `create_custom_training_job_from_component`: the CustomJob its payload describes), `upload_model.launcher`
  (models:upload, a google.VertexModel output), `batch_prediction_job.launcher` (a BatchPredictionJob, the
  google.VertexBatchPredictionJob and gcs_output_directory outputs); each writes `gcp_resources` as GCPC does.
  Any other GCPC launcher fails the task naming it. What they create carries the label
  `vertex-ai-pipelines-run-billing-id` (the pipeline job's id), as on Vertex.

Artifacts: a task's outputs live under `<pipeline root>/<project number>/<job id>/<task>_<task id>/<output>`
(as on Vertex). Processes get local paths instead of gs:// URIs (the `/gcs/` mount of Vertex does not exist
here): a staging directory mirrors gs://BUCKET/OBJECT as <staging>/BUCKET/OBJECT; input artifacts are
downloaded into it before the task and everything the task wrote there is uploaded after it, and task details
record the gs:// URIs. The executor output (executor_output.json) gives the output parameters and artifact
metadata, as with KFP's own executor.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import InvalidSpecError, TaskFailed, UnsupportedError
from ._kfp_placeholders import Resolver, remove_empty, typed
from ._object_store import ObjectStore
from ._vertex_api import VertexApi

JsonDict = dict[str, Any]
_LAUNCHER_PREFIX = "google_cloud_pipeline_components.container."
CUSTOM_JOB_LAUNCHER = _LAUNCHER_PREFIX + "v1.custom_job.launcher"
UPLOAD_MODEL_LAUNCHER = _LAUNCHER_PREFIX + "v1.model.upload_model.launcher"
BATCH_PREDICTION_LAUNCHER = _LAUNCHER_PREFIX + "v1.batch_prediction_job.launcher"
UNDERSTOOD_LAUNCHERS = (CUSTOM_JOB_LAUNCHER, UPLOAD_MODEL_LAUNCHER, BATCH_PREDICTION_LAUNCHER)
_CONTAINER_MACHINE = "e2-standard-4"  # what Vertex AI Pipelines runs a container task on by default


@dataclass
class Staging:
    """A local directory mirroring gs:// objects, for the task processes that cannot reach gs:// as files."""

    root: Path
    store: ObjectStore

    def path(self, uri: str) -> Path:
        return self.root / uri[len("gs://") :] if uri.startswith("gs://") else Path(uri)

    def uri(self, path: str) -> str:
        try:
            return "gs://" + Path(path).resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path

    def download(self, uri: str) -> None:
        """The object `uri`, or every object under `uri/`, into the mirror."""
        if not uri.startswith("gs://"):
            return
        for found in self.store.list(uri.rstrip("/")):
            if found == uri or found.startswith(uri.rstrip("/") + "/"):
                target = self.path(found)
                if not found.endswith("/"):
                    target.parent.mkdir(parents=True, exist_ok=True)
                    # Beside, then renamed: tasks running at once may fetch the same input.
                    partial = target.with_name(f".{target.name}.{threading.get_ident()}.partial")
                    self.store.download_to(found, partial)
                    partial.replace(target)

    def upload(self, uri: str) -> None:
        """Every file the task wrote under the mirror of `uri` back to storage."""
        base = self.path(uri)
        if not base.is_dir():
            return
        for file in sorted(p for p in base.rglob("*") if p.is_file()):
            with file.open("rb") as source, self.store.open_write(self.uri(str(file))) as target:
                while chunk := source.read(1 << 20):
                    target.write(chunk)


@dataclass
class Task:
    """What running one task needs. `parameters` are its input values (defaults applied, typed), `artifacts` its
    input artifacts (runtime artifacts with gs:// URIs), `root_uri` the gs:// directory of its outputs."""

    name: str
    task_id: str
    component: JsonDict
    executor: JsonDict
    parameters: dict[str, Any]
    artifacts: dict[str, list[JsonDict]]
    root_uri: str
    parent: str  # projects/<number>/locations/<location> of the pipeline job
    pipeline: dict[str, str]  # pipeline-level placeholder values (pipeline_job_uuid, ...)
    display_name: str
    venv: Path | None = None
    on_job: Callable[[JsonDict], None] = lambda detail: None  # the executor detail, as soon as a job exists

    def parameter_types(self) -> dict[str, str]:
        definitions = self.component.get("inputDefinitions", {}).get("parameters", {})
        return {name: str(d.get("parameterType", "")) for name, d in definitions.items()}

    def output_parameter_types(self) -> dict[str, str]:
        definitions = self.component.get("outputDefinitions", {}).get("parameters", {})
        return {name: str(d.get("parameterType", "")) for name, d in definitions.items()}

    def output_artifact_types(self) -> dict[str, JsonDict]:
        definitions = self.component.get("outputDefinitions", {}).get("artifacts", {})
        return {name: dict(d.get("artifactType", {})) for name, d in definitions.items()}


@dataclass
class TaskResult:
    parameters: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, list[JsonDict]] = field(default_factory=dict)
    executor_detail: JsonDict = field(default_factory=dict)


class TaskRunner:
    """Runs tasks; `stop()` says the pipeline is being cancelled (a running job is then cancelled)."""

    def __init__(self, api: VertexApi, staging: Staging, stop: Callable[[], bool]) -> None:
        self._api = api
        self._staging = staging
        self._stop = stop

    def run(self, task: Task) -> TaskResult:
        if "importer" in task.executor:
            return self._importer(task)
        container = task.executor.get("container")
        if not isinstance(container, dict):
            kinds = ", ".join(sorted(task.executor)) or "nothing"
            raise UnsupportedError(
                f"The task {task.name} has a {kinds} executor, which the emulator does not run (it runs "
                "container executors and importers)."
            )
        module = _launcher_module(container)
        if module == CUSTOM_JOB_LAUNCHER:
            return self._custom_job_launcher(task, container)
        if module == UPLOAD_MODEL_LAUNCHER:
            return self._upload_model_launcher(task, container)
        if module == BATCH_PREDICTION_LAUNCHER:
            return self._batch_prediction_launcher(task, container)
        if module is not None:
            raise UnsupportedError(
                f"The task {task.name} runs the Google Cloud Pipeline Components launcher {module} (component "
                f"{task.component.get('executorLabel', '?')}), which the emulator does not understand; it "
                f"understands {', '.join(m.removeprefix(_LAUNCHER_PREFIX) for m in UNDERSTOOD_LAUNCHERS)}."
            )
        return self._container(task, container)

    # -- executor input --------------------------------------------------------------------------------
    def executor_input(self, task: Task, local: bool) -> tuple[JsonDict, dict[tuple[str, str], str]]:
        """The executor input KFP's executor reads, with local paths (`local`) or gs:// URIs for artifacts;
        and the local path of every artifact."""
        staging = self._staging
        paths: dict[tuple[str, str], str] = {}
        inputs: JsonDict = {"parameterValues": dict(task.parameters)}
        input_artifacts: JsonDict = {}
        for key, items in task.artifacts.items():
            listed = []
            for item in items:
                uri = str(item.get("uri", ""))
                if local and uri.startswith("gs://"):
                    staging.download(uri)
                    paths[("inputs", key)] = str(staging.path(uri))
                    item = {**item, "uri": str(staging.path(uri))}
                listed.append(item)
            input_artifacts[key] = {"artifacts": listed}
        if input_artifacts:
            inputs["artifacts"] = input_artifacts
        outputs: JsonDict = {
            "parameters": {
                key: {"outputFile": str(staging.path(f"{task.root_uri}/{key}"))}
                for key in task.output_parameter_types()
            },
            "outputFile": str(staging.path(f"{task.root_uri}/executor_output.json")),
        }
        output_artifacts: JsonDict = {}
        for key, artifact_type in task.output_artifact_types().items():
            uri = f"{task.root_uri}/{key}"
            paths[("outputs", key)] = str(staging.path(uri))
            output_artifacts[key] = {
                "artifacts": [
                    {"name": key, "type": artifact_type, "uri": str(staging.path(uri)) if local else uri,
                     "metadata": {}}
                ]
            }
        if output_artifacts:
            outputs["artifacts"] = output_artifacts
        return {"inputs": inputs, "outputs": outputs}, paths

    def _resolver(self, task: Task, local: bool) -> Resolver:
        executor_input, paths = self.executor_input(task, local)
        return Resolver(executor_input, task.parameters, task.parameter_types(), paths, task.pipeline)

    # -- importer --------------------------------------------------------------------------------------
    def _importer(self, task: Task) -> TaskResult:
        spec = task.executor["importer"]
        source = spec.get("artifactUri", {})
        if "constant" in source:
            uri = source["constant"]
        else:
            uri = task.parameters.get(str(source.get("runtimeParameter", "uri")))
        if not isinstance(uri, str) or not uri:
            raise InvalidSpecError(f"The importer task {task.name} has no artifact URI.")
        resolver = self._resolver(task, local=False)
        artifact = {
            "name": "artifact",
            "type": spec.get("typeSchema", {}),
            "uri": resolver.text(uri),
            "metadata": resolver.value(spec.get("metadata", {})),
        }
        return TaskResult(artifacts={"artifact": [artifact]})

    # -- containers as CustomJobs ----------------------------------------------------------------------
    def _container(self, task: Task, container: JsonDict) -> TaskResult:
        resolver = self._resolver(task, local=True)
        env = [{"name": e.get("name", ""), "value": resolver.text(str(e.get("value", "")))}
               for e in container.get("env", [])]
        if task.venv is not None:
            env.append({"name": "VIRTUAL_ENV", "value": str(task.venv)})
        spec = {
            "workerPoolSpecs": [
                {
                    "machineSpec": {"machineType": _CONTAINER_MACHINE},
                    "replicaCount": "1",
                    "containerSpec": {
                        "imageUri": str(container.get("image", "")),
                        "command": resolver.arguments(container.get("command", [])),
                        "args": resolver.arguments(container.get("args", [])),
                        "env": env,
                    },
                }
            ]
        }
        job = self._run_job(task, "customJobs", {"displayName": f"{task.display_name}-{task.name}", "jobSpec": spec},
                            lambda name: {"containerDetail": {"mainJob": name}})
        result = self._collect(task, resolver.executor_input)
        result.executor_detail = {"containerDetail": {"mainJob": job["name"]}}
        return result

    def _run_job(
        self, task: Task, collection: str, body: JsonDict, detail: Callable[[str], JsonDict], parent: str = ""
    ) -> JsonDict:
        created = self._api.create(parent or task.parent, collection, body)
        if detail(str(created["name"])):
            task.on_job(detail(str(created["name"])))
        job = self._api.wait_job(str(created["name"]), self._stop)
        state = str(job.get("state", ""))
        if not state.endswith("_SUCCEEDED"):
            error = job.get("error", {})
            raise TaskFailed(
                f"The {collection[:-1]} {job['name']} of task {task.name} ended {state}: "
                f"{error.get('message', 'no error message')}"
            )
        return job

    def _collect(self, task: Task, executor_input: JsonDict) -> TaskResult:
        """Upload what the task wrote, then its outputs from the executor output (else the output files)."""
        staging = self._staging
        staging.upload(task.root_uri)
        output_file = Path(executor_input["outputs"]["outputFile"])
        written: JsonDict = {}
        if output_file.is_file():
            try:
                written = json.loads(output_file.read_text())
            except ValueError as err:
                raise TaskFailed(f"The task {task.name} wrote an executor output that is not JSON: {err}") from err
        result = TaskResult()
        for key, parameter_type in task.output_parameter_types().items():
            if key in written.get("parameterValues", {}):
                result.parameters[key] = typed(written["parameterValues"][key], parameter_type)
                continue
            path = Path(executor_input["outputs"]["parameters"][key]["outputFile"])
            if path.is_file():
                text = path.read_text()
                result.parameters[key] = text if parameter_type == "STRING" else _json_or_text(text)
        for key, artifact_type in task.output_artifact_types().items():
            default = executor_input["outputs"]["artifacts"][key]["artifacts"][0]
            given = (written.get("artifacts", {}).get(key, {}).get("artifacts") or [{}])[0]
            uri = staging.uri(str(given.get("uri") or default["uri"]))
            metadata = {**default.get("metadata", {}), **given.get("metadata", {})}
            result.artifacts[key] = [{"name": key, "type": artifact_type, "uri": uri, "metadata": metadata}]
        return result

    # -- GCPC launchers --------------------------------------------------------------------------------
    def _launcher_args(self, resolver: Resolver, container: JsonDict) -> dict[str, str]:
        args = resolver.arguments(container.get("args", []))
        parsed: dict[str, str] = {}
        for flag, value in zip(args[::2], args[1::2], strict=False):
            parsed[flag.lstrip("-")] = value
        return parsed

    def _payload(self, task: Task, args: Mapping[str, str]) -> JsonDict:
        try:
            payload = json.loads(args.get("payload", ""), strict=False)
        except ValueError as err:
            raise InvalidSpecError(f"The task {task.name}'s payload is not JSON once filled in: {err}") from err
        if not isinstance(payload, dict):
            raise InvalidSpecError(f"The task {task.name}'s payload is not a JSON object.")
        return payload

    def _parent(self, args: Mapping[str, str]) -> str:
        return f"projects/{args.get('project', '')}/locations/{args.get('location', '')}"

    def _custom_job_launcher(self, task: Task, container: JsonDict) -> TaskResult:
        resolver = self._resolver(task, local=True)
        args = self._launcher_args(resolver, container)
        payload = self._payload(task, args)
        scheduling = payload.get("job_spec", {}).get("scheduling", {})
        if scheduling.get("strategy") != "FLEX_START":
            scheduling.pop("max_wait_duration", None)  # as GCPC's launcher: only FLEX_START takes it
        payload["labels"] = _with_system_labels(task, payload.get("labels"))
        body = remove_empty(payload)
        job = self._run_job(task, "customJobs", body, lambda name: {"customJobDetail": {"job": name}},
                            self._parent(args))
        result = self._collect(task, resolver.executor_input)
        result.parameters["gcp_resources"] = _gcp_resources("CustomJob", args, str(job["name"]))
        result.executor_detail = {"customJobDetail": {"job": job["name"]}}
        return result

    def _upload_model_launcher(self, task: Task, container: JsonDict) -> TaskResult:
        resolver = self._resolver(task, local=False)
        args = self._launcher_args(resolver, container)
        model = self._payload(task, args)
        model["labels"] = _with_system_labels(task, model.get("labels"))
        unmanaged = next(iter(task.artifacts.get("unmanaged_container_model", [])), None)
        if unmanaged is not None:
            metadata = unmanaged.get("metadata", {})
            model["predict_schemata"] = metadata.get("predictSchemata", {})
            model["container_spec"] = metadata.get("containerSpec", {})
            model["artifact_uri"] = unmanaged.get("uri")
        request: JsonDict = {"model": remove_empty(model)}
        if args.get("parent_model_name"):
            request["parent_model"] = args["parent_model_name"].rsplit("@", 1)[0]
        parent = self._parent(args)
        operation = self._api.call("POST", f"{parent}/models:upload", request)
        operation = self._api.wait_operation(operation)
        name = str(operation["response"]["model"])
        if operation["response"].get("modelVersionId"):
            name += f"@{operation['response']['modelVersionId']}"
        uri = f"https://{args.get('location', '')}-aiplatform.googleapis.com/v1/{name}"
        artifact = {"name": "model", "type": {"schemaTitle": "google.VertexModel", "schemaVersion": "0.0.1"},
                    "uri": uri, "metadata": {"resourceName": name}}
        return TaskResult(
            parameters={"gcp_resources": _gcp_resources("VertexLro", args, str(operation["name"]))},
            artifacts={"model": [artifact]},
        )

    def _batch_prediction_launcher(self, task: Task, container: JsonDict) -> TaskResult:
        resolver = self._resolver(task, local=False)
        args = self._launcher_args(resolver, container)
        payload = self._payload(task, args)
        payload["labels"] = _with_system_labels(task, payload.get("labels"))
        unmanaged = next(iter(task.artifacts.get("unmanaged_container_model", [])), None)
        if unmanaged is not None:
            payload["unmanaged_container_model"] = {**unmanaged.get("metadata", {}), "artifact_uri": unmanaged["uri"]}
        job = self._run_job(task, "batchPredictionJobs", remove_empty(payload), lambda name: {}, self._parent(args))
        name = str(job["name"])
        output = job.get("outputInfo", {})
        location = args.get("location", "")
        metadata = {
            "resourceName": name,
            "bigqueryOutputTable": output.get("bigqueryOutputTable", ""),
            "bigqueryOutputDataset": output.get("bigqueryOutputDataset", ""),
            "gcsOutputDirectory": output.get("gcsOutputDirectory", ""),
        }
        artifacts = {
            "batchpredictionjob": [
                {"name": "batchpredictionjob",
                 "type": {"schemaTitle": "google.VertexBatchPredictionJob", "schemaVersion": "0.0.1"},
                 "uri": f"https://{location}-aiplatform.googleapis.com/v1/{name}", "metadata": metadata}
            ]
        }
        if output.get("gcsOutputDirectory"):
            artifacts["gcs_output_directory"] = [
                {"name": "gcs_output_directory", "type": {"schemaTitle": "system.Artifact", "schemaVersion": "0.0.1"},
                 "uri": output["gcsOutputDirectory"], "metadata": {}}
            ]
        return TaskResult(
            parameters={"gcp_resources": _gcp_resources("BatchPredictionJob", args, name)}, artifacts=artifacts
        )


def _launcher_module(container: Mapping[str, Any]) -> str | None:
    """The GCPC launcher module a container runs (`python3 -u -m <module>`), if it runs one."""
    command = [str(c) for c in container.get("command", [])]
    if "-m" in command:
        module = command[command.index("-m") + 1] if command.index("-m") + 1 < len(command) else ""
        if module.startswith(_LAUNCHER_PREFIX):
            return module
    return None


def _with_system_labels(task: Task, labels: Any) -> JsonDict:
    """What GCPC's launchers add to what they create (the labels Vertex gives them in
    VERTEX_AI_PIPELINES_RUN_LABELS): the run's billing id, here the pipeline job's id; the user's labels win."""
    run_id = task.pipeline.get("pipeline_job_uuid", "")[:63]
    return {"vertex-ai-pipelines-run-billing-id": run_id, **(labels if isinstance(labels, dict) else {})}


def _gcp_resources(resource_type: str, args: Mapping[str, str], name: str) -> str:
    uri = f"https://{args.get('location', '')}-aiplatform.googleapis.com/v1/{name}"
    # As GCPC writes it: json_format.MessageToJson of a GcpResources message (two-space indent).
    return json.dumps({"resources": [{"resourceType": resource_type, "resourceUri": uri}]}, indent=2)


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
