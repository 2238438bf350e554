"""A synthetic face set written as face records: the default data of `make demo` and of the tests.

Identity `i` is the person `face_drawing.face_identity(seed, i)` and gets the int64 label `i`.
Identities `first_identity .. first_identity + num_identities - 1` are written, each with
`images_per_identity` PNG images (RGB, `image_size` square). The same seed and identity always
give the same person and the same images, so two sets of one seed with disjoint label ranges hold
disjoint people (e.g. train on 0..59, evaluate on 60..79), and a bigger set extends a smaller one.

Difficulty is calibrated (tests/face_data/test_synthetic_calibration.py): raw-pixel cosine
similarity verifies pairs of these faces at 55% accuracy (chance is 50%; 50 identities x 8 images).

Example:
    >>> summary = write_synthetic_faces("data/synthetic", num_identities=40, images_per_identity=10)
    >>> print(summary.format())
    faces: 400 written of 40 identities to 1 shard(s), 0 skipped, 4.2 s
"""

import functools
import time

from components.face_data import face_drawing, records
from components.face_data.parallel import available_cores, chunked, map_in_order
from components.face_data.progress import Progress
from components.face_data.shards import ShardedRecordWriter, default_num_shards
from components.face_data.summary import ConversionSummary

# Below this many images a worker pool costs more to start than it saves.
PARALLEL_FROM_IMAGES = 2000
IMAGES_PER_TASK = 200


def write_synthetic_faces(output_dir, num_identities: int, images_per_identity: int, image_size: int = 112,
                          seed: int = 0, num_shards=None, first_identity: int = 0, prefix: str = "faces",
                          features: records.FaceFeatures = records.FaceFeatures(), workers=None,
                          overwrite: bool = False, show_progress: bool = True) -> ConversionSummary:
    """Writes `num_identities * images_per_identity` synthetic face records as sharded TFRecords.

    `num_shards` defaults to one per 5000 images; `workers` to every core for big sets (one
    process below 2000 images). Records are in identity order whatever the worker count.
    Returns the summary (written, identities, shards).
    """
    for name, value, least in (("num_identities", num_identities, 1), ("images_per_identity", images_per_identity, 1),
                               ("image_size", image_size, 16), ("first_identity", first_identity, 0)):
        if not isinstance(value, int) or value < least:
            raise ValueError(f"{name}: expected an integer >= {least}, got {value!r}")
    total = num_identities * images_per_identity
    if workers is None:
        workers = available_cores() if total >= PARALLEL_FROM_IMAGES else 1
    identities = list(range(first_identity, first_identity + num_identities))
    tasks = chunked(identities, max(1, IMAGES_PER_TASK // images_per_identity))
    draw = functools.partial(face_drawing.draw_png_faces, seed=seed, images_per_identity=images_per_identity,
                             size=image_size)

    start = time.monotonic()
    summary = ConversionSummary(kind="faces", identities=num_identities)
    progress = Progress(total, "synthetic faces", enabled=show_progress)
    writer = ShardedRecordWriter(output_dir, prefix, num_shards or default_num_shards(total), overwrite)
    with writer:
        for drawn in map_in_order(draw, tasks, workers):
            for identity, images in drawn:
                for index, image in enumerate(images):
                    example = records.make_face_example(image, identity, features,
                                                        source=f"synthetic identity {identity} image {index}")
                    writer.write(example.SerializeToString())
                progress.advance(len(images))
    progress.finish()
    summary.written, summary.shards = writer.written, writer.paths
    summary.seconds = time.monotonic() - start
    return summary
