"""EXIF orientation: a photo is upright wherever it is read from a file, and a record that would be
learnt sideways is refused before the pipeline runs."""

import io
import struct

import numpy as np
import pytest
from PIL import Image, ImageOps

from tests.face_data import face_fixtures as fx
from face_data.conversion.images import ImageRejected, check_image
from face_data.records.reading import check_face_record, check_pair_record
from face_data.records.contract import make_face_example, make_pair_example
from face_data.synthetic.pasted_photos import STORE_FOR_ORIENTATION, encode_photo


def _displayed() -> Image.Image:
    """80x40 as displayed: smooth (JPEG keeps it well) and asymmetric (every turn and mirroring differs)."""
    ys, xs = np.mgrid[0:40, 0:80]
    pixels = np.stack([xs * 3, ys * 6, np.full_like(xs, 60)], axis=-1).astype(np.uint8)
    pixels[:10, :20] = 255
    return Image.fromarray(pixels, "RGB")


@pytest.mark.parametrize("orientation", range(2, 9))
def test_every_exif_orientation_is_turned_upright_exactly(orientation):
    displayed = _displayed()
    stored = encode_photo(displayed, orientation, "PNG")  # lossless: the pixels must match exactly
    assert Image.open(io.BytesIO(stored)).getexif()[0x0112] == orientation
    checked = check_image(stored)
    assert checked.exif_orientation == orientation and checked.size == (80, 40)
    assert checked.change == f"turned upright by EXIF orientation {orientation}, re-encoded PNG RGB 8-bit as PNG RGB"
    upright = Image.open(io.BytesIO(checked.data))
    assert 0x0112 not in upright.getexif()  # shown as stored by every decoder from now on
    np.testing.assert_array_equal(np.asarray(upright), np.asarray(displayed))
    np.testing.assert_array_equal(np.asarray(upright), np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(stored)))))


def test_a_corrupt_exif_block_does_not_stop_the_turn():
    # Pillow's exif_transpose rewrites every tag and fails on a malformed one; the pixels are turned all the same.
    # A little-endian TIFF block of two tags: Orientation 6, and XResolution (a rational) as text.
    entries = struct.pack("<HHII", 0x0112, 3, 1, 6) + struct.pack("<HHI4s", 0x011A, 2, 4, b"abc\0")
    block = b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", 2) + entries + struct.pack("<I", 0)
    buffer = io.BytesIO()
    _displayed().transpose(STORE_FOR_ORIENTATION[6]).save(buffer, "JPEG", exif=b"Exif\0\0" + block)
    with pytest.raises(TypeError):
        ImageOps.exif_transpose(Image.open(io.BytesIO(buffer.getvalue())))
    assert check_image(buffer.getvalue()).size == (80, 40)


def test_a_phone_jpeg_stored_sideways_is_upright():
    # The case: a JPEG with orientation 6 stores 40x80 pixels and displays 80x40.
    stored = encode_photo(_displayed(), 6, "JPEG")
    assert Image.open(io.BytesIO(stored)).size == (40, 80)
    checked = check_image(stored)
    assert checked.size == (80, 40)
    assert checked.change.startswith("turned upright by EXIF orientation 6, re-encoded JPEG")
    difference = np.abs(np.asarray(Image.open(io.BytesIO(checked.data)), float) - np.asarray(_displayed(), float))
    assert difference.mean() < 8  # JPEG noise only: a sideways or mirrored image differs by ~100


def test_orientation_1_and_no_tag_keep_the_file_as_it_is():
    tagged = encode_photo(_displayed(), 1, "JPEG")
    assert check_image(tagged).data == tagged and check_image(tagged).exif_orientation == 1
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 1
    _displayed().save(buffer, "JPEG", exif=exif)
    assert check_image(buffer.getvalue()).change is None


def test_the_input_check_refuses_records_the_pipeline_would_learn_sideways():
    # The check ImportExampleGen runs on every record (components/checked_example_gen/ names the file and record).
    sideways = encode_photo(_displayed(), 8, "JPEG")
    with pytest.raises(ImageRejected, match=r"EXIF-rotated image: its EXIF orientation 8 displays it rotated or "
                                            "mirrored, but the pipeline decodes the pixels as stored"):
        check_face_record("faces record 1", make_face_example(sideways, 1).SerializeToString())
    with pytest.raises(ImageRejected, match=r"EXIF-rotated image: image b: its EXIF orientation 8"):
        check_pair_record("pairs record 0", make_pair_example(fx.png(1), sideways, True).SerializeToString())
    assert check_face_record("faces record 0", make_face_example(fx.png(0), 0).SerializeToString()).label == 0
