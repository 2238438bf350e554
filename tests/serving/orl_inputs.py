"""ORL faces (tests/conftest.py's `orl_dir`) as the files users send: JPEG colour, PNG gray, PNG RGBA.

The ORL faces are grayscale; the colour and alpha versions tint them and add a varying alpha, so
each decoder path (JPEG, 1-channel PNG, 4-channel PNG) is exercised with real faces.
"""

import io
import os
from typing import List, Tuple

import numpy as np
from PIL import Image

KINDS = ("jpeg", "png_gray", "png_rgba")


def encode(gray: np.ndarray, kind: str) -> bytes:
    """A gray face [H, W] uint8 as a JPEG (tinted RGB), a gray PNG or a tinted RGBA PNG."""
    tinted = (gray[..., None] * np.array([1.0, 0.85, 0.7])).astype(np.uint8)
    buffer = io.BytesIO()
    if kind == "jpeg":
        Image.fromarray(tinted).save(buffer, format="JPEG", quality=90)
    elif kind == "png_gray":
        Image.fromarray(gray).save(buffer, format="PNG")
    elif kind == "png_rgba":
        alpha = np.linspace(0, 255, gray.size).reshape(gray.shape).astype(np.uint8)
        Image.fromarray(np.dstack([tinted, alpha]), mode="RGBA").save(buffer, format="PNG")
    else:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
    return buffer.getvalue()


def orl_faces(orl_dir: str, people: int, images_per_person: int) -> Tuple[List[bytes], List[int]]:
    """The first `images_per_person` faces of the first `people`, cycling through KINDS; and their labels."""
    images, labels = [], []
    for person in range(people):
        for image in range(images_per_person):
            gray = np.asarray(Image.open(os.path.join(orl_dir, f"s{person + 1}", f"{image + 1}.pgm")))
            images.append(encode(gray, KINDS[len(images) % len(KINDS)]))
            labels.append(person)
    return images, labels
