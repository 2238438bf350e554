"""End to end: the demo's wall time, split by component from ML Metadata's execution times.

Each repeat runs the demo config (`configs/local.yaml`) as `make demo` does, in its own process,
into a fresh temporary run root (so nothing is cached). The synthetic input data is generated
first, timed on its own. Framework overhead is the runner's wall time less the executions that
read, transform, train on or evaluate data: process start-up and imports, pipeline
compilation, the components that only handle metadata, and the gaps between executions.
"""

import collections
import os
import subprocess
import sys
import time

import yaml

from bench import measure
from bench.results import Result
from configs import load_config
from inspection import metadata, views
from pipeline import nodes
from runners import demo_data

NAME = "end_to_end"
DEMO_CONFIG = "configs/local.yaml"
TARGET_SECONDS = 300.0
TARGET_OVERHEAD = 1 / 3
# The executions that work on the data; StatisticsGen reads every record to compute its statistics.
DATA_WORK = {
    nodes.IMPORT_EXAMPLE_GEN: "read",
    nodes.STATISTICS_GEN: "read",
    nodes.TRANSFORM: "transform",
    nodes.TRAINER: "train",
    nodes.EMBEDDING_EVALUATOR: "evaluate",
}
# The runner's time outside any execution: imports, config and pipeline compilation before the
# first, orchestration between them, the summary and shut-down after the last.
OUTSIDE = {
    "before_first": "runner start-up, before the first execution",
    "between": "between executions",
    "after_last": "after the last execution",
}
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def demo_config(run_root, overrides):
    """The demo config with its run root, data and serving folders under `run_root`."""
    with open(os.path.join(REPO, DEMO_CONFIG)) as demo:
        config = yaml.safe_load(demo)
    config["run_root"] = run_root
    config["data"]["input_base"] = os.path.join(run_root, "data")
    config["pusher"]["serving_dir"] = os.path.join(run_root, "serving")
    for section, values in overrides.items():
        config[section] = {**config.get(section, {}), **values}
    path = os.path.join(run_root, "config.yaml")
    os.makedirs(run_root, exist_ok=True)
    with open(path, "w") as config_file:
        yaml.safe_dump(config, config_file)
    return path


def time_outside_executions(executions, launched, finished):
    """Seconds of the runner's process before the first execution, between executions, after the last.

    `executions` are ML Metadata executions (times in ms since the epoch); `launched` and
    `finished` bound the runner's process (seconds since the epoch).
    """
    spans = sorted((e.create_time_since_epoch / 1000, e.last_update_time_since_epoch / 1000)
                   for e in executions)
    covered, reach = 0.0, spans[0][0]
    for begin, end in spans:  # executions may overlap: count covered time once
        covered += max(0.0, end - max(begin, reach))
        reach = max(reach, end)
    return {
        "before_first": spans[0][0] - launched,
        "between": reach - spans[0][0] - covered,
        "after_last": finished - reach,
    }


def run_demo(run_root, overrides):
    """One demo run: generation and runner seconds, each execution's seconds, time outside them."""
    config_path = demo_config(run_root, overrides)
    config = load_config(config_path)
    start = time.perf_counter()
    demo_data.prepare(config)
    generation = time.perf_counter() - start
    launched = time.time()
    completed = subprocess.run([sys.executable, "-m", "runners.local_runner", "--config", config_path],
                               cwd=REPO, capture_output=True, text=True)
    finished = time.time()
    if completed.returncode != 0:
        raise RuntimeError(f"the demo failed ({completed.returncode}):\n{completed.stderr[-5000:]}")
    store = metadata.open_store(config)
    run = metadata.find_run(store, config.pipeline_name)
    executions = {row["component"]: row["duration_s"] for row in views.executions(store, run)}
    outside = time_outside_executions(metadata.run_executions(store, run).values(), launched, finished)
    return generation, finished - launched, executions, outside


def run(settings, context):
    start = time.perf_counter()
    samples = collections.defaultdict(list)
    for repeat in range(settings["repeats"]):
        generation, runner, executions, outside = run_demo(
            os.path.join(context.scratch_dir, f"demo-{repeat}"), settings["overrides"])
        work = sum(seconds for component, seconds in executions.items() if component in DATA_WORK)
        samples["generation"].append(generation)
        samples["runner"].append(runner)
        samples["overhead"].append(runner - work)
        samples["overhead_share"].append((runner - work) / runner)
        samples["total"].append(generation + runner)
        for part, seconds in {**executions, **outside}.items():
            samples[part].append(seconds)
    figures = {name: measure.summary(values) for name, values in samples.items()}
    components = [name for name in samples if name not in
                  ("generation", "runner", "overhead", "overhead_share", "total", *OUTSIDE)]
    rows = [{"part": name, "kind": DATA_WORK.get(name, "overhead"), "seconds": figures[name],
             "share": figures[name]["median"] / figures["runner"]["median"]} for name in components]
    rows += [{"part": label, "kind": "overhead", "seconds": figures[name],
              "share": figures[name]["median"] / figures["runner"]["median"]}
             for name, label in OUTSIDE.items()]
    rows += [
        {"part": "framework overhead (runner less data work)", "kind": "overhead",
         "seconds": figures["overhead"], "share": figures["overhead_share"]},
        {"part": "pipeline runner (wall)", "kind": "", "seconds": figures["runner"], "share": 1.0},
        {"part": "synthetic data generation (before the runner)", "kind": "data",
         "seconds": figures["generation"], "share": "-"},
        {"part": "demo total", "kind": "", "seconds": figures["total"], "share": "-"},
    ]
    total, share = figures["total"]["median"], figures["overhead_share"]["median"]
    fast, lean = total < TARGET_SECONDS, share < TARGET_OVERHEAD
    return Result(
        name=NAME,
        title="End to end: the demo, by component",
        target=f"demo under {TARGET_SECONDS / 60:g} min, framework overhead under a third",
        columns=[("part", "part"), ("kind", "kind"), ("seconds", "seconds"),
                 ("share", "share of the runner's wall time")],
        rows=rows,
        met=(fast and lean) if not settings["overrides"] else None,
        verdict=f"demo {total:.0f} s ({'under' if fast else 'OVER'} {TARGET_SECONDS:.0f} s);"
        f" overhead {share:.0%} of the runner ({'under' if lean else 'OVER'} a third)",
        notes=[
            f"{settings['repeats']} runs of `python -m runners.local_runner` on"
            f" {DEMO_CONFIG}{' with ' + str(settings['overrides']) if settings['overrides'] else ''},"
            " each into a fresh run root; component times are ML Metadata's execution"
            " durations (`inspection.views.executions`).",
            "Kinds: " + ", ".join(f"{c} {k}" for c, k in DATA_WORK.items())
            + "; every other component, and the runner's time outside executions, is overhead.",
        ],
        seconds=time.perf_counter() - start,
    )
