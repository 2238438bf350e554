"""Submits a run of the pipeline, or creates a recurring schedule, on Kubeflow Pipelines or Vertex AI.

    python -m submission kfp run --config configs/kubeflow.yaml [--dry-run]
    python -m submission kfp schedule --config configs/kubeflow.yaml [--dry-run]
    python -m submission vertex run --config configs/kubeflow.yaml [--dry-run]
    python -m submission vertex schedule --config configs/kubeflow.yaml [--dry-run]

The pipeline is compiled first, into `kubeflow.pipeline_file`. With --dry-run the request (the
client calls and all their arguments) is printed as JSON instead of being sent.
"""

# First, before anything imports TensorFlow: its start-up lines are hidden unless --verbose.
from console import quiet

quiet.start()

import argparse
import dataclasses
import json

from configs import load_config
from pipeline import kubeflow_v2_runner
from submission import kfp_requests, vertex_requests

REQUESTS = {
    ("kfp", "run"): kfp_requests.run_request,
    ("kfp", "schedule"): kfp_requests.schedule_request,
    ("vertex", "run"): vertex_requests.run_request,
    ("vertex", "schedule"): vertex_requests.schedule_request,
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m submission", description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=["kfp", "vertex"], help="Kubeflow Pipelines or Vertex AI Pipelines")
    parser.add_argument("action", choices=["run", "schedule"], help="one run now, or recurring runs (kubeflow.schedule)")
    parser.add_argument("--config", default="configs/kubeflow.yaml", help="pipeline config (YAML) with a kubeflow section")
    parser.add_argument("--dry-run", action="store_true", help="print the request instead of sending it")
    quiet.add_flag(parser)
    args = parser.parse_args(argv)
    config = load_config(args.config)
    request = REQUESTS[args.target, args.action](config)  # refuses a config missing what it needs
    kubeflow_v2_runner.compile_pipeline(config)
    print(json.dumps(dataclasses.asdict(request), indent=2) if args.dry_run else request.send())


if __name__ == "__main__":
    main()
