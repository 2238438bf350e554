"""Runs the pipeline on this machine: TFX's local Beam orchestrator by default, or LocalDagRunner.

    python -m runners.local_runner --config configs/local.yaml [--orchestrator local] [--log-level info]

Caching is on: a run started again after a crash, a kill or Ctrl-C reuses every component that
had completed. One runner at a time per run folder: a second one started while the first works
stops at once with a message naming the first (`pipeline/run_lock.py`).

Exit status: 0 when the run pushed a model; 3 when every component ran but nothing was pushed (the
model was not blessed; the summary says which check failed); 1 when the run was refused (config,
input folders, records: one line naming the key, file or record) or a component failed; 2 for a
usage error; 130 when interrupted by Ctrl-C (one line; run again to resume). Killed by a signal
(kill -9), the runner prints nothing and its shell reports 137.
"""

# First, before anything imports TensorFlow: its start-up lines are hidden unless --verbose.
from console import quiet

quiet.start()

import argparse
import contextlib
import logging
import sys

from components.checked_example_gen.errors import InputCheckFailed
from components.checked_example_gen.errors import message as input_check_message
from configs import ConfigError, PipelineConfig, load_config
from console import errors
from pipeline.run_lock import RunFolderBusy, run_folder_lock

# TFX and TensorFlow load in seconds: the functions that need them import them (and the modules
# that import them), once the arguments are read, so that --help answers at once.
ORCHESTRATORS = ("beam", "local")  # TFX's local Beam orchestrator, or its LocalDagRunner
# Exit statuses besides console/errors.py's (1 refused or failed, 2 usage, 130 interrupted): pushed,
# and every component done but nothing pushed (the model was not blessed: the summary says why).
EXIT_PUSHED, EXIT_NOT_PUSHED = errors.EXIT_OK, 3
RESUME_HINT = ("run it again with the same config to resume: the components that completed are reused from "
               "cache, a training from its last checkpoint")


def orchestrator(name: str):
    """A runner of the named orchestrator (`ORCHESTRATORS`)."""
    from tfx import v1 as tfx
    from tfx.orchestration.beam.beam_dag_runner import BeamDagRunner

    return {"beam": BeamDagRunner, "local": tfx.orchestration.LocalDagRunner}[name]()


class _ShownOnce(logging.Filter):
    """Drops the logs of an input check's failure and of a Ctrl-C, tracebacks and all: each layer of
    Beam and TFX they pass through logs them again; the runner says each in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], (InputCheckFailed, KeyboardInterrupt)))


# Beam's DoFn runner logs a failed step's exception with its traceback, to this logger.
BEAM_STEP_LOGGER = "apache_beam.runners.common"


@contextlib.contextmanager
def failures_shown_once():
    """While a runner runs, a record refused by ImportExampleGen, or a Ctrl-C, is not logged by every
    layer it passes."""
    # The Beam logger itself: the root handlers may be made later (TFX and Beam load lazily).
    filtered = [logging.getLogger(BEAM_STEP_LOGGER), *logging.getLogger().handlers, logging.lastResort]
    shown_once = _ShownOnce()
    for target in filtered:
        target.addFilter(shown_once)
    try:
        yield
    finally:
        for target in filtered:
            target.removeFilter(shown_once)


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


def main(argv=None) -> int:
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
    from runners import inputs

    def run() -> int:
        config = load_config(args.config)  # before TensorFlow loads: a refused config answers at once
        inputs.check_before_run(config)  # a refused run writes nothing, not even the run folder's lock
        try:
            with run_folder_lock(config, args.config), failures_shown_once(), workers_filtered(config):
                prepare_inputs(config)
                orchestrator(args.orchestrator).run(local_pipeline(config))
        except InputCheckFailed as refused:  # as the executor wrote it, without what Beam appends
            raise InputCheckFailed(input_check_message(refused)) from None
        from runners import report

        outcome = report.summary(config)
        print(outcome.text)
        return EXIT_PUSHED if outcome.pushed else EXIT_NOT_PUSHED

    # Refused before any component ran (the message names the key), or by ImportExampleGen's check of
    # every record (it names each file and record): one line, as a Ctrl-C; a traceback would bury it.
    return errors.run(parser.prog, run, refusals=(ConfigError, inputs.InputDataError, RunFolderBusy, InputCheckFailed),
                      interrupted=RESUME_HINT)


if __name__ == "__main__":
    sys.exit(main())
