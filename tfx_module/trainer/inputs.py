"""The training input pipeline: transformed examples -> shuffled, augmented (images, class ids) batches.

Augmentation runs on whole batches, vectorised, and draws its randomness from stateless ops
seeded by (seed, step): a batch is augmented the same way however many parallel calls or
replicas there are, and a resumed training does not replay the augmentations it already saw.
"""

import tensorflow as tf
from tfx_bsl.public import tfxio

from tfx_module.preprocessing import IMAGE_KEY, LABEL_KEY, model_images


def augment(images, seed, flip=True, crop_jitter=0.0, brightness=0.0, contrast=0.0):
    """Random horizontal flip, shift, brightness and contrast, drawn per image of a batch.

    Args:
        images: float32 `[batch, height, width, channels]` normalised images.
        seed: int `[2]` tensor: the same seed gives the same changes.
        flip: mirror each image left-right with probability 1/2.
        crop_jitter: largest shift, in fractions of the image size; uncovered pixels become 0
            (mid-grey under the default normalisation).
        brightness: largest value added to every pixel of an image.
        contrast: each image's contrast is scaled by a factor drawn in `[1 - contrast, 1 + contrast]`.

    Example:

    >>> images = tf.zeros([8, 32, 32, 3])
    >>> augment(images, tf.constant([0, 1]), crop_jitter=0.05, brightness=0.1).shape
    TensorShape([8, 32, 32, 3])
    """
    flip_seed, shift_seed, brightness_seed, contrast_seed = tf.unstack(
        tf.random.experimental.stateless_split(seed, 4)
    )
    batch = tf.shape(images)[0]
    # Every pass over a batch of pixels counts (on 2 CPU cores the augmentation took as long as
    # parsing the batch), so flip and shift share one resampling, and brightness and contrast
    # one multiply-add: 1.7x the speed of one op per change.
    if flip or crop_jitter:
        # A box of the image's own size, shifted: a crop that moves the face by up to the jitter.
        if crop_jitter:
            offsets = tf.random.stateless_uniform([batch, 2], shift_seed, -crop_jitter, crop_jitter)
        else:
            offsets = tf.zeros([batch, 2])
        top, left = tf.unstack(offsets, axis=1)
        x1, x2 = left, left + 1.0
        if flip:
            # tf.image.stateless_random_flip_left_right's draw. Mirroring, then shifting by
            # `left`, samples the columns of the box from 1 - left to -left.
            mirrored = tf.random.stateless_uniform([batch], flip_seed) > 0.5
            x1, x2 = tf.where(mirrored, 1.0 - left, x1), tf.where(mirrored, -left, x2)
        boxes = tf.stack([top, x1, top + 1.0, x2], axis=1)
        images = tf.image.crop_and_resize(images, boxes, tf.range(batch), images.shape[1:3])
    shift = 0.0
    if brightness:
        shift = tf.random.stateless_uniform([batch, 1, 1, 1], brightness_seed, -brightness, brightness)
    if contrast:
        factor = tf.random.stateless_uniform([batch, 1, 1, 1], contrast_seed, 1 - contrast, 1 + contrast)
        # The brightness shift, then the contrast around the shifted mean m + shift:
        # (x + shift - m - shift) * factor + m + shift.
        mean = tf.reduce_mean(images, axis=[1, 2], keepdims=True)
        images = images * factor + ((1.0 - factor) * mean + shift)
    elif brightness:
        images += shift
    return images


def training_dataset(data_accessor, files, schema, transform, batch_size, augmentation, shuffle_buffer, seed,
                     first_step=0):
    """An endless dataset of `(images, class_ids)` batches of the transformed training examples.

    Args:
        data_accessor: the Trainer's `fn_args.data_accessor`.
        files: file patterns of the transformed training split (`fn_args.train_files`).
        schema: the transformed schema (`tft_output.transformed_metadata.schema`).
        transform: the pipeline config's `transform` section (a dict): Transform's images are
            decoded and normalised as it says (`preprocessing.model_images`), then augmented.
        batch_size: the global batch size; a distribution strategy splits each batch.
        augmentation: the trainer config's `augmentation` section (a dict), see `augment`.
        shuffle_buffer: examples in the shuffle buffer.
        seed: seeds the shuffle and the augmentation.
        first_step: the step the first batch is for: a resumed training draws new shuffles
            and augmentations instead of repeating those of the steps it already took.
    """
    dataset = data_accessor.tf_dataset_factory(
        files,
        tfxio.TensorFlowDatasetOptions(
            batch_size=batch_size,
            shuffle=True,
            shuffle_buffer_size=shuffle_buffer,
            shuffle_seed=seed + first_step,
            num_epochs=None,
            # Never a partial batch, endless as it is: a static batch size lets a strategy
            # split each batch after augmentation instead of rewriting the batching.
            drop_final_batch=True,
        ),
        schema,
    )

    def to_batch(step, features):
        images = model_images(features[IMAGE_KEY], transform)
        images = augment(images, tf.stack([tf.cast(seed, tf.int64), step]), **augmentation)
        return images, tf.reshape(features[LABEL_KEY], [-1])

    dataset = dataset.enumerate(start=first_step).map(to_batch, num_parallel_calls=tf.data.AUTOTUNE)
    options = tf.data.Options()
    # Every worker reads the same stream and keeps its share of each global batch, so N workers
    # train on exactly the batches one device would.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)
