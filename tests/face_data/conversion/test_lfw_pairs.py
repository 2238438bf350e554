"""LFW-style pairs.txt + image folder -> pair records, and the pairs files that are refused."""

import os

import pytest

from tests.face_data import face_fixtures as fx
from face_data.conversion.writing import OutputOptions
from face_data.conversion.converters import convert_lfw_pairs
from face_data.records.reading import read_pair_records

PEOPLE = {"Ada_Lovelace": 3, "Alan_Turing": 2}


def _lfw(root):
    for number, (name, count) in enumerate(PEOPLE.items()):
        os.makedirs(root / name)
        for index in range(1, count + 1):
            (root / name / f"{name}_{index:04d}.jpg").write_bytes(fx.jpeg(10 * number + index))
    return root


def _image(name, index):
    return fx.jpeg(10 * list(PEOPLE).index(name) + index)


def _convert(tmp_path, pairs_text, **keywords):
    root = _lfw(tmp_path / "lfw")
    (tmp_path / "pairs.txt").write_text(pairs_text)
    return convert_lfw_pairs(str(tmp_path / "pairs.txt"), str(root),
                             OutputOptions(tmp_path / "out", show_progress=False), **keywords)


def test_same_and_different_pairs_convert_bit_exact_with_names(tmp_path):
    summary = _convert(tmp_path, "1\t2\nAda_Lovelace\t1\t3\nAlan_Turing 1 2\n"
                                 "Ada_Lovelace\t2\tAlan_Turing\t1\nAlan_Turing\t2\tAda_Lovelace\t3\n")
    pairs = [(r.image_a, r.image_b, r.is_same, r.label_a, r.label_b) for _, r in read_pair_records(summary.shards)]
    assert pairs == [
        (_image("Ada_Lovelace", 1), _image("Ada_Lovelace", 3), True, b"Ada_Lovelace", b"Ada_Lovelace"),
        (_image("Alan_Turing", 1), _image("Alan_Turing", 2), True, b"Alan_Turing", b"Alan_Turing"),
        (_image("Ada_Lovelace", 2), _image("Alan_Turing", 1), False, b"Ada_Lovelace", b"Alan_Turing"),
        (_image("Alan_Turing", 2), _image("Ada_Lovelace", 3), False, b"Alan_Turing", b"Ada_Lovelace"),
    ]
    assert not summary.skipped


# LFW's layout at a small scale: a header "folds pairs-per-fold", then per fold its same pairs and
# then its different pairs. Here 2 folds of 2 + 2.
TWO_FOLDS = ("2\t2\n"
             "Ada_Lovelace\t1\t2\nAlan_Turing\t1\t2\n"
             "Ada_Lovelace\t1\tAlan_Turing\t1\nAda_Lovelace\t2\tAlan_Turing\t2\n"
             "Ada_Lovelace\t1\t3\nAda_Lovelace\t2\t3\n"
             "Ada_Lovelace\t3\tAlan_Turing\t1\nAlan_Turing\t2\tAda_Lovelace\t1\n")


def test_the_folds_of_a_pairs_file_are_kept_in_the_records(tmp_path):
    summary = _convert(tmp_path, TWO_FOLDS)
    pairs = [(r.is_same, r.fold) for _, r in read_pair_records(summary.shards)]
    assert pairs == [(True, 0), (True, 0), (False, 0), (False, 0), (True, 1), (True, 1), (False, 1), (False, 1)]


def test_a_pair_count_header_defines_no_folds(tmp_path):
    summary = _convert(tmp_path, "2\nAda_Lovelace 1 2\nAda_Lovelace 1 Alan_Turing 2\n")
    assert [r.fold for _, r in read_pair_records(summary.shards)] == [None, None]


def test_pairs_with_a_missing_image_are_skipped_with_their_line(tmp_path):
    summary = _convert(tmp_path, "Ada_Lovelace 1 9\nAda_Lovelace 1 2\n")
    assert [(s.source, s.reason) for s in summary.skipped] == [("pairs.txt line 1", "missing image")]
    assert "image b: no file" in summary.skipped[0].detail and summary.written == 1


def test_an_image_linking_out_of_the_root_skips_its_pair(tmp_path):
    (tmp_path / "secret.jpg").write_bytes(fx.jpeg(99))
    root = _lfw(tmp_path / "lfw")
    os.symlink(tmp_path / "secret.jpg", root / "Alan_Turing" / "Alan_Turing_0003.jpg")
    (tmp_path / "pairs.txt").write_text("Alan_Turing 1 3\nAlan_Turing 1 2\n")
    summary = convert_lfw_pairs(str(tmp_path / "pairs.txt"), str(root),
                                OutputOptions(tmp_path / "out", show_progress=False))
    assert [(s.source, s.reason) for s in summary.skipped] == [("pairs.txt line 1", "outside the root folder")]


@pytest.mark.parametrize("pairs_text, expected", [
    ("../../etc 1 2\n", r"pairs.txt line 1: identity name '../../etc' is not a plain folder name; path traversal"),
    ("Ada_Lovelace 1 2\nAda_Lovelace 1 x/../y 2\n", r"line 2: identity name 'x/../y' is not a plain folder"),
    ("Ada_Lovelace 1\n", r"line 1: expected 'name n1 n2' or 'name1 n1 name2 n2', got 'Ada_Lovelace 1'"),
    ("Ada_Lovelace one 2\n", r"line 1: expected an image number, got 'one'"),
    ("10 300\n", r"pairs.txt: the pairs file lists no pair"),
    ("2 1\nAda_Lovelace 1 2\nAda_Lovelace 1 Alan_Turing 2\n",
     r"pairs.txt: the header '2 1' says 2 folds of 1 same and 1 different pairs \(4 pairs\); the file lists 2"),
    ("2 1\nAda_Lovelace 1 2\nAda_Lovelace 1 Alan_Turing 2\nAda_Lovelace 2 Alan_Turing 1\nAlan_Turing 1 2\n",
     r"pairs.txt line 4: expected a same pair \(fold 2 of the header's 2: 1 same, then 1 different\), got a different"),
])
def test_malformed_or_hostile_pairs_files_are_refused_before_writing(tmp_path, pairs_text, expected):
    with pytest.raises(ValueError, match=expected):
        _convert(tmp_path, pairs_text)
    assert not (tmp_path / "out").exists()


def test_the_image_pattern_is_configurable_and_checked(tmp_path):
    root = tmp_path / "faces"
    os.makedirs(root / "ada")
    (root / "ada" / "1.png").write_bytes(fx.png(1))
    (root / "ada" / "2.png").write_bytes(fx.png(2))
    (tmp_path / "pairs.txt").write_text("ada 1 2\n")
    summary = convert_lfw_pairs(str(tmp_path / "pairs.txt"), str(root), OutputOptions(tmp_path / "out", show_progress=False),
                                image_pattern="{name}/{number}.png")
    assert summary.written == 1
    with pytest.raises(ValueError, match=r"image_pattern '\{person\}.png': expected a pattern using \{name\}"):
        convert_lfw_pairs(str(tmp_path / "pairs.txt"), str(root), OutputOptions(tmp_path / "out2"),
                          image_pattern="{person}.png")
