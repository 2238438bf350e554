"""Raw photos made from face crops, for checking detection and alignment (tests, benchmarks): each
face pasted into a larger background, moved, scaled, turned in the plane, and the photo stored,
if asked, sideways or mirrored with an EXIF orientation tag.

A face crop such as ORL's (92x112) is tighter than the 112x112 ArcFace crop: aligned, 99% of the
ORL images reach beyond their frame, by up to a third of its width. In a real photo what lies
there is the person's own surroundings, the same in every photo of one scene; a bare pasted crop
would instead put strips of whatever background it landed on into the aligned face, different in
each photo. So the face keeps its surroundings: its frame is extended by its own edge pixels (for
ORL, the plain wall behind the sitter) by `SURROUNDINGS` of its longer side, which fade into the
backdrop over their outer quarter.

Every photo knows where its face went (`Pasting.matrix`: face pixel -> displayed photo pixel, pixel
centres at whole numbers), so a test can carry the face's own landmarks into the photo and check
an alignment against them. This module imports no TensorFlow.

Example:
    >>> pasting = paste_face(Image.open("orl/s1/1.pgm"), np.random.default_rng(0))
    >>> pasting.photo.size, round(pasting.scale, 2), round(pasting.angle, 1)
    ((495, 491), 1.46, -11.5)
    >>> data = encode_photo(pasting.photo, orientation=6)      # JPEG bytes, stored rotated, tag 6
"""

import dataclasses
import io
from typing import Tuple

import numpy as np
from PIL import Image, ImageFilter

from face_data.alignment.template import similarity_transform, transform_points

SCALES = (0.5, 2.0)
MAX_ANGLE = 25.0  # degrees, either way
BACKGROUND_FACTOR = (3.0, 4.0)  # background side / pasted face side
# The face's surroundings on each side, as a fraction of its longer side: the ArcFace crop of an ORL
# face reaches at most 0.36 of the width (33 px) beyond its frame, inside the opaque 0.375 (42 px).
SURROUNDINGS = 0.5
_FADING = 0.25  # the outer part of the surroundings that fades into the backdrop
ORIENTATION_TAG = 0x0112
# The transposition that stores displayed pixels so that EXIF orientation N shows them again:
# the inverse of what Pillow's ImageOps.exif_transpose applies for N.
STORE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@dataclasses.dataclass(frozen=True)
class Pasting:
    """A photo (as displayed) holding one pasted face, and where the face went."""

    photo: Image.Image
    matrix: np.ndarray  # 3x3: face pixel (x, y, 1) -> photo pixel
    scale: float
    angle: float  # degrees, counter-clockwise as displayed

    def to_photo(self, points: np.ndarray) -> np.ndarray:
        """Face pixels (N x 2) -> photo pixels."""
        return transform_points(self.matrix, points)

    def eye_error(self, face_landmarks: np.ndarray, photo_landmarks: np.ndarray) -> float:
        """How well the photo aligns: the distance (pixels at 112x112) from where the face's own
        alignment (by `face_landmarks`) puts its eyes to where the photo's alignment (by
        `photo_landmarks`) puts the same eyes, carried into the photo by this pasting; the worse eye."""
        eyes = np.asarray(face_landmarks, dtype=np.float64)[:2]
        expected = transform_points(similarity_transform(face_landmarks), eyes)
        found = transform_points(similarity_transform(photo_landmarks), self.to_photo(eyes))
        return float(np.linalg.norm(found - expected, axis=1).max())


def background(width: int, height: int, rng: np.random.Generator) -> Image.Image:
    """A smooth colour gradient with soft blobs: a plain, face-free backdrop of a photo."""
    ys, xs = np.mgrid[0:height, 0:width] / max(width, height)
    pixels = np.zeros((height, width, 3))
    for channel in range(3):
        start, dx, dy = rng.uniform(40, 200), rng.uniform(-80, 80), rng.uniform(-80, 80)
        pixels[..., channel] = start + dx * xs + dy * ys
    for _ in range(4):
        cx, cy, radius = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.3)
        blob = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * radius ** 2))
        pixels += blob[..., None] * rng.uniform(-50, 50, size=3)
    pixels += rng.normal(0, 3, pixels.shape)  # sensor noise
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def _inverse_for_pillow(matrix: np.ndarray) -> tuple:
    """Pillow's AFFINE data (output -> input, pixel centres at +0.5) for `matrix` (input -> output)."""
    shift = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    return tuple((shift @ np.linalg.inv(matrix) @ np.linalg.inv(shift))[:2].ravel())


def with_surroundings(face: Image.Image) -> Tuple[Image.Image, Image.Image, int]:
    """`face` (as RGB) extended on every side by its own edge pixels, the mask that fades the
    extension's outer part into a backdrop, and the extension's width in pixels."""
    margin = round(SURROUNDINGS * max(face.size))
    pixels = np.pad(np.asarray(face.convert("RGB")), ((margin, margin), (margin, margin), (0, 0)), mode="edge")

    def outside(count):  # per row or column of the extension: pixels beyond the face's frame
        steps = np.arange(count + 2 * margin) - margin
        return np.maximum(np.maximum(-steps, steps - (count - 1)), 0)

    distance = np.hypot(*np.meshgrid(outside(face.width), outside(face.height)))[..., None]
    # Edge pixels drawn outwards make streaks; blurred more with the distance from the frame, they
    # read as an out-of-focus wall.
    blurred = np.asarray(Image.fromarray(pixels, "RGB").filter(ImageFilter.GaussianBlur(margin / 8)))
    blur = np.clip(distance / (_FADING * margin), 0.0, 1.0)
    extended = Image.fromarray(np.round(pixels * (1 - blur) + blurred * blur).astype(np.uint8), "RGB")
    opacity = np.clip((margin - distance[..., 0]) / (_FADING * margin), 0.0, 1.0)
    mask = Image.fromarray(np.round(255 * opacity).astype(np.uint8), "L")
    return extended, mask, margin


def paste_face(face: Image.Image, rng: np.random.Generator, scale=None, angle=None,
               photo_size=None, centre=None) -> Pasting:
    """Pastes `face` into a new background at a random position, scale (0.5-2x) and angle (+/-25 deg)."""
    scale = rng.uniform(*SCALES) if scale is None else scale
    angle = rng.uniform(-MAX_ANGLE, MAX_ANGLE) if angle is None else angle
    side = max(face.size) * scale
    if photo_size is None:
        photo_size = tuple(int(side * rng.uniform(*BACKGROUND_FACTOR)) for _ in range(2))
    photo = background(*photo_size, rng)
    if centre is None:  # anywhere the face and its surroundings, however turned, stay inside the photo
        reach = scale * (np.hypot(*face.size) / 2 + SURROUNDINGS * max(face.size))
        centre = (rng.uniform(reach, photo_size[0] - reach), rng.uniform(reach, photo_size[1] - reach))
    return paste_into(photo, face, scale, angle, centre)


def paste_into(photo: Image.Image, face: Image.Image, scale: float, angle: float, centre) -> Pasting:
    """Pastes `face` and its surroundings scaled by `scale`, rotated by `angle` degrees
    (counter-clockwise), the face centred at `centre`."""
    radians = np.deg2rad(angle)
    # y points down in images: a counter-clockwise turn as displayed is [[c, s], [-s, c]].
    rotation = scale * np.array([[np.cos(radians), np.sin(radians)], [-np.sin(radians), np.cos(radians)]])
    face_centre = (np.array(face.size) - 1) / 2.0
    matrix = np.eye(3)
    matrix[:2, :2] = rotation
    matrix[:2, 2] = np.asarray(centre) - rotation @ face_centre
    extended, opacity, margin = with_surroundings(face)
    # The extension's pixel (x, y) is the face's (x - margin, y - margin).
    data = _inverse_for_pillow(matrix @ np.array([[1, 0, -margin], [0, 1, -margin], [0, 0, 1]]))
    moved = extended.transform(photo.size, Image.Transform.AFFINE, data, Image.Resampling.BICUBIC)
    mask = opacity.transform(photo.size, Image.Transform.AFFINE, data, Image.Resampling.BILINEAR)
    photo = photo.copy()
    photo.paste(moved, (0, 0), mask)
    return Pasting(photo, matrix, float(scale), float(angle))


def encode_photo(photo: Image.Image, orientation: int = 1, image_format: str = "JPEG") -> bytes:
    """`photo` as a file: with `orientation` 2-8 its pixels are stored so that the EXIF tag displays them upright."""
    buffer = io.BytesIO()
    options = {"quality": 92} if image_format == "JPEG" else {}
    if orientation != 1:
        exif = Image.Exif()
        exif[ORIENTATION_TAG] = orientation
        photo = photo.transpose(STORE_FOR_ORIENTATION[orientation])
        options["exif"] = exif
    photo.save(buffer, format=image_format, **options)
    return buffer.getvalue()

