"""Stopping one tuning trial (its CustomJob was cancelled): its processes end, it is INFEASIBLE, the rest go on."""

from __future__ import annotations

import textwrap
import threading
from pathlib import Path
from typing import Any

from vertex_emulator.execution import ExecutionContext, RunState, TrainingOutcome, TuningObserver, TuningRun
from vertex_emulator.testing import wait_until

IMAGE = "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest"


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def sleeper_or_objective(pids: Path) -> str:
    """Trial x=1 writes its pid and that of a child, then sleeps; the others report score = x at once."""
    return textwrap.dedent(f"""
        import os, subprocess, sys, time, hypertune
        x = int(sys.argv[-1].split("=")[1])
        if x == 1:
            child = subprocess.Popen(["sleep", "600"])
            with open({str(pids)!r} + ".tmp", "w") as out:
                out.write(f"{{os.getpid()}} {{child.pid}}")
            os.replace({str(pids)!r} + ".tmp", {str(pids)!r})
            time.sleep(600)
        hypertune.HyperTune().report_hyperparameter_tuning_metric(
            hyperparameter_metric_tag="score", metric_value=float(x), global_step=1)
    """)


def tuning_job(code: str, *, high: int) -> dict[str, Any]:
    return {
        "displayName": "hpt",
        "studySpec": {
            "metrics": [{"metricId": "score", "goal": "MAXIMIZE"}],
            "parameters": [{"parameterId": "x", "integerValueSpec": {"minValue": "1", "maxValue": str(high)}}],
            "algorithm": "GRID_SEARCH",
        },
        "maxTrialCount": high,
        "parallelTrialCount": high,
        "trialJobSpec": {
            "workerPoolSpecs": [{
                "machineSpec": {"machineType": "n1-standard-4"},
                "replicaCount": "1",
                "containerSpec": {"imageUri": IMAGE, "command": ["python", "-c", code]},
            }],
        },
    }


class Recorder(TuningObserver):
    def __init__(self) -> None:
        self.run: TuningRun | None = None
        self.ended: dict[str, RunState] = {}
        self.states_seen: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def attach(self, run: TuningRun) -> None:
        self.run = run

    def trial_ended(self, trial_id: str, custom_job: str | None, outcome: TrainingOutcome) -> None:
        self.ended[trial_id] = outcome.state

    def trials_changed(self, trials: list[dict[str, Any]]) -> None:
        with self._lock:
            for trial in trials:
                seen = self.states_seen.setdefault(trial["id"], [])
                if not seen or seen[-1] != trial["state"]:
                    seen.append(trial["state"])


def test_a_stopped_trial_ends_infeasible_without_its_processes_and_the_others_go_on(
    context: ExecutionContext, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    recorder = Recorder()
    run = TuningRun(tuning_job(sleeper_or_objective(pids), high=2), context, observer=recorder)
    assert recorder.run is run
    run.start()
    wait_until(pids.exists, timeout=20)
    trainer, child = map(int, pids.read_text().split())

    run.stop_trial("1")
    outcome = run.wait(20)

    assert outcome is not None
    assert outcome.state is RunState.SUCCEEDED, outcome.error_message
    assert not alive(trainer)
    assert not alive(child)
    stopped, other = outcome.trials
    assert stopped["state"] == "INFEASIBLE"
    assert "stopped" in stopped["infeasibleReason"]
    assert "finalMeasurement" not in stopped
    assert stopped["endTime"]
    assert recorder.states_seen["1"] == ["ACTIVE", "STOPPING", "INFEASIBLE"]
    assert recorder.ended["1"] is RunState.CANCELLED
    assert other["state"] == "SUCCEEDED"
    assert outcome.best_trial_id == "2"


def test_a_trial_stopped_before_it_launches_never_runs(context: ExecutionContext, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    run = TuningRun(tuning_job(sleeper_or_objective(pids), high=1), context)
    run.stop_trial("1")  # e.g. its CustomJob was cancelled the moment it was created
    outcome = run.run()
    assert outcome.state is RunState.FAILED  # its only trial did not succeed
    assert outcome.trials[0]["state"] == "INFEASIBLE"
    assert not pids.exists()


def test_stopping_an_ended_or_unknown_trial_changes_nothing(context: ExecutionContext) -> None:
    objective = textwrap.dedent("""
        import hypertune
        hypertune.HyperTune().report_hyperparameter_tuning_metric(
            hyperparameter_metric_tag="score", metric_value=1.0, global_step=1)
    """)
    run = TuningRun(tuning_job(objective, high=1), context)
    outcome = run.run()
    assert outcome.state is RunState.SUCCEEDED, outcome.error_message
    run.stop_trial("1")
    run.stop_trial("99")
    assert run.trials()[0]["state"] == "SUCCEEDED"
