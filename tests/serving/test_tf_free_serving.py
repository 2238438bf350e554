"""The tiny run's pushed version in every format, and `python -m serving` without TensorFlow.

Uses the session's `tiny_run` (its config inherits configs/local.yaml's `pusher.formats`).
About 15 s beyond the shared run.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from orl_inputs import orl_faces
from serving.formats import FORMATS, MIN_COSINE
from serving.model_folder import latest_version_dir
from serving.pushed_model import PushedModel

pytestmark = pytest.mark.pipeline
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def version(tiny_run):
    config, _ = tiny_run
    assert config.pusher.formats == list(FORMATS)  # configs/local.yaml's, as the demo pushes them
    return latest_version_dir(os.path.join(config.pusher.serving_dir, config.pusher.model_name))


def test_the_pushed_version_holds_each_format_and_what_it_gave(version):
    for format_ in FORMATS.values():
        assert os.path.getsize(os.path.join(version, format_.file)) > 0
    assert os.path.exists(os.path.join(version, "preprocessing.json"))
    with open(os.path.join(version, "verification.json")) as file:
        verification = json.load(file)
    evaluator_accuracy = verification["format_check"]["saved_model_verification_accuracy"]
    assert 0.5 < evaluator_accuracy <= 1
    for name, report in verification["formats"].items():
        assert report["min_cosine"] >= (MIN_COSINE if FORMATS[name].exact else 0.9)
        assert 0 <= report["verification_accuracy"] <= 1


def test_onnx_and_tflite_give_the_saved_models_embeddings_on_orl_faces(version, orl_dir):
    images, _ = orl_faces(orl_dir, people=40, images_per_person=1)  # JPEG, gray PNG and RGBA PNG in turn
    reference = PushedModel(version, "saved_model").embed(images)
    for name in ("onnx", "tflite"):
        cosines = np.sum(PushedModel(version, name).embed(images) * reference, axis=1)
        assert cosines.min() >= MIN_COSINE, f"{name}: {np.sort(cosines)[:3]}"


def test_compare_with_onnx_imports_no_tensorflow(version, orl_dir, tmp_path):
    images, _ = orl_faces(orl_dir, people=1, images_per_person=2)
    paths = []
    for number, image in enumerate(images):
        paths.append(str(tmp_path / f"{number}.img"))
        with open(paths[-1], "wb") as file:
            file.write(image)
    program = (
        "import sys\n"
        "from serving import cli\n"
        f"status = cli.main(['compare', {paths[0]!r}, {paths[1]!r}, '--model', {version!r}])\n"
        "heavy = sorted({name.split('.')[0] for name in sys.modules} & {'tensorflow', 'tfx', 'keras', 'jax'})\n"
        "print('imported:', heavy)\n"
        "sys.exit(status or bool(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", program], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "imported: []" in result.stdout
    decision, similarity, threshold, *_ = result.stdout.splitlines()[0].split("\t")
    forced = subprocess.run([sys.executable, "-m", "serving", "compare", *paths, "--model", version,
                             "--runtime", "saved_model"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.split("\t")[:3] == [decision, similarity, threshold]  # same 4 decimals, same decision
