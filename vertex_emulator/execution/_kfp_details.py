"""How a pipeline job's `jobDetail.taskDetails` entries look (google.cloud.aiplatform.v1.PipelineTaskDetail)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from ._run import rfc3339_now

JsonDict = dict[str, Any]


def new_task_id() -> str:
    return str(1_000_000_000_000_000 + secrets.randbelow(8_000_000_000_000_000_000))


def new_detail(task_id: str, name: str, state: str, parent_id: str | None = None) -> JsonDict:
    now = rfc3339_now()
    detail: JsonDict = {"taskId": task_id, "taskName": name, "createTime": now, "state": state}
    if parent_id is not None:
        detail["parentTaskId"] = parent_id
    if state == "RUNNING":
        detail["startTime"] = now
    return detail


def ended(detail: JsonDict, state: str, error: JsonDict | None = None, **fields: Any) -> JsonDict:
    now = rfc3339_now()
    result = {**detail, **fields, "state": state, "endTime": now}
    if error is not None:
        result["error"] = error
    return result


def execution_of(name: str, state: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> JsonDict:
    metadata = {**{f"input:{k}": v for k, v in inputs.items()}, **{f"output:{k}": v for k, v in outputs.items()}}
    return {"displayName": name, "state": state, "schemaTitle": "system.ContainerExecution", "metadata": metadata}


def artifact_lists(artifacts: Mapping[str, list[JsonDict]]) -> JsonDict:
    """Task inputs/outputs as `map<string, ArtifactList>` of google.cloud.aiplatform.v1.Artifact."""
    lists: JsonDict = {}
    for key, items in artifacts.items():
        converted = []
        for item in items:
            artifact: JsonDict = {"displayName": key, "uri": str(item.get("uri", "")), "state": "LIVE"}
            schema = item.get("type", {})
            if schema.get("schemaTitle"):
                artifact["schemaTitle"] = schema["schemaTitle"]
            if schema.get("schemaVersion"):
                artifact["schemaVersion"] = schema["schemaVersion"]
            if item.get("metadata"):
                artifact["metadata"] = item["metadata"]
            converted.append(artifact)
        lists[key] = {"artifacts": converted}
    return lists
