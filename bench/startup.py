"""Start-up: seconds from `python -m <command>` to its answer, for commands that do little work.

Each command runs in a fresh process, as a user types it: `--help` of the command lines, `inspect
runs` on an ML Metadata store that holds no run yet (it opens the store and answers), `compare`
pointed at a model folder that does not exist (it loads what it needs, then answers), and a
submission's dry run (it reads and checks the config and prints the request). What is
timed is the start-up: Python, the imports, the config; the target is what a person waits for.
"""

import os
import subprocess
import sys
import time

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2

from bench import measure
from bench.results import Result

NAME = "startup"
TARGET_SECONDS = 2.0
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The documented command lines (`python -m <module>`), each timed answering --help; tests/architecture
# checks that each answers it without TensorFlow.
COMMAND_LINES = ("runners.local_runner", "runners.kubeflow_v2_runner", "runners.demo_data", "inspection.schema",
                 "face_data", "submission", "inspection", "inspection.html_report", "serving", "bench", "pretrained")


def _commands(scratch_dir):
    """Label -> (arguments after `python -m`, the exit status it must end with)."""
    store = os.path.join(scratch_dir, "metadata.sqlite")
    config = os.path.join(scratch_dir, "config.yaml")
    with open(os.path.join(REPO, "configs", "local.yaml")) as demo, open(config, "w") as copy:
        copy.write(demo.read().replace("run_root: runs/demo", f"run_root: {scratch_dir}"))
    connection = metadata_store_pb2.ConnectionConfig()
    connection.sqlite.filename_uri = store
    metadata_store.MetadataStore(connection)  # an empty store: the schema, no run
    bad_config = os.path.join(scratch_dir, "bad.yaml")
    with open(config) as good, open(bad_config, "w") as bad:
        bad.write(good.read() + "bogus_key: 1\n")
    return {
        **{f"{module} --help": ([module, "--help"], 0) for module in COMMAND_LINES},
        "submission kfp run --dry-run": (["submission", "kfp", "run", "--config", "configs/kubeflow.yaml",
                                          "--dry-run"], 0),
        "inspection runs (no run yet)": (["inspection", "--config", config, "runs"], 1),
        "compare (no such model)": (["serving", "compare", "a.png", "b.png", "--model",
                                     os.path.join(scratch_dir, "no-model")], 1),
        # Refusals: each input is looked at before TensorFlow or the face detector loads.
        "compare --align (not a photo)": (["serving", "compare", config, config, "--model",
                                           os.path.join(scratch_dir, "no-model"), "--align"], 1),
        "face_data folder (no such folder)": (["face_data", "folder", os.path.join(scratch_dir, "no-faces"),
                                               os.path.join(scratch_dir, "out")], 1),
        "local_runner (bad config)": (["runners.local_runner", "--config", bad_config], 1),
    }


def _seconds(arguments, status):
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", *arguments], cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != status:
        raise RuntimeError(f"python -m {' '.join(arguments)}: expected exit {status}, got {done.returncode}:\n"
                           f"{done.stderr[-3000:]}")
    return seconds


def run(settings, context):
    start = time.perf_counter()
    rows = []
    for label, (arguments, status) in _commands(context.scratch_dir).items():
        seconds = measure.time_calls(lambda: _seconds(arguments, status), settings["repeats"], settings["warmup"])
        rows.append({"command": label, "seconds": measure.summary(seconds)})
    slowest = max(rows, key=lambda row: row["seconds"]["median"])
    return Result(
        name=NAME,
        title="Start-up of the command lines",
        target=f"< {TARGET_SECONDS:g} s each",
        columns=[("command", "python -m ..."), ("seconds", "seconds")],
        rows=rows,
        met=all(row["seconds"]["median"] < TARGET_SECONDS for row in rows),
        verdict=f"slowest: {slowest['command']}, {slowest['seconds']['median']:.2f} s",
        notes=[f"Each command in a fresh process, {settings['repeats']} timed runs after {settings['warmup']} "
               "untimed one(s), which warm the file cache; wall time until it exits."],
        seconds=time.perf_counter() - start,
    )
