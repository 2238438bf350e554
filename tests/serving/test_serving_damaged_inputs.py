"""`serving` on what a user's disk can hold: link loops, a damaged pushed version, a binary pairs file,
camera photos and decompression bombs. Each ends in one line naming the file and key (a toy
model, seconds, no pipeline run)."""

import dataclasses
import io
import json
import os
import shutil

import pytest
from PIL import Image

from face_data.conversion.images import MAX_PIXELS
from serving import cli, verification_file
from serving.preprocessing import FILE_NAME as PREPROCESSING_FILE
from tests.components.embedding_evaluator import toy_models
from tests.face_data import face_fixtures as fx

PROG = "python -m serving: error: "


@pytest.fixture(scope="module")
def version(tmp_path_factory):
    """A toy SavedModel version with its threshold."""
    folder = tmp_path_factory.mktemp("serving") / "toy" / "1"
    toy_models.save_toy_version(str(folder))
    return folder


@pytest.fixture
def damaged(version, tmp_path):
    """A copy of the version to damage."""
    copy = tmp_path / "copy" / "1"
    shutil.copytree(version, copy)
    return copy


@pytest.fixture
def faces(tmp_path):
    folder = tmp_path / "faces"
    folder.mkdir()
    for image in range(2):
        (folder / f"{image}.png").write_bytes(toy_models.face_png(0, image))
    return folder


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err.strip()


def test_a_link_loop_is_skipped_and_counted_by_embed_and_refused_by_compare(version, faces, tmp_path, capsys):
    os.symlink("b.jpg", faces / "a.jpg")
    os.symlink("a.jpg", faces / "b.jpg")
    output = tmp_path / "out.npz"
    assert cli.main(["embed", str(faces), str(output), "--model", str(version), "--quiet"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"2 images embedded (3 dimensions) into {output}, 2 skipped",
        "  skipped, not a regular file: 2 (e.g. a.jpg: a link loop (a.jpg -> b.jpg leads back to itself); "
        "also b.jpg)"]
    assert cli.main(["compare", str(faces / "0.png"), str(faces / "a.jpg"), "--model", str(version)]) == 1
    assert _one_line(capsys) == (f"{PROG}{faces / 'a.jpg'}: expected an image file, got a link loop "
                                 "(a.jpg -> b.jpg leads back to itself)")


@pytest.mark.parametrize("content, message", [
    ({"decision": "..."}, "threshold: expected the similarity threshold, found no such key"),
    ({"threshold": "abc"}, "threshold: expected a number, got 'abc'"),
    ({"threshold": None, "operating_point": {"refused": "FAR 1e-06 needs 3000000 impostor pairs"}},
     "threshold: null, the evaluator chose none (FAR 1e-06 needs 3000000 impostor pairs); this version was "
     "not blessed"),
    ('{"threshold": 0.5', "expected the JSON the EmbeddingEvaluator writes, got a damaged file (Expecting"),
    ([0.5], "expected a JSON object with a threshold, got list"),
])
def test_a_damaged_verification_file_is_refused_naming_it_and_the_key(damaged, faces, capsys, content, message):
    (damaged / verification_file.FILE_NAME).write_text(content if isinstance(content, str) else json.dumps(content))
    image = str(faces / "0.png")
    assert cli.main(["compare", image, image, "--model", str(damaged)]) == 1
    assert _one_line(capsys).startswith(f"{PROG}{damaged / verification_file.FILE_NAME}: {message}")


@pytest.mark.parametrize("file_name, runtime", [("model.onnx", "onnx"), ("model.tflite", "tflite")])
def test_a_truncated_model_file_is_refused_naming_it(damaged, faces, capsys, file_name, runtime):
    (damaged / file_name).write_bytes(b"\x08\x07\x12\x04onnx" * 3)  # the first bytes of a model, cut short
    (damaged / PREPROCESSING_FILE).write_text(json.dumps({"version": 1}))
    image = str(faces / "0.png")
    assert cli.main(["compare", image, image, "--model", str(damaged), "--runtime", runtime]) == 1
    line = _one_line(capsys)
    assert line.startswith(f"{PROG}{damaged / file_name}: cannot be loaded, the file is damaged or not a model (")
    assert line.endswith("); push the version again")


def test_a_damaged_preprocessing_file_is_refused_naming_it(damaged, faces, capsys):
    (damaged / "model.onnx").write_bytes(b"")
    (damaged / PREPROCESSING_FILE).write_bytes(b"\x89PNG\r\n")
    image = str(faces / "0.png")
    assert cli.main(["compare", image, image, "--model", str(damaged)]) == 1
    assert _one_line(capsys).startswith(f"{PROG}{damaged / PREPROCESSING_FILE}: expected the JSON the Pusher "
                                        "writes, got a damaged file")


def test_a_binary_pairs_file_is_refused_naming_it(version, faces, tmp_path, capsys):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_bytes(toy_models.face_png(0, 0))
    assert cli.main(["compare", "--pairs", str(pairs), "--model", str(version)]) == 1
    assert _one_line(capsys) == (f"{PROG}{pairs}: expected a text file of image pairs (UTF-8), got binary data "
                                 "(byte 0: b'\\x89')")
    pairs.write_bytes(b"a.png\x00\tb.png\n")
    assert cli.main(["compare", "--pairs", str(pairs), "--model", str(version)]) == 1
    assert _one_line(capsys) == f"{PROG}{pairs} line 1: expected two image paths, got binary data (a NUL byte)"


def test_a_24_megapixel_photo_passes_a_bomb_does_not_and_the_limit_is_a_flag(tmp_path, capsys):
    photo, bomb = tmp_path / "camera.jpg", tmp_path / "bomb.png"
    buffer = io.BytesIO()
    Image.new("RGB", (6000, 4000), (120, 90, 60)).save(buffer, format="JPEG", quality=50)
    photo.write_bytes(buffer.getvalue())
    bomb.write_bytes(fx.png_claiming_size(50_000, 50_000))
    assert 6000 * 4000 <= MAX_PIXELS < 48_000_000
    assert list(cli.checked_images([str(photo)])) == [str(photo)]
    with pytest.raises(ValueError, match=f"{bomb}: too many pixels: .*decompression bomb"):
        cli.checked_images([str(bomb)])
    with pytest.raises(ValueError, match=f"{photo}: too many pixels: the header claims 6000x4000 = 24000000 "
                                         "pixels, more than the limit of 20000000"):
        cli.checked_images([str(photo)], max_pixels=20_000_000)
    # The command refuses before loading a model: none is needed to be told.
    assert cli.main(["compare", str(photo), str(bomb), "--model", str(tmp_path / "none")]) == 1
    assert _one_line(capsys).startswith(f"{PROG}{bomb}: too many pixels")
    assert cli.main(["compare", str(photo), str(photo), "--model", str(tmp_path / "none"),
                     "--max-pixels", "1000"]) == 1
    assert "more than the limit of 1000" in _one_line(capsys)


def test_photos_with_several_faces_are_one_line_with_a_count_and_examples(version, tmp_path, capsys, monkeypatch):
    # What align_photo finds in a crowd, without MTCNN: each photo has a second face in the background.
    from face_data.alignment.photos import SEVERAL_FACES
    from face_data.conversion import image_folder
    from face_data.conversion.outcomes import Noticed

    photos = tmp_path / "photos"
    photos.mkdir()
    for number in range(7):
        (photos / f"{number}.png").write_bytes(toy_models.face_png(0, number))

    def aligned(images, max_pixels, aligned_size):
        return [dataclasses.replace(outcome, notices=(Noticed(outcome.source, SEVERAL_FACES, "2 faces"),))
                for outcome in image_folder.read_folder_images(images, max_pixels)]

    monkeypatch.setattr(cli, "read_folder_images", aligned)
    output = tmp_path / "out.npz"
    assert cli.main(["embed", str(photos), str(output), "--model", str(version), "--align"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"7 images embedded (3 dimensions) into {output}, 0 skipped",
        f"  {SEVERAL_FACES}: 7: 0.png (2 faces), 1.png (2 faces), 2.png (2 faces), 3.png (2 faces), "
        "4.png (2 faces), ..."]
    assert err.startswith("images: 7/7 (100%), 0 skipped, ")  # the converter's progress lines
