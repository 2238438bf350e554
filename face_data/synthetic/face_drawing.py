"""Draws synthetic faces with NumPy: an identity is a set of face parameters, each image a variation.

An identity (`FaceIdentity`, drawn from `(seed, identity)` only) fixes what a face recogniser should
learn: head shape and jaw, skin, hair colour and style, eye spacing, size and iris colour, brows,
nose, mouth and lips, ears, and optional beard, glasses and a mole. An image (`ImageVariation`,
drawn from `(seed, identity, image)` only) changes what it should ignore: in-plane rotation,
shift, scale, a little yaw, lighting direction and colour, expression (smile, open mouth, blinks,
raised brows, gaze), background and clothes, partial occlusion, blur and sensor noise.

All images of one identity are drawn at once as soft-edged shapes on `[M, S, S]` coordinate grids,
so drawing costs a few milliseconds per image. This module imports no TensorFlow: worker
processes use it. It is over 300 lines on purpose: one face is the parameters above read by one
`_draw_*` step per part on one `_Canvas`; split, each part would only move away from the
parameters it reads.

Example:
    >>> identity = face_identity(seed=0, identity=3)
    >>> images = draw_faces(identity, [image_variation(0, 3, j) for j in range(10)], size=112)
    >>> images.shape, images.dtype
    ((10, 112, 112, 3), dtype('uint8'))
"""

import dataclasses
import io
from types import SimpleNamespace

import numpy as np
from PIL import Image, ImageFilter

from arcface_module.catalog import FACE_SIZE
from face_data.conversion.outcomes import Converted

# Anchor colours (RGB in [0, 1]); an identity mixes two neighbours and adds a little jitter.
SKIN_TONES = np.array([[0.98, 0.87, 0.78], [0.93, 0.77, 0.64], [0.86, 0.66, 0.51], [0.74, 0.55, 0.40],
                       [0.58, 0.42, 0.29], [0.44, 0.30, 0.20], [0.30, 0.20, 0.14]])
HAIR_COLOURS = np.array([[0.06, 0.05, 0.05], [0.22, 0.14, 0.09], [0.40, 0.26, 0.14], [0.78, 0.64, 0.38],
                         [0.93, 0.82, 0.55], [0.55, 0.20, 0.08], [0.62, 0.62, 0.62], [0.90, 0.90, 0.88]])
IRIS_COLOURS = np.array([[0.30, 0.18, 0.08], [0.12, 0.07, 0.04], [0.25, 0.45, 0.75], [0.30, 0.55, 0.35],
                         [0.50, 0.55, 0.58], [0.50, 0.38, 0.15]])


@dataclasses.dataclass(frozen=True, eq=False)  # holds arrays: compare fields with np.array_equal
class FaceIdentity:
    """Face parameters of one person. Lengths are in face units: the head is about 1.3 tall."""

    face_width: float       # half-width of the head at the cheekbones
    face_height: float      # half-height of the head
    jaw_taper: float        # 0: round chin line, 0.45: narrow pointed jaw
    skin: np.ndarray        # RGB
    hair: np.ndarray        # RGB
    hair_style: int         # 0 bald, 1 short, 2 long, 3 fringe (bangs)
    hairline: float         # y of the hairline at the centre (more negative = higher forehead)
    hair_volume: float      # how far hair stands out of the head outline
    hair_parting: float     # slope of the hairline: a side parting
    eye_y: float
    eye_spacing: float      # half-distance between the eye centres
    eye_width: float
    eye_height: float
    iris: np.ndarray        # RGB
    brow_gap: float         # brow height above the eye
    brow_thickness: float
    brow_tilt: float        # positive: outer ends lower
    nose_length: float
    nose_width: float
    mouth_y: float
    mouth_width: float
    lip_thickness: float
    lips: np.ndarray        # RGB
    ear_size: float
    beard: int              # 0 none, 1 moustache, 2 full beard
    glasses: int            # 0 none, 1 round, 2 square
    glasses_colour: np.ndarray
    mole: np.ndarray        # (x, y, radius); radius 0 means no mole


@dataclasses.dataclass(frozen=True, eq=False)
class ImageVariation:
    """What changes from one photo of a person to the next."""

    angle: float            # in-plane rotation, radians
    scale: float
    shift: np.ndarray       # (x, y) in image units ([-1, 1] spans the image)
    yaw: float              # -1..1: a turn of the head, moving the inner features sideways
    brightness: float
    light_direction: float  # radians
    light_strength: float
    colour_cast: np.ndarray  # per-channel gain
    smile: float            # -0.4 (frown) .. 1
    mouth_open: float
    eye_open: float         # 0 closed .. 1 open
    brow_raise: float
    gaze: np.ndarray        # iris offset (x, y) as a fraction of the eye size
    background: np.ndarray  # two RGB colours of a gradient
    background_direction: float
    clothes: np.ndarray     # RGB
    occlusion: int          # 0 none, 1 block, 2 sunglasses, 3 face mask, 4 hand
    occlusion_box: np.ndarray  # (x, y, half-width, half-height) in image units, for block and hand
    occlusion_colour: np.ndarray
    hand_skin: np.ndarray   # RGB of the hand occluder: anybody's hand
    blur_radius: float
    noise_sigma: float
    noise_seed: int


def _mix(palette: np.ndarray, rng: np.random.Generator, jitter: float) -> np.ndarray:
    position = rng.uniform(0, len(palette) - 1)
    low = int(position)
    high = min(low + 1, len(palette) - 1)
    colour = palette[low] + (position - low) * (palette[high] - palette[low])
    return np.clip(colour + rng.normal(0, jitter, 3), 0, 1)


def face_identity(seed: int, identity: int) -> FaceIdentity:
    """The face parameters of identity number `identity`, the same for every image and every run.

    Example:
        >>> face_identity(0, 5).skin.tolist() == face_identity(0, 5).skin.tolist()
        True
        >>> face_identity(0, 5).eye_spacing == face_identity(1, 5).eye_spacing
        False
    """
    rng = np.random.default_rng([seed, identity, 0])
    face_height = rng.uniform(0.62, 0.76)
    hair_style = int(rng.choice(4, p=[0.12, 0.38, 0.3, 0.2]))
    skin = _mix(SKIN_TONES, rng, 0.025)
    hair = _mix(HAIR_COLOURS, rng, 0.03)
    eye_y = rng.uniform(-0.16, -0.02)
    mouth_y = rng.uniform(0.3, 0.44)
    return FaceIdentity(
        face_width=rng.uniform(0.44, 0.6),
        face_height=face_height,
        jaw_taper=rng.uniform(0.0, 0.45),
        skin=skin,
        hair=hair,
        hair_style=hair_style,
        hairline=rng.uniform(-0.62, -0.36),
        hair_volume=rng.uniform(0.03, 0.16),
        hair_parting=rng.uniform(-0.35, 0.35),
        eye_y=eye_y,
        eye_spacing=rng.uniform(0.16, 0.25),
        eye_width=rng.uniform(0.075, 0.11),
        eye_height=rng.uniform(0.032, 0.052),
        iris=_mix(IRIS_COLOURS, rng, 0.03),
        brow_gap=rng.uniform(0.07, 0.13),
        brow_thickness=rng.uniform(0.018, 0.05),
        brow_tilt=rng.uniform(-0.35, 0.35),
        nose_length=rng.uniform(0.14, 0.26),
        nose_width=rng.uniform(0.05, 0.1),
        mouth_y=mouth_y,
        mouth_width=rng.uniform(0.11, 0.2),
        lip_thickness=rng.uniform(0.015, 0.04),
        lips=np.clip(skin * rng.uniform([0.7, 0.45, 0.45], [0.9, 0.65, 0.65]), 0, 1),
        ear_size=rng.uniform(0.8, 1.25),
        beard=int(rng.choice(3, p=[0.7, 0.15, 0.15])),
        glasses=int(rng.choice(3, p=[0.75, 0.125, 0.125])),
        glasses_colour=_mix(np.array([[0.05, 0.05, 0.05], [0.55, 0.4, 0.15], [0.6, 0.6, 0.65]]), rng, 0.02),
        mole=(np.array([rng.uniform(-0.35, 0.35), rng.uniform(-0.2, 0.45), rng.uniform(0.012, 0.022)])
              if rng.uniform() < 0.35 else np.zeros(3)),
    )


def image_variation(seed: int, identity: int, image: int) -> ImageVariation:
    """The variation of image number `image` of `identity`; independent of how many images there are."""
    rng = np.random.default_rng([seed, identity, 1, image])
    occlusion = int(rng.choice(5, p=[0.72, 0.08, 0.07, 0.07, 0.06]))
    return ImageVariation(
        angle=np.deg2rad(rng.normal(0, 7)),
        scale=rng.uniform(0.95, 1.25),
        shift=rng.normal(0, 0.07, 2),
        yaw=rng.uniform(-0.6, 0.6),
        brightness=rng.uniform(0.7, 1.2),
        light_direction=rng.uniform(0, 2 * np.pi),
        light_strength=rng.uniform(0.0, 0.45),
        colour_cast=rng.uniform(0.92, 1.08, 3),
        smile=rng.uniform(-0.4, 1.0),
        mouth_open=max(0.0, rng.uniform(-0.6, 1.0)),
        eye_open=1.0 if rng.uniform() < 0.85 else rng.uniform(0.0, 0.5),
        brow_raise=rng.uniform(-0.02, 0.04),
        gaze=rng.uniform(-0.35, 0.35, 2),
        background=rng.uniform(0, 1, (2, 3)),
        background_direction=rng.uniform(0, 2 * np.pi),
        clothes=rng.uniform(0, 1, 3),
        occlusion=occlusion,
        occlusion_box=np.array([rng.uniform(-0.5, 0.5), rng.uniform(-0.4, 0.6),
                                rng.uniform(0.15, 0.35), rng.uniform(0.12, 0.3)]),
        occlusion_colour=rng.uniform(0, 1, 3),
        hand_skin=_mix(SKIN_TONES, rng, 0.03),
        blur_radius=rng.uniform(0, 1.4) if rng.uniform() < 0.4 else 0.0,
        noise_sigma=rng.uniform(0.0, 0.05),
        noise_seed=int(rng.integers(2**31)),
    )


def _stack(variations, name: str) -> np.ndarray:
    """Per-image values of one field as an array that broadcasts over [M, S, S] grids."""
    values = np.array([getattr(v, name) for v in variations], dtype=np.float32)
    return values.reshape(len(variations), 1, 1, *values.shape[1:])


EVERYWHERE = (slice(None), slice(None), slice(None))


class _Canvas:
    """[M, S, S, 3] images being painted, with each image's pixel grid in image and face coordinates.

    `image` holds every ImageVariation field stacked over the M images. Shapes are computed and
    painted inside a `window` of the canvas: small features touch a few hundred pixels, not all.
    """

    def __init__(self, variations, size: int):
        self.size, self.count = size, len(variations)
        self.image = SimpleNamespace(**{field.name: _stack(variations, field.name)
                                        for field in dataclasses.fields(ImageVariation)})
        centres = ((np.arange(size) + 0.5) / size * 2 - 1).astype(np.float32)
        self.u, self.v = centres[None, None, :], centres[None, :, None]  # image coordinates, y down
        self._cos, self._sin = np.cos(self.image.angle), np.sin(self.image.angle)
        self._scale, self._shift = self.image.scale, self.image.shift
        du, dv = self.u - self._shift[..., 0], self.v - self._shift[..., 1]
        # Face coordinates: the inverse of rotating by `angle`, scaling by `scale`, shifting by `shift`.
        self.x = (self._cos * du + self._sin * dv) / self._scale
        self.y = (-self._sin * du + self._cos * dv) / self._scale
        self.pixel = 2.0 / size / self._scale  # one pixel in face units: the width of soft edges
        self.pixels = np.zeros((self.count, size, size, 3), dtype=np.float32)

    def window(self, centre_x, centre_y, radius) -> tuple:
        """The canvas rows and columns within `radius` (face units) of a face point, in every image."""
        centre_x = np.broadcast_to(centre_x, self._scale.shape)
        centre_y = np.broadcast_to(centre_y, self._scale.shape)
        u = self._scale * (self._cos * centre_x - self._sin * centre_y) + self._shift[..., 0]
        v = self._scale * (self._sin * centre_x + self._cos * centre_y) + self._shift[..., 1]
        reach = radius * self._scale + 4.0 / self.size

        def pixels(low, high):
            first = int(np.floor((np.min(low) + 1) / 2 * self.size))
            last = int(np.ceil((np.max(high) + 1) / 2 * self.size))
            return slice(min(max(first, 0), self.size), min(max(last, 0), self.size))

        return slice(None), pixels(v - reach, v + reach), pixels(u - reach, u + reach)

    def coordinates(self, window) -> tuple:
        """Face coordinates x, y and the pixel size inside `window`."""
        return self.x[window], self.y[window], self.pixel

    def paint(self, alpha: np.ndarray, colour, window=EVERYWHERE) -> None:
        """Blends `colour` (RGB, or one RGB per image) in by coverage `alpha` (in [0, 1]) inside `window`."""
        alpha = np.broadcast_to(alpha, self.pixels[window].shape[:3])
        covered = alpha > 0
        rows, columns = np.flatnonzero(covered.any(axis=(0, 2))), np.flatnonzero(covered.any(axis=(0, 1)))
        if not len(rows):
            return
        # Blend only inside the bounding box of what is covered: most shapes are small.
        box = slice(None), slice(rows[0], rows[-1] + 1), slice(columns[0], columns[-1] + 1)
        region = self.pixels[window][box]
        change = np.asarray(colour, dtype=np.float32) - region
        change *= alpha[box][..., None]
        region += change


def _inside(signed_distance: np.ndarray, pixel) -> np.ndarray:
    """Soft coverage from a signed distance (negative inside), antialiased over one pixel."""
    return np.clip(0.5 - signed_distance / pixel, 0.0, 1.0)


def _ellipse(x, y, centre_x, centre_y, radius_x, radius_y, pixel) -> np.ndarray:
    radius_x, radius_y = np.maximum(radius_x, 1e-4), np.maximum(radius_y, 1e-4)
    distance = np.sqrt(((x - centre_x) / radius_x) ** 2 + ((y - centre_y) / radius_y) ** 2) - 1.0
    return _inside(distance * np.minimum(radius_x, radius_y), pixel)


def _band(x, y, centre_x, curve_y, half_length, half_thickness, pixel) -> np.ndarray:
    """A stroke of `half_thickness` around the curve y = curve_y(x), for |x - centre_x| < half_length."""
    across = np.abs(y - curve_y) - half_thickness
    along = np.abs(x - centre_x) - half_length
    return _inside(np.maximum(across, along), pixel)


def _head(x, y, pixel, face, yaw, grow=0.0):
    """Coverage of the head outline (jaw tapering towards the chin), grown by `grow`."""
    below = np.clip(y / face.face_height, 0, 1)
    half_width = (face.face_width + grow) * (1 - face.jaw_taper * below ** 2) * (1 - 0.08 * np.abs(yaw))
    distance = np.sqrt((x / half_width) ** 2 + (y / (face.face_height + grow)) ** 2) - 1.0
    return _inside(distance * half_width, pixel)


def _eye_centre_x(face, yaw, side):
    return side * face.eye_spacing * (1 - 0.12 * np.abs(yaw)) + 0.09 * yaw


def _draw_background(canvas):
    colours, direction = canvas.image.background, canvas.image.background_direction
    ramp = np.clip(0.5 + 0.5 * (np.cos(direction) * canvas.u + np.sin(direction) * canvas.v), 0, 1)
    canvas.pixels[:] = colours[..., 0, :] + ramp[..., None] * (colours[..., 1, :] - colours[..., 0, :])


def _draw_head(canvas, face):
    yaw = canvas.image.yaw
    x, y, pixel = canvas.coordinates(EVERYWHERE)
    shoulders = _inside(np.maximum(face.face_height + 0.18 - y, -y), pixel) * \
        _ellipse(x, y, 0, face.face_height + 0.75, 0.95, 0.62, pixel)
    canvas.paint(shoulders, canvas.image.clothes)
    canvas.paint(_inside(np.abs(x) - face.face_width * 0.45, pixel) * (y > 0), face.skin * 0.82)
    if face.hair_style == 2:  # long hair falls behind the head, to the shoulders
        top = -face.face_height - face.hair_volume
        bottom = face.face_height + 0.25
        canvas.paint(_ellipse(x, y, 0, (top + bottom) / 2, face.face_width + face.hair_volume + 0.06,
                              (bottom - top) / 2, pixel), face.hair * 0.85)
    ear_x = face.face_width * 0.97 * (1 - 0.08 * np.abs(yaw))
    for side in (-1, 1):
        centre_x, centre_y = side * ear_x - 0.05 * yaw, face.eye_y + 0.08
        window = canvas.window(centre_x, centre_y, 0.13 * face.ear_size)
        x, y, pixel = canvas.coordinates(window)
        # The ear on the side the head turns away from slips behind it.
        visible = np.clip(1 - 1.5 * np.maximum(0, side * yaw), 0, 1)
        ear = _ellipse(x, y, centre_x, centre_y, 0.065 * face.ear_size, 0.12 * face.ear_size, pixel)
        canvas.paint(visible * ear, face.skin * 0.9, window)
    x, y, pixel = canvas.coordinates(EVERYWHERE)
    head = _head(x, y, pixel, face, yaw)
    canvas.paint(head, face.skin)
    return head


def _draw_hair(canvas, face):
    if face.hair_style == 0:
        return
    window = canvas.window(0, -face.face_height / 2, face.face_width + face.face_height / 2 + face.hair_volume)
    x, y, pixel = canvas.coordinates(window)
    cap = _head(x, y, pixel, face, canvas.image.yaw, grow=face.hair_volume)
    hairline = face.hairline + face.hair_parting * x + 0.5 * x ** 2
    if face.hair_style == 3:  # a fringe: hair down to just above the brows
        hairline = np.minimum(hairline, face.eye_y - face.brow_gap - 0.08 + 0.1 * x ** 2)
    canvas.paint(cap * _inside(y - hairline, pixel), face.hair, window)


def _draw_eyes(canvas, face):
    yaw, eye_open, gaze = canvas.image.yaw, canvas.image.eye_open, canvas.image.gaze
    for side in (-1, 1):
        centre_x = _eye_centre_x(face, yaw, side)
        window = canvas.window(centre_x, face.eye_y - face.brow_gap / 2, face.eye_width * 1.5 + face.brow_gap)
        x, y, pixel = canvas.coordinates(window)
        height = face.eye_height * np.maximum(eye_open, 0.08)
        socket = _ellipse(x, y, centre_x, face.eye_y, face.eye_width * 1.25, face.eye_height * 1.5, pixel)
        canvas.paint(socket, face.skin * 0.85, window)
        white = _ellipse(x, y, centre_x, face.eye_y, face.eye_width, height, pixel)
        canvas.paint(white, [0.95, 0.94, 0.92], window)
        iris_x = centre_x + gaze[..., 0] * face.eye_width * 0.6
        iris_y = face.eye_y + gaze[..., 1] * face.eye_height * 0.3
        radius = face.eye_height * 0.95
        canvas.paint(white * _ellipse(x, y, iris_x, iris_y, radius, radius, pixel), face.iris, window)
        pupil = _ellipse(x, y, iris_x, iris_y, radius * 0.45, radius * 0.45, pixel)
        canvas.paint(white * pupil, [0.02, 0.02, 0.02], window)
        brow_y = face.eye_y - face.brow_gap - canvas.image.brow_raise \
            + face.brow_tilt * side * (x - centre_x) + 1.2 * (x - centre_x) ** 2
        brow = _band(x, y, centre_x, brow_y, face.eye_width * 1.35, face.brow_thickness / 2, pixel)
        canvas.paint(brow, face.hair * 0.8, window)


def _draw_nose(canvas, face):
    nose_x = 0.14 * canvas.image.yaw
    tip_y = face.eye_y + face.nose_length + 0.05
    window = canvas.window(nose_x, (face.eye_y + tip_y) / 2, (tip_y - face.eye_y) / 2 + face.nose_width * 1.5)
    x, y, pixel = canvas.coordinates(window)
    ridge = _band(x, y, nose_x - 0.35 * face.nose_width, (face.eye_y + tip_y) / 2,
                  face.nose_width * 0.18, (tip_y - face.eye_y) / 2, pixel)
    canvas.paint(0.45 * ridge, face.skin * 0.7, window)
    tip = _ellipse(x, y, nose_x, tip_y, face.nose_width, face.nose_width * 0.55, pixel)
    canvas.paint(0.6 * tip, face.skin * 0.8, window)
    for side in (-1, 1):
        nostril = _ellipse(x, y, nose_x + side * face.nose_width * 0.5, tip_y + face.nose_width * 0.25,
                           face.nose_width * 0.22, face.nose_width * 0.12, pixel)
        canvas.paint(nostril, face.skin * 0.35, window)


def _draw_mouth(canvas, face):
    yaw, smile, mouth_open = canvas.image.yaw, canvas.image.smile, canvas.image.mouth_open
    if face.beard == 2:  # painted first, so the lips show through
        x, y, pixel = canvas.coordinates(EVERYWHERE)
        chin = _head(x, y, pixel, face, yaw) * _inside(face.mouth_y - 0.02 - y, pixel)
        canvas.paint(0.85 * chin * _inside(np.abs(x) - face.face_width * 0.95, pixel), face.hair * 0.9)
    mouth_x = 0.1 * yaw
    window = canvas.window(mouth_x, face.mouth_y, face.mouth_width * 1.4 + 0.12)
    x, y, pixel = canvas.coordinates(window)
    half_width = face.mouth_width * (1 + 0.2 * np.maximum(smile, 0)) * (1 - 0.1 * np.abs(yaw))
    across = np.clip(1 - ((x - mouth_x) / half_width) ** 2, 0, 1)
    centre = face.mouth_y - 0.05 * smile * (1 - across)
    gap = 0.05 * mouth_open * across
    if face.beard:
        moustache = _band(x, y, mouth_x, centre - face.lip_thickness - 0.03, half_width * 1.1, 0.022, pixel)
        canvas.paint(0.9 * moustache, face.hair * 0.9, window)
    lips = _band(x, y, mouth_x, centre, half_width, face.lip_thickness * np.sqrt(across) + gap, pixel)
    canvas.paint(lips, face.lips, window)
    canvas.paint(_band(x, y, mouth_x, centre, half_width, gap, pixel), [0.25, 0.05, 0.05], window)


def _draw_extras(canvas, face):
    yaw = canvas.image.yaw
    if face.mole[2] > 0:
        centre_x = face.mole[0] + 0.1 * yaw
        window = canvas.window(centre_x, face.mole[1], face.mole[2])
        x, y, pixel = canvas.coordinates(window)
        canvas.paint(_ellipse(x, y, centre_x, face.mole[1], face.mole[2], face.mole[2], pixel), face.skin * 0.4,
                     window)
    if not face.glasses:
        return
    window = canvas.window(0.09 * yaw, face.eye_y, face.eye_spacing + face.eye_width * 1.7 + face.eye_height * 2.6)
    x, y, pixel = canvas.coordinates(window)
    radius_x, radius_y, rim = face.eye_width * 1.6, face.eye_height * 2.6, 0.018
    for side in (-1, 1):
        centre_x = _eye_centre_x(face, yaw, side)
        if face.glasses == 1:
            outer = _ellipse(x, y, centre_x, face.eye_y, radius_x, radius_y, pixel)
            inner = _ellipse(x, y, centre_x, face.eye_y, radius_x - rim, radius_y - rim, pixel)
        else:
            outer = _inside(np.maximum(np.abs(x - centre_x) - radius_x, np.abs(y - face.eye_y) - radius_y), pixel)
            inner = _inside(np.maximum(np.abs(x - centre_x) - radius_x + rim,
                                       np.abs(y - face.eye_y) - radius_y + rim), pixel)
        canvas.paint(np.maximum(outer - inner, 0), face.glasses_colour, window)
    bridge = _band(x, y, 0.09 * yaw, face.eye_y - 0.01, face.eye_spacing - radius_x, 0.008, pixel)
    canvas.paint(bridge, face.glasses_colour, window)


def _draw_occlusions(canvas, face):
    image = canvas.image
    kind, colour, box, yaw = image.occlusion, image.occlusion_colour, image.occlusion_box, image.yaw
    image_pixel = 2.0 / canvas.size
    if np.any(kind == 1):  # a block anywhere in the picture
        block = _inside(np.maximum(np.abs(canvas.u - box[..., 0]) - box[..., 2],
                                   np.abs(canvas.v - box[..., 1]) - box[..., 3]), image_pixel)
        canvas.paint((kind == 1) * block, colour)
    if np.any(kind == 2):  # sunglasses
        window = canvas.window(0.09 * yaw, face.eye_y, face.eye_spacing + face.eye_width * 1.5 + face.eye_height * 2.2)
        x, y, pixel = canvas.coordinates(window)
        glasses = _inside(np.maximum(np.abs(x - 0.09 * yaw) - face.eye_spacing - face.eye_width * 1.5,
                                     np.abs(y - face.eye_y) - face.eye_height * 2.2), pixel)
        canvas.paint((kind == 2) * glasses, colour * 0.2, window)
    if np.any(kind == 3):  # a face mask over nose, mouth and chin
        x, y, pixel = canvas.coordinates(EVERYWHERE)
        mask = _head(x, y, pixel, face, yaw, grow=0.02) * _inside(face.eye_y + face.nose_length * 0.6 - y, pixel)
        canvas.paint((kind == 3) * mask, 0.6 + 0.4 * colour)
    if np.any(kind == 4):  # a hand in front of the face
        hand = _ellipse(canvas.u, canvas.v, box[..., 0], box[..., 1], box[..., 2], box[..., 3] * 1.3, image_pixel)
        canvas.paint((kind == 4) * hand, image.hand_skin)


def _light(canvas, head):
    image = canvas.image
    gradient = np.cos(image.light_direction) * canvas.u + np.sin(image.light_direction) * canvas.v
    gain = image.brightness * (1 + image.light_strength * gradient)
    # Faces are rounder than the background: their edges turn away from the light.
    rounding = 1 - 0.25 * head * np.clip(canvas.x ** 2 + canvas.y ** 2 / 2, 0, 1)
    canvas.pixels *= (gain * rounding)[..., None] * image.colour_cast


def draw_faces(face: FaceIdentity, variations, size: int = FACE_SIZE) -> np.ndarray:
    """Draws one image of `face` per variation: a [len(variations), size, size, 3] uint8 array."""
    if size < 16:
        raise ValueError(f"expected an image size of at least 16 pixels, got {size}")
    canvas = _Canvas(variations, size)
    _draw_background(canvas)
    head = _draw_head(canvas, face)
    _draw_hair(canvas, face)
    _draw_eyes(canvas, face)
    _draw_nose(canvas, face)
    _draw_mouth(canvas, face)
    _draw_extras(canvas, face)
    _draw_occlusions(canvas, face)
    _light(canvas, head)
    images = []
    for pixels, variation in zip(canvas.pixels, variations):
        image = Image.fromarray(np.round(np.clip(pixels, 0, 1) * 255).astype(np.uint8))
        if variation.blur_radius > 0:
            image = image.filter(ImageFilter.GaussianBlur(variation.blur_radius))
        noise = np.random.default_rng(variation.noise_seed).standard_normal((size, size, 3), dtype=np.float32)
        noisy = np.asarray(image, dtype=np.float32) + noise * np.float32(variation.noise_sigma * 255)
        images.append(np.clip(noisy, 0, 255).round().astype(np.uint8))
    return np.stack(images)


def draw_face_records(identities, seed: int, images_per_identity: int, size: int = FACE_SIZE) -> list:
    """Worker: every image of each identity as a PNG face, labelled with the identity number.

    Example:
        >>> [(face.source, face.label) for face in draw_face_records([4], seed=0, images_per_identity=2)]
        [('synthetic identity 4 image 0', 4), ('synthetic identity 4 image 1', 4)]
    """
    faces = []
    for identity in identities:
        variations = [image_variation(seed, identity, index) for index in range(images_per_identity)]
        for index, pixels in enumerate(draw_faces(face_identity(seed, identity), variations, size)):
            buffer = io.BytesIO()
            # Level 1: noisy images barely compress further, and level 6 takes twice as long.
            Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
            faces.append(Converted(f"synthetic identity {identity} image {index}", buffer.getvalue(), identity))
    return faces
