"""Image folder -> face records: round trip, labels, and every kind of bad input in a folder."""

import os

import numpy as np
import pytest

from tests.face_data import face_fixtures as fx
from face_data.conversion import images
from face_data.conversion.writing import OutputOptions
from face_data.conversion.converters import convert_image_folder
from face_data.records.reading import read_face_records


def _folder(root, layout):
    """layout: {identity: {file name: bytes}}."""
    for identity, files in layout.items():
        os.makedirs(root / identity, exist_ok=True)
        for name, data in files.items():
            (root / identity / name).write_bytes(data)
    return root


def _records(summary):
    return [record for _, record in read_face_records(summary.shards)]


def test_folder_round_trip_is_bit_exact_with_natural_order_labels(tmp_path):
    layout = {"p10": {"1.png": fx.png(1)}, "p2": {"10.jpg": fx.jpeg(2), "9.png": fx.png(3)}, "p1": {"a.png": fx.png(4)}}
    summary = convert_image_folder(_folder(tmp_path / "in", layout), OutputOptions(tmp_path / "out", show_progress=False))
    records = _records(summary)
    assert summary.label_names == ["p1", "p2", "p10"] and summary.identities == 3 and not summary.skipped
    assert [(r.label, r.image) for r in records] == [
        (0, fx.png(4)), (1, fx.png(3)), (1, fx.jpeg(2)), (2, fx.png(1))]
    assert summary.notes == {"identities with a single image (kept)": 2}


def test_name_labels_and_workers_give_the_same_bytes(tmp_path):
    layout = {f"person {i}": {f"{j}.png": fx.png(10 * i + j) for j in range(3)} for i in range(4)}
    root = _folder(tmp_path / "in", layout)
    one = convert_image_folder(root, OutputOptions(tmp_path / "one", workers=1, show_progress=False), "name")
    two = convert_image_folder(root, OutputOptions(tmp_path / "two", workers=2, show_progress=False), "name")
    assert [open(p, "rb").read() for p in one.shards] == [open(p, "rb").read() for p in two.shards]
    assert {r.label for r in _records(one)} == {b"person 0", b"person 1", b"person 2", b"person 3"}


def test_bad_files_are_skipped_and_counted_while_the_rest_converts(tmp_path):
    samples = np.random.default_rng(0).integers(0, 65536, (24, 20)).astype(np.uint16)
    layout = {
        "ann": {"ok.png": fx.png(1), "truncated.png": fx.png(2)[:-50], "notes.txt": b"not an image",
                "gray.png": fx.png(3, channels=1), "deep.png": fx.sixteen_bit_gray_png(samples),
                "bomb.png": fx.png_claiming_size(50_000, 50_000), "empty.jpg": b""},
        "bob": {"rgba.png": fx.encode(np.dstack([fx.random_pixels(4), fx.random_pixels(5, channels=1)]))},
        "cat": {},
    }
    root = _folder(tmp_path / "in", layout)
    (root / "loose.png").write_bytes(fx.png(6))
    os.makedirs(root / "ann" / "nested")
    summary = convert_image_folder(root, OutputOptions(tmp_path / "out", show_progress=False))
    reasons = {(s.source, s.reason) for s in summary.skipped}
    assert reasons == {("ann/truncated.png", "corrupt image"), ("ann/notes.txt", "not an image"),
                       ("ann/bomb.png", "too many pixels"), ("ann/empty.jpg", "empty image"),
                       ("ann/nested", "nested folder"), ("cat/", "empty identity folder"),
                       ("loose.png", "not in an identity folder")}
    assert summary.written == 4 and summary.label_names == ["ann", "bob"]
    assert summary.notes == {"re-encoded PNG I;16 16-bit as PNG L": 1, "re-encoded PNG RGBA 8-bit as PNG RGB": 1,
                             "identities with a single image (kept)": 1}
    assert "skipped, corrupt image: 1 (e.g. ann/truncated.png: PNG does not decode" in summary.format()


def test_links_out_of_the_root_are_not_followed(tmp_path):
    outside = _folder(tmp_path / "outside", {"secret": {"1.png": fx.png(1)}})
    root = _folder(tmp_path / "in", {"ann": {"1.png": fx.png(2)}})
    os.symlink(outside / "secret", root / "evil")
    os.symlink(outside / "secret" / "1.png", root / "ann" / "2.png")
    summary = convert_image_folder(root, OutputOptions(tmp_path / "out", show_progress=False))
    assert {(s.source, s.reason) for s in summary.skipped} == {("evil", "outside the root folder"),
                                                               ("ann/2.png", "outside the root folder")}
    assert [r.image for r in _records(summary)] == [fx.png(2)]
    assert sorted(os.listdir(tmp_path)) == ["in", "out", "outside"]


@pytest.mark.parametrize("layout, expected", [
    ({}, "found no image file in an identity folder"),
    ({"ann": {}, "bob": {}}, "found no image file in an identity folder"),
])
def test_an_empty_folder_is_refused_and_nothing_is_written(tmp_path, layout, expected):
    root = _folder(tmp_path / "in", layout)
    os.makedirs(root, exist_ok=True)
    with pytest.raises(ValueError, match=f"{root}: {expected}"):
        convert_image_folder(root, OutputOptions(tmp_path / "out", show_progress=False))
    assert not (tmp_path / "out").exists()


def test_a_folder_where_nothing_converts_leaves_no_shard(tmp_path):
    root = _folder(tmp_path / "in", {"ann": {"1.png": b"junk", "2.png": fx.png(1)[:30]}})
    os.makedirs(tmp_path / "out")
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"no faces record could be written(.|\n)*ann/1.png"):
        convert_image_folder(root, OutputOptions(tmp_path / "out", show_progress=False))
    assert os.listdir(tmp_path / "out") == ["keep.txt"]


def test_an_interrupted_conversion_keeps_the_previous_shards(tmp_path, monkeypatch):
    root = _folder(tmp_path / "in", {"ann": {f"{i}.png": fx.png(i) for i in range(5)}})
    first = convert_image_folder(root, OutputOptions(tmp_path / "out", show_progress=False))
    before = {path: open(path, "rb").read() for path in first.shards}
    calls = []

    def interrupted(data, max_pixels):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return images.CheckedImage(data, (1, 1), "RGB")

    monkeypatch.setattr("face_data.conversion.image_folder.check_image", interrupted)
    with pytest.raises(KeyboardInterrupt):
        convert_image_folder(root, OutputOptions(tmp_path / "out", overwrite=True, workers=1, show_progress=False))
    assert {path: open(path, "rb").read() for path in first.shards} == before
    assert sorted(os.listdir(tmp_path / "out")) == [os.path.basename(path) for path in first.shards]


def test_a_path_instead_of_a_folder_is_refused(tmp_path):
    (tmp_path / "file.png").write_bytes(fx.png(1))
    with pytest.raises(ValueError, match="file.png: expected a folder of identity folders"):
        convert_image_folder(tmp_path / "file.png", OutputOptions(tmp_path / "out"))
    with pytest.raises(ValueError, match="label_scheme: expected one of"):
        convert_image_folder(tmp_path, OutputOptions(tmp_path / "out"), label_scheme="number")


@pytest.mark.timeout(60)
def test_a_pipe_or_a_dangling_link_named_like_an_image_is_skipped_not_read(tmp_path):
    root = _folder(tmp_path / "in", {"ann": {"ok.png": fx.png(1)}})
    os.mkfifo(root / "ann" / "a.jpg")  # opening it for reading would wait for a writer for ever
    os.symlink(root / "ann" / "gone.png", root / "ann" / "b.png")
    summary = convert_image_folder(root, OutputOptions(tmp_path / "out", show_progress=False))
    assert {(s.source, s.reason, s.detail) for s in summary.skipped} == {
        ("ann/a.jpg", "not a regular file", "a pipe, socket or device: nothing to read"),
        ("ann/b.png", "not a regular file", f"a link to {root / 'ann' / 'gone.png'}, which does not exist")}
    assert summary.written == 1


def test_link_loops_are_skipped_and_counted_as_images_and_as_identity_folders(tmp_path):
    # A loop used to abort the whole conversion ("[Errno 40] Too many levels of symbolic links"),
    # with or without --align: both read this listing.
    root = _folder(tmp_path / "in", {"ann": {"ok.png": fx.png(1)}})
    os.symlink("b.jpg", root / "ann" / "a.jpg")
    os.symlink("a.jpg", root / "ann" / "b.jpg")
    os.symlink("loop", root / "loop")  # an identity folder that is a link to itself
    summary = convert_image_folder(root, OutputOptions(tmp_path / "out", show_progress=False))
    assert {(s.source, s.reason, s.detail) for s in summary.skipped} == {
        ("ann/a.jpg", "not a regular file", "a link loop (a.jpg -> b.jpg leads back to itself)"),
        ("ann/b.jpg", "not a regular file", "a link loop (b.jpg -> a.jpg leads back to itself)"),
        ("loop", "not a regular file", "a link loop (loop -> loop leads back to itself)")}
    assert summary.written == 1


def test_a_tiny_image_is_kept_with_a_note(tmp_path):
    tiny = fx.encode(fx.random_pixels(1, height=1, width=1))
    summary = convert_image_folder(_folder(tmp_path / "in", {"ann": {"1.png": tiny, "2.png": fx.png(2)}}),
                                   OutputOptions(tmp_path / "out", show_progress=False))
    assert summary.written == 2 and summary.notes == {f"smaller than {images.SMALL_IMAGE_SIDE} pixels a side (kept)": 1}
    assert "  smaller than 16 pixels a side (kept): 1" in summary.format()


def test_the_progress_line_counts_the_skipped_as_the_summary_does(tmp_path, capsys):
    root = _folder(tmp_path / "in", {"ann": {"1.png": fx.png(1), "2.png": b"junk"}})
    (root / "loose.png").write_bytes(fx.png(3))  # skipped while listing, before any image is read
    summary = convert_image_folder(root, OutputOptions(tmp_path / "out"))
    assert len(summary.skipped) == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith("faces: 1/2 (50%), 2 skipped, ")
