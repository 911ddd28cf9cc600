"""The environment Vertex AI gives training replicas, and ``$(VAR)`` expansion in command lines."""

from __future__ import annotations

import json
import os
import re
import socket
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._object_store import join_uri

_REFERENCE = re.compile(r"\$(\$|\(([A-Za-z_][A-Za-z0-9_]*)\))")
# What a job's processes take from the emulator's own environment: what any program needs to run (finding
# programs, the locale, the time zone, a temp dir, who runs it). Nothing else: no credentials, tokens,
# proxies, PYTHONPATH or cloud settings of the user's shell; Vertex's own variables are set by the runs.
_INHERITED = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME")
_DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
# TF_CONFIG task types of worker pools 0..3 (evaluators are not part of the TF cluster).
_TF_TASK_TYPES = ("chief", "worker", "ps", "evaluator")


def expand_references(values: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """Kubernetes-style: ``$(NAME)`` -> its value when NAME is set (else kept), ``$$`` -> ``$``."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(1) == "$":
            return "$"
        return env.get(match.group(2), match.group(0))

    return [_REFERENCE.sub(substitute, value) for value in values]


def base_environment(home: Path) -> dict[str, str]:
    """The environment every process of a job starts from, as a Vertex container's is: PATH (the emulator's
    Python first, so `python` is the interpreter that has the installed packages), HOME (``home``, the job's own,
    created), a UTF-8 locale, and the few host variables in ``_INHERITED``. The runs add Vertex's variables."""
    home.mkdir(parents=True, exist_ok=True)
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    python_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([python_bin, env.get("PATH") or _DEFAULT_PATH])
    env.setdefault("LANG", "C.UTF-8")
    env["HOME"] = str(home)
    return env


def output_directories(base_output_uri: str | None) -> dict[str, str]:
    """AIP_MODEL_DIR, AIP_CHECKPOINT_DIR and AIP_TENSORBOARD_LOG_DIR under the base output directory."""
    if not base_output_uri:
        return {}
    return {
        "AIP_MODEL_DIR": join_uri(base_output_uri, "model") + "/",
        "AIP_CHECKPOINT_DIR": join_uri(base_output_uri, "checkpoints") + "/",
        "AIP_TENSORBOARD_LOG_DIR": join_uri(base_output_uri, "logs") + "/",
    }


def free_local_address() -> str:
    """A loopback host:port nothing listens on right now (each replica's address in CLUSTER_SPEC)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def cluster_environment(
    cluster: Mapping[int, Sequence[str]], pool: int, index: int, trial_id: str | None
) -> dict[str, str]:
    """CLUSTER_SPEC and TF_CONFIG for replica ``index`` of worker pool ``pool``."""
    task: dict[str, Any] = {"type": f"workerpool{pool}", "index": index}
    if trial_id is not None:
        task["trial"] = trial_id
    cluster_spec = {
        "cluster": {f"workerpool{p}": list(hosts) for p, hosts in sorted(cluster.items())},
        "environment": "cloud",
        "task": task,
    }
    tf_task: dict[str, Any] = {"type": _TF_TASK_TYPES[pool] if pool < 4 else f"workerpool{pool}", "index": index}
    if trial_id is not None:
        tf_task["trial"] = trial_id
    tf_config = {
        "cluster": {_TF_TASK_TYPES[p]: list(hosts) for p, hosts in sorted(cluster.items()) if p < 3},
        "environment": "cloud",
        "task": tf_task,
        "job": {"task_type": tf_task["type"], "task_index": index},
    }
    return {"CLUSTER_SPEC": json.dumps(cluster_spec), "TF_CONFIG": json.dumps(tf_config)}


def spec_env(env_list: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """A spec's ``env: [{name, value}]`` as a dict; values may reference earlier ones with ``$(NAME)``."""
    result: dict[str, str] = {}
    for item in env_list:
        name = str(item.get("name", ""))
        if name:
            result[name] = expand_references([str(item.get("value", ""))], result)[0]
    return result
