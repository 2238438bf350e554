"""The TF-free preprocessing (serving/preprocessing.py) gives Transform's pixels (tfx_module/preprocessing.py).

Transform's `preprocess_image` is the graph the SavedModel runs on image bytes; the NumPy + Pillow
version runs before ONNX and TFLite. Both on real ORL faces as JPEG, gray PNG and RGBA PNG, with
and without a crop box, shrinking (64) and enlarging (150). About 3 s.
"""

import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from serving import preprocessing
from orl_inputs import KINDS, encode
from tfx_module.preprocessing import preprocess_image

CROP = {"top": 0.1, "left": 0.15, "height": 0.7, "width": 0.66}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("image_size, crop", [(64, None), (150, None), (64, CROP)])
def test_numpy_preprocessing_matches_transform(orl_dir, kind, image_size, crop):
    transform = {"image_size": image_size, "crop": crop, "normalize_mean": 0.5, "normalize_std": 0.5}
    spec = preprocessing.spec_from_transform(transform)
    for person, image in [(1, 1), (7, 4), (23, 9)]:
        gray = np.asarray(Image.open(os.path.join(orl_dir, f"s{person}", f"{image}.pgm")))
        data = encode(gray, kind)
        expected = preprocess_image(tf.constant(data), image_size, crop).numpy()
        actual = preprocessing.preprocess([data], spec)[0]
        assert actual.shape == expected.shape == (image_size, image_size, 3) and actual.dtype == np.uint8
        # 8-bit pixels: the resize filters agree to 0.003 of a level, so at most a rare pixel whose
        # value sits at a half level rounds the other way.
        difference = np.abs(actual.astype(int) - expected.astype(int))
        assert difference.max() <= 1, f"s{person}/{image}.pgm as {kind}"
        assert (difference > 0).mean() < 0.01, f"s{person}/{image}.pgm as {kind}"


def test_the_spec_round_trips_through_its_file(tmp_path):
    spec = preprocessing.spec_from_transform(
        {"image_size": 112, "crop": CROP, "normalize_mean": 0.5, "normalize_std": 0.5})
    (tmp_path / preprocessing.FILE_NAME).write_text(__import__("json").dumps(spec))
    assert preprocessing.read_spec(str(tmp_path)) == {**spec, "input": {**spec["input"], "shape": [None, 112, 112, 3]}}
    (tmp_path / preprocessing.FILE_NAME).write_text('{"version": 99}')
    with pytest.raises(ValueError, match="expected preprocessing version 1, got 99"):
        preprocessing.read_spec(str(tmp_path))
