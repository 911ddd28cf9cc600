"""Reading what cloudml-hypertune writes: JSON lines rewritten into ``CLOUD_ML_HP_METRIC_FILE``.

Each line: ``{"global_step": "<int>", "timestamp": <float>, "trial": "<id>", "<tag>": "<float>", ...}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DEFAULT_METRIC_TAG = "training/hptuning/metric"


@dataclass(frozen=True)
class Measurement:
    step: int
    value: float

    def to_json(self, metric_id: str) -> dict[str, object]:
        return {"stepCount": str(self.step), "metrics": [{"metricId": metric_id, "value": self.value}]}


def read_measurements(path: Path, metric_id: str) -> list[Measurement]:
    """The reported values of ``metric_id`` in file order (a trial that used hypertune's default tag counts
    as reporting the study's metric). Lines that are not JSON or carry no number are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    tag = metric_id if any(metric_id in r for r in records) else DEFAULT_METRIC_TAG
    measurements = []
    for record in records:
        try:
            value = float(record[tag])
            step = int(float(record.get("global_step", 0) or 0))
        except (KeyError, TypeError, ValueError):
            continue
        measurements.append(Measurement(step, value))
    return measurements


def final_measurement(measurements: list[Measurement], selection: str, goal: str) -> Measurement | None:
    """LAST_MEASUREMENT (the default) or BEST_MEASUREMENT by the metric's goal."""
    if not measurements:
        return None
    if selection == "BEST_MEASUREMENT":
        pick = max if goal == "MAXIMIZE" else min
        return pick(measurements, key=lambda m: m.value)
    return measurements[-1]
