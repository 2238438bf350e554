"""Runs the Trainer's `run_fn` in this process, as one worker of the distribution tests.

    python tests/tfx_module/train_worker.py DATA_DIR RUN_ROOT '{"train_steps": 6, ...}' [--logical-cpus 2]

DATA_DIR holds what `transformed_synthetic_faces` wrote; the JSON overrides trainer_fixtures.TRAINER.
Progress goes to stderr. A multi-worker strategy reads the cluster from TF_CONFIG.
"""

import argparse
import json
import logging

import tensorflow as tf

from tfx_module import training
from tests.tfx_module.trainer_fixtures import make_fn_args
from tests.tfx_module.transform_fixtures import TransformedData


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("run_root")
    parser.add_argument("trainer", type=json.loads)
    parser.add_argument("--logical-cpus", type=int, default=1, help="split the CPU into this many devices")
    args = parser.parse_args()
    if args.logical_cpus > 1:
        # Before any op runs: devices are fixed when TensorFlow starts.
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * args.logical_cpus)
    # force: importing TFX already gave the root logger a handler, at level WARNING.
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", force=True)
    training.run_fn(make_fn_args(TransformedData.at(args.data_dir), args.run_root, args.trainer))


if __name__ == "__main__":
    main()
