"""Compiles the pipeline for Kubeflow Pipelines / Vertex AI Pipelines into a pipeline spec file.

    python -m runners.kubeflow_v2_runner --config configs/kubeflow.yaml

Nothing runs here: every component runs later in `kubeflow.image`, when the file is submitted
(submission/cli.py).
"""

# First, before anything imports TensorFlow: its start-up lines are hidden unless --verbose.
from console import quiet

quiet.start()

import argparse
from pathlib import Path

from configs import ConfigError, PipelineConfig, load_config


def compile_pipeline(config: PipelineConfig) -> Path:
    """Writes the pipeline spec (YAML) of `config` to `kubeflow.pipeline_file` and returns that path."""
    if config.kubeflow is None:
        raise ConfigError("kubeflow: expected a `kubeflow` section in the config (see configs/kubeflow.yaml), got none")
    # Here, not at the top: TFX loads in seconds, and --help should answer at once.
    from tfx import v1 as tfx

    from pipeline import pipeline

    path = config.kubeflow.pipeline_file
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(
            default_image=config.kubeflow.image,
            # Schema 2.1 (`parameterType`) is what KFP 2 writes, and the only one in which TFX 1.21
            # compiles RuntimeParameters (2.0 fails on them with KeyError: 'parameterType').
            use_pipeline_spec_2_1=True,
        ),
        output_dir=str(path.parent),
        output_filename=path.name,
    )
    # Kubeflow and Vertex keep their own ML Metadata: no connection is compiled into the spec.
    runner.run(pipeline.create_pipeline(config))
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/kubeflow.yaml", help="pipeline config (YAML) with a kubeflow section")
    quiet.add_flag(parser)
    args = parser.parse_args(argv)
    try:
        path = compile_pipeline(load_config(args.config))
    except ConfigError as error:  # a message naming the key, not a traceback; nothing is written
        parser.exit(1, f"{parser.prog}: error: {error}\n")
    print(f"Pipeline spec: {path}")


if __name__ == "__main__":
    main()
