"""Caching of pipeline tasks, as Vertex AI Pipelines caches executions.

A task with `cachingOptions.enableCache` whose key (its component, executor, input parameter values and input
artifacts, and the project) matches an earlier successful execution is not run again: it gets that execution's
outputs. Executions are remembered as files in a directory of the data dir. Unlike Vertex, an execution whose
output artifacts or resources are gone (after a reset) is no hit.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ._kfp_tasks import Task, TaskResult
from ._object_store import ObjectStore
from ._vertex_api import VertexApi


class TaskCache:
    """Earlier successful executions in `directory` (None: no caching)."""

    def __init__(self, directory: Path | None, api: VertexApi, store: ObjectStore) -> None:
        self._directory = directory
        self._api = api
        self._store = store

    @staticmethod
    def key(task: Task, project: str) -> str:
        material = {
            "project": project,
            "component": {k: v for k, v in task.component.items() if k != "description"},
            "executor": task.executor,
            "parameters": task.parameters,
            "artifacts": {k: [{"uri": a.get("uri"), "metadata": a.get("metadata")} for a in v]
                          for k, v in task.artifacts.items()},
        }
        return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()[:32]

    def get(self, key: str | None) -> TaskResult | None:
        if key is None or self._directory is None:
            return None
        try:
            saved = json.loads((self._directory / f"{key}.json").read_text())
        except (OSError, ValueError):
            return None
        result = TaskResult(saved.get("parameters", {}), saved.get("artifacts", {}), saved.get("executorDetail", {}))
        return result if self._outputs_exist(result) else None

    def put(self, key: str | None, result: TaskResult) -> None:
        if key is None or self._directory is None:
            return
        self._directory.mkdir(parents=True, exist_ok=True)
        saved = {"parameters": result.parameters, "artifacts": result.artifacts,
                 "executorDetail": result.executor_detail}
        temporary = self._directory / f"{key}.json.new"
        temporary.write_text(json.dumps(saved))
        temporary.replace(self._directory / f"{key}.json")

    def _outputs_exist(self, result: TaskResult) -> bool:
        """Whether an earlier execution's outputs are still there (after a reset they are not: no cache hit)."""
        for items in result.artifacts.values():
            for artifact in items:
                resource = artifact.get("metadata", {}).get("resourceName")
                uri = str(artifact.get("uri", ""))
                try:
                    if resource:
                        self._api.get(str(resource))
                    elif uri.startswith("gs://") and not self._store.list(uri):
                        return False
                except Exception:  # a name or URI storage refuses is not there either
                    return False
        return True
