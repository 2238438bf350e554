"""The pipeline file for the `tfx` CLI's local engine (LocalDagRunner), as the TFX docs describe:

    export ARCFACE_CONFIG=configs/local.yaml   # the default; read on every command below
    tfx pipeline create --engine=local --pipeline_path=tfx_cli_pipeline.py
    tfx run create --engine=local --pipeline_name=arcface-demo

The CLI executes this file twice: on `pipeline create` with LocalDagRunner.run() patched out, to
learn the pipeline's name and root (the demo's synthetic faces are made then, once), and on
`run create` as a script, which runs the pipeline. It lives at the top of the repository because
the CLI puts the file's folder first on sys.path: from pipeline/, pipeline/pipeline.py would hide
the `pipeline` package.
"""

# First, before anything imports TensorFlow: its start-up lines are hidden unless --verbose.
from console import quiet

quiet.start()

import os
import sys

from tfx import v1 as tfx

from components.checked_example_gen.errors import InputCheckFailed
from components.checked_example_gen.errors import message as input_check_message
from configs import ConfigError, load_config
from runners.inputs import InputDataError
from runners.local_runner import local_pipeline, prepare_inputs, failures_shown_once

CONFIG_ENV = "ARCFACE_CONFIG"
DEFAULT_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs", "local.yaml")

try:
    config = load_config(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG))
    prepare_inputs(config)
except (ConfigError, InputDataError) as refused:
    # The CLI passes a failing exit on: the user sees the message naming the key or record, not a traceback.
    sys.exit(f"error: {refused}")
try:
    with failures_shown_once():
        tfx.orchestration.LocalDagRunner().run(local_pipeline(config))
except InputCheckFailed as refused:  # ImportExampleGen's check of every record, naming each file and record
    sys.exit(f"error: {input_check_message(refused)}")
