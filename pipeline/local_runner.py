"""Runs the pipeline on this machine: TFX's local Beam orchestrator by default, or LocalDagRunner.

    python -m pipeline.local_runner --config configs/local.yaml [--orchestrator local] [--log-level info]

Caching is on: a run started again after a crash reuses every component that had completed.
"""

import argparse
import logging

from absl import logging as absl_logging
from tfx import v1 as tfx
from tfx.orchestration.beam.beam_dag_runner import BeamDagRunner

from configs import PipelineConfig, load_config
from pipeline import inputs, pipeline, report

ORCHESTRATORS = {"beam": BeamDagRunner, "local": tfx.orchestration.LocalDagRunner}


def local_pipeline(config: PipelineConfig) -> tfx.dsl.Pipeline:
    """The pipeline of `config` with its local ML Metadata store, its input data made if missing."""
    inputs.ensure_input_data(config)
    connection = config.metadata.connection_config(config.metadata_path)
    return pipeline.create_pipeline(config, connection)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/local.yaml", help="pipeline config (YAML)")
    parser.add_argument("--orchestrator", choices=sorted(ORCHESTRATORS), default="beam")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"], default="warning",
                        help="of TFX and Beam; info shows each component's progress")
    args = parser.parse_args(argv)
    # TFX logs through absl, Beam through the standard library's root logger.
    absl_logging.set_verbosity(args.log_level)
    logging.getLogger().setLevel(args.log_level.upper())
    config = load_config(args.config)
    ORCHESTRATORS[args.orchestrator]().run(local_pipeline(config))
    print(report.summary(config))


if __name__ == "__main__":
    main()
