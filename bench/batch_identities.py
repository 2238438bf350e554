"""Identities per batch: the Trainer's batches of identity-ordered records, before and after ExampleGen's shuffle.

Converters (and insightface's `.rec` files) give records in identity order. Label-only records
(a label and an index, so that each is distinct), `images_per_identity` per person, go through:
- before: written in identity order, round-robin into shards as the converters write them
  (`face_data.records.shards.default_num_shards` files);
- after: written as ExampleGen writes a split (`shuffle.shuffled_files`, `shuffle.files_for`);
then both are read by the Trainer's record reading (`inputs.record_dataset`: files sorted, a
fixed interleave, the default shuffle buffer) and cut into batches of `batch_size`, as the Trainer
draws them. Each batch's distinct identities are counted over one pass, against the expected count
of a uniform draw of `batch_size` records without replacement.
"""

import math
import os
import time

import numpy as np
import tensorflow as tf

from bench import measure
from bench.results import Result
from components.checked_example_gen import shuffle
from configs.model import TrainerConfig
from face_data.records.shards import default_num_shards
from tfx_module.trainer.inputs import record_dataset

NAME = "batch_identities"
TARGET_OF_UNIFORM = 0.95
_SPEC = {"label": tf.io.FixedLenFeature([], tf.int64)}


def label_records(identities, images_per_identity):
    """Serialized tf.Examples of a label and an index, in identity order."""
    records = []
    for index in range(identities * images_per_identity):
        features = {"label": [index // images_per_identity], "index": [index]}
        example = tf.train.Example(features=tf.train.Features(feature={
            name: tf.train.Feature(int64_list=tf.train.Int64List(value=value)) for name, value in features.items()}))
        records.append(example.SerializeToString())
    return records


def write_files(directory, files):
    """Each list of records to a gzipped TFRecord file in `directory`, named in list order; the paths."""
    os.makedirs(directory, exist_ok=True)
    paths = []
    for index, records in enumerate(files):
        paths.append(os.path.join(directory, shuffle.file_name(index, len(files))))
        with tf.io.TFRecordWriter(paths[-1], "GZIP") as writer:
            for record in records:
                writer.write(record)
    return paths


def identity_ordered(records):
    """As the converters write: record i into shard i % shards."""
    shards = default_num_shards(len(records))
    return [records[shard::shards] for shard in range(shards)]


def example_gen_order(records, seed):
    """As ExampleGen writes a split."""
    num_files = shuffle.files_for(len(records))
    files = shuffle.shuffled_files(records, seed, num_files)
    return [files.get(index, []) for index in range(num_files)]


def distinct_per_batch(paths, batch_size, shuffle_buffer, seed):
    """Distinct labels in each batch of one pass over the records, as the Trainer reads them."""
    count = sum(1 for _ in tf.data.TFRecordDataset(paths, "GZIP"))
    batches = record_dataset(paths, shuffle_buffer, seed).batch(batch_size).take(count // batch_size)
    return [len(np.unique(tf.io.parse_example(batch, _SPEC)["label"].numpy())) for batch in batches]


def uniform_distinct(identities, images_per_identity, batch_size):
    """Expected distinct identities among `batch_size` records drawn uniformly without replacement."""
    total = identities * images_per_identity
    # P(an identity is missed) = C(total - n, b) / C(total, b), as a product to stay in floats.
    missed = math.prod((total - images_per_identity - k) / (total - k) for k in range(batch_size))
    return identities * (1.0 - missed)


def measure_orders(directory, identities, images_per_identity, batch_size, seed=0):
    """{"before": [...], "after": [...]} distinct identities per batch, and the uniform expectation."""
    records = label_records(identities, images_per_identity)
    shuffle_buffer = TrainerConfig().shuffle_buffer
    counts = {
        order: distinct_per_batch(write_files(os.path.join(directory, order), files), batch_size, shuffle_buffer, seed)
        for order, files in (("before", identity_ordered(records)), ("after", example_gen_order(records, seed)))
    }
    return counts, uniform_distinct(identities, images_per_identity, batch_size)


def run(settings, context):
    start = time.perf_counter()
    counts, uniform = measure_orders(os.path.join(context.scratch_dir, NAME), settings["identities"],
                                     settings["images_per_identity"], settings["batch_size"])
    rows = [{"order": order, "distinct": measure.summary(values), "of_uniform": float(np.mean(values) / uniform)}
            for order, values in counts.items()]
    rows.append({"order": "uniform draw (expected)", "distinct": uniform, "of_uniform": 1.0})
    after = rows[1]["of_uniform"]
    records = settings["identities"] * settings["images_per_identity"]
    return Result(
        name=NAME,
        title="Identities per batch: identity-ordered input, before and after ExampleGen's shuffle",
        target=f"batches hold >= {TARGET_OF_UNIFORM:.0%} of the distinct identities of a uniform draw",
        columns=[("order", "records written"), ("distinct", "distinct identities per batch"),
                 ("of_uniform", "mean / uniform")],
        rows=rows,
        met=bool(after >= TARGET_OF_UNIFORM),
        verdict=f"after the shuffle {np.mean(counts['after']):.1f} distinct identities per batch of"
        f" {settings['batch_size']}, {after:.3f} of a uniform draw's {uniform:.1f} (before:"
        f" {np.mean(counts['before']):.1f})",
        notes=[
            f"{settings['identities']:,} identities x {settings['images_per_identity']} records"
            f" ({records:,}), label-only records; one pass in batches of {settings['batch_size']}"
            f" through the Trainer's record reading with the default shuffle buffer"
            f" ({TrainerConfig().shuffle_buffer}).",
            f"Before: identity order, round-robin into {default_num_shards(records)} shards as the converters"
            f" write; after: ExampleGen's shuffle ({shuffle.files_for(records)} files). Figures per batch:"
            " median (min-max); the uniform figure is exact, not sampled.",
        ],
        seconds=time.perf_counter() - start,
    )
