"""The synthetic face set: deterministic, extendable, parallel without changing a byte, and fast."""

import io
import os
import time

import numpy as np
import pytest
from PIL import Image

from face_data.records.reading import read_face_records
from face_data.synthetic.face_set import write_synthetic_faces


def _records(summary):
    return [record for _, record in read_face_records(summary.shards)]


def test_records_hold_rgb_png_faces_with_identity_labels(tmp_path):
    summary = write_synthetic_faces(tmp_path, num_identities=3, images_per_identity=4, image_size=64,
                                    first_identity=5, show_progress=False)
    records = _records(summary)
    assert summary.written == 12 and summary.identities == 3 and not summary.skipped
    assert [record.label for record in records] == [5] * 4 + [6] * 4 + [7] * 4
    image = Image.open(io.BytesIO(records[0].image))
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", (64, 64))
    pixels = [np.asarray(Image.open(io.BytesIO(record.image)), dtype=np.float32) for record in records]
    # Every image differs from every other: pose, light and the rest vary per image.
    assert min(np.abs(a - b).mean() for i, a in enumerate(pixels) for b in pixels[i + 1:]) > 5


def test_same_seed_same_bytes_whatever_the_workers_and_set_size(tmp_path):
    one = write_synthetic_faces(tmp_path / "one", 4, 3, image_size=48, seed=7, workers=1, num_shards=2,
                                show_progress=False)
    two = write_synthetic_faces(tmp_path / "two", 4, 3, image_size=48, seed=7, workers=2, num_shards=2,
                                show_progress=False)
    assert [open(path, "rb").read() for path in one.shards] == [open(path, "rb").read() for path in two.shards]
    tail = write_synthetic_faces(tmp_path / "tail", 2, 3, image_size=48, seed=7, first_identity=2,
                                 show_progress=False)
    assert sorted(_records(tail), key=lambda r: r.image) == sorted(
        [r for r in _records(one) if r.label >= 2], key=lambda r: r.image)
    other_seed = write_synthetic_faces(tmp_path / "other", 4, 3, image_size=48, seed=8, show_progress=False)
    assert not {r.image for r in _records(other_seed)} & {r.image for r in _records(one)}


def test_forty_identities_of_ten_images_take_a_few_seconds(tmp_path):
    wall, cpu = time.perf_counter(), time.process_time()
    summary = write_synthetic_faces(tmp_path, 40, 10, workers=1, show_progress=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"\n40 x 10 synthetic faces at 112x112: {wall:.1f} s wall, {cpu:.1f} s CPU in one process")
    assert summary.written == 400 and os.path.getsize(summary.shards[0]) > 400 * 10_000
    assert cpu < 8.0  # CPU time, not wall time: other jobs share the cores


@pytest.mark.parametrize("arguments, expected", [
    (dict(num_identities=0, images_per_identity=3), "num_identities: expected an integer >= 1, got 0"),
    (dict(num_identities=2, images_per_identity=2.5), "images_per_identity: expected an integer >= 1, got 2.5"),
    (dict(num_identities=2, images_per_identity=2, image_size=8), "image_size: expected an integer >= 16, got 8"),
    (dict(num_identities=2, images_per_identity=2, first_identity=-1), "first_identity: expected an integer >= 0"),
])
def test_bad_arguments_are_refused_before_anything_is_written(tmp_path, arguments, expected):
    with pytest.raises(ValueError, match=expected):
        write_synthetic_faces(tmp_path / "out", **arguments)
    assert not (tmp_path / "out").exists()
