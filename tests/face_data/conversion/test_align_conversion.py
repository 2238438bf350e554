"""`folder --align` and `lfw-pairs --align`: raw photos in, aligned faces out, in the worker pool, with
photos without a face, corrupt files and photos of several faces counted and named in the summary."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from tests.face_data import face_fixtures as fx
from face_data.conversion import cli
from face_data.alignment.photos import align_photo
from face_data.records.reading import read_face_records, read_pair_records
from face_data.synthetic.pasted_photos import background, encode_photo, paste_face, paste_into


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory, orl_dir):
    """root/<person>/<photo>: 4 photos with one face (one stored sideways with EXIF), a group photo,
    a landscape without a face and a truncated JPEG."""
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(7)
    for person, images in (("s3", (1, 2)), ("s4", (1, 5))):
        (root / person).mkdir()
        for number in images:
            pasting = paste_face(Image.open(f"{orl_dir}/{person}/{number}.pgm"), rng)
            (root / person / f"{number}.jpg").write_bytes(encode_photo(pasting.photo, 6 if number == 2 else 1))
    two = paste_into(background(600, 450, rng), Image.open(f"{orl_dir}/s6/1.pgm"), 0.8, 5.0, (100, 100))
    group = paste_into(two.photo, Image.open(f"{orl_dir}/s4/3.pgm"), 1.5, -5.0, (330, 240))
    (root / "s4" / "group.jpg").write_bytes(encode_photo(group.photo))
    (root / "s3" / "landscape.jpg").write_bytes(encode_photo(background(320, 240, rng)))
    (root / "s3" / "broken.jpg").write_bytes(fx.jpeg(1)[:-100])
    return root


def test_folder_align_writes_aligned_faces_and_names_what_it_left_out(photo_folder, tmp_path, capsys):
    output = tmp_path / "out"
    summary_path = tmp_path / "summary.json"
    # Two workers: the pool the converters use for big folders, each detecting in its own process.
    assert cli.main(["folder", str(photo_folder), str(output), "--align", "--workers", "2", "--quiet",
                     "--summary-json", str(summary_path)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("faces: 5 written of 2 identities to 1 shard(s), 2 skipped")
    assert "skipped, corrupt image: 1 (e.g. s3/broken.jpg: JPEG does not decode" in printed
    assert "skipped, no face found: 1 (e.g. s3/landscape.jpg: MTCNN found no face in the 320x240 photo)" in printed
    assert "several faces, kept the largest and most central: 1: s4/group.jpg (2 faces)" in printed
    assert "aligned to 112x112 by 5 landmarks: 5" in printed
    assert "turned upright by EXIF orientation 6, re-encoded JPEG RGB 8-bit as PNG RGB: 1" in printed
    summary = json.loads(summary_path.read_text())
    assert summary["noticed"] == [{"source": "s4/group.jpg", "what": "several faces, kept the largest and most central",
                                   "detail": "2 faces"}]
    records = [record for _, record in read_face_records(summary["shards"])]
    sources = ["s3/1.jpg", "s3/2.jpg", "s4/1.jpg", "s4/5.jpg", "s4/group.jpg"]
    assert [record.label for record in records] == [0, 0, 1, 1, 1]
    for source, record in zip(sources, records):
        # Byte for byte what serving's --align makes of the same file: a photo embeds like its record.
        assert record.image == align_photo((photo_folder / source).read_bytes()).data
        image = Image.open(io.BytesIO(record.image))
        assert (image.format, image.size) == ("PNG", (112, 112))


def test_lfw_pairs_align_skips_a_pair_whose_photo_has_no_face(photo_folder, tmp_path, capsys):
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("2\ns3\t1\t2\ns3\t1\ts4\t1\n")
    # The LFW layout names images <name>/<name>_<number>.jpg; here they are <name>/<number>.jpg.
    assert cli.main(["lfw-pairs", str(pairs), str(photo_folder), str(tmp_path / "out"), "--align", "--quiet",
                     "--image-pattern", "{name}/{number}.jpg"]) == 0
    assert "2 written" in capsys.readouterr().out
    records = [record for _, record in read_pair_records(sorted(map(str, (tmp_path / "out").glob("pairs-*"))))]
    assert [record.is_same for record in records] == [True, False]
    assert records[0].image_b == align_photo((photo_folder / "s3" / "2.jpg").read_bytes()).data

    pairs.write_text("s3\t1\t2\ns3\t1\tlandscape\t1\n")
    (photo_folder / "landscape").mkdir()
    (photo_folder / "landscape" / "1.jpg").write_bytes((photo_folder / "s3" / "landscape.jpg").read_bytes())
    assert cli.main(["lfw-pairs", str(pairs), str(photo_folder), str(tmp_path / "out2"), "--align", "--quiet",
                     "--image-pattern", "{name}/{number}.jpg"]) == 0
    assert ("skipped, no face found: 1 (e.g. pairs.txt line 2: image b: MTCNN found no face in the 320x240 photo)"
            in capsys.readouterr().out)


def test_aligned_size_is_checked_and_applied(photo_folder, tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["folder", str(photo_folder), str(tmp_path / "bad"), "--align", "--aligned-size", "0"])
    assert "expected a side of at least 1 pixel, got 0" in capsys.readouterr().err
    assert cli.main(["folder", str(photo_folder / "s4"), str(tmp_path / "big"), "--align", "--aligned-size", "224",
                     "--quiet", "--labels", "name"]) == 1  # s4 holds no identity folders: refused
    capsys.readouterr()
    single = tmp_path / "single"
    (single / "s4").mkdir(parents=True)
    (single / "s4" / "1.jpg").write_bytes((photo_folder / "s4" / "1.jpg").read_bytes())
    assert cli.main(["folder", str(single), str(tmp_path / "big"), "--align", "--aligned-size", "224", "--quiet"]) == 0
    (record,) = [record for _, record in read_face_records(sorted(map(str, (tmp_path / "big").glob("faces-*"))))]
    assert Image.open(io.BytesIO(record.image)).size == (224, 224)
