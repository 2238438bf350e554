"""Input pipeline: images/s of the Trainer's input vs. the decode ceiling and the train step.

- Trainer's input: `training_dataset` as `run_fn` builds it (the Trainer reads
  and parses the transformed records, shuffles, augments);
- decode ceiling: plain `tf.data` reading and parsing the same records and decoding their images
  as the model reads them (`preprocessing.model_images`), nothing else;
- consumed: the images/s the train step takes, from the trainer benchmark's latest result (the
  plain fit on decoded tensors, the step's own speed).
"""

import time

import tensorflow as tf

from tfx_module.preprocessing import IMAGE_KEY, model_images
from tfx_module.trainer.inputs import training_dataset
from bench import measure, train_data, trainer
from bench.results import Result
from configs.model import TrainerConfig

NAME = "input_pipeline"
REQUIRES = (trainer.NAME,)
TARGET_OF_CEILING = 0.8


def images_per_second(dataset, batch_size, batches):
    """Steady-state rate of a fresh iterator: `batches` batches after its first (start-up) one."""
    iterator = iter(dataset)
    next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batch_size * batches / (time.perf_counter() - start)


def decode_ceiling(data, batch_size):
    """Reading and parsing the transformed records and decoding their images, in parallel, with nothing else."""
    spec = data.tft_output.transformed_feature_spec()
    records = tf.data.TFRecordDataset(data.transformed.files, compression_type="GZIP",
                                      num_parallel_reads=tf.data.AUTOTUNE)

    def decode(batch):
        features = tf.io.parse_example(batch, spec)
        return {**features, IMAGE_KEY: model_images(features[IMAGE_KEY], data.transform)}

    return (records.repeat().batch(batch_size, drop_remainder=True)
            .map(decode, num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))


def run(settings, context):
    start = time.perf_counter()
    data = train_data.prepare(context.scratch_dir, settings["data"])
    # The fastest the train step of each backbone consumed images, at any batch size measured.
    consumed = {}
    for row in context.results[trainer.NAME].rows:
        if row["backbone"] not in consumed or row["plain"]["median"] > consumed[row["backbone"]]["median"]:
            consumed[row["backbone"]] = row["plain"]
    defaults = TrainerConfig().model_dump(mode="json")  # augmentation, shuffle buffer, seed
    rows = []
    for batch_size in settings["batch_sizes"]:
        pipelines = {
            "trainer_input": training_dataset(
                [data.transformed.pattern], data.schema, data.transform, batch_size,
                defaults["augmentation"], defaults["shuffle_buffer"], defaults["seed"]),
            "ceiling": decode_ceiling(data, batch_size),
        }
        rates = {name: [] for name in pipelines}
        for _ in range(settings["repeats"]):  # alternating, as the machine's load drifts
            for name, dataset in pipelines.items():
                rates[name].append(images_per_second(dataset, batch_size, settings["batches"]))
        of_ceiling = measure.summary([t / c for t, c in zip(rates["trainer_input"], rates["ceiling"])])
        rows.append({
            "batch_size": batch_size,
            "trainer_input": measure.summary(rates["trainer_input"]),
            "ceiling": measure.summary(rates["ceiling"]),
            "of_ceiling": of_ceiling,
            **{f"headroom_{backbone}": measure.ratio_of_medians(measure.summary(rates["trainer_input"]), step)
               for backbone, step in consumed.items()},
        })
    lowest = min(row["of_ceiling"]["median"] for row in rows)
    headrooms = [row[key]["median"] for row in rows for key in row if key.startswith("headroom_")]
    met = lowest >= TARGET_OF_CEILING and min(headrooms) > 1
    return Result(
        name=NAME,
        title="Input pipeline: Trainer's input vs. decode ceiling and train step",
        target=f"input never the bottleneck (faster than every train step); >= {TARGET_OF_CEILING}"
        " of the decode ceiling",
        columns=[("batch_size", "batch"), ("trainer_input", "Trainer input (images/s)"),
                 ("ceiling", "decode ceiling (images/s)"), ("of_ceiling", "input / ceiling"),
                 *[(f"headroom_{b}", f"input / {b} step") for b in consumed]],
        rows=rows,
        met=met,
        verdict=f"input at {lowest:.2f} of the ceiling at worst; input / train step at least"
        f" {min(headrooms):.1f}x",
        notes=[
            f"{settings['repeats']} alternating runs of each pipeline, each a fresh iterator timed"
            f" over {settings['batches']} batches after its first (which fills the shuffle buffer).",
            "Measured alone, without a train step competing for the cores; `input / X step` is"
            " the Trainer input's rate over the most images/s the X train step consumed (plain"
            " fit, at any batch size) in the trainer benchmark's latest result.",
        ],
        seconds=time.perf_counter() - start,
    )
