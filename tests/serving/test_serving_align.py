"""`embed|compare --align` on raw photos made from ORL faces, with the tiny run's pushed model."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench.face_alignment import SAME_FACE_COSINE, same_face_pairs
from face_data.synthetic.pasted_photos import background, encode_photo, paste_face
from face_data.alignment.photos import align_photo
from serving import cli
from serving.pushed_model import PushedModel

pytestmark = pytest.mark.pipeline
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def photos(tmp_path_factory, orl_dir):
    """Two pastings of one ORL image (one stored sideways, EXIF 6), one of another person, and a landscape."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(21)
    for name, orl_image, orientation in (("a1.jpg", "s7/1.pgm", 1), ("a2.jpg", "s7/1.pgm", 6),
                                         ("b.jpg", "s8/1.pgm", 1)):
        pasting = paste_face(Image.open(os.path.join(orl_dir, orl_image)), rng)
        (folder / name).write_bytes(encode_photo(pasting.photo, orientation))
    (folder / "landscape.jpg").write_bytes(encode_photo(background(320, 240, rng)))
    return folder


def test_compare_align_finds_two_photos_of_one_face_alike_for_each_of_eight_people(model_dir, tmp_path, capsys):
    # The benchmark's pairs (bench/face_alignment.py measures all 40 people with the demo's model).
    pairs = same_face_pairs(str(tmp_path), 8)
    (tmp_path / "pairs.tsv").write_text("".join(f"{a}\t{b}\n" for a, b in pairs))
    assert cli.main(["compare", "--pairs", str(tmp_path / "pairs.tsv"), "--model", model_dir, "--align"]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    low = [(fields[3], fields[1]) for fields in lines if float(fields[1]) < SAME_FACE_COSINE]
    assert len(lines) == 8 and not low, f"cosines below {SAME_FACE_COSINE}: {low}"
    assert {fields[0] for fields in lines} == {"same"}


def test_embed_align_embeds_a_photo_like_its_aligned_crop(model_dir, photos, tmp_path, capsys):
    output = tmp_path / "embeddings.npz"
    assert cli.main(["embed", str(photos), str(output), "--model", model_dir, "--align"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("3 images embedded")
    assert "  skipped, no face found: 1 (e.g. landscape.jpg: MTCNN found no face" in out
    saved = np.load(output)
    assert saved["paths"].tolist() == ["a1.jpg", "a2.jpg", "b.jpg"]
    # What the converters store for these photos (`folder --align`), embedded directly.
    crops = [align_photo((photos / name).read_bytes()).data for name in saved["paths"]]
    np.testing.assert_allclose(saved["embeddings"], PushedModel(model_dir).embed(crops), atol=1e-6)


def test_compare_align_refuses_a_photo_without_a_face_naming_it(model_dir, photos, capsys):
    assert cli.main(["compare", str(photos / "a1.jpg"), str(photos / "landscape.jpg"), "--model", model_dir,
                     "--align"]) == 1
    assert f"error: {photos / 'landscape.jpg'}: no face found: MTCNN found no face" in capsys.readouterr().err


def test_compare_align_on_an_onnx_model_starts_quietly(model_dir, photos):
    # MTCNN runs on TensorFlow, so --align imports it even where ONNX Runtime embeds: its start-up
    # lines, and mtcnn's own while loading its weights, stay hidden; the answer is all there is.
    assert PushedModel(model_dir).runtime == "onnx"  # what embeds by default here
    result = subprocess.run([sys.executable, "-m", "serving", "compare", str(photos / "a1.jpg"), str(photos / "b.jpg"),
                             "--model", model_dir, "--align"], cwd=REPO, capture_output=True, text=True, timeout=300,
                            env={key: value for key, value in os.environ.items()
                                 if key not in ("TF_CPP_MIN_LOG_LEVEL", "ARCFACE_VERBOSE")})
    assert (result.returncode, result.stderr) == (0, "")
    assert len(result.stdout.splitlines()) == 1 and result.stdout.split("\t")[3:] == [
        str(photos / "a1.jpg"), f"{photos / 'b.jpg'}\n"]
