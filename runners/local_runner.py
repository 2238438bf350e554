"""Runs the pipeline on this machine: TFX's local Beam orchestrator by default, or LocalDagRunner.

    python -m runners.local_runner --config configs/local.yaml [--orchestrator local] [--log-level info]

Caching is on: a run started again after a crash reuses every component that had completed.
One runner at a time per run folder: a second one started while the first works stops at once
with a message naming the first (see `run_folder_lock`).
"""

# First, before anything imports TensorFlow: its start-up lines are hidden unless --verbose.
from console import quiet

quiet.start()

import argparse
import contextlib
import logging

from components.checked_example_gen.errors import InputCheckFailed
from components.checked_example_gen.errors import message as input_check_message
from configs import ConfigError, PipelineConfig, load_config
from pipeline.run_lock import RunFolderBusy, run_folder_lock

# TFX and TensorFlow load in seconds: the functions that need them import them (and the modules
# that import them), once the arguments are read, so that --help answers at once.
ORCHESTRATORS = ("beam", "local")  # TFX's local Beam orchestrator, or its LocalDagRunner


def orchestrator(name: str):
    """A runner of the named orchestrator (`ORCHESTRATORS`)."""
    from tfx import v1 as tfx
    from tfx.orchestration.beam.beam_dag_runner import BeamDagRunner

    return {"beam": BeamDagRunner, "local": tfx.orchestration.LocalDagRunner}[name]()


class _RefusalShownOnce(logging.Filter):
    """Drops the logs of an input check's failure, tracebacks and all: the runner prints the refusal once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], InputCheckFailed))


# Beam's DoFn runner logs a failed step's exception with its traceback, to this logger.
BEAM_STEP_LOGGER = "apache_beam.runners.common"


@contextlib.contextmanager
def refusals_shown_once():
    """While a runner runs, a record refused by ImportExampleGen is not logged by every layer it passes."""
    # The Beam logger itself: the root handlers may be made later (TFX and Beam load lazily).
    filtered = [logging.getLogger(BEAM_STEP_LOGGER), *logging.getLogger().handlers]
    refusal_filter = _RefusalShownOnce()
    for target in filtered:
        target.addFilter(refusal_filter)
    try:
        yield
    finally:
        for target in filtered:
            target.removeFilter(refusal_filter)


def workers_filtered(config: PipelineConfig):
    """Beam's worker processes (multi_processing) load TensorFlow without quiet.start(): what they
    write to stderr passes through its filter."""
    return quiet.filtered_stream() if config.beam.running_mode == "multi_processing" else contextlib.nullcontext()


def prepare_inputs(config: PipelineConfig) -> None:
    """The steps before a local run: the demo's synthetic faces drawn if configured and missing
    (`demo_data`), then the input folders checked (InputDataError names the key). ImportExampleGen
    checks every record, in its Beam job."""
    from runners import demo_data, inputs

    demo_data.prepare(config)
    inputs.check_input_data(config)


def local_pipeline(config: PipelineConfig):
    """The pipeline (a tfx.dsl.Pipeline) of `config` with its local ML Metadata store; it reads or
    writes nothing yet."""
    from pipeline import pipeline

    connection = config.metadata.connection_config(config.metadata_path)
    return pipeline.create_pipeline(config, connection)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/local.yaml", help="pipeline config (YAML)")
    parser.add_argument("--orchestrator", choices=ORCHESTRATORS, default="beam")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"],
                        help="of TFX, TensorFlow and Beam (default: error, warning with --verbose); "
                             "info shows each component's progress")
    quiet.add_flag(parser)
    args = parser.parse_args(argv)
    if args.log_level:  # else quiet.start()'s level
        # TFX logs through absl, Beam through the standard library's root logger.
        quiet.set_framework_log_level(args.log_level)
        logging.getLogger().setLevel(args.log_level.upper())
    from runners import inputs, report

    try:
        config = load_config(args.config)
        inputs.check_before_run(config)  # a refused run writes nothing, not even the run folder's lock
        with run_folder_lock(config, args.config), refusals_shown_once(), workers_filtered(config):
            prepare_inputs(config)
            orchestrator(args.orchestrator).run(local_pipeline(config))
    # Refused before any component ran: the message names the key; a traceback would bury it.
    except (ConfigError, inputs.InputDataError, RunFolderBusy) as refused:
        parser.exit(1, f"{parser.prog}: error: {refused}\n")
    # Refused by ImportExampleGen's check of every record: the message names each file and record.
    except InputCheckFailed as refused:
        parser.exit(1, f"{parser.prog}: error: {input_check_message(refused)}\n")
    print(report.summary(config))


if __name__ == "__main__":
    main()
