"""Input cost per worker: the Trainer's input under 1 and 2 workers, the split's files dealt out by file.

Each worker of a multi-worker training reads, decodes and augments only its files (`inputs.worker_files`),
a share of each global batch; with fewer files than workers each reads every file and keeps its share.
Each worker's input runs alone in this process, as `training_dataset` builds it for that worker
(`tf.distribute.InputContext`), and the process's CPU time is counted (on shared cores wall time
measures the neighbours): CPU seconds of input per global step on one worker.
"""

import os
import time

import tensorflow as tf

from bench import measure, train_data
from bench.results import Result
from configs.model import TrainerConfig
from tfx_module.trainer.inputs import training_dataset

NAME = "input_sharding"
TARGET_OF_ONE_WORKER = 0.6


def rewrite(records, folder, count):
    """The records round-robin into `count` gzipped files in `folder`; their pattern."""
    os.makedirs(folder, exist_ok=True)
    writers = [tf.io.TFRecordWriter(os.path.join(folder, f"part-{i:05d}.gz"), "GZIP") for i in range(count)]
    for index, record in enumerate(records):
        writers[index % count].write(record)
    for writer in writers:
        writer.close()
    return os.path.join(folder, "*")


def cpu_seconds_per_batch(dataset, batches):
    """CPU time of this process per batch, over `batches` batches after the first (start-up, shuffle buffer)."""
    iterator = iter(dataset)
    next(iterator)
    start = time.process_time()
    for _ in range(batches):
        next(iterator)
    return (time.process_time() - start) / batches


def run(settings, context):
    start = time.perf_counter()
    data = train_data.prepare(context.scratch_dir, settings["data"])
    records = list(tf.data.TFRecordDataset(data.transformed.files, "GZIP").as_numpy_iterator())
    defaults = TrainerConfig().model_dump(mode="json")
    batch = settings["batch_size"]
    layouts = [(1, settings["files"]), (2, settings["files"]), (2, 1)]
    rows, per_step = [], {}
    for workers, files in layouts:
        pattern = rewrite(records, os.path.join(context.scratch_dir, NAME, str(files)), files)
        seconds = []
        for _ in range(settings["repeats"]):
            for worker in range(workers):
                dataset = training_dataset(
                    [pattern], data.schema, data.transform, batch, defaults["augmentation"], defaults["shuffle_buffer"],
                    defaults["seed"], input_context=tf.distribute.InputContext(workers, worker, workers))
                seconds.append(cpu_seconds_per_batch(dataset, settings["batches"]))
        per_step[workers, files] = measure.summary(seconds)
        rows.append({"workers": workers, "files": files,
                     "read": "its files" if files >= workers else "every file, keeps its share",
                     "images": batch if files < workers else batch // workers,
                     "seconds": measure.summary([1000 * s for s in seconds])})
    one = per_step[1, settings["files"]]
    for row in rows:
        row["of_one"] = measure.ratio_of_medians(per_step[row["workers"], row["files"]], one)
    sharded = rows[1]["of_one"]["median"]
    return Result(
        name=NAME,
        title="Input cost per worker: 1 and 2 workers, the split dealt out by file",
        target=f"with 2 workers and enough files, each worker's input cost per step <= {TARGET_OF_ONE_WORKER}"
        " of one worker's",
        columns=[("workers", "workers"), ("files", "files"), ("read", "each worker reads"),
                 ("images", "images decoded per worker and step"), ("seconds", "input CPU per worker and step (ms)"),
                 ("of_one", "of 1 worker's")],
        rows=rows,
        met=bool(sharded <= TARGET_OF_ONE_WORKER),
        verdict=f"2 workers on {settings['files']} files: {sharded:.2f} of one worker's input cost per step;"
        f" on 1 file (every worker reads every file) {rows[2]['of_one']['median']:.2f}",
        notes=[
            f"The trainer benchmark's transformed faces ({data.num_images:,} at {data.transform.image_size}x"
            f"{data.transform.image_size}), rewritten round-robin into the files of each row; global batch {batch},"
            " the default augmentation and shuffle buffer.",
            f"Each worker's `training_dataset` alone in one process ({settings['batches']} batches after its"
            f" first, {settings['repeats']} repeats): the process's CPU time per batch (tf.data's threads"
            " included; batches it prefetched beyond the last count too).",
        ],
        seconds=time.perf_counter() - start,
    )
