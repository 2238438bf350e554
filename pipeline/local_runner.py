"""Runs the pipeline on this machine: TFX's local Beam orchestrator by default, or LocalDagRunner.

    python -m pipeline.local_runner --config configs/local.yaml [--orchestrator local]
"""

import argparse

from tfx import v1 as tfx
from tfx.orchestration.beam.beam_dag_runner import BeamDagRunner

from configs import load_config
from pipeline import inputs, pipeline, report

ORCHESTRATORS = {"beam": BeamDagRunner, "local": tfx.orchestration.LocalDagRunner}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/local.yaml", help="pipeline config (YAML)")
    parser.add_argument("--orchestrator", choices=sorted(ORCHESTRATORS), default="beam")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    inputs.ensure_input_data(config)
    ORCHESTRATORS[args.orchestrator]().run(pipeline.create_pipeline(config))
    print(report.summary(config))


if __name__ == "__main__":
    main()
