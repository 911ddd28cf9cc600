"""PipelineJob: a compiled Kubeflow pipeline run by Vertex AI Pipelines.

A run has a client-chosen id derived from its create key, so a create whose answer was lost finds its own run
(ALREADY_EXISTS) instead of starting a second. Waiting names the task(s) running; a failed run names the task that
failed and its error. Outputs read the tasks: their states, their output artifacts, and the model and the batch
prediction job the pipeline made (the ``resourceName`` in the metadata of ``google.VertexModel`` and
``google.VertexBatchPredictionJob`` artifacts, as Google Cloud Pipeline Components write them).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pulumi

from ..errors import ApiError, ResourceFailed
from ..outputs import PipelineArtifactOutput
from ..specs import PipelineJobDefinition
from ..specs._resource import ResourceBase
from ..specs._types import CREATE_KEY_LABEL
from ._api import json_to_message, message_to_json
from ._args import PipelineJobArgs
from ._config import Placement
from ._kind import JobKind, KindApi
from ._provider import VertexProvider
from ._resource import JobResource

__all__ = ["PipelineJob", "PipelineJobArgs", "PipelineJobProvider", "pipeline_job_id"]

_MODEL_ARTIFACT = "google.VertexModel"
_BATCH_PREDICTION_ARTIFACT = "google.VertexBatchPredictionJob"
_FINISHED_TASK_STATES = ("SUCCEEDED", "SKIPPED", "FAILED", "CANCELLED", "NOT_TRIGGERED")
_FAILED_TASK_STATES = ("FAILED", "CANCELLED")
_MAX_ID = 128  # pipelineJobId: [a-z][a-z0-9-]{0,127}
_KEY_CHARS = 20
_NOT_IN_ID = re.compile(r"[^a-z0-9-]+")


def pipeline_job_id(resource_key: str | None, create_key: str) -> str:
    """``<resource name>-<start of the create key>`` in the id alphabet: one id per create of a resource, the same
    for every attempt of that create."""
    name = _NOT_IN_ID.sub("-", (resource_key or "").rsplit("/", 1)[-1].lower()).strip("-")
    name = name[: _MAX_ID - _KEY_CHARS - 1].rstrip("-")
    if not name or not name[0].isalpha():
        name = f"run-{name}".rstrip("-")[: _MAX_ID - _KEY_CHARS - 1].rstrip("-")
    return f"{name}-{create_key[:_KEY_CHARS]}"


def _tasks(resource: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Each task with a name of its own: its ``taskUniqueName``, else its name under the DAGs that hold it
    (``for-loop-2.train``; not under the root, the pipeline itself), numbered when it repeats (a loop's
    iterations: ``train``, ``train#2`` ...)."""
    details = (resource.get("jobDetail") or {}).get("taskDetails") or []
    tasks = [t for t in details if isinstance(t, dict) and (t.get("taskUniqueName") or t.get("taskName"))]
    by_id = {str(task.get("taskId")): task for task in tasks}
    named: list[tuple[str, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for task in tasks:
        name = str(task.get("taskUniqueName") or "")
        if not name:
            parts, current, hops = [str(task.get("taskName"))], task, 0
            while (parent := by_id.get(str(current.get("parentTaskId")))) is not None and hops < len(tasks):
                if parent.get("parentTaskId"):  # the root is the pipeline itself: not part of a task's name
                    parts.append(str(parent.get("taskName")))
                current, hops = parent, hops + 1
            name = ".".join(reversed(parts))
        seen[name] = seen.get(name, 0) + 1
        named.append((name if seen[name] == 1 else f"{name}#{seen[name]}", task))
    return named


def _leaf_tasks(resource: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The tasks that run something (not the DAGs that hold others: the root, a loop, a condition)."""
    tasks = _tasks(resource)
    parents = {str(task.get("parentTaskId")) for _, task in tasks if task.get("parentTaskId")}
    return [(name, task) for name, task in tasks if str(task.get("taskId")) not in parents]


def running_tasks(resource: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(name for name, task in _leaf_tasks(resource) if task.get("state") == "RUNNING")


def progress(resource: Mapping[str, Any]) -> str:
    """``running train (1 of 4 tasks done)``: what a progress line says about the tasks."""
    leaves = _leaf_tasks(resource)
    done = sum(task.get("state") in _FINISHED_TASK_STATES for _, task in leaves)
    return f"running {', '.join(running_tasks(resource))} ({done} of {len(leaves)} tasks done)"


def failure_message(resource: Mapping[str, Any], fallback: str) -> str:
    """The failed task(s) with their errors, then the pipeline's own error (unless it only repeats them)."""
    failed = [
        (name, task.get("state"), (task.get("error") or {}).get("message", "no error message"))
        for name, task in _leaf_tasks(resource)
        if task.get("state") in _FAILED_TASK_STATES
    ]
    parts = [f"task {name} {state}: {message}" for name, state, message in failed]
    if not parts:
        return fallback
    repeats = all(message in fallback for _, _, message in failed)
    return "; ".join(parts if repeats else [*parts, f"pipeline: {fallback}"])


def _artifacts(resource: Mapping[str, Any]) -> dict[str, dict[str, list[PipelineArtifactOutput]]]:
    found: dict[str, dict[str, list[PipelineArtifactOutput]]] = {}
    for name, task in _tasks(resource):
        for key, listing in (task.get("outputs") or {}).items():
            for artifact in (listing or {}).get("artifacts") or []:
                out: PipelineArtifactOutput = {}
                if artifact.get("uri"):
                    out["uri"] = artifact["uri"]
                if artifact.get("schemaTitle"):
                    out["schema_title"] = artifact["schemaTitle"]
                resource_name = (artifact.get("metadata") or {}).get("resourceName")
                if isinstance(resource_name, str) and resource_name:
                    out["resource_name"] = resource_name
                found.setdefault(name, {}).setdefault(key, []).append(out)
    return found


def _made(artifacts: Mapping[str, Mapping[str, Sequence[PipelineArtifactOutput]]], schema_title: str) -> str | None:
    """The resource name of the first artifact of ``schema_title`` the pipeline's tasks output."""
    for outputs in artifacts.values():
        for listing in outputs.values():
            for artifact in listing:
                if artifact.get("schema_title") == schema_title and artifact.get("resource_name"):
                    return artifact["resource_name"]
    return None


class PipelineJobApi(JobKind):
    kind = "PipelineJob"
    spec_type = PipelineJobDefinition
    service = "pipelines"
    method_stem = "pipeline_job"
    message_type_name = "PipelineJob"
    extra_output_names = ("task_states", "output_artifacts", "model_name", "batch_prediction_job")

    def submit(self, placement: Placement, spec: Any, labels: dict[str, str]) -> dict[str, Any]:
        job_id = pipeline_job_id(spec.resource_key, labels[CREATE_KEY_LABEL])
        message = json_to_message(self._message_type(), {**spec.to_api(), "labels": labels})
        try:
            created = self._call(
                "create", parent=placement.parent, pipeline_job=message, pipeline_job_id=job_id, retry=None
            )
        except ApiError as error:
            if error.status != "ALREADY_EXISTS":
                raise
            # An earlier attempt of this very create reached the API (its answer was lost): the run is ours.
            return self.get(f"{placement.parent}/pipelineJobs/{job_id}")
        return message_to_json(created)

    def extra_outputs(self, resource: dict[str, Any]) -> dict[str, Any]:
        artifacts = _artifacts(resource)
        return {
            "task_states": {name: task.get("state") for name, task in _tasks(resource)} or None,
            "output_artifacts": artifacts or None,
            "model_name": _made(artifacts, _MODEL_ARTIFACT),
            "batch_prediction_job": _made(artifacts, _BATCH_PREDICTION_ARTIFACT),
        }


class _Watched(PipelineJobApi):
    """The API as the wait sees it: each read prints which tasks run when that changes, and keeps the answer."""

    def __init__(self, api: KindApi, describe: str) -> None:
        super().__init__(api.session)
        self.describe = describe
        self.latest: dict[str, Any] = {}
        self._shown: tuple[str, ...] | None = None

    def get(self, name: str) -> dict[str, Any]:
        self.latest = super().get(name)
        running = running_tasks(self.latest)
        if running and running != self._shown:
            print(f"{self.describe}: {progress(self.latest)}", file=sys.stderr, flush=True)
        self._shown = running
        return self.latest


class PipelineJobProvider(VertexProvider):
    api_type = PipelineJobApi

    def _wait_for(self, api: KindApi, spec: ResourceBase, resource: dict[str, Any]) -> dict[str, Any]:
        watched = _Watched(api, self._describe(resource["name"]))
        try:
            return super()._wait_for(watched, spec, resource)
        except ResourceFailed as failed:
            message = failure_message(watched.latest, failed.message)
            raise ResourceFailed(failed.kind, failed.name, failed.status, message) from None


class PipelineJob(JobResource, module="vertex", name="PipelineJob"):
    """A Vertex AI Pipelines run of a compiled Kubeflow pipeline. ``create`` waits until it ends (unless
    ``wait_for_completion`` is false); a change of what defines the run replaces it."""

    task_states: pulumi.Output[Mapping[str, str]]
    """Each task's state by task name (``SUCCEEDED``, ``FAILED``, ``SKIPPED`` ...)."""
    if TYPE_CHECKING:  # see JobResource.error
        output_artifacts: pulumi.Output[Mapping[str, Mapping[str, Sequence[PipelineArtifactOutput]]]]
    else:
        output_artifacts: pulumi.Output[Mapping[str, Any]]
    """The output artifacts by task name and output key: each with its URI, type and, for a Vertex AI resource,
    its name."""
    model_name: pulumi.Output[str]
    """The model the pipeline uploaded (a ``google.VertexModel`` output, e.g. of ``ModelUploadOp``), if any: as the
    artifact names it, with the version it uploaded (``projects/.../models/ID@1``)."""
    batch_prediction_job: pulumi.Output[str]
    """The batch prediction job the pipeline ran (a ``google.VertexBatchPredictionJob`` output, e.g. of
    ``ModelBatchPredictOp``), if any."""

    def __init__(self, resource_name: str, args: PipelineJobArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(PipelineJobProvider(), resource_name, args, opts)
