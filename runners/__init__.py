"""The runners of the one pipeline definition (pipeline/pipeline.py), as in TFX's template.

- `local_runner`: `python -m runners.local_runner --config configs/local.yaml` (local Beam or LocalDagRunner).
- `kubeflow_v2_runner`: compiles the pipeline spec for Kubeflow Pipelines V2 / Vertex AI Pipelines.
- `demo_data`: draws the demo's synthetic faces before a run; `inputs`: checks the input folders
  before any component runs; `report`: the run summary printed after a local run (from ML Metadata).
"""
