"""Reads a pipeline's runs back from ML Metadata: readable tables, or JSON with --json.

    python -m inspection --config configs/local.yaml runs
    python -m inspection --config configs/local.yaml executions [--run RUN]
    python -m inspection --config configs/local.yaml artifacts [--run RUN] [--type TYPE]
    python -m inspection --config configs/local.yaml lineage ARTIFACT_ID
    python -m inspection --config configs/local.yaml models [--run RUN]

Without --run, `executions` and `artifacts` show the newest run and `models` every run.
An execution left RUNNING by a runner that was killed or interrupted shows as DEAD once no
runner holds the run folder's lock (`pipeline/run_lock.py`); a re-run resumes from what completed.
"""

# First, before anything imports TensorFlow: its start-up lines are hidden unless --verbose.
from console import quiet

quiet.start()

import argparse
import json
import sys

from components.embedding_evaluator.catalog import AUC, EER, VERIFICATION_ACCURACY
from components.embedding_evaluator.report import NUM_PAIRS, VERIFICATION_ACCURACY_STD
from configs import load_config
from console import errors
from inspection import metadata, views
from inspection.tables import Column, decimals, table
from pipeline import run_lock

RUN_COLUMNS = [
    Column("run", "run"),
    Column("started (UTC)", "started"),
    Column("duration s", "duration_s", show=decimals(1)),
    Column("executions", "executions"),
    Column("states", "states"),
]
EXECUTION_COLUMNS = [
    Column("component", "component"),
    Column("execution", "execution"),
    Column("state", "state"),
    Column("started (UTC)", "started"),
    Column("duration s", "duration_s", show=decimals(1)),
]
ARTIFACT_COLUMNS = [
    Column("id", "artifact"),
    Column("type", "type"),
    Column("producer", "producer"),
    Column("uri", "uri"),
    Column("properties", "properties", max_width=60),
]
STEP_COLUMNS = [
    Column("depth", "depth"),
    Column("execution", "execution"),
    Column("component", "component"),
    Column("state", "state"),
    Column("run", "run"),
    Column("inputs", "inputs"),
    Column("outputs", "outputs"),
]
# The metrics a model is judged by; --json has all of them.
MODEL_COLUMNS = [
    Column("model", "model"),
    Column("run", "run"),
    Column("accuracy", VERIFICATION_ACCURACY, show=decimals(4)),
    Column("+/-", VERIFICATION_ACCURACY_STD, show=decimals(4)),
    Column("AUC", AUC, show=decimals(4)),
    Column("EER", EER, show=decimals(4)),
    Column("pairs", NUM_PAIRS, show=decimals(0)),
    Column("blessed", "blessed"),
    Column("pushed to", "pushed_to"),
    Column("started from", "started_from"),
]


def show_runs(store, config, args):
    rows = views.runs(store, config.pipeline_name, run_lock.runner_alive(config))
    return rows, table(rows, RUN_COLUMNS)


def show_executions(store, config, args):
    run = metadata.find_run(store, config.pipeline_name, args.run)
    dead = run.name in views.dead_runs(store, config.pipeline_name, run_lock.runner_alive(config))
    rows = views.executions(store, run, dead)
    return rows, table(rows, EXECUTION_COLUMNS)


def show_artifacts(store, config, args):
    rows = views.run_artifacts(store, metadata.find_run(store, config.pipeline_name, args.run), args.type)
    return rows, table(sorted(rows, key=lambda r: (r["type"], r["artifact"])), ARTIFACT_COLUMNS)


def show_lineage(store, config, args):
    found = views.lineage(store, args.artifact_id)
    artifact = found["artifact"]
    writer = "written by no execution"
    if artifact["producer"]:
        writer = f"written by {artifact['producer']} in run {artifact['run']}"
    text = [f"artifact {artifact['artifact']}: {artifact['type']} {writer}", f"  {artifact['uri']}"]
    if found["started_from"] is not None:
        base = next(a for a in found["artifacts"] if a["artifact"] == found["started_from"])
        text.append(f"  started from model {base['artifact']} ({base['producer'] or 'imported'}"
                    f"{' in run ' + base['run'] if base['run'] else ''}): {base['uri']}")
    for direction, meaning in [("upstream", "what it was made from"), ("downstream", "what used it")]:
        steps = found[direction]
        listed = table(steps, STEP_COLUMNS) if steps else "(none)"
        text += ["", f"{direction} ({meaning}), nearest first:", listed]
    text += ["", "artifacts:", table(found["artifacts"], ARTIFACT_COLUMNS[:4])]
    return found, "\n".join(text)


def show_models(store, config, args):
    run = metadata.find_run(store, config.pipeline_name, args.run) if args.run else None
    rows = views.models(store, config.pipeline_name, run)
    # The row's own keys win: the evaluation's properties name the model too (its URI, as "model").
    return rows, table([{**row["metrics"], **row} for row in rows], MODEL_COLUMNS)


SHOW = {
    "runs": show_runs,
    "executions": show_executions,
    "artifacts": show_artifacts,
    "lineage": show_lineage,
    "models": show_models,
}
PROG = "python -m inspection"
NEWEST_RUN = "a run name (see `runs`); default: the newest run"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/local.yaml", help="pipeline config (YAML)")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name, description):
        sub = commands.add_parser(name, help=description, description=description)
        sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
        return sub

    command("runs", "the pipeline's runs: when, how long, how their executions ended")
    command("executions", "a run's component executions with state and duration").add_argument(
        "--run", help=NEWEST_RUN
    )
    artifacts = command("artifacts", "a run's artifacts by type, with URIs and properties")
    artifacts.add_argument("--run", help=NEWEST_RUN)
    artifacts.add_argument("--type", help="only artifacts of this type, e.g. Model")
    command("lineage", "what an artifact was made from and what used it").add_argument(
        "artifact_id", type=int, help="an artifact id (see `artifacts`)"
    )
    command("models", "each model's evaluation metrics, blessing and push").add_argument(
        "--run", help="a run name (see `runs`); default: every run"
    )
    quiet.add_flag(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """The exit status: 0, or 1 after one line naming a bad config, a missing store or an unknown run or id,
    or 130 on Ctrl-C (console/errors.py)."""
    args = parse_args(argv)

    def command():
        config = load_config(args.config)
        data, text = SHOW[args.command](metadata.open_store(config), config, args)
        print(json.dumps(data, indent=2) if args.json else text)

    return errors.run(PROG, command)


if __name__ == "__main__":
    sys.exit(main())
