"""`python -m face_data ijb`: an IJB-C-layout set made from ORL faces (credit: the Olivetti Research
Laboratory, AT&T Laboratories Cambridge) converted to template-face records and the protocol."""

import glob
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from face_data.conversion import cli, converters, ijb
from face_data.records import contract
from face_data.alignment.template import align_face
from face_data.conversion.writing import OutputOptions
from face_data.synthetic.ijb_release import ORL_LANDMARKS, write_ijb_release

SUBJECTS, CROPS = 20, 6


@pytest.fixture(scope="module")
def release(orl_dir, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("ijb") / "IJBC")
    faces = {1000 + subject: [Image.open(f"{orl_dir}/s{subject}/{number}.pgm") for number in range(1, CROPS + 1)]
             for subject in range(1, SUBJECTS + 1)}
    write_ijb_release(root, faces, ORL_LANDMARKS, np.random.default_rng(0))
    return root


@pytest.fixture(scope="module")
def converted(release, tmp_path_factory):
    output = str(tmp_path_factory.mktemp("converted"))
    summary = converters.convert_ijb(release, OutputOptions(output, show_progress=False))
    return output, summary


def _records(output):
    files = sorted(glob.glob(os.path.join(output, "*.tfrecord")))
    return [contract.parse_template_face_example(raw) for raw in tf.data.TFRecordDataset(files).as_numpy_iterator()]


def test_every_face_keeps_its_template_medium_score_and_name(release, converted):
    output, summary = converted
    written = {record.image_name.decode(): record for record in _records(output)}
    assert summary.written == len(written) == SUBJECTS * CROPS and not summary.skipped
    meta = os.path.join(release, "meta")
    for tid_line, points_line in zip(open(f"{meta}/ijbc_face_tid_mid.txt"), open(f"{meta}/ijbc_name_5pts_score.txt")):
        name, template, media = tid_line.split()
        record = written[name]
        assert (record.template, record.media) == (int(template), int(media))
        assert record.detector_score == pytest.approx(float(points_line.split()[-1]), abs=1e-6)


def test_the_protocol_holds_the_pairs_galleries_and_probes(converted):
    protocol = ijb.Protocol.load(os.path.join(converted[0], ijb.PROTOCOL_FILE))
    assert protocol.pairs.shape == (SUBJECTS * SUBJECTS, 3) and protocol.pairs[:, 2].sum() == SUBJECTS
    assert sorted(protocol.galleries) == ["G1", "G2"]
    assert [len(rows) for rows in protocol.galleries.values()] == [SUBJECTS // 2] * 2
    # one row per template, with its subject, though the files list a row per image
    assert sorted(protocol.probes[:, 0].tolist()) == list(range(2, 2 * SUBJECTS + 1, 2))
    assert sorted(np.r_[protocol.galleries["G1"][:, 1], protocol.galleries["G2"][:, 1]].tolist()) == \
        sorted(protocol.probes[:, 1].tolist())


def test_a_pasted_face_aligned_by_its_given_landmarks_is_the_orl_face_aligned(orl_dir, converted):
    first = {record.image_name: record for record in _records(converted[0])}[b"1.jpg"]
    aligned = np.asarray(Image.open(__import__("io").BytesIO(first.image)).convert("L"), dtype=float)
    reference = np.asarray(align_face(Image.open(f"{orl_dir}/s1/1.pgm"), ORL_LANDMARKS), dtype=float)
    # Within the ORL frame (the pasting adds surroundings outside it), pixel for pixel.
    inside = reference > 0
    assert np.corrcoef(aligned[inside], reference[inside])[0, 1] > 0.95


def _broken_copy(release, tmp_path, file_name, edit):
    root = str(tmp_path / "IJBC")
    shutil.copytree(os.path.join(release, "meta"), os.path.join(root, "meta"))
    os.symlink(os.path.join(release, "loose_crop"), os.path.join(root, "loose_crop"))
    path = os.path.join(root, "meta", file_name)
    lines = open(path).read().splitlines()
    edit(lines)
    open(path, "w").write("\n".join(lines) + "\n")
    return root, path


@pytest.mark.parametrize("file_name, edit, message", [
    ("ijbc_name_5pts_score.txt", lambda lines: lines.__setitem__(2, lines[2].rsplit(" ", 1)[0]),
     "line 3: expected 'image_name', 10 landmark coordinates and a detector score, got 11 fields"),
    ("ijbc_name_5pts_score.txt", lambda lines: lines.__setitem__(4, "9.jpg" + lines[4][len("5.jpg"):]),
     "line 5: expected the image of ijbc_face_tid_mid.txt line 5, '5.jpg', got '9.jpg'"),
    ("ijbc_face_tid_mid.txt", lambda lines: lines.__setitem__(0, "1.jpg one 1"),
     "line 1: expected an integer template id, got 'one'"),
    ("ijbc_face_tid_mid.txt", lambda lines: lines.__setitem__(0, "../1.jpg 1 1"), "path traversal"),
    ("ijbc_template_pair_label.txt", lambda lines: lines.__setitem__(6, "1 2 2"),
     "line 7: expected a label of 1 .same subject. or 0, got 2"),
    ("ijbc_template_pair_label.txt", lambda lines: lines.__setitem__(1, "1 999 0"),
     "line 2: template 999 has no face in the face list"),
    ("ijbc_1N_gallery_G1.csv", lambda lines: lines.__setitem__(0, "A,B,C"),
     "line 1: expected a header naming TEMPLATE_ID and SUBJECT_ID"),
    ("ijbc_1N_probe_mixed.csv", lambda lines: lines.__setitem__(2, lines[1].split(",")[0] + ",77,x.jpg"),
     r"line 3: template \d+ is of subject \d+ on an earlier line, here of 77"),
])
def test_bad_meta_files_are_refused_naming_file_and_line_and_nothing_is_written(release, tmp_path, file_name,
                                                                                 edit, message):
    root, path = _broken_copy(release, tmp_path, file_name, edit)
    output = tmp_path / "out"
    with pytest.raises(ValueError, match=message) as error:
        converters.convert_ijb(root, OutputOptions(str(output), show_progress=False))
    assert str(error.value).startswith(path) and "\n" not in str(error.value)
    assert not output.exists()


def test_a_template_without_readable_faces_leaves_the_protocol_and_the_summary_says_so(release, tmp_path):
    root = str(tmp_path / "IJBC")
    shutil.copytree(release, root)
    for number in (1, 2, 3):  # the faces of template 1, subject 1000's enrolment
        open(os.path.join(root, "loose_crop", f"{number}.jpg"), "wb").write(b"not a jpeg")
    summary = converters.convert_ijb(root, OutputOptions(str(tmp_path / "out"), show_progress=False))
    protocol = ijb.Protocol.load(str(tmp_path / "out" / ijb.PROTOCOL_FILE))

    assert len(summary.skipped) == 3 and 1 not in protocol.pairs[:, :2]
    assert summary.notes["pairs dropped: a template without a readable face"] == SUBJECTS
    assert summary.notes["gallery G1 dropped: a template without a readable face"] == 1


def test_the_command_line_refuses_in_one_line_and_will_not_overwrite(release, converted, tmp_path, capsys):
    root, _ = _broken_copy(release, tmp_path, "ijbc_template_pair_label.txt", lambda lines: lines.append("1 2"))
    assert cli.main(["ijb", root, str(tmp_path / "out"), "--quiet"]) == 1
    message = capsys.readouterr().err
    assert message.count("\n") == 1 and "ijbc_template_pair_label.txt line 401: expected" in message
    assert cli.main(["ijb", release, converted[0], "--quiet"]) == 1
    assert "protocol.npz already exists" in capsys.readouterr().err
