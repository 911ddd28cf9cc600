"""Hyperparameter tuning with real trial processes reporting through cloudml-hypertune."""

from __future__ import annotations

import json
import math
import textwrap
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from vertex_emulator.execution import ExecutionContext, RunState, TrainingOutcome, TuningObserver, TuningRun

IMAGE = "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest"

# A synthetic objective with a known optimum: layers=4 with adam.
OBJECTIVE = textwrap.dedent("""
    import argparse, hypertune
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int)
    parser.add_argument("--optimizer")
    parser.add_argument("--fixed")
    args = parser.parse_args()
    assert args.fixed == "yes", args.fixed
    score = -(args.layers - 4) ** 2 + (1.0 if args.optimizer == "adam" else 0.0)
    hypertune.HyperTune().report_hyperparameter_tuning_metric(
        hyperparameter_metric_tag="score", metric_value=score, global_step=1)
""")


def trial_job_spec(code: str, args: list[str] | None = None, base: str = "gs://bkt/hpt") -> dict[str, Any]:
    return {
        "workerPoolSpecs": [{
            "machineSpec": {"machineType": "n1-standard-4"},
            "replicaCount": "1",
            "containerSpec": {"imageUri": IMAGE, "command": ["python", "-c", code], "args": args or []},
        }],
        "baseOutputDirectory": {"outputUriPrefix": base},
    }


def tuning_job(code: str, parameters: list[dict[str, Any]], *, goal: str = "MAXIMIZE", algorithm: str = "GRID_SEARCH",
               max_trials: int = 10, parallel: int = 3, max_failed: int = 0, selection: str | None = None,
               args: list[str] | None = None) -> dict[str, Any]:
    study: dict[str, Any] = {"metrics": [{"metricId": "score", "goal": goal}], "parameters": parameters,
                             "algorithm": algorithm}
    if selection:
        study["measurementSelectionType"] = selection
    return {
        "displayName": "hpt",
        "studySpec": study,
        "maxTrialCount": max_trials,
        "parallelTrialCount": parallel,
        "maxFailedTrialCount": max_failed,
        "trialJobSpec": trial_job_spec(code, args),
    }


GRID = [
    {"parameterId": "layers", "integerValueSpec": {"minValue": "1", "maxValue": "5"}},
    {"parameterId": "optimizer", "categoricalValueSpec": {"values": ["sgd", "adam"]}},
]


def values(trial: dict[str, Any]) -> dict[str, Any]:
    return {p["parameterId"]: p["value"] for p in trial["parameters"]}


def test_grid_search_finds_the_known_best_parameters(context: ExecutionContext) -> None:
    outcome = TuningRun(tuning_job(OBJECTIVE, GRID, args=["--fixed=yes"]), context).run()
    assert outcome.state is RunState.SUCCEEDED, outcome.error_message
    assert len(outcome.trials) == 10
    assert [t["id"] for t in outcome.trials] == [str(i) for i in range(1, 11)]
    assert all(t["state"] == "SUCCEEDED" for t in outcome.trials)
    best = outcome.best_trial
    assert best is not None
    assert values(best) == {"layers": 4, "optimizer": "adam"}
    assert best["finalMeasurement"] == {"stepCount": "1", "metrics": [{"metricId": "score", "value": 1.0}]}
    assert datetime.fromisoformat(best["startTime"]) <= datetime.fromisoformat(best["endTime"])
    assert outcome.resource_fields() == {"trials": outcome.trials}


def test_random_search_minimizes_a_log_scaled_parameter(context: ExecutionContext) -> None:
    code = textwrap.dedent("""
        import argparse, math, hypertune
        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float)
        lr = parser.parse_args().lr
        hypertune.HyperTune().report_hyperparameter_tuning_metric(
            hyperparameter_metric_tag="score", metric_value=(math.log10(lr) + 2) ** 2)
    """)
    parameters = [{"parameterId": "lr", "doubleValueSpec": {"minValue": 1e-5, "maxValue": 1.0},
                   "scaleType": "UNIT_LOG_SCALE"}]
    job = tuning_job(code, parameters, goal="MINIMIZE", algorithm="ALGORITHM_UNSPECIFIED", max_trials=8, parallel=4)
    outcome = TuningRun(job, context, seed=3).run()
    assert outcome.state is RunState.SUCCEEDED, outcome.error_message
    tried = {t["id"]: values(t)["lr"] for t in outcome.trials}
    assert outcome.best_trial_id == min(tried, key=lambda i: abs(math.log10(tried[i]) + 2))
    assert 1e-3 < tried[outcome.best_trial_id] < 1e-1
    again = TuningRun(job, context.derive(work_dir=context.work_dir / "again"), seed=3).run()
    assert [values(t) for t in again.trials] == [values(t) for t in outcome.trials]


def test_each_trial_gets_its_id_output_directory_and_metric_file(context: ExecutionContext, tmp_path: Path) -> None:
    code = textwrap.dedent(f"""
        import json, os, sys, hypertune
        trial = os.environ["CLOUD_ML_TRIAL_ID"]
        with open(os.path.join({str(tmp_path)!r}, "trial-" + trial + ".json"), "w") as f:
            json.dump({{"argv": sys.argv[1:], "model": os.environ["AIP_MODEL_DIR"],
                       "metrics": os.environ["CLOUD_ML_HP_METRIC_FILE"],
                       "task": json.loads(os.environ["CLUSTER_SPEC"])["task"]}}, f)
        hypertune.HyperTune().report_hyperparameter_tuning_metric(hyperparameter_metric_tag="score", metric_value=1)
    """)
    parameters = [{"parameterId": "max-depth", "integerValueSpec": {"minValue": "2", "maxValue": "3"}}]
    outcome = TuningRun(tuning_job(code, parameters, args=["--target-column=species"]), context).run()
    assert outcome.state is RunState.SUCCEEDED, outcome.error_message
    reports = {i: json.loads((tmp_path / f"trial-{i}.json").read_text()) for i in ("1", "2")}
    assert reports["1"]["argv"] == ["--target-column=species", "--max-depth=2"]
    assert reports["2"]["argv"] == ["--target-column=species", "--max-depth=3"]
    assert reports["2"]["model"] == "gs://bkt/hpt/2/model/"
    assert reports["1"]["metrics"] != reports["2"]["metrics"]
    assert reports["2"]["task"] == {"type": "workerpool0", "index": 0, "trial": "2"}


def test_at_most_parallel_trial_count_trials_run_at_once(context: ExecutionContext) -> None:
    code = OBJECTIVE.replace("import argparse, hypertune", "import argparse, hypertune, time; time.sleep(0.4)")
    outcome = TuningRun(tuning_job(code, GRID, args=["--fixed=yes"], max_trials=4, parallel=2), context).run()
    assert outcome.state is RunState.SUCCEEDED, outcome.error_message
    spans = [(datetime.fromisoformat(t["startTime"]), datetime.fromisoformat(t["endTime"])) for t in outcome.trials]
    overlap = max(sum(1 for start, end in spans if start <= moment < end) for moment, _ in spans)
    assert overlap == 2
    assert len(outcome.trials) == 4


def test_the_job_fails_after_max_failed_trial_count(context: ExecutionContext) -> None:
    code = "import sys; print('diverged'); sys.exit(2)"
    outcome = TuningRun(tuning_job(code, GRID, max_trials=6, parallel=1, max_failed=2), context).run()
    assert outcome.state is RunState.FAILED
    assert "maxFailedTrialCount (2)" in outcome.error_message
    assert "non-zero status of 2" in outcome.error_message
    assert len(outcome.trials) == 2
    assert all(t["state"] == "INFEASIBLE" for t in outcome.trials)
    assert "diverged" in outcome.trials[0]["infeasibleReason"]


def test_a_trial_that_reports_no_metric_fails(context: ExecutionContext) -> None:
    outcome = TuningRun(tuning_job("print('forgot to report')", GRID, max_trials=1, parallel=1), context).run()
    assert outcome.state is RunState.FAILED
    assert "did not report the metric 'score'" in outcome.trials[0]["infeasibleReason"]


def reporting(values: list[float]) -> str:
    return textwrap.dedent(f"""
        import hypertune
        tuner = hypertune.HyperTune()
        for step, value in enumerate({values!r}, start=1):
            tuner.report_hyperparameter_tuning_metric(
                hyperparameter_metric_tag="score", metric_value=value, global_step=step)
    """)


def test_measurement_selection_last_or_best(context: ExecutionContext) -> None:
    code = reporting([0.5, 0.9, 0.7])
    parameters = [{"parameterId": "n", "integerValueSpec": {"minValue": "1", "maxValue": "1"}}]
    last = TuningRun(tuning_job(code, parameters, max_trials=1), context.derive(work_dir=context.work_dir / "a")).run()
    best = TuningRun(tuning_job(code, parameters, max_trials=1, selection="BEST_MEASUREMENT"),
                     context.derive(work_dir=context.work_dir / "b")).run()
    assert last.trials[0]["finalMeasurement"] == {"stepCount": "3", "metrics": [{"metricId": "score", "value": 0.7}]}
    assert best.trials[0]["finalMeasurement"] == {"stepCount": "2", "metrics": [{"metricId": "score", "value": 0.9}]}
    assert len(last.trials[0]["measurements"]) == 3


class Recorder(TuningObserver):
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.snapshots: list[list[dict[str, Any]]] = []

    def trial_started(self, trial_id: str, job_spec: dict[str, Any]) -> str | None:
        self.events.append(("started", job_spec["baseOutputDirectory"]["outputUriPrefix"]))
        return f"projects/p/locations/l/customJobs/{100 + int(trial_id)}"

    def trial_ended(self, trial_id: str, custom_job: str | None, outcome: TrainingOutcome) -> None:
        self.events.append(("ended", f"{custom_job} {outcome.state.value}"))

    def trials_changed(self, trials: list[dict[str, Any]]) -> None:
        self.snapshots.append(trials)


def test_observer_sees_trial_jobs_and_progress(context: ExecutionContext) -> None:
    recorder = Recorder()
    job = tuning_job(OBJECTIVE, GRID, args=["--fixed=yes"], max_trials=2, parallel=1)
    outcome = TuningRun(job, context, observer=recorder).run()
    assert outcome.state is RunState.SUCCEEDED
    assert recorder.events == [
        ("started", "gs://bkt/hpt/1"), ("ended", "projects/p/locations/l/customJobs/101 SUCCEEDED"),
        ("started", "gs://bkt/hpt/2"), ("ended", "projects/p/locations/l/customJobs/102 SUCCEEDED"),
    ]
    assert outcome.trials[0]["customJob"] == "projects/p/locations/l/customJobs/101"
    assert [t["state"] for t in recorder.snapshots[0]] == ["ACTIVE"]
    assert [t["state"] for t in recorder.snapshots[-1]] == ["SUCCEEDED", "SUCCEEDED"]


def test_cancel_stops_running_trials(context: ExecutionContext) -> None:
    run = TuningRun(tuning_job("import time; time.sleep(60)", GRID, max_trials=4, parallel=2), context)
    run.start()
    deadline = time.monotonic() + 10
    while len(run.trials()) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)
    started = time.monotonic()
    run.cancel()
    outcome = run.wait(15)
    assert outcome is not None
    assert outcome.state is RunState.CANCELLED
    assert outcome.error_code == 1
    assert time.monotonic() - started < 5
    assert len(outcome.trials) == 2
