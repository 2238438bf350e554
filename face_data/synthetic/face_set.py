"""A synthetic face set written as face records: the default data of `make demo` and of the tests.

Identity `i` is the person `face_drawing.face_identity(seed, i)` and gets the int64 label `i`.
Identities `first_identity .. first_identity + num_identities - 1` are written, each with
`images_per_identity` PNG images (RGB, `image_size` square), in identity order. The same seed
and identity always give the same person and the same images, so two sets of one seed with
disjoint label ranges hold disjoint people (e.g. train on 0..59, evaluate on 1000..1049), and a
bigger set extends a smaller one.

Difficulty is calibrated (tests/face_data/synthetic/test_synthetic_calibration.py): raw-pixel cosine
similarity verifies pairs of these faces at 56% accuracy (chance is 50%; 50 identities x 8 images).

`write_synthetic_photos` draws the same people as image files, `<person>/<image>.png`: the folder
`python -m serving enrol` reads (the demo's gallery).

Example:
    >>> summary = write_synthetic_faces("data/synthetic", num_identities=40, images_per_identity=10)
    >>> print(summary.format())
    faces: 400 written of 40 identities to 1 shard(s), 0 skipped, 4.2 s
    >>> write_synthetic_photos("gallery/photos", {"enrolled-01": 1_000_000}, images=range(5))
"""

import functools
import os
import shutil
from typing import Dict, Optional

from PIL import Image

from arcface_module.catalog import FACE_SIZE
from face_data.synthetic import face_drawing
from face_data.conversion.writing import OutputOptions, write_outcomes
from face_data.conversion.parallel import chunked
from face_data.records.features import FaceFeatures
from face_data.conversion.summary import ConversionSummary

IMAGES_PER_TASK = 200


def write_synthetic_faces(output_dir, num_identities: int, images_per_identity: int, image_size: int = FACE_SIZE,
                          seed: int = 0, num_shards: Optional[int] = None, first_identity: int = 0,
                          workers: Optional[int] = None, prefix: str = "faces", overwrite: bool = False,
                          features: FaceFeatures = FaceFeatures(), show_progress: bool = True) -> ConversionSummary:
    """Writes `num_identities * images_per_identity` synthetic face records as sharded TFRecords.

    `num_shards` defaults to one per 5000 images; `workers` to every core from 1000 images on.
    The records do not depend on either. Returns the summary (written, identities, shards).
    """
    for name, value, least in (("num_identities", num_identities, 1), ("images_per_identity", images_per_identity, 1),
                               ("image_size", image_size, 16), ("first_identity", first_identity, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise ValueError(f"{name}: expected an integer >= {least}, got {value!r}")
    options = OutputOptions(output_dir, prefix, num_shards, workers, overwrite, show_progress, face_features=features)
    identities = list(range(first_identity, first_identity + num_identities))
    tasks = chunked(identities, max(1, IMAGES_PER_TASK // images_per_identity))
    draw = functools.partial(face_drawing.draw_face_records, seed=seed, images_per_identity=images_per_identity,
                             size=image_size)
    return write_outcomes(tasks, draw, num_identities * images_per_identity, "faces", options)


def write_synthetic_photos(folder: str, people: Dict[str, int], images: range, seed: int = 0,
                           image_size: int = FACE_SIZE) -> None:
    """Writes `folder/<name>/<image>.png` for each person (name -> synthetic identity) and image number.

    The folder is written beside its place and renamed into it when complete: an interrupted drawing
    leaves no folder that looks whole.
    """
    partial = f"{os.fspath(folder).rstrip(os.sep)}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    for name, identity in people.items():
        os.makedirs(os.path.join(partial, name))
        variations = [face_drawing.image_variation(seed, identity, image) for image in images]
        for image, pixels in zip(images, face_drawing.draw_faces(face_drawing.face_identity(seed, identity),
                                                                 variations, image_size)):
            Image.fromarray(pixels).save(os.path.join(partial, name, f"{image}.png"))
    os.rename(partial, folder)
