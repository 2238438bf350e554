"""Preprocessing as data: what turns an encoded image into the pixels model.onnx / model.tflite take.

The SavedModel carries its preprocessing inside (Transform's graph). The ONNX and TFLite files take
the preprocessed 8-bit pixels [N, size, size, 3] (they normalise them themselves, as the SavedModel
does after Transform), so a version holding them also holds
`preprocessing.json`, the parameters of Transform's `preprocess_image`
(tfx_module/preprocessing.py), and this module applies them with Pillow and NumPy, no TensorFlow:

1. decode to 8-bit RGB (grayscale repeated, alpha dropped; JPEG with the accurate integer DCT,
   as Transform decodes it);
2. optional crop box, in fractions of the height and width, rounded as Transform rounds it;
3. antialiased bilinear resize (Pillow's float filter is TensorFlow's
   `tf.image.resize(antialias=True)` to within 0.003 of 255);
4. round to 8 bits, half to even, as Transform stores them (`"normalize": null`: the model file
   normalises; a spec with a `normalize` section gets float32 `(x / divisor - mean) / std`).

The Pusher checks it against the SavedModel on every push (serving the same embeddings), and
tests/serving/test_preprocessing_skew.py on JPEG, gray PNG and RGBA PNG files.

Example:
    >>> spec = read_spec("runs/demo/serving/arcface/1796540000")
    >>> preprocess([open("a.jpg", "rb").read()], spec).shape
    (1, 64, 64, 3)
"""

import io
import json
import os
from typing import Mapping, Sequence

import numpy as np
from PIL import Image

FILE_NAME = "preprocessing.json"
VERSION = 1


def spec_from_transform(transform: Mapping) -> dict:
    """The JSON of the pipeline config's `transform` section (image_size, crop): the normalisation is
    in the model files (the SavedModel's `embed_pixels`), so it is null here."""
    size = transform["image_size"]
    return {
        "version": VERSION,
        "decode": {"channels": 3, "gray": "repeat", "alpha": "drop", "jpeg_dct": "integer_accurate"},
        "crop": dict(transform["crop"]) if transform["crop"] else None,
        "resize": {"height": size, "width": size, "method": "bilinear", "antialias": True},
        "normalize": None,
        "input": {"shape": [None, size, size, 3], "dtype": "uint8", "layout": "NHWC"},
    }


def read_spec(folder: str) -> dict:
    """`preprocessing.json` of a pushed version folder (local), checked for the version this code reads."""
    path = os.path.join(folder, FILE_NAME)
    with open(path, encoding="utf-8") as file:
        try:
            spec = json.load(file)
        except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
            raise ValueError(f"{path}: expected the JSON the Pusher writes, got a damaged file ({error})") from None
    if not isinstance(spec, dict) or spec.get("version") != VERSION:
        found = spec.get("version") if isinstance(spec, dict) else spec
        raise ValueError(f"{path}: expected preprocessing version {VERSION}, got {found!r}")
    return spec


def _crop(image: Image.Image, box: Mapping) -> Image.Image:
    # float32 and round-half-to-even, as Transform's crop_fraction computes the box.
    size = np.array([image.height, image.width], np.float32)
    first = np.round(size * np.array([box["top"], box["left"]], np.float32)).astype(int)
    extent = np.maximum(np.round(size * np.array([box["height"], box["width"]], np.float32)).astype(int), 1)
    last = np.minimum(first + extent, [image.height, image.width])
    return image.crop((first[1], first[0], last[1], last[0]))


def preprocess_one(image_bytes: bytes, spec: Mapping) -> np.ndarray:
    """One encoded image -> [height, width, 3] pixels of the spec's dtype, as `spec` says."""
    image = Image.open(io.BytesIO(image_bytes)).convert("RGB")
    if spec["crop"] is not None:
        image = _crop(image, spec["crop"])
    size = (spec["resize"]["width"], spec["resize"]["height"])
    # Resampled in float ("F" mode) per channel: 8-bit resizing would round every pixel.
    pixels = np.stack([np.asarray(channel.convert("F").resize(size, Image.Resampling.BILINEAR))
                       for channel in image.split()], axis=-1)
    if spec["input"]["dtype"] == "uint8":
        # As Transform's preprocess_image: clipped, rounded half to even (np.round is tf.round).
        return np.clip(np.round(pixels), 0, 255).astype(np.uint8)
    normalize = spec["normalize"]
    if normalize is not None:
        pixels = (pixels / np.float32(normalize["divisor"]) - np.float32(normalize["mean"])) / np.float32(
            normalize["std"])
    return pixels.astype(spec["input"]["dtype"])


def preprocess(images: Sequence[bytes], spec: Mapping) -> np.ndarray:
    """Encoded images -> the model's input, [N, height, width, 3]."""
    return np.stack([preprocess_one(image, spec) for image in images])
