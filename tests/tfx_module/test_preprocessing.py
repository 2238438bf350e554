"""preprocessing_fn: every image format the pipeline accepts, the crop box, 8-bit PNGs out and their
normalisation where the model reads them, the bytes they take, and the identity vocabulary of the
train split (unseen identities get the sentinel, never a class)."""

import glob
import io
import os

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft
from PIL import Image

from tfx_module import preprocessing
from face_data.synthetic.face_drawing import draw_face_records
from face_data.records.contract import make_face_example
from configs.model import TransformConfig
from tests.tfx_module.transform_fixtures import read_transformed, transform_splits

RGB = (200, 120, 40)
CROP_RIGHT_HALF = TransformConfig(
    image_size=24, crop={"top": 0.0, "left": 0.5, "height": 1.0, "width": 0.5}, normalize_mean=0.0, normalize_std=1.0
)


def encode(pixels, image_format, **options):
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(pixels, np.uint8)).save(buffer, format=image_format, **options)
    return buffer.getvalue()


def solid(colour, height=30, width=20):
    return np.broadcast_to(np.asarray(colour, np.uint8), (height, width, len(colour)))


def two_frame_gif(first, second):
    frames = [Image.fromarray(solid(colour)) for colour in (first, second)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def transparent_half(colour):
    """RGBA pixels of one colour, fully transparent on the left half: alpha must not leak in."""
    pixels = np.concatenate([solid(colour), np.full((30, 20, 1), 255, np.uint8)], axis=-1)
    pixels[:, :10, 3] = 0
    return pixels


@pytest.mark.parametrize(
    "encoded, expected, tolerance",
    [
        (encode(solid(RGB), "JPEG", quality=95), RGB, 2),
        (encode(solid((90,)).squeeze(-1), "JPEG", quality=95), (90, 90, 90), 2),
        (encode(solid(RGB), "PNG"), RGB, 0),
        (encode(solid((90,)).squeeze(-1), "PNG"), (90, 90, 90), 0),
        (encode(transparent_half(RGB), "PNG"), RGB, 0),
        (encode(solid(RGB), "BMP"), RGB, 0),
        (two_frame_gif((255, 0, 0), (0, 0, 255)), (255, 0, 0), 0),
    ],
    ids=["jpeg", "grayscale jpeg", "png", "grayscale png", "rgba png", "bmp", "gif first frame"],
)
def test_every_format_decodes_to_rgb(encoded, expected, tolerance):
    pixels = preprocessing.decode_image(tf.constant(encoded)).numpy()
    assert pixels.shape == (30, 20, 3) and pixels.dtype == np.uint8
    np.testing.assert_allclose(pixels.reshape(-1, 3), np.tile(expected, (600, 1)), atol=tolerance)


@pytest.mark.parametrize(
    "value, mean, std, expected",
    [(0, 0.5, 0.5, -1.0), (255, 0.5, 0.5, 1.0), (51, 0.5, 0.5, -0.6), (51, 0.0, 1.0, 0.2)],
)
def test_images_are_resized_to_8_bits_and_normalised_as_configured(value, mean, std, expected):
    pixels = preprocessing.preprocess_image(tf.constant(encode(solid((value,) * 3), "PNG")), 16)
    assert pixels.shape == (16, 16, 3) and pixels.dtype == tf.uint8
    np.testing.assert_array_equal(pixels, value)
    image = preprocessing.normalize(pixels, mean, std)
    assert image.dtype == tf.float32
    np.testing.assert_allclose(image, expected, atol=1e-6)


def test_crop_fraction_keeps_the_box_in_rows_and_columns():
    image = tf.reshape(tf.range(100 * 80), [100, 80, 1])
    cropped = preprocessing.crop_fraction(image, top=0.1, left=0.25, height=0.5, width=0.5)
    np.testing.assert_array_equal(cropped.numpy(), image.numpy()[10:60, 20:60])
    sliver = preprocessing.crop_fraction(image, top=0.5, left=0.5, height=0.001, width=0.001)
    assert sliver.shape == (1, 1, 1)


def test_crop_happens_before_resizing():
    # Left half black, right half white: cropping the right half leaves a white image.
    pixels = np.concatenate([solid((0, 0, 0), 40, 20), solid((255, 255, 255), 40, 20)], axis=1)
    crop = {"top": 0.0, "left": 0.5, "height": 1.0, "width": 0.5}
    image = preprocessing.preprocess_image(tf.constant(encode(pixels, "PNG")), 16, crop).numpy()
    np.testing.assert_array_equal(image, 255)


@pytest.fixture(scope="module")
def transformed(tmp_path_factory):
    """Identities named by strings, images of mixed formats: black left half, white right half."""
    pixels = np.concatenate([solid((0, 0, 0), 40, 24), solid((255, 255, 255), 40, 24)], axis=1)
    images = [encode(pixels, "PNG"), encode(pixels[..., 0], "PNG"), encode(pixels, "BMP")]

    def records(labels):
        return [make_face_example(images[i % 3], label).SerializeToString() for i, label in enumerate(labels)]

    splits = {"train": records(["ann", "ann", "ann", "bob", "bob", "cy"]), "eval": records(["ann", "dora", "dora"])}
    return transform_splits(splits, tmp_path_factory.mktemp("transform"), CROP_RIGHT_HALF, label_dtype=tf.string)


def test_transform_writes_8_bit_pngs_of_the_crop_which_the_model_reads_normalised(transformed):
    spec = tft.TFTransformOutput(transformed.transform_graph).transformed_feature_spec()
    assert spec["image"] == tf.io.FixedLenFeature([], tf.string)
    for split, count in (("train", 6), ("eval", 3)):
        encoded = read_transformed(transformed, split)["image"]
        assert encoded.shape == (count,)
        for png in encoded:
            pixels = tf.io.decode_png(png)
            assert pixels.shape == (24, 24, 3) and pixels.dtype == tf.uint8
            np.testing.assert_array_equal(pixels, 255)  # the white half
        images = preprocessing.model_images(tf.constant(encoded), CROP_RIGHT_HALF)
        assert images.shape == (count, 24, 24, 3) and images.dtype == tf.float32
        np.testing.assert_allclose(images, 1.0, atol=1e-6)  # as x / 255 (mean 0, std 1)


def test_class_ids_are_contiguous_over_the_train_split_and_unseen_people_get_the_sentinel(transformed):
    output = tft.TFTransformOutput(transformed.transform_graph)
    # Most frequent first: ann (3 images), bob (2), cy (1).
    assert output.vocabulary_by_name(preprocessing.IDENTITY_VOCABULARY) == [b"ann", b"bob", b"cy"]
    assert sorted(read_transformed(transformed, "train")["label"]) == [0, 0, 0, 1, 1, 2]
    # dora is an eval person: the sentinel, never a class; ann keeps her training class.
    assert preprocessing.UNSEEN_IDENTITY == -1
    assert sorted(read_transformed(transformed, "eval")["label"]) == [-1, -1, 0]


def test_identity_counts_give_the_size_of_the_train_split(transformed):
    output = tft.TFTransformOutput(transformed.transform_graph)
    lines = output.vocabulary_by_name(preprocessing.IDENTITY_COUNTS)
    assert sorted(lines) == sorted([b"3 ann", b"2 bob", b"1 cy"])


def test_transformed_faces_take_fewer_bytes_than_their_records(tmp_path):
    # The demo's sizes: faces drawn at 112x112 (PNG records), transformed to 64x64. Float32 pixels
    # took 1.67x the records' bytes; 8-bit PNGs must stay within 1.2x (about 10 s on 2 cores).
    faces = draw_face_records(range(8), seed=0, images_per_identity=4, size=112)
    records = [make_face_example(face.image, face.label).SerializeToString() for face in faces]
    data = transform_splits({"train": records[:24], "eval": records[24:]}, tmp_path, {"image_size": 64})
    sizes = {}
    for split in ("train", "eval"):
        transformed = sum(os.path.getsize(path) for path in glob.glob(data.files(split)))
        sizes[split] = transformed / os.path.getsize(os.path.join(data.raw, f"{split}.tfrecord"))
    print(f"\ntransformed / record bytes: {sizes}")
    assert max(sizes.values()) <= 1.2
