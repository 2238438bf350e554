"""The training input: augmentation drawn per image, repeatable for a seed; batches of the set."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft

from tfx_module.trainer.inputs import augment, training_dataset
from tests.tfx_module.trainer_fixtures import IMAGE_SIZE, TRANSFORM, make_fn_args

SEED = tf.constant([7, 1])
ALL = {"flip": True, "crop_jitter": 0.05, "brightness": 0.1, "contrast": 0.1}


def images(batch=32, size=16):
    return tf.random.stateless_uniform([batch, size, size, 3], [0, 0], -1.0, 1.0)


def test_augmentation_repeats_for_a_seed_and_changes_with_it():
    x = images()
    np.testing.assert_array_equal(augment(x, SEED, **ALL), augment(x, SEED, **ALL))
    assert not np.allclose(augment(x, SEED, **ALL), augment(x, SEED + 1, **ALL))


def test_flip_mirrors_some_images_and_leaves_the_others():
    x = images().numpy()
    out = augment(x, SEED, flip=True).numpy()
    mirrored = np.array([np.array_equal(o, i[:, ::-1]) for o, i in zip(out, x)])
    unchanged = np.array([np.array_equal(o, i) for o, i in zip(out, x)])
    assert np.all(mirrored | unchanged)
    assert 4 <= mirrored.sum() <= 28  # about half of 32


def test_crop_jitter_shifts_each_image_by_at_most_the_jitter():
    # A ramp along the columns: a shift by d pixels adds d to every inner pixel.
    size, jitter = 16, 0.1
    ramp = tf.broadcast_to(tf.range(size, dtype=tf.float32)[None, None, :, None], [32, size, size, 3])
    shift = (augment(ramp, SEED, flip=False, crop_jitter=jitter) - ramp).numpy()[:, 2:-2, 2:-2]
    per_image = shift.reshape(32, -1)
    np.testing.assert_allclose(per_image - per_image[:, :1], 0.0, atol=1e-4)
    assert np.abs(per_image).max() <= jitter * (size - 1) + 1e-4
    assert np.ptp(per_image[:, 0]) > 0.1  # shifts differ between images


def test_brightness_adds_one_bounded_value_per_image():
    x = images()
    shift = (augment(x, SEED, flip=False, brightness=0.1) - x).numpy().reshape(32, -1)
    np.testing.assert_allclose(shift - shift[:, :1], 0.0, atol=1e-6)
    assert np.abs(shift).max() <= 0.1 and np.ptp(shift[:, 0]) > 0.01


def test_contrast_scales_deviations_from_each_channel_mean():
    x = images().numpy()
    out = augment(x, SEED, flip=False, contrast=0.2).numpy()
    mean = x.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(out.mean(axis=(1, 2), keepdims=True), mean, atol=1e-5)
    factor = ((out - mean) / (x - mean)).reshape(32, -1)
    np.testing.assert_allclose(factor - np.median(factor, axis=1, keepdims=True), 0.0, atol=1e-3)
    assert np.all((factor > 0.8 - 1e-3) & (factor < 1.2 + 1e-3))


@pytest.fixture(scope="module")
def dataset_for(transformed_faces, tmp_path_factory):
    fn_args = make_fn_args(transformed_faces, tmp_path_factory.mktemp("inputs"), {"train_steps": 1})
    schema = tft.TFTransformOutput(fn_args.transform_graph_path).transformed_metadata.schema
    return lambda first_step: training_dataset(
        fn_args.train_files, schema, TRANSFORM, 16, ALL, 64, seed=0, first_step=first_step
    )


def test_batches_hold_augmented_images_and_class_ids_and_a_resumed_stream_is_new(dataset_for):
    batch_images, class_ids = next(iter(dataset_for(0)))
    assert batch_images.shape == (16, IMAGE_SIZE, IMAGE_SIZE, 3) and batch_images.dtype == tf.float32
    assert class_ids.shape == (16,) and class_ids.dtype == tf.int64
    assert set(class_ids.numpy()) <= set(range(8))
    np.testing.assert_array_equal(next(iter(dataset_for(0)))[0], batch_images)  # repeatable
    assert not np.allclose(next(iter(dataset_for(6)))[0], batch_images)  # resumed at step 6: fresh draws
