"""`serving embed|compare` on unusable inputs, with a toy SavedModel (seconds, no pipeline run).

A broken link or a pipe among the images is skipped and named; an output that cannot be written is
refused before any image is embedded; a model path that does not exist is told apart from a
model folder without versions.
"""

import os

import numpy as np
import pytest

from serving import verification_file
from serving import cli
from serving.pushed_model import PushedModel
from tests.components.embedding_evaluator import toy_models


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """`<serving_dir>/toy` with one version: a toy SavedModel (mean colour) and its threshold."""
    model_dir = tmp_path_factory.mktemp("serving") / "toy"
    toy_models.save_toy_model(str(model_dir / "1"))
    verification_file.write(str(model_dir / "1"), {"threshold": 0.5, "criterion": "best_accuracy"}, "toy", [])
    return model_dir


@pytest.fixture
def faces(tmp_path):
    folder = tmp_path / "faces"
    (folder / "ann").mkdir(parents=True)
    for image in range(2):
        (folder / "ann" / f"{image}.png").write_bytes(toy_models.face_png(0, image))
    return folder


@pytest.mark.timeout(120)
def test_embed_skips_a_broken_link_and_a_pipe_and_embeds_the_rest(model_dir, faces, tmp_path, capsys):
    os.symlink(faces / "gone.png", faces / "ann" / "broken.png")
    os.mkfifo(faces / "ann" / "a.jpg")  # reading it would wait for ever
    output = tmp_path / "out.npz"
    assert cli.main(["embed", str(faces), str(output), "--model", str(model_dir)]) == 0
    out, err = capsys.readouterr()
    assert out.strip().splitlines() == [
        f"2 images embedded (3 dimensions) into {output}, 2 skipped",
        "  skipped, not a regular file: 2 (e.g. ann/a.jpg: a pipe, socket or device: nothing to read; "
        "also ann/broken.png)"]
    assert np.load(output)["paths"].tolist() == ["ann/0.png", "ann/1.png"]
    assert sorted(os.listdir(tmp_path)) == ["faces", "out.npz"]


@pytest.mark.parametrize("output, message", [
    ("{tmp}/missing/out.npz", "{tmp}/missing/out.npz: cannot write the output there: No such file or directory; "
                              "nothing was embedded"),
    ("{tmp}/file.txt/out.npz", "{tmp}/file.txt/out.npz: cannot write the output there: Not a directory"),
    ("{tmp}/folder.npz", "{tmp}/folder.npz: expected an .npz file name, but it is a folder"),
])
def test_an_output_that_cannot_be_written_is_refused_before_embedding(model_dir, faces, tmp_path, capsys,
                                                                      monkeypatch, output, message):
    (tmp_path / "file.txt").write_text("a file, not a folder")
    (tmp_path / "folder.npz").mkdir()
    embedded = []
    monkeypatch.setattr(PushedModel, "embed", lambda self, images: embedded.append(images))
    assert cli.main(["embed", str(faces), output.format(tmp=tmp_path), "--model", str(model_dir)]) == 1
    assert message.format(tmp=tmp_path) in capsys.readouterr().err
    assert embedded == [], "images were embedded before the output was found unwritable"
    assert sorted(os.listdir(tmp_path)) == ["faces", "file.txt", "folder.npz"]


def test_a_missing_model_path_is_told_apart_from_a_folder_without_versions(faces, tmp_path, capsys):
    image = str(faces / "ann" / "0.png")
    assert cli.main(["compare", image, image, "--model", str(tmp_path / "nowhere")]) == 1
    assert (f"{tmp_path / 'nowhere'}: expected a pushed model folder (<serving_dir>/<model_name>, or one of its "
            "version folders), got no such folder") in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert cli.main(["compare", image, image, "--model", str(tmp_path / "empty")]) == 1
    assert (f"{tmp_path / 'empty'}: expected version folders <model_dir>/<number>/ holding saved_model.pb, found none"
            in capsys.readouterr().err)
