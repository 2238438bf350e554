"""A run whose runner was killed or interrupted shows as dead, not RUNNING for ever: its unfinished
executions are DEAD once no runner holds the run folder's lock, or once a newer run started.
(The real kill -9 and Ctrl-C: tests/reliability/test_reliability_crash_resume.py.)"""

from fake_tfx_store import FakeTfxStore, State

from configs import load_config
from inspection import views
from pipeline import run_lock


def _killed_then_rerun():
    """k1 was killed in its Trainer; k2, its re-run, is in its Trainer now (or was killed too)."""
    s = FakeTfxStore()
    for run_name in ("k1", "k2"):
        run = s.new_run("arcface", run_name)
        s.execute(run, "ImportExampleGen", state=State.COMPLETE if run_name == "k1" else State.CACHED)
        s.execute(run, "Trainer", state=State.RUNNING)
    return s.store


def test_unfinished_executions_of_dead_runs_are_dead():
    store = _killed_then_rerun()
    states = lambda alive: [row["states"] for row in views.runs(store, "arcface", alive)]  # noqa: E731
    # No runner holds the lock: both runs are dead.
    assert states(False) == [{"COMPLETE": 1, "DEAD": 1}, {"CACHED": 1, "DEAD": 1}]
    # A runner holds it: it works on the newest run; the older one is dead all the same.
    assert states(True) == [{"COMPLETE": 1, "DEAD": 1}, {"CACHED": 1, "RUNNING": 1}]
    # Cannot be told (a cluster's shared store, where runs may overlap): as recorded.
    assert states(None) == [{"COMPLETE": 1, "RUNNING": 1}, {"CACHED": 1, "RUNNING": 1}]
    assert views.dead_runs(store, "arcface", False) == {"k1", "k2"}
    newest = store.get_context_by_type_and_name("pipeline_run", "k2")
    rows = views.executions(store, newest, dead=True)
    assert [(row["component"], row["state"], row["duration_s"]) for row in rows] == [
        ("ImportExampleGen", "CACHED", rows[0]["duration_s"]), ("Trainer", "DEAD", None)]


def test_the_lock_tells_whether_a_runner_works_in_the_run_folder(tmp_path):
    config = load_config("configs/local.yaml", {"run_root": str(tmp_path / "run")})
    assert run_lock.runner_alive(config) is False  # no runner ever ran here
    with run_lock.run_folder_lock(config, "configs/local.yaml"):
        assert run_lock.runner_alive(config) is True
    assert run_lock.runner_alive(config) is False  # released, as the kernel does when its holder dies
    assert run_lock.runner_alive(load_config("configs/local.yaml", {"run_root": "gs://bucket/run"})) is None
