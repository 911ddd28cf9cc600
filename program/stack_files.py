"""Pulumi.yaml and ``stacks/Pulumi.<stack>.yaml`` read the way the engine reads them, without the CLI.

``stack_config(stack)`` gives what the engine hands the program: the stack file's values merged over the project's
declared defaults, every key namespaced (``vertex-ml:split``), scalars as strings, objects and arrays as JSON text.
Used by ``program.local`` (to stage what the local stack names) and by the tests (to run the program per stack).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from .config import PROJECT_NAMESPACE, STACK_CONFIG_DIR

__all__ = ["ROOT", "project_file", "stack_config", "stack_names"]

ROOT = Path(__file__).resolve().parent.parent
"""The directory of Pulumi.yaml."""


def project_file(root: Path = ROOT) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((root / "Pulumi.yaml").read_text())
    return loaded


def stack_names(root: Path = ROOT) -> list[str]:
    directory = root / project_file(root).get("stackConfigDir", STACK_CONFIG_DIR)
    return sorted(path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in directory.glob("Pulumi.*.yaml"))


def _as_engine_value(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def stack_config(stack: str, root: Path = ROOT, overrides: dict[str, Any] | None = None) -> dict[str, str]:
    """The config the engine passes to the program of ``stack``; ``overrides`` replace stack-file values."""
    project = project_file(root)
    namespace = project.get("name", PROJECT_NAMESPACE)
    path = root / project.get("stackConfigDir", STACK_CONFIG_DIR) / f"Pulumi.{stack}.yaml"
    loaded = yaml.safe_load(path.read_text()) or {}
    values: dict[str, Any] = {}
    for key, declaration in (project.get("config") or {}).items():
        full = key if ":" in key else f"{namespace}:{key}"
        if isinstance(declaration, dict) and "default" in declaration:
            values[full] = declaration["default"]
        elif not isinstance(declaration, dict):
            values[full] = declaration
    values.update(loaded.get("config") or {})
    values.update(overrides or {})
    return {key: _as_engine_value(value) for key, value in values.items() if value is not None}
