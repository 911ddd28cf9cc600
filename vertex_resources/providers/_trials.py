"""The best trial of a tuning job, as the study's first metric and goal define it."""

from __future__ import annotations

from typing import Any

from ..outputs import BestTrialOutput

__all__ = ["best_trial"]


def best_trial(job: dict[str, Any]) -> BestTrialOutput | None:
    """The best succeeded trial of a tuning job (v1 REST JSON), if any."""
    metrics = (job.get("studySpec") or {}).get("metrics") or []
    if not metrics:
        return None
    metric_id = metrics[0].get("metricId")
    maximize = str(metrics[0].get("goal", "MAXIMIZE")) in ("MAXIMIZE", "1")
    scored: list[tuple[float, dict[str, Any]]] = []
    for trial in job.get("trials") or []:
        if str(trial.get("state")) not in ("SUCCEEDED", "4"):
            continue
        values = {m.get("metricId"): m.get("value") for m in (trial.get("finalMeasurement") or {}).get("metrics", [])}
        if values.get(metric_id) is not None:
            scored.append((float(values[metric_id]), trial))
    if not scored:
        return None
    _, best = (max if maximize else min)(scored, key=lambda pair: pair[0])
    return {
        "id": str(best.get("id")),
        "parameters": {p.get("parameterId"): p.get("value") for p in best.get("parameters") or []},
        "metrics": {m.get("metricId"): m.get("value") for m in (best.get("finalMeasurement") or {}).get("metrics", [])},
        "custom_job": best.get("customJob"),
    }
