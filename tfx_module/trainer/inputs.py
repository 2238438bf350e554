"""The training input pipeline: transformed examples -> shuffled, augmented (images, class ids) batches.

The records are read in a fixed order (the split's files sorted, a fixed number read at a
time, interleaved deterministically), so the same files give the Trainer the same batches on
any machine. ExampleGen writes each split in a random order (components/checked_example_gen/
shuffle.py): the shuffle buffer only decorrelates neighbours, it does not have to undo an
identity order.

Under several workers each reads only its share of the files (`worker_files`), so input cost
per worker falls as workers are added; with fewer files than workers, every worker reads every
file and keeps its share of each global batch instead.

Augmentation runs on whole batches, vectorised, and draws its randomness from stateless ops
seeded by (seed, step): a batch is augmented the same way however many parallel calls or
replicas there are, and a resumed training does not replay the augmentations it already saw.
"""

import logging

import tensorflow as tf
from tensorflow_transform.tf_metadata import schema_utils

from tfx_module.preprocessing import IMAGE_KEY, LABEL_KEY, model_images

logger = logging.getLogger(__name__)
# Files read at once, their records interleaved in a fixed order: parallel reads, a fixed order.
PARALLEL_READS = 4


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


def split_files(file_patterns):
    """The files of a split's patterns (`fn_args.train_files`), sorted: every worker lists them alike."""
    files = sorted(path for pattern in file_patterns for path in tf.io.gfile.glob(pattern))
    if not files:
        raise ValueError(f"training input: no file matches {list(file_patterns)}")
    return files


def worker_files(files, input_context):
    """This worker's files, `files[worker::workers]`, or None when there are fewer files than workers.

    Args:
        files: the split's files, sorted (`split_files`).
        input_context: a `tf.distribute.InputContext` (its input pipelines are the workers).
    """
    workers = input_context.num_input_pipelines
    if len(files) < workers:
        return None
    return files[input_context.input_pipeline_id::workers]


def record_dataset(files, shuffle_buffer, seed):
    """Endless serialized records of `files`: read in a fixed order, shuffled in a seeded buffer.

    Example:

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "a.gz")
    >>> with tf.io.TFRecordWriter(path, "GZIP") as writer:
    ...     for i in range(4):
    ...         writer.write(str(i).encode())
    >>> sorted(r.numpy() for r in record_dataset([path], shuffle_buffer=4, seed=0).take(4))
    [b'0', b'1', b'2', b'3']
    """
    compression = "GZIP" if files[0].endswith(".gz") else ""
    records = tf.data.TFRecordDataset(files, compression, num_parallel_reads=min(PARALLEL_READS, len(files)))
    # Reshuffled at every pass, as the seed decides.
    return records.shuffle(shuffle_buffer, seed=seed).repeat()


def training_dataset(files, schema, transform, batch_size, augmentation, shuffle_buffer, seed, first_step=0,
                     input_context=None):
    """An endless dataset of `(images, class_ids)` batches of the transformed training examples.

    Args:
        files: file patterns of the transformed training split (`fn_args.train_files`).
        schema: the transformed schema (`tft_output.transformed_metadata.schema`).
        transform: the pipeline config's `transform` section (a `TransformConfig`): Transform's images are
            decoded and normalised as it says (`preprocessing.model_images`), then augmented.
        batch_size: the global batch size, split over the workers and their replicas.
        augmentation: the trainer config's `augmentation` section (a dict), see `augment`.
        shuffle_buffer: examples in the shuffle buffer.
        seed: seeds the shuffle and the augmentation.
        first_step: the step the first batch is for: a resumed training draws new shuffles
            and augmentations instead of repeating those of the steps it already took.
        input_context: a `tf.distribute.InputContext` (`strategy.distribute_datasets_from_function`
            gives it); None is one worker and one replica. The batches are then per replica.
    """
    input_context = input_context or tf.distribute.InputContext()
    workers, worker = input_context.num_input_pipelines, input_context.input_pipeline_id
    files = split_files(files)
    own_files = worker_files(files, input_context)
    if own_files is None and workers > 1:
        logger.warning("training input: %d file(s) for %d workers: every worker reads every file and keeps "
                       "its share of each batch (input cost per worker does not fall)", len(files), workers)
    # Every worker draws the global batch itself when it reads every file, else its own share.
    read_batch = batch_size if own_files is None else batch_size // workers
    spec = schema_utils.schema_as_feature_spec(schema).feature_spec
    dataset = record_dataset(files if own_files is None else own_files, shuffle_buffer, seed + first_step)
    # Never a partial batch, endless as it is: a static batch size lets the batch be split after augmentation.
    dataset = dataset.batch(read_batch, drop_remainder=True)

    def to_batch(step, records):
        features = tf.io.parse_example(records, spec)
        step_seed = tf.stack([tf.cast(seed, tf.int64), step])
        if own_files is not None and workers > 1:
            # Workers read different records: their augmentations must differ too.
            step_seed = tf.random.experimental.stateless_fold_in(step_seed, worker)
        images = augment(model_images(features[IMAGE_KEY], transform), step_seed, **augmentation)
        class_ids = tf.reshape(features[LABEL_KEY], [-1])
        if own_files is None and workers > 1:
            share = slice(worker * batch_size // workers, (worker + 1) * batch_size // workers)
            images, class_ids = images[share], class_ids[share]
        return images, class_ids

    dataset = dataset.enumerate(start=first_step).map(to_batch, num_parallel_calls=tf.data.AUTOTUNE)
    per_replica = input_context.get_per_replica_batch_size(batch_size)
    if per_replica < batch_size // workers:
        dataset = dataset.rebatch(per_replica)  # this worker's replicas take consecutive parts
    return dataset.prefetch(tf.data.AUTOTUNE)
