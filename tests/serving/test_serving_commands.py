"""`python -m serving embed|compare` on the tiny run's pushed model (in-process: same code path)."""

import glob
import json
import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from face_data.synthetic.face_drawing import draw_face_records
from serving import verification_file
from serving import cli
from serving.pushed_model import PushedModel
from serving.model_folder import latest_version_dir

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    """PNGs of two people no run trained on, in one subfolder each, a PGM copy of one, and a text file."""
    folder = tmp_path_factory.mktemp("faces")
    for face in draw_face_records([1000, 1001], seed=1, images_per_identity=2, size=48):
        identity, image = face.source.split()[2], face.source.split()[-1]
        os.makedirs(folder / identity, exist_ok=True)
        (folder / identity / f"{image}.png").write_bytes(face.image)
    Image.open(folder / "1000" / "0.png").convert("L").save(folder / "1000" / "grey.pgm")
    (folder / "README.txt").write_text("not a face")
    return folder


def test_embed_writes_one_normalised_embedding_per_image(tiny_run, model_dir, faces, tmp_path, capsys):
    dimensions = tiny_run[0].trainer.embedding_size
    output = tmp_path / "embeddings.npz"
    # The SavedModel runtime (ONNX, the default, is held to it in test_tf_free_serving.py).
    assert cli.main(["embed", str(faces), str(output), "--model", model_dir, "--runtime", "saved_model"]) == 0
    out, err = capsys.readouterr()
    summary, skipped = out.strip().splitlines()
    assert summary == f"5 images embedded ({dimensions} dimensions) into {output}, 1 skipped"
    assert skipped.startswith("  skipped, not an image: 1 (e.g. README.txt: Pillow cannot identify")
    saved = np.load(output)
    assert saved["paths"].tolist() == ["1000/0.png", "1000/1.png", "1000/grey.pgm", "1001/0.png", "1001/1.png"]
    assert str(saved["model"]) == latest_version_dir(model_dir)
    embeddings = saved["embeddings"]
    assert embeddings.shape == (5, dimensions) and embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    # The PNGs go to the SavedModel as they are: the same numbers as calling its signature directly.
    signature = tf.saved_model.load(latest_version_dir(model_dir)).signatures["serving_default"]
    pngs = [(faces / path).read_bytes() for path in saved["paths"] if path.endswith(".png")]
    direct = signature(images=tf.constant(pngs))["embedding"].numpy()
    np.testing.assert_allclose(embeddings[[0, 1, 3, 4]], direct, atol=1e-6)


def test_compare_decides_by_the_threshold_the_evaluator_chose(tiny_run, model_dir, faces, capsys):
    config, _ = tiny_run
    (metrics_file,) = glob.glob(os.path.join(config.pipeline_root, "EmbeddingEvaluator", "evaluation", "*",
                                             "metrics.json"))
    with open(metrics_file) as file:
        chosen = json.load(file)["best_threshold"]
    assert verification_file.read_threshold(latest_version_dir(model_dir)) == chosen

    image_a, image_b = str(faces / "1000" / "0.png"), str(faces / "1001" / "1.png")
    assert cli.main(["compare", image_a, image_b, "--model", model_dir]) == 0
    decision, similarity, threshold, path_a, path_b = capsys.readouterr().out.rstrip("\n").split("\t")
    model = PushedModel(model_dir)
    expected = model.similarity((faces / "1000" / "0.png").read_bytes(), (faces / "1001" / "1.png").read_bytes())
    assert float(similarity) == pytest.approx(expected, abs=1e-4)
    assert float(threshold) == pytest.approx(chosen, abs=1e-4)
    assert decision == ("same" if expected >= chosen else "different")
    assert (path_a, path_b) == (image_a, image_b)


def test_compare_reads_a_pairs_file(model_dir, faces, tmp_path, capsys):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(f"{faces}/1000/0.png\t{faces}/1000/1.png\n\n{faces}/1000/0.png {faces}/1001/0.png\n")
    assert cli.main(["compare", "--pairs", str(pairs), "--model", model_dir]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[3:] for line in lines] == [[f"{faces}/1000/0.png", f"{faces}/1000/1.png"],
                                                       [f"{faces}/1000/0.png", f"{faces}/1001/0.png"]]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["compare", "{faces}/README.txt", "{faces}/1000/0.png", "--model", "{model}"], "README.txt: not an image"),
        (["compare", "{faces}/1000/0.png", "{faces}/1000/1.png", "--model", "{faces}"],
         "expected version folders <model_dir>/<number>/ holding saved_model.pb"),
        (["embed", "{faces}", "{faces}/out.npy", "--model", "{model}"], "expected an output file name ending in .npz"),
        (["embed", "{faces}/missing", "{faces}/out.npz", "--model", "{model}"], "expected a folder of images"),
    ],
)
def test_unusable_inputs_exit_1_saying_why(model_dir, faces, capsys, arguments, message):
    argv = [argument.format(faces=faces, model=model_dir) for argument in arguments]
    assert cli.main(argv) == 1
    assert message in capsys.readouterr().err


def test_compare_needs_two_images_or_a_pairs_file(model_dir, faces, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["compare", str(faces / "1000" / "0.png"), "--model", model_dir])
    assert exit_info.value.code == 2
    assert "expected two images or --pairs FILE, got 1 images" in capsys.readouterr().err
