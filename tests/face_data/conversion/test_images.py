"""Image checks: what is stored byte for byte, what is re-encoded, and what is refused and why."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.face_data import face_fixtures as fx
from face_data.conversion.images import ImageRejected, check_image, check_pair_image


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


@pytest.mark.parametrize("data", [fx.png(1), fx.png(2, channels=1), fx.jpeg(3)], ids=["rgb-png", "gray-png", "jpeg"])
def test_8bit_png_and_jpeg_are_stored_byte_for_byte(data):
    checked = check_image(data)
    assert checked.data == data and checked.change is None and checked.size == (20, 24)


def test_pgm_is_re_encoded_as_png_with_the_same_pixels():
    pixels = fx.random_pixels(4, channels=1)
    checked = check_image(fx.encode(pixels, "PPM"))
    assert checked.change == "re-encoded PPM L 8-bit as PNG L"
    assert Image.open(io.BytesIO(checked.data)).format == "PNG"
    np.testing.assert_array_equal(_pixels(checked.data), pixels)


def test_rgba_palette_and_bmp_become_rgb_png():
    rgba = np.dstack([fx.random_pixels(5), np.full((24, 20), 7, np.uint8)])
    checked = check_image(fx.encode(rgba))
    assert checked.change == "re-encoded PNG RGBA 8-bit as PNG RGB"
    np.testing.assert_array_equal(_pixels(checked.data), rgba[..., :3])
    palette = Image.fromarray(fx.random_pixels(6)).convert("P")
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG")
    assert check_image(buffer.getvalue()).mode == "RGB"
    assert check_image(fx.encode(fx.random_pixels(7), "BMP")).change == "re-encoded BMP RGB 8-bit as PNG RGB"


def test_16bit_png_keeps_the_high_byte():
    samples = np.random.default_rng(8).integers(0, 65536, (24, 20)).astype(np.uint16)
    checked = check_image(fx.sixteen_bit_gray_png(samples))
    assert checked.change == "re-encoded PNG I;16 16-bit as PNG L"
    np.testing.assert_array_equal(_pixels(checked.data), (samples >> 8).astype(np.uint8))


@pytest.mark.parametrize("data, reason, detail", [
    (b"", "empty image", "0 bytes"),
    (b"hello, I am not an image", "not an image", "cannot identify 24 bytes"),
    (fx.png(9)[:-40], "corrupt image", "PNG does not decode"),
    (fx.jpeg(10)[:-100], "corrupt image", "JPEG does not decode"),
    (fx.jpeg(10)[:300], "corrupt image", "unreadable header: Truncated File Read"),
    (fx.png_claiming_size(50_000, 50_000), "too many pixels", "decompression bomb"),
    (fx.png_claiming_size(9_000, 6_000), "too many pixels", "9000x6000 = 54000000 pixels, more than the limit"),
])
def test_unfit_images_are_rejected_with_a_reason(data, reason, detail):
    with pytest.raises(ImageRejected, match=detail) as caught:
        check_image(data)
    assert caught.value.reason == reason


def test_the_pixel_limit_is_configurable_and_pair_errors_name_the_image():
    with pytest.raises(ImageRejected, match="image b: the header claims 20x24 = 480 pixels"):
        check_pair_image(fx.png(11), "b", max_pixels=400)
    assert check_image(fx.png(11), max_pixels=480).change is None
