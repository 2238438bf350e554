"""TensorFlow's oneDNN switch changes no embedding: served and computed with it on and off, the same to 1e-5.

The project sets `TF_ENABLE_ONEDNN_OPTS=1` before TensorFlow loads (console/quiet.py, ./dev, the
Dockerfile); TensorFlow reads it once, so each setting runs in its own process: the command
lines' start with the variable unset (the project's default applies), and a user's `=0`.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from face_data.records.contract import parse_face_example

REPO = Path(__file__).resolve().parents[2]
SWITCH = "TF_ENABLE_ONEDNN_OPTS"
# Serves the images with the exported model and embeds fixed pixels with a seeded MobileFaceNet
# (grouped and depthwise convolutions), after the command lines' start; prints kernels().
WORKER = textwrap.dedent("""
    import json, sys
    import numpy as np
    from console import quiet

    quiet.start()
    import keras
    import tensorflow as tf
    from arcface_module import get_backbone
    from arcface_module.backbones.blocks import kernels
    from tfx_module.signatures import EMBEDDING_KEY, SERVING_SIGNATURE

    model_dir, images_file, output = sys.argv[1:]
    images = list(np.load(images_file, allow_pickle=True))
    signature = tf.saved_model.load(model_dir).signatures[SERVING_SIGNATURE]
    served = signature(images=tf.constant(images))[EMBEDDING_KEY].numpy()
    keras.utils.set_random_seed(0)
    features = keras.ops.convert_to_numpy(get_backbone("mbf", num_features=64)(
        np.random.default_rng(0).uniform(-1, 1, (4, 112, 112, 3)).astype("float32")))
    np.savez(output, served=served, mbf=features / np.linalg.norm(features, axis=1, keepdims=True))
    print(json.dumps(kernels()))
""")


def _embed(model_dir, images_file, output, switch=None):
    environment = {key: value for key, value in os.environ.items() if key != SWITCH}
    if switch is not None:
        environment[SWITCH] = switch
    done = subprocess.run([sys.executable, "-c", WORKER, model_dir, str(images_file), str(output)], cwd=REPO,
                          env=environment, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1]), np.load(output)


def test_embeddings_are_the_same_with_onednn_on_and_off(trained, transformed_faces, tmp_path):
    fn_args, _ = trained
    images_file = tmp_path / "images.npy"
    images = [parse_face_example(record).image for record in transformed_faces.raw_records("eval")]
    np.save(images_file, np.array(images, dtype=object), allow_pickle=True)

    default_kernels, on = _embed(fn_args.serving_model_dir, images_file, tmp_path / "on.npz")
    user_kernels, off = _embed(fn_args.serving_model_dir, images_file, tmp_path / "off.npz", switch="0")

    assert default_kernels["onednn"] == "on" and default_kernels[SWITCH] == "1"
    assert default_kernels["grouped_convolution"] == "onednn"
    assert user_kernels["onednn"] == "off" and user_kernels[SWITCH] == "0"  # a user's setting wins
    assert user_kernels["grouped_convolution"] == "depthwise_sum"
    for name in ("served", "mbf"):
        difference = np.abs(on[name] - off[name]).max()
        print(f"\n{name}: largest difference of oneDNN on and off over {len(on[name])} embeddings: {difference:.2e}")
        assert on[name].shape == off[name].shape and difference <= 1e-5, name
