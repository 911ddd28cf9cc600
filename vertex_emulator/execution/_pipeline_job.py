"""A PipelineJob's execution: walk the compiled KFP pipeline's DAG and run each task (see ``_kfp_tasks``).

A task runs once the tasks it depends on (`dependentTasks` and the producers of its inputs) have succeeded; tasks
that are ready at the same time run at once (at most four). Inputs come
from the pipeline's parameters (`runtimeConfig.parameterValues` over `root.inputDefinitions` defaults), other
tasks' output parameters and artifacts, constants (whose placeholders name the task's other inputs) and the
component's own defaults. `jobDetail.taskDetails` follows the run: the pipeline's root DAG, then each task as it
is scheduled, with its state, times, error, input and output artifacts (gs:// URIs), its parameters in
`execution.metadata` (`input:<name>`, `output:<name>`) and the job it ran (`executorDetail`).

- Failure: with the default failure policy (fail slow) the tasks that do not depend on a failed task still run;
  those that do are NOT_TRIGGERED; `PIPELINE_FAILURE_POLICY_FAIL_FAST` schedules nothing new after a failure.
  The pipeline's error names the failed tasks and the first one's error.
- Caching (a task's `cachingOptions.enableCache`): a task whose cache key (its component, executor, input
  values and input artifacts) matches an earlier successful execution in this data dir is not run: it shows
  SKIPPED with the earlier outputs (execution state CACHED).
- Retries (a task's `retryPolicy`): a failed task runs again up to `maxRetryCount` times after
  `backoffDuration` (times `backoffFactor` each time, at most `backoffMaxDuration`, here at most 60 s).
- Cancel: the running task's job is cancelled and waited for; the task and the pipeline end CANCELLED.
- Sub-DAGs: a nested pipeline runs its DAG under its own task detail (its outputs from `dag.outputs`); a
  condition (`dsl.If` / `dsl.Elif` / `dsl.Else`, a `triggerPolicy.condition`) that does not hold leaves its
  task NOT_TRIGGERED; `dsl.ParallelFor` over a list (of values, or of dicts whose fields the loop selects) runs
  the loop's DAG once per item, iterations at once up to its parallelism (at most four), its outputs collected
  (`dsl.Collected`) in item order; an exit handler's task (`dsl.ExitHandler`, trigger strategy
  ALL_UPSTREAM_TASKS_COMPLETED) runs however its group ended and gets its final status
  (`dsl.PipelineTaskFinalStatus`). Loops over artifacts fail the task saying so.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.rpc import code_pb2

from . import _packages
from ._context import ExecutionContext
from ._errors import ExecutionError, InvalidSpecError, TaskFailed, UnsupportedError
from ._kfp_cache import TaskCache
from ._kfp_conditions import evaluate
from ._kfp_details import artifact_lists, ended, execution_of, new_detail, new_task_id
from ._kfp_placeholders import Resolver, typed
from ._kfp_tasks import Staging, Task, TaskResult, TaskRunner
from ._run import BackgroundRun, Outcome, RunState, rfc3339_now
from ._spec import duration_seconds
from ._vertex_api import VertexApi

JsonDict = dict[str, Any]
_MAX_BACKOFF_SECONDS = 60.0
_FAIL_FAST = "PIPELINE_FAILURE_POLICY_FAIL_FAST"
_ALL_COMPLETED = "ALL_UPSTREAM_TASKS_COMPLETED"
_PARALLEL_TASKS = 4  # tasks whose inputs are ready run at once, as on Vertex (bounded: the machine is local)


@dataclass(frozen=True, kw_only=True)
class PipelineJobOutcome(Outcome):
    job_detail: JsonDict = field(default_factory=dict)

    def resource_fields(self) -> dict[str, Any]:
        return {"jobDetail": self.job_detail} if self.job_detail else {}


@dataclass(frozen=True)
class _Scope:
    """What every task of one run shares."""

    runner: TaskRunner
    components: Mapping[str, Any]
    executors: Mapping[str, Any]
    root: str
    job_id: str
    project: str  # the project number, as in names and in the pipeline root's layout
    pipeline_vars: dict[str, str]
    venv: Path | None
    fail_fast: bool


@dataclass
class _Level:
    """One DAG being run: its inputs (the pipeline's, or its sub-DAG task's), its parent task, its results."""

    inputs: Mapping[str, Any]
    input_artifacts: Mapping[str, list[JsonDict]]
    parent_id: str
    results: dict[str, TaskResult] = field(default_factory=dict)
    errors: dict[str, str | None] = field(default_factory=dict)  # each ended task's error (None: succeeded)


class PipelineJobRun(BackgroundRun[PipelineJobOutcome]):
    """Runs a PipelineJob resource (proto JSON as stored). ``api``: the emulator's own API, where the tasks create
    their jobs and models. ``on_detail(job_detail)``: called whenever the task details change. ``cache_dir``:
    where successful task executions are remembered for caching."""

    _thread_name = "vertex-pipeline-job"

    def __init__(
        self,
        job: Mapping[str, Any],
        context: ExecutionContext,
        api: VertexApi,
        *,
        on_detail: Callable[[JsonDict], object] = lambda detail: None,
        cache_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self._job = job
        self._context = context
        self._api = api
        self._on_detail = on_detail
        self._cache = TaskCache(cache_dir, api, context.store)
        self._lock = threading.Lock()
        self._publish_lock = threading.Lock()
        self._details: list[JsonDict] = []

    def _ended(self, state: RunState, code: int, message: str) -> PipelineJobOutcome:
        with self._lock:
            if self._details and state is not RunState.SUCCEEDED:
                self._details[0] = ended(self._details[0], state.value, {"code": code, "message": message})
            return PipelineJobOutcome(
                state=state, error_code=code, error_message=message, job_detail={"taskDetails": list(self._details)}
            )

    # -- the DAG ---------------------------------------------------------------------------------------
    def _execute(self) -> PipelineJobOutcome:
        job = self._job
        spec = job.get("pipelineSpec", {})
        name = str(job.get("name", ""))
        parts = name.split("/")
        project, location, job_id = parts[1], parts[3], parts[-1]
        root = str(job.get("runtimeConfig", {}).get("gcsOutputDirectory") or spec.get("defaultPipelineRoot", ""))
        root = root.rstrip("/")
        pipeline_vars = {
            "pipeline_job_uuid": job_id,
            "pipeline_job_name": job_id,
            "pipeline_job_resource_name": name,
            "pipeline_root": root,
            "pipeline_google_cloud_project_id": project,
            "pipeline_google_cloud_location": location,
            "pipeline_persistent_resource_id": "",
        }
        staging = Staging(self._context.work_dir / "gcs", self._context.store)
        inputs = _root_inputs(spec, job, pipeline_vars)
        root_detail = new_detail(new_task_id(), str(spec.get("pipelineInfo", {}).get("name", "pipeline")), "RUNNING")
        root_detail["execution"] = execution_of(root_detail["taskName"], "RUNNING", inputs, {})
        self._set(0, root_detail)
        scope = _Scope(
            runner=TaskRunner(self._api, staging, lambda: self.cancel_requested),
            components=spec.get("components", {}),
            executors=spec.get("deploymentSpec", {}).get("executors", {}),
            root=root,
            job_id=job_id,
            project=project,
            pipeline_vars=pipeline_vars,
            venv=self._venv(),
            fail_fast=job.get("runtimeConfig", {}).get("failurePolicy") == _FAIL_FAST,
        )
        tasks: Mapping[str, JsonDict] = spec.get("root", {}).get("dag", {}).get("tasks", {})
        failed = self._run_dag(scope, tasks, _Level(inputs, {}, root_detail["taskId"]))
        if self.cancel_requested:
            return self._cancelled()
        if failed:
            names = ", ".join(n for n, _ in failed)
            raise TaskFailed(
                f"The DAG failed because some tasks failed. The failed tasks are: [{names}]. "
                f"Task {failed[0][0]}: {failed[0][1]}"
            )
        with self._lock:
            self._details[0] = ended(self._details[0], "SUCCEEDED")
            self._details[0]["execution"]["state"] = "COMPLETE"
            detail = {"taskDetails": list(self._details)}
        self._publish()
        return PipelineJobOutcome(state=RunState.SUCCEEDED, job_detail=detail)

    def _run_dag(self, scope: _Scope, tasks: Mapping[str, JsonDict], level: _Level) -> list[tuple[str, str]]:
        """Run the tasks of one DAG, each once its upstream tasks succeeded; the failed ones with their errors."""
        _order(tasks)  # a cycle fails the run before anything starts
        failed: list[tuple[str, str]] = []
        done: set[str] = set()  # tasks that ended, however
        pending = set(tasks)
        running: dict[Future[str | None], str] = {}
        with ThreadPoolExecutor(max_workers=_PARALLEL_TASKS, thread_name_prefix="vertex-pipeline-task") as pool:
            while True:
                changed = True
                while changed and not self.cancel_requested:
                    changed = False
                    for task_name in sorted(pending):
                        upstream = _upstream(tasks[task_name]) & set(tasks)
                        with self._lock:
                            succeeded = set(level.results)
                        # An exit handler's task runs once its upstream tasks ended, however they ended.
                        if tasks[task_name].get("triggerPolicy", {}).get("strategy") == _ALL_COMPLETED:
                            succeeded = succeeded | done
                        if any(u in done and u not in succeeded for u in upstream) or (failed and scope.fail_fast):
                            self._add(ended(new_detail(new_task_id(), task_name, "PENDING", level.parent_id),
                                             "NOT_TRIGGERED"))
                            done.add(task_name)
                        elif upstream <= succeeded:
                            future = pool.submit(self._run_node, scope, task_name, tasks[task_name], level)
                            running[future] = task_name
                        else:
                            continue
                        pending.discard(task_name)
                        changed = True
                if not running:
                    return failed
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    task_name = running.pop(future)
                    done.add(task_name)
                    error = future.result()
                    level.errors[task_name] = error
                    if error is not None:
                        failed.append((task_name, error))

    def _run_node(self, scope: _Scope, task_name: str, task_spec: JsonDict, level: _Level) -> str | None:
        """Run a task or a sub-DAG to its end; its error message if it failed (None when it succeeded or its
        trigger condition did not hold)."""
        component = scope.components.get(task_spec.get("componentRef", {}).get("name", ""), {})
        task_id = new_task_id()
        index = self._add(new_detail(task_id, task_name, "RUNNING", level.parent_id))
        try:
            parameters, artifacts = self._inputs(scope, task_name, task_spec, component, level)
            condition = task_spec.get("triggerPolicy", {}).get("condition")
            if condition and not evaluate(str(condition), parameters):
                with self._lock:
                    level.results[task_name] = TaskResult()
                self._set(index, ended(self._details[index], "NOT_TRIGGERED"))
                return None
            if "dag" in component:
                return self._run_sub_dag(scope, task_name, task_spec, component, level, index, parameters, artifacts)
        except ExecutionError as error:
            self._set(index, ended(self._details[index], "FAILED", {"code": error.code, "message": error.message}))
            return error.message
        task = Task(
            name=task_name,
            task_id=task_id,
            component=component,
            executor=scope.executors.get(component.get("executorLabel", ""), {}),
            parameters=parameters,
            artifacts=artifacts,
            root_uri=f"{scope.root}/{scope.project}/{scope.job_id}/{task_name}_{task_id}",
            parent="/".join(str(self._job["name"]).split("/")[:4]),
            pipeline={**scope.pipeline_vars, "pipeline_task_name": task_name, "pipeline_task_uuid": task_id},
            display_name=str(self._job.get("displayName") or scope.job_id),
            venv=scope.venv,
            on_job=lambda executor_detail: self._update(index, executorDetail=executor_detail),
        )
        return self._run_task(scope, task, task_spec, level, index)

    def _run_sub_dag(
        self,
        scope: _Scope,
        task_name: str,
        task_spec: JsonDict,
        component: JsonDict,
        level: _Level,
        index: int,
        parameters: dict[str, Any],
        artifacts: dict[str, list[JsonDict]],
    ) -> str | None:
        """A nested pipeline, a condition's branch or a loop (once per item): its DAG under this task."""
        if task_spec.get("artifactIterator"):
            raise UnsupportedError(f"The task {task_name} loops over artifacts, which the emulator does not run yet.")
        runs = [parameters]
        iterator = task_spec.get("parameterIterator")
        if iterator:
            items = iterator.get("items", {})
            listed = json.loads(items["raw"]) if "raw" in items else parameters.get(items.get("inputParameter", ""))
            if not isinstance(listed, list):
                raise InvalidSpecError(f"The loop {task_name} has no list of items to run over.")
            runs = [{**parameters, str(iterator.get("itemInput", "")): item} for item in listed]
        self._update(index, execution=execution_of(task_name, "RUNNING", parameters, {}))
        own_id = self._details[index]["taskId"]
        sub_tasks = component["dag"].get("tasks", {})
        levels = [_Level(values, artifacts, own_id) for values in runs]
        # A loop's iterations run at once, at most its parallelism limit (and four) at a time.
        limit = int(task_spec.get("iteratorPolicy", {}).get("parallelismLimit") or _PARALLEL_TASKS)
        with ThreadPoolExecutor(max_workers=max(1, min(limit, _PARALLEL_TASKS)),
                                thread_name_prefix="vertex-pipeline-loop") as pool:
            outcomes = list(pool.map(lambda each: self._run_dag(scope, sub_tasks, each), levels))
        failed = [failure for outcome in outcomes for failure in outcome]
        if self.cancel_requested:
            self._set(index, ended(self._details[index], "CANCELLED"))
            return "Cancelled."
        if failed:
            message = (f"Tasks of {task_name} failed: [{', '.join(n for n, _ in failed)}]. "
                       f"Task {failed[0][0]}: {failed[0][1]}")
            self._set(index, ended(self._details[index], "FAILED", {"code": code_pb2.FAILED_PRECONDITION,
                                                                     "message": message}))
            return message
        if iterator:  # a loop's outputs are collected: one value (or artifacts) per iteration
            each = [_dag_outputs(component["dag"], done.results) for done in levels]
            outputs = component["dag"].get("outputs", {})
            result = TaskResult(
                {k: [r.parameters[k] for r in each if k in r.parameters] for k in outputs.get("parameters", {})},
                {k: [a for r in each for a in r.artifacts.get(k, [])] for k in outputs.get("artifacts", {})},
            )
        else:
            result = _dag_outputs(component["dag"], levels[-1].results)
        with self._lock:
            level.results[task_name] = result
        self._set(index, ended(self._details[index], "SUCCEEDED", execution=execution_of(
            task_name, "COMPLETE", parameters, result.parameters), **(
            {"outputs": artifact_lists(result.artifacts)} if result.artifacts else {})))
        return None

    def _run_task(self, scope: _Scope, task: Task, task_spec: JsonDict, level: _Level, index: int) -> str | None:
        inputs_fields = {"inputs": artifact_lists(task.artifacts)} if task.artifacts else {}
        self._update(index, execution=execution_of(task.name, "RUNNING", task.parameters, {}), **inputs_fields)
        caching = task_spec.get("cachingOptions", {}).get("enableCache")
        cache_key = TaskCache.key(task, scope.project) if caching else None
        cached = self._cache.get(cache_key)
        if cached is not None:
            with self._lock:
                level.results[task.name] = cached
            self._set(index, self._task_finished(index, "SKIPPED", cached, task, "CACHED"))
            return None
        policy = task_spec.get("retryPolicy", {})
        attempts = 1 + max(0, int(policy.get("maxRetryCount", 0) or 0))
        backoff = duration_seconds(policy.get("backoffDuration")) or 0.0
        for attempt in range(attempts):
            try:
                result = _run_reporting_errors(scope.runner, task)
            except ExecutionError as error:
                retryable = not isinstance(error, (UnsupportedError, InvalidSpecError))
                if self.cancel_requested:
                    self._set(index, ended(self._details[index], "CANCELLED", {"code": code_pb2.CANCELLED,
                                                                                 "message": "Cancelled."}))
                    return error.message
                if attempt + 1 < attempts and retryable:
                    self._update(index, pipelineTaskStatus=[
                        *self._details[index].get("pipelineTaskStatus", []),
                        {"updateTime": rfc3339_now(), "state": "FAILED",
                         "error": {"code": error.code, "message": error.message}},
                    ])
                    if self._cancel_requested.wait(min(backoff, _MAX_BACKOFF_SECONDS)):
                        self._set(index, ended(self._details[index], "CANCELLED"))
                        return error.message
                    backoff = min(backoff * float(policy.get("backoffFactor", 2) or 2),
                                  duration_seconds(policy.get("backoffMaxDuration")) or _MAX_BACKOFF_SECONDS)
                    continue
                self._set(index, ended(self._details[index], "FAILED", {"code": error.code, "message": error.message},
                                        execution={**self._details[index].get("execution", {}), "state": "FAILED"}))
                return error.message
            with self._lock:
                level.results[task.name] = result
            self._cache.put(cache_key, result)
            self._set(index, self._task_finished(index, "SUCCEEDED", result, task, "COMPLETE"))
            return None
        return "not run"  # unreachable: the loop returns

    def _inputs(
        self, scope: _Scope, task_name: str, task_spec: JsonDict, component: JsonDict, level: _Level
    ) -> tuple[dict[str, Any], dict[str, list[JsonDict]]]:
        """A task's input parameters (wired, constants filled, component defaults, typed) and input artifacts."""
        types = {n: str(d.get("parameterType", "")) for n, d in
                 component.get("inputDefinitions", {}).get("parameters", {}).items()}
        parameters: dict[str, Any] = {}
        constants: dict[str, Any] = {}
        for key, source in task_spec.get("inputs", {}).get("parameters", {}).items():
            if "componentInputParameter" in source:
                if source["componentInputParameter"] in level.inputs:
                    parameters[key] = _selected(level.inputs[source["componentInputParameter"]],
                                                source.get("parameterExpressionSelector"), task_name, key)
            elif "taskOutputParameter" in source:
                producer = source["taskOutputParameter"]
                output = level.results[producer["producerTask"]].parameters
                if producer.get("outputParameterKey") not in output:
                    raise TaskFailed(f"The task {producer['producerTask']} did not output "
                                     f"{producer.get('outputParameterKey')!r}, which task {task_name} needs.")
                parameters[key] = output[producer["outputParameterKey"]]
            elif "runtimeValue" in source:
                constants[key] = source["runtimeValue"].get("constant")
            elif "taskFinalStatus" in source:
                producer = str(source["taskFinalStatus"].get("producerTask", ""))
                error = level.errors.get(producer)
                parameters[key] = {
                    "state": "SUCCEEDED" if error is None else "FAILED",
                    "pipelineJobResourceName": str(self._job.get("name", "")),
                    "pipelineTaskName": producer,
                    **({"error": {"code": code_pb2.FAILED_PRECONDITION, "message": error}} if error else {}),
                }
            else:
                raise UnsupportedError(f"The input {key} of task {task_name} ({', '.join(source)}) is not "
                                       "supported by the emulator.")
        resolver = Resolver({"inputs": {"parameterValues": parameters}}, parameters, types, {}, scope.pipeline_vars)
        parameters.update({key: resolver.value(value) for key, value in constants.items()})
        defaults = Resolver({}, {}, {}, {}, scope.pipeline_vars, pipeline_only=True)
        for key, definition in component.get("inputDefinitions", {}).get("parameters", {}).items():
            if key not in parameters and "defaultValue" in definition:
                parameters[key] = defaults.value(definition["defaultValue"])
        parameters = {key: typed(value, types.get(key, "")) for key, value in parameters.items()}
        artifacts: dict[str, list[JsonDict]] = {}
        for key, source in task_spec.get("inputs", {}).get("artifacts", {}).items():
            producer = source.get("taskOutputArtifact")
            if producer:
                found = level.results[producer["producerTask"]].artifacts.get(producer.get("outputArtifactKey", ""))
            elif "componentInputArtifact" in source:
                found = level.input_artifacts.get(source["componentInputArtifact"])
            else:
                raise UnsupportedError(f"The artifact input {key} of task {task_name} ({', '.join(source)}) is not "
                                       "supported by the emulator.")
            if found:
                artifacts[key] = found
        return parameters, artifacts

    # -- details ----------------------------------------------------------------------------------------
    def _task_finished(self, index: int, state: str, result: TaskResult, task: Task, execution_state: str) -> JsonDict:
        fields: JsonDict = {
            "execution": execution_of(task.name, execution_state, task.parameters, result.parameters),
        }
        if result.artifacts:
            fields["outputs"] = artifact_lists(result.artifacts)
        if result.executor_detail:
            fields["executorDetail"] = result.executor_detail
        return ended(self._details[index], state, **fields)

    def _add(self, detail: JsonDict) -> int:
        with self._lock:
            self._details.append(detail)
            index = len(self._details) - 1
        self._publish()
        return index

    def _set(self, index: int, detail: JsonDict) -> None:
        with self._lock:
            if index == len(self._details):
                self._details.append(detail)
            else:
                self._details[index] = detail
        self._publish()

    def _publish(self) -> None:
        """The task details as they are now to `on_detail`; one at a time, so a later state is never overwritten
        by an earlier one when tasks end together."""
        with self._publish_lock:
            with self._lock:
                snapshot = {"taskDetails": list(self._details)}
            self._on_detail(snapshot)

    def _update(self, index: int, **fields: Any) -> None:
        with self._lock:
            detail = {**self._details[index], **fields}
        self._set(index, detail)

    # -- cache and environment -------------------------------------------------------------------------
    def _venv(self) -> Path | None:
        """This job's venv: sees the emulator's packages (so KFP's `pip install kfp==... --no-deps` is satisfied
        offline); what a component installs beyond them goes here, not into the emulator's environment."""
        venv = self._context.work_dir / "venv"
        if (venv / ".ready").exists():
            return venv
        python = self._context.python
        try:
            subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True,
                           timeout=120)
        except (OSError, subprocess.SubprocessError):
            return None  # the emulator's own interpreter then runs the components
        site = next(venv.glob("lib/python*/site-packages"))
        lines = [f"import site; site.addsitedir({d!r})" for d in _packages._site_dirs(python)]
        (site / "_vertex_emulator_host_site.pth").write_text("\n".join(lines) + "\n")
        (venv / ".ready").touch()
        return venv


# -- helpers ---------------------------------------------------------------------------------------------
def _run_reporting_errors(runner: TaskRunner, task: Task) -> TaskResult:
    """`runner.run(task)`; any other failure (storage refusing a URI the task names, ...) as the task's error."""
    try:
        return runner.run(task)
    except ExecutionError:
        raise
    except Exception as error:
        raise TaskFailed(f"{type(error).__name__}: {error}") from error


def _root_inputs(spec: Mapping[str, Any], job: Mapping[str, Any], pipeline_vars: Mapping[str, str]) -> JsonDict:
    definitions = spec.get("root", {}).get("inputDefinitions", {}).get("parameters", {})
    resolver = Resolver({}, {}, {}, {}, pipeline_vars, pipeline_only=True)
    values: JsonDict = {}
    for name, definition in definitions.items():
        if "defaultValue" in definition:
            values[name] = resolver.value(definition["defaultValue"])
    runtime = job.get("runtimeConfig", {})
    for name, typed_value in runtime.get("parameters", {}).items():
        for key, convert in (("intValue", int), ("doubleValue", float), ("stringValue", str)):
            if key in typed_value:
                values[name] = convert(typed_value[key])
    values.update(runtime.get("parameterValues", {}))
    return {name: typed(v, str(definitions.get(name, {}).get("parameterType", ""))) for name, v in values.items()}


def _dag_outputs(dag: Mapping[str, Any], results: Mapping[str, TaskResult]) -> TaskResult:
    """A sub-DAG's outputs: what its `outputs` select from its tasks' outputs (a branch not taken gives none)."""
    result = TaskResult()
    for key, selector in dag.get("outputs", {}).get("parameters", {}).items():
        # One source, or (dsl.OneOf) the first of several branches that gave it.
        oneof = selector.get("valueFromOneof", {}).get("parameterSelectors")
        sources = oneof or [selector.get("valueFromParameter", {})]
        for source in sources:
            produced = results.get(str(source.get("producerSubtask")), TaskResult()).parameters
            if source.get("outputParameterKey") in produced:
                result.parameters[key] = produced[source["outputParameterKey"]]
                break
    for key, selector in dag.get("outputs", {}).get("artifacts", {}).items():
        for source in selector.get("artifactSelectors", []):  # several: dsl.OneOf, the first branch that gave it
            produced = results.get(str(source.get("producerSubtask")), TaskResult()).artifacts
            if produced.get(source.get("outputArtifactKey", "")):
                result.artifacts[key] = produced[source["outputArtifactKey"]]
                break
    return result


_FIELD_SELECTOR = re.compile(r"""^parseJson\(string_value\)\[(?:"([^"]*)"|'([^']*)')\]$""")


def _selected(value: Any, selector: Any, task_name: str, key: str) -> Any:
    """`value`, or the field a loop over dicts selects from it (`parseJson(string_value)["a"]` for `item.a`)."""
    if not selector:
        return value
    match = _FIELD_SELECTOR.match(str(selector))
    if match is None:
        raise UnsupportedError(f"The input {key} of task {task_name} uses the expression {selector!r}, which the "
                               "emulator does not evaluate (it selects fields of loop items).")
    item = json.loads(value) if isinstance(value, str) else value
    field_name = match[1] if match[1] is not None else match[2]
    if not isinstance(item, dict) or field_name not in item:
        raise TaskFailed(f"The input {key} of task {task_name} selects {field_name!r}, which {value!r:.80} lacks.")
    return item[field_name]


def _upstream(task: Mapping[str, Any]) -> set[str]:
    upstream = set(task.get("dependentTasks", []))
    for kind in ("parameters", "artifacts"):
        for source in task.get("inputs", {}).get(kind, {}).values():
            producer = source.get("taskOutputParameter") or source.get("taskOutputArtifact")
            if producer:
                upstream.add(str(producer.get("producerTask")))
    return upstream


def _order(tasks: Mapping[str, Any]) -> list[str]:
    """The tasks in an order where each comes after what it depends on (ties by name, as the IR sorts them)."""
    remaining = {name: _upstream(task) & set(tasks) for name, task in tasks.items()}
    order: list[str] = []
    while remaining:
        ready = sorted(name for name, upstream in remaining.items() if not upstream - set(order))
        if not ready:
            raise InvalidSpecError(f"The pipeline's tasks depend on each other in a cycle: {sorted(remaining)}")
        order.append(ready[0])
        del remaining[ready[0]]
    return order
