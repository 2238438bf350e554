"""Runs the compiled pipeline remotely: `python -m submission kfp|vertex run|schedule` (see `cli.py`).

- `kfp_requests`: the Kubeflow Pipelines client calls for a run or a recurring schedule;
- `vertex_requests`: the same for Vertex AI Pipelines;
- `cli`: compiles the pipeline (`runners.kubeflow_v2_runner`) and sends the request, or prints it (--dry-run).
"""
