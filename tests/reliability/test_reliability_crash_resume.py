"""Crash and resume, and two runners at once, on the real pipeline in real processes (issue #9, 1 and 2).

One chain of runs in one run folder, on tiny data that still goes through every component:
  1. the runner is SIGKILLed (its whole process group: Beam may start workers) while Transform
     writes its graph;
  2. the re-run is interrupted as Ctrl-C does (SIGINT to its process group) once the Trainer has
     saved a checkpoint: it ends in one line, status 130 (issue #25, 8);
  3. the next re-run is killed while the Pusher checks its staged copy of the model;
  4. two runners are started together to finish: one completes the run, the other stops at once
     with a message naming the first.
After every step ML Metadata is read back whole and checked, and so is the serving folder; and
`inspection runs` shows the killed and interrupted runs as dead, never RUNNING (issue #25, 7).
"""

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ml_metadata.proto import metadata_store_pb2

from components.versioned_pusher.executor import check_serves
from serving.model_folder import list_versions
from configs import load_config
from inspection import metadata, views
from pipeline import run_lock
from runners.local_runner import RESUME_HINT
from pipeline.run_lock import LOCK_FILE
from tests.reliability.signals import answer_ctrl_c

# Four runs of the tiny pipeline: 3.7 to 7.6 minutes in four runs here, on 2 cores shared with other work.
pytestmark = [pytest.mark.pipeline, pytest.mark.timeout(3600)]

REPO = Path(__file__).resolve().parents[2]
# The Trainer's progress and the Pusher's staging are INFO lines (the runner's default is warning).
RUNNER = [sys.executable, "-m", "runners.local_runner", "--log-level", "info", "--config"]
STEP_TIMEOUT_S = 900
CHAIN = {
    "trainer": {"train_steps": 60, "checkpoint_every_steps": 10},
    # The chain is about surviving kills, not model quality: every model it trains is pushed.
    "evaluator": {"min_verification_accuracy": 0.0},
}
TRANSFORM_WRITING = re.compile(r"Transform/transform_graph/\d+/\.temp_path")
CHECKPOINT_SAVED = re.compile(r"checkpoint at step (\d+): ")
PUSHER_STAGING = re.compile(r"checking the staged copy (\S+) before it becomes version (\d+)")
RESUMED = re.compile(r"resumed from (\S+) at step (\d+) of (\d+)")
RESOLVER = "latest_blessed_model_resolver"
# Its baseline is what the Resolver finds blessed, which a killed run may have changed.
EVALUATOR = "EmbeddingEvaluator"
State = metadata_store_pb2.Execution.State
DONE = {State.COMPLETE, State.CACHED}


def _kill_group(pid):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def run_until(config_path, trigger, sent=signal.SIGKILL):
    """Starts a runner in a process group of its own and sends `sent` to the group at its first line
    matching `trigger`: (the match, the output lines until then, the lines after, the exit status).
    Fails if the runner ends or times out first."""
    process = subprocess.Popen([*RUNNER, str(config_path)], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True,
                               preexec_fn=answer_ctrl_c)
    watchdog = threading.Timer(STEP_TIMEOUT_S, _kill_group, (process.pid,))
    watchdog.start()
    lines, after, match = [], [], None
    try:
        for line in process.stdout:
            lines.append(line)
            match = trigger.search(line)
            if match:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, sent)
                break
        after = process.stdout.readlines()  # what it says once interrupted, until it ends
    finally:
        watchdog.cancel()
        process.wait(timeout=60)
    assert match, (f"the runner ended (code {process.returncode}, killed after {STEP_TIMEOUT_S} s if -9) before "
                   f"a line matching {trigger.pattern!r}:\n" + "".join(lines[-60:]))
    return match, lines, after, process.returncode


def run_two_at_once(config_path, log_dir):
    """Starts two runners together on one config; waits for both: [(pid, return code, output)] in start order."""
    processes = []
    for number in range(2):
        with open(log_dir / f"runner-{number}.log", "w") as log:  # files: a full pipe would stall a runner
            processes.append(subprocess.Popen([*RUNNER, str(config_path)], cwd=REPO, stdout=log,
                                              stderr=subprocess.STDOUT, start_new_session=True))
    deadline = time.monotonic() + STEP_TIMEOUT_S
    try:
        for process in processes:
            process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        for process in processes:
            if process.poll() is None:
                _kill_group(process.pid)
                process.wait(timeout=60)
    return [(p.pid, p.returncode, (log_dir / f"runner-{n}.log").read_text()) for n, p in enumerate(processes)]


def read_back_store(config):
    """Reads the whole store back: ({run name: {component: state name}}, [problems found])."""
    problems = []
    with contextlib.closing(sqlite3.connect(f"file:{config.metadata_path}?mode=ro", uri=True)) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchall()
    if integrity != [("ok",)]:
        problems.append(f"sqlite integrity_check: {integrity}")
    store = metadata.open_store(config)
    runs = {run.name: views.executions(store, run) for run in metadata.pipeline_runs(store, config.pipeline_name)}
    executions = store.get_executions()
    origin = metadata.origins(store, [e.id for e in executions])
    store.get_events_by_execution_ids([e.id for e in executions])
    store.get_artifacts()
    for execution in executions:
        where = f"execution {execution.id} ({origin[execution.id].component}, run {origin[execution.id].run})"
        if origin[execution.id].run not in runs:
            problems.append(f"{where}: in no run of the pipeline")
        if execution.last_known_state in DONE:
            continue
        # A kill leaves its execution RUNNING (or FAILED): unless it is the newest run's, the one
        # just killed, a later run must have done that component.
        superseded = [later.id for later in executions if later.id > execution.id and later.last_known_state in DONE
                      and origin[later.id].component == origin[execution.id].component]
        just_killed = origin[execution.id].run == list(runs)[-1]
        if execution.last_known_state not in (State.RUNNING, State.FAILED) or not (superseded or just_killed):
            problems.append(f"{where}: {State.Name(execution.last_known_state)}, superseded by none")
    complete = [e for e in executions if e.last_known_state == State.COMPLETE]
    for type_name, artifacts in metadata.written_artifacts(store, complete).items():
        for artifact in artifacts:
            if artifact.state != metadata_store_pb2.Artifact.LIVE or not os.path.exists(artifact.uri):
                problems.append(f"{type_name} {artifact.id} of a COMPLETE execution: state "
                                f"{metadata_store_pb2.Artifact.State.Name(artifact.state)}, on disk: "
                                f"{os.path.exists(artifact.uri)} ({artifact.uri})")
    states = {name: {row["component"]: row["state"] for row in rows} for name, rows in runs.items()}
    return states, problems


def read_serving_folder(config):
    """(the version numbers, the other entries) of the model's serving folder; every version must be whole."""
    model_dir = Path(config.pusher.serving_dir, config.pusher.model_name)
    entries = sorted(os.listdir(model_dir)) if model_dir.exists() else []
    numbered = [name for name in entries if name.isdigit()]
    assert numbered == [str(v) for v in list_versions(str(model_dir))], f"a partial version in {model_dir}: {entries}"
    for name in numbered:
        assert (model_dir / name / "verification.json").exists() and (model_dir / name / "variables").is_dir()
    return [int(name) for name in numbered], [name for name in entries if not name.isdigit()]


@pytest.fixture(scope="module")
def chain(pipeline_config, tmp_path_factory):
    """Runs the four steps; for each, what the test functions check: output, store, serving folder, time."""
    config_path = pipeline_config("crash-resume", CHAIN)
    config = load_config(config_path)
    steps = {}

    def record(name, started, **found):
        states, problems = read_back_store(config)
        # What `python -m inspection runs` shows: the store's states, and the run folder's lock.
        shown = {row["run"]: row["states"] for row in views.runs(metadata.open_store(config), config.pipeline_name,
                                                                  run_lock.runner_alive(config))}
        steps[name] = {**found, "runs": states, "shown": shown, "problems": problems,
                       "serving": read_serving_folder(config), "seconds": time.monotonic() - started}
        print(f"\n{name}: {steps[name]['seconds']:.0f} s; last run: {list(states.values())[-1]}")

    for name, trigger, sent in (("transform", TRANSFORM_WRITING, signal.SIGKILL),
                                ("trainer", CHECKPOINT_SAVED, signal.SIGINT),
                                ("pusher", PUSHER_STAGING, signal.SIGKILL)):
        started = time.monotonic()
        match, lines, after, status = run_until(config_path, trigger, sent)
        record(name, started, match=match, lines=lines + after, after=after, status=status)
    started = time.monotonic()
    record("finish", started, runners=run_two_at_once(config_path, tmp_path_factory.mktemp("two-runners")))
    return config, steps


def _state_changes(steps, killed_step, rerun_step):
    """(the killed run's states, the re-run's states): each step added one run."""
    killed, rerun = list(steps[killed_step]["runs"].values())[-1], list(steps[rerun_step]["runs"].values())[-1]
    assert len(steps[rerun_step]["runs"]) == len(steps[killed_step]["runs"]) + 1
    return killed, rerun


def _assert_done_components_come_from_cache(killed, rerun):
    """What the killed run had done is reused; the Evaluator may score again if a blessed model appeared."""
    done = [c for c, state in killed.items() if state in ("COMPLETE", "CACHED") and c not in (RESOLVER, EVALUATOR)]
    assert done and all(rerun[c] == "CACHED" for c in done), (killed, rerun)


def test_a_run_killed_in_transform_is_resumed_from_cache(chain):
    _, steps = chain
    (first,) = steps["transform"]["runs"].values()
    assert first["Transform"] == "RUNNING" and "Trainer" not in first, first
    killed, rerun = _state_changes(steps, "transform", "trainer")
    _assert_done_components_come_from_cache(killed, rerun)
    # Transform's inputs were done before it started. StatisticsGen feeds only the validator, so
    # the runner may order it after Transform: it is checked above, as one of `done`, if it ran.
    assert {"ImportExampleGen", "SchemaGen"} <= {c for c, s in rerun.items() if s == "CACHED"}
    assert rerun["Transform"] == "COMPLETE"


def test_kill_9_leaves_no_lines_and_ctrl_c_one(chain):
    _, steps = chain
    for name in ("transform", "pusher"):  # what follows the kill is what was already in the pipe
        said = "".join(steps[name]["after"])
        assert steps[name]["status"] == -signal.SIGKILL and "Traceback" not in said, (name, said[-3000:])
    interrupted = steps["trainer"]
    said = "".join(interrupted["after"])
    assert interrupted["status"] == 130, said[-5000:]
    assert interrupted["after"][-1] == f"local_runner.py: interrupted; {RESUME_HINT}\n", said[-5000:]
    assert "Traceback" not in said and "KeyboardInterrupt" not in said, said[-5000:]


def test_inspection_shows_the_killed_and_interrupted_runs_dead_never_running(chain):
    _, steps = chain
    for name, step in steps.items():
        assert [run for run, states in step["shown"].items() if "RUNNING" in states] == [], (name, step["shown"])
    killed = list(steps["finish"]["shown"].values())[:3]  # the three runs killed or interrupted
    assert all(set(states) - {"COMPLETE", "CACHED"} for states in killed), killed
    assert "DEAD" in killed[0] and "DEAD" in killed[2], killed  # kill -9 in Transform, in the Pusher
    assert set(list(steps["finish"]["shown"].values())[-1]) <= {"COMPLETE", "CACHED"}


def test_a_run_interrupted_in_the_trainer_resumes_from_its_checkpoint(chain):
    config, steps = chain
    saved = int(steps["trainer"]["match"][1])
    killed, rerun = _state_changes(steps, "trainer", "pusher")
    assert killed["Trainer"] in ("RUNNING", "FAILED") and rerun["Trainer"] == "COMPLETE"
    assert rerun["Transform"] == "CACHED"
    _assert_done_components_come_from_cache(killed, rerun)
    resumed = [m for m in map(RESUMED.search, steps["pusher"]["lines"]) if m]
    assert len(resumed) == 1, "".join(steps["pusher"]["lines"][-80:])
    checkpoint, step, total = resumed[0][1], int(resumed[0][2]), int(resumed[0][3])
    print(f"\nkilled after the checkpoint at step {saved}; "
          f"the re-run resumed from {checkpoint} at step {step} of {total}")
    assert saved <= step < total == config.trainer.train_steps
    assert checkpoint.endswith(f"ckpt-{step}")


def test_a_run_killed_in_the_pusher_leaves_no_partial_version_and_the_rerun_pushes_once(chain):
    config, steps = chain
    staged, version = steps["pusher"]["match"][1], steps["pusher"]["match"][2]
    # The kill landed while the copy was staged: it was left there, hidden (TF Serving and
    # list_versions skip it), and no version appeared.
    assert steps["pusher"]["serving"] == ([], [os.path.basename(staged)])
    killed, rerun = _state_changes(steps, "pusher", "finish")
    assert killed["Pusher"] == "RUNNING" and rerun["Pusher"] == "COMPLETE" and rerun["Trainer"] == "CACHED"
    _assert_done_components_come_from_cache(killed, rerun)
    # The re-run removed the killed push's staged copy and pushed one whole version.
    versions, others = steps["finish"]["serving"]
    assert len(versions) == 1 and versions[0] >= int(version), versions
    assert others == [], others
    (winner,) = [output for _, code, output in steps["finish"]["runners"] if code == 0]
    assert f"removing {staged}, left by a push that was killed midway" in winner, winner[-3000:]
    check_serves(os.path.join(config.pusher.serving_dir, config.pusher.model_name, str(versions[0])))


def test_two_runners_at_once_one_finishes_and_the_other_stops_naming_it(chain):
    config, steps = chain
    runners = steps["finish"]["runners"]
    assert sorted(code for _, code, _ in runners) == [0, 1], [(code, output[-3000:]) for _, code, output in runners]
    ((winner_pid, winner),) = [(pid, output) for pid, code, output in runners if code == 0]
    (refused,) = [output for _, code, output in runners if code == 1]
    message = re.search(r"is in use by another run of the pipeline \(pid (\d+), started \S+, config (\S+)\); "
                        r"wait for it to finish, or give this run another run_root \(lock: (\S+)\)", refused)
    assert message, refused[-3000:]
    print("\n" + message[0])
    assert int(message[1]) == winner_pid and message[3] == str(Path(config.run_root, LOCK_FILE))
    assert "Traceback" not in refused and "Pipeline run" in winner
    # The refused runner recorded nothing: the chain's runs are the three killed ones and the winner's.
    assert len(steps["finish"]["runs"]) == 4


def test_metadata_stays_readable_and_consistent_after_every_step(chain):
    _, steps = chain
    for name, step in steps.items():
        print(f"\nafter {name} ({step['seconds']:.0f} s): " + "; ".join(
            f"{run}: {sum(s in ('COMPLETE', 'CACHED') for s in states.values())}/{len(states)} done"
            for run, states in step["runs"].items()))
    assert {name: step["problems"] for name, step in steps.items()} == {name: [] for name in steps}
    # The last run did every component.
    assert set(list(steps["finish"]["runs"].values())[-1].values()) <= {"COMPLETE", "CACHED"}
