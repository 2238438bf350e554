"""PyTorch's side of the import tests: arcface_torch backbones with random weights, written as `.pth` and ONNX.

PyTorch runs in its own Python 3.11 venv ($ARCFACE_TORCH_VENV, which `make torch-venv` builds and
./dev shows inside its environment), as a subprocess: `bench.torch_reference.export` writes each
backbone's files and its embeddings of the same ORL faces this side embeds.
"""

import io
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from arcface_module.catalog import FACE_SIZE
from configs.model import TransformConfig
from tfx_module.preprocessing import normalize, preprocess_image

REPO = Path(__file__).resolve().parents[2]
# The pipeline's normalisation (its defaults: insightface's, to [-1, 1]).
TRANSFORM = TransformConfig(image_size=FACE_SIZE)
# Two people, two shots each: an r50 forward on four faces in each framework.
FACES = [(1, 1), (1, 2), (7, 1), (7, 3)]


def torch_python():
    """The PyTorch venv's python; fails (never skips) with how to build it if it is missing."""
    venv = os.environ.get("ARCFACE_TORCH_VENV")
    python = venv and os.path.join(venv, "bin", "python")
    if not python or not os.path.exists(python):
        pytest.fail(f"no PyTorch venv at ARCFACE_TORCH_VENV={venv!r}: `make torch-venv` builds it (./dev and the "
                    "Makefile set the variable)")
    return python


def aligned_faces(orl_dir):
    """The FACES of ORL, as the pipeline feeds the model: 112x112 RGB, normalised to [-1, 1], float32 NHWC."""
    faces = []
    for person, shot in FACES:
        png = io.BytesIO()
        Image.open(os.path.join(orl_dir, f"s{person}", f"{shot}.pgm")).save(png, format="PNG")
        pixels = preprocess_image(tf.constant(png.getvalue()), FACE_SIZE)
        faces.append(normalize(pixels, TRANSFORM.normalize_mean, TRANSFORM.normalize_std).numpy())
    return np.stack(faces).astype(np.float32)


@pytest.fixture(scope="session")
def torch_exports(tmp_path_factory, orl_dir):
    """(folder, faces): folder/<backbone>/ holds backbone.pth, backbone.onnx, embeddings.npy of r50 and mbf."""
    python = torch_python()
    folder = tmp_path_factory.mktemp("torch_exports")
    faces = aligned_faces(orl_dir)
    np.save(folder / "faces.npy", faces)
    done = subprocess.run(
        [python, "-W", "ignore", "-m", "bench.torch_reference.export", "r50", "mbf", "--output", str(folder),
         "--faces", str(folder / "faces.npy")],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"PyTorch's export failed:\n{done.stderr[-5000:]}"
    return folder, faces
