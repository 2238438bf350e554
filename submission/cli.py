"""Submits a run of the pipeline, or creates a recurring schedule, on Kubeflow Pipelines or Vertex AI.

    python -m submission kfp run --config configs/kubeflow.yaml [--dry-run]
    python -m submission kfp schedule --config configs/kubeflow.yaml [--dry-run]
    python -m submission vertex run --config configs/kubeflow.yaml [--dry-run]
    python -m submission vertex schedule --config configs/kubeflow.yaml [--dry-run]

A submission compiles the pipeline first, into `kubeflow.pipeline_file`, then sends the request.
With --dry-run the config is read and checked and the request (the client calls and all their
arguments) is printed as JSON, in about a second: nothing is compiled, written or sent. The spec
the request names is compiled when it is sent, or by `python -m runners.kubeflow_v2_runner`.
Before compiling, the host the request goes to must accept a connection (within 10 s).

Exit status (console/errors.py): 0 when sent (or printed), 1 when the config is refused or the host
cannot be reached (one line naming the key), 2 for a usage error, 130 when interrupted.
"""

# First, before anything imports TensorFlow: its start-up lines are hidden unless --verbose.
from console import quiet

quiet.start()

import argparse
import dataclasses
import json
import sys

from configs import load_config
from console import errors
from submission import kfp_requests, vertex_requests

PROG = "python -m submission"

REQUESTS = {
    ("kfp", "run"): kfp_requests.run_request,
    ("kfp", "schedule"): kfp_requests.schedule_request,
    ("vertex", "run"): vertex_requests.run_request,
    ("vertex", "schedule"): vertex_requests.schedule_request,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=["kfp", "vertex"], help="Kubeflow Pipelines or Vertex AI Pipelines")
    parser.add_argument("action", choices=["run", "schedule"], help="one run now, or recurring runs (kubeflow.schedule)")
    parser.add_argument("--config", default="configs/kubeflow.yaml", help="pipeline config (YAML) with a kubeflow section")
    parser.add_argument("--dry-run", action="store_true",
                        help="check the config and print the request, compiling, writing and sending nothing "
                             "(the spec is compiled when the request is sent, or by python -m runners.kubeflow_v2_runner)")
    quiet.add_flag(parser)
    args = parser.parse_args(argv)
    return errors.run(PROG, lambda: _submit(args))


def _submit(args) -> None:
    config = load_config(args.config)
    request = REQUESTS[args.target, args.action](config)  # refuses a config missing what it needs
    if args.dry_run:
        print(json.dumps(dataclasses.asdict(request), indent=2))
        print(f"dry run: config checked, request not sent; {config.kubeflow.pipeline_file} is compiled when it is "
              "sent (or by python -m runners.kubeflow_v2_runner)", file=sys.stderr)
        return
    request.check_reachable()  # in seconds, before a compilation that takes 20-45
    from runners import kubeflow_v2_runner  # TFX: 20-45 s to import and compile, for a submission only

    kubeflow_v2_runner.compile_pipeline(config)
    print(request.send())


if __name__ == "__main__":
    sys.exit(main())
