"""Checks encoded images with Pillow and normalises them to what face records hold.

A face record holds a PNG or JPEG of 8-bit grayscale or RGB pixels: every decoder (tf.io.decode_image,
Pillow, OpenCV) reads those the same way. Such files are stored byte for byte. Anything else that
Pillow can decode (PGM, BMP, TIFF, 16-bit PNG, palette, RGBA, CMYK...) is converted to 8 bits
(16-bit samples keep their high byte, alpha is dropped) and re-encoded as PNG; the result says so.
A photo whose EXIF Orientation tag says it displays rotated or mirrored (phone cameras store
pixels as the sensor saw them) is turned upright and re-encoded as PNG, so that every decoder,
TensorFlow's included, which ignores EXIF, sees it as displayed.
Files that do not decode completely, and files whose header claims more than `max_pixels`
pixels (decompression bombs, uncropped photos), are rejected before their pixels are decoded.
This module imports no TensorFlow: worker processes use it.

Example:
    >>> checked = check_image(open("orl/s1/1.pgm", "rb").read())
    >>> checked.change, checked.size
    ('re-encoded PPM L 8-bit as PNG L', (92, 112))
"""

import argparse
import dataclasses
import io
import warnings
from typing import Optional, Tuple

import numpy as np
from PIL import Image, UnidentifiedImageError

# 32 megapixels (8192x4096): a 24 MP camera photo (6000x4000) passes, a crop of any size too; decoded
# it takes 100 MB as RGB. Phones' 48-50 MP photos need --max-pixels 50000000 (the converters' and
# serving's flag). Pillow refuses more than 2 x 89 MP (its own bomb check) whatever the limit.
MAX_PIXELS = 8192 * 4096
# Smaller faces are kept but counted in a note: a few pixels a side hold no face to learn from
# (insightface's crops are 112x112), and a 1x1 image is more likely a placeholder than a photo.
SMALL_IMAGE_SIDE = 16
KEPT_FORMATS = ("PNG", "JPEG")
KEPT_MODES = ("L", "RGB")
_PNG_BIT_DEPTH_OFFSET = 24  # signature (8) + IHDR length (4) + "IHDR" (4) + width (4) + height (4)
EXIF_ORIENTATION_TAG = 0x0112
UPRIGHT = 1  # EXIF orientations 2-8 mirror and/or rotate; 1 (or no tag) displays the pixels as stored
# What turns each orientation upright, as ImageOps.exif_transpose does; applied here to the pixels
# alone, since exif_transpose also rewrites the rest of the EXIF block and fails on a corrupt one.
_UPRIGHTING = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
               5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
               8: Image.Transpose.ROTATE_90}


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of pixels, got {text}")
    return value


def add_max_pixels_argument(parser: argparse.ArgumentParser) -> None:
    """`--max-pixels`, the limit above which `check_image` refuses an image (the converters' and serving's)."""
    parser.add_argument("--max-pixels", type=_positive, default=MAX_PIXELS, metavar="PIXELS",
                        help=f"refuse images whose header claims more pixels (default: {MAX_PIXELS}, 8192*4096, "
                             "which takes a 24 MP photo; 50000000 takes a phone's 48-50 MP)")


class ImageRejected(ValueError):
    """An image that cannot go into a face record; `reason` is a short category for summaries."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


@dataclasses.dataclass(frozen=True)
class CheckedImage:
    """Image bytes ready for a face record; `change` describes a conversion, None if stored as given."""

    data: bytes
    size: Tuple[int, int]
    mode: str
    change: Optional[str] = None
    exif_orientation: int = UPRIGHT  # the tag of the input; `data` is upright whatever it was

    @property
    def notes(self) -> Tuple[str, ...]:
        """What a conversion summary counts about this image: its change, and a size too small for a face."""
        notes = [self.change] if self.change else []
        if min(self.size) < SMALL_IMAGE_SIDE:
            notes.append(f"smaller than {SMALL_IMAGE_SIDE} pixels a side (kept)")
        return tuple(notes)


def _bit_depth(image: Image.Image, data: bytes) -> int:
    if image.format == "PNG" and len(data) > _PNG_BIT_DEPTH_OFFSET:
        return data[_PNG_BIT_DEPTH_OFFSET]
    return 16 if image.mode.startswith("I;16") else 8


def exif_orientation(image: Image.Image) -> int:
    """The EXIF Orientation of a decoded image: 2-8 if it displays mirrored or rotated, else 1."""
    try:
        orientation = image.getexif().get(EXIF_ORIENTATION_TAG, UPRIGHT)
    except (OSError, ValueError, SyntaxError):  # an unreadable EXIF block says nothing about orientation
        return UPRIGHT
    return orientation if orientation in _UPRIGHTING else UPRIGHT


def _to_8bit(image: Image.Image) -> Image.Image:
    """L or RGB pixels of any Pillow mode."""
    if image.mode.startswith("I;16") or image.mode == "I":
        # 16-bit samples (PNG, PGM with maxval > 255): keep the high byte.
        samples = np.clip(np.asarray(image, dtype=np.int64), 0, 65535) >> 8
        return Image.fromarray(samples.astype(np.uint8), mode="L")
    if image.mode in ("1", "L", "LA", "La"):
        return image.convert("L")
    if image.mode == "F":
        raise ImageRejected("unsupported image", "floating-point pixels (mode F) have no 8-bit meaning")
    return image.convert("RGB")


def check_image(data: bytes, max_pixels: int = MAX_PIXELS) -> CheckedImage:
    """Decodes `data` fully and returns what a face record should store; raises ImageRejected if unfit.

    Example:
        >>> check_image(png_bytes).change is None
        True
        >>> check_image(b"GIF89a...truncated")
        ImageRejected: corrupt image: ...
    """
    if not data:
        raise ImageRejected("empty image", "the file holds 0 bytes")
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice it; refuse those as well.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except UnidentifiedImageError as error:
            raise ImageRejected("not an image", f"Pillow cannot identify {len(data)} bytes "
                                f"starting {data[:8]!r}") from error
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageRejected("too many pixels", f"decompression bomb refused: {error}") from error
        except (OSError, SyntaxError, ValueError) as error:
            raise ImageRejected("corrupt image", f"unreadable header: {error}") from error
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRejected("too many pixels", f"the header claims {width}x{height} = {width * height} pixels, "
                            f"more than the limit of {max_pixels} (a decompression bomb or an uncropped photo)")
    if width == 0 or height == 0:
        raise ImageRejected("corrupt image", f"the header claims an empty {width}x{height} image")
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as error:  # Pillow's truncation and decoder errors
        raise ImageRejected("corrupt image", f"{image.format} does not decode: {error}") from error
    depth = _bit_depth(image, data)
    orientation = exif_orientation(image)
    if orientation == UPRIGHT and image.format in KEPT_FORMATS and image.mode in KEPT_MODES and depth == 8:
        return CheckedImage(data, image.size, image.mode)
    converted = _to_8bit(image.transpose(_UPRIGHTING[orientation]) if orientation != UPRIGHT else image)
    buffer = io.BytesIO()
    converted.save(buffer, format="PNG")
    change = f"re-encoded {image.format} {image.mode} {depth}-bit as PNG {converted.mode}"
    if orientation != UPRIGHT:
        change = f"turned upright by EXIF orientation {orientation}, {change}"
    return CheckedImage(buffer.getvalue(), converted.size, converted.mode, change, orientation)


def check_pair_image(data: bytes, which: str, max_pixels: int = MAX_PIXELS) -> CheckedImage:
    """`check_image` for image `which` ("a" or "b") of a pair: the error's detail names it."""
    try:
        return check_image(data, max_pixels)
    except ImageRejected as error:
        raise ImageRejected(error.reason, f"image {which}: {error.detail}") from error
