"""Scale: time, memory and disk per image of every data stage, on a face set of a few 100,000 records.

The stages the pipeline runs before training, each in a fresh process (`bench.scale_worker`):
conversion (the synthetic faces' writer, the same sharded writer as every converter), TFX's stock
ImportExampleGen, the pipeline's ImportExampleGen with its check of every record (their
difference is the check's cost), and Transform on the train split. docs/scale.md extrapolates the
figures to MS1MV2 and Glint360K.
"""

import glob
import os
import shutil
import time

import tensorflow as tf

from bench import measure
from bench.results import Result

NAME = "scale"
STAGES = ("convert", "example_gen", "checked_example_gen", "transform")


def _records(pattern, compression):
    return sum(1 for _ in tf.data.TFRecordDataset(sorted(glob.glob(pattern)), compression_type=compression))


def _run(stage, *arguments):
    return measure.run_worker("bench.scale_worker", [stage, *arguments], timeout=6 * 3600)


def run(settings, context):
    start = time.perf_counter()
    root = os.path.join(context.scratch_dir, "scale")
    shutil.rmtree(root, ignore_errors=True)
    records_dir, examples = os.path.join(root, "records"), {}
    images = settings["identities"] * settings["images_per_identity"]
    measured = {"convert": _run("convert", records_dir, settings["identities"], settings["images_per_identity"],
                                settings["source_image_size"])}
    record_bytes = measured["convert"]["output_bytes"]
    for stage in ("example_gen", "checked_example_gen"):
        examples[stage] = os.path.join(root, stage)
        measured[stage] = _run(stage, records_dir, examples[stage])
    examples_dir = os.path.join(examples["checked_example_gen"], "examples")
    train_images = _records(os.path.join(examples_dir, "Split-train", "*"), "GZIP")
    measured["transform"] = _run("transform", examples_dir, os.path.join(root, "transformed"), settings["image_size"])
    transform_input = sum(os.path.getsize(path) for path in glob.glob(os.path.join(examples_dir, "Split-train", "*")))
    shutil.rmtree(root)  # gigabytes at full size

    counts = {"convert": images, "example_gen": images, "checked_example_gen": images, "transform": train_images}
    rows = []
    for stage in STAGES:
        result, count = measured[stage], counts[stage]
        rows.append({
            "stage": stage,
            "images": f"{count:,}",
            "seconds": measure.summary([result["seconds"]]),
            "ms_per_image": measure.summary([1000 * result["seconds"] / count]),
            "peak_gib": measure.summary([result["peak_rss_bytes"] / 2**30]),
            "bytes_per_image": measure.summary([result["output_bytes"] / count]),
        })
    check_ms = 1000 * (measured["checked_example_gen"]["seconds"] - measured["example_gen"]["seconds"]) / images
    transformed_ratio = measured["transform"]["output_bytes"] / transform_input
    verdict = (
        f"{images:,} records ({record_bytes / images:,.0f} bytes each): the check of every record costs"
        f" {check_ms:.2f} ms per image on top of ExampleGen's own"
        f" {1000 * measured['example_gen']['seconds'] / images:.2f} ms; Transform writes"
        f" {transformed_ratio:.2f}x the bytes of the records it reads (8-bit PNGs at"
        f" {settings['image_size']}x{settings['image_size']})"
    )
    return Result(
        name=NAME,
        title=f"Scale: {images:,} face records through conversion, ExampleGen, its check and Transform",
        target=f">= 200,000 records through every stage before training; Transform's output at most 1.2x the"
        " records it reads",
        columns=[("stage", "stage"), ("images", "images"), ("seconds", "time (s)"),
                 ("ms_per_image", "ms per image"), ("peak_gib", "peak RSS (GiB)"),
                 ("bytes_per_image", "bytes written per image")],
        rows=rows,
        met=images >= 200_000 and transformed_ratio <= 1.2,
        verdict=verdict,
        notes=[
            f"Synthetic faces drawn at {settings['source_image_size']}x{settings['source_image_size']} px"
            f" (PNG records), {settings['images_per_identity']} per identity, written by"
            " `write_synthetic_faces` in worker processes on every core (its peak RSS is the parent's only).",
            "ExampleGen: the executor of TFX's ImportExampleGen, then the pipeline's (components/"
            "checked_example_gen/: every record parsed and its image decoded in the same Beam job), each"
            " splitting by a hash of the label into train and eval as the pipeline does and writing"
            " gzipped TFRecords; Beam's direct runner with the pipeline's default Beam arguments (one"
            " worker, in memory).",
            f"Transform: `preprocessing_fn` (image_size {settings['image_size']}) analysed and applied"
            " on ExampleGen's train split (3/4 of the images), as in `bench.transform`.",
            "One run per stage (each takes minutes at full size), each in a fresh process.",
        ],
        seconds=time.perf_counter() - start,
    )
