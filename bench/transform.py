"""Transform: images/s and peak memory of tf.Transform with the project's preprocessing_fn.

Synthetic face records (drawn small, to keep generating them cheap) are analysed and transformed
at each size in a fresh process (`bench.transform_worker`), so each size's peak memory is its own.
"""

import os
import time

import numpy as np

from bench import faces, measure
from bench.results import Result

NAME = "transform"
IMAGES_PER_IDENTITY = 10
# Operational targets: every size's time within this fraction of a straight line through all
# sizes (linear), and the largest size's peak memory at most this multiple of the smallest's (flat).
LINEAR_TOLERANCE = 0.10
FLAT_MEMORY_GROWTH = 1.25


def _linear_fit(sizes, seconds):
    """Least-squares `seconds = fixed + per_image * images`; returns (fixed, per_image, worst deviation)."""
    per_image, fixed = np.polyfit(sizes, seconds, 1)
    deviation = np.abs(fixed + per_image * np.asarray(sizes) - seconds) / np.asarray(seconds)
    return float(fixed), float(per_image), float(deviation.max())


def run(settings, context):
    start = time.perf_counter()
    rows, medians, peaks = [], [], []
    for num_images in settings["sizes"]:
        raw_pattern = faces.raw_faces(
            os.path.join(context.scratch_dir, f"raw-{num_images}"),
            num_identities=num_images // IMAGES_PER_IDENTITY,
            images_per_identity=IMAGES_PER_IDENTITY,
            image_size=settings["source_image_size"],
        )
        measured = measure.run_worker(
            "bench.transform_worker",
            [raw_pattern, os.path.join(context.scratch_dir, f"transformed-{num_images}"),
             settings["image_size"], settings["repeats"]],
        )
        seconds = measure.summary(measured["seconds"])
        peak = measure.summary([b / 2**30 for b in measured["peak_rss_bytes"]])
        medians.append(seconds["median"])
        peaks.append(peak["median"])
        rows.append({
            "images": f"{num_images:,}",
            "seconds": seconds,
            "images_per_s": measure.summary([num_images / s for s in measured["seconds"]]),
            "peak_gib": peak,
        })
    sizes = settings["sizes"]
    fixed, per_image, deviation = _linear_fit(sizes, medians) if len(sizes) > 1 else (0.0, medians[0] / sizes[0], 0.0)
    growth = peaks[-1] / peaks[0]
    linear, flat = deviation <= LINEAR_TOLERANCE, growth <= FLAT_MEMORY_GROWTH
    return Result(
        name=NAME,
        title="Transform: tf.Transform throughput and peak memory",
        target="time linear in the number of images, memory flat",
        columns=[("images", "images"), ("seconds", "time (s)"), ("images_per_s", "images/s"),
                 ("peak_gib", "peak RSS (GiB)")],
        rows=rows,
        met=(linear and flat) if len(sizes) > 1 else None,
        verdict=f"time = {fixed:.1f} s + {1000 * per_image:.2f} ms/image"
        + (f" (marginal {1 / per_image:,.0f} images/s)" if per_image > 0 else "")
        + f", every size within {deviation:.0%} of that line"
        f" ({'linear' if linear else 'NOT linear'}: tolerance {LINEAR_TOLERANCE:.0%}); peak memory"
        f" x{growth:.2f} from {sizes[0]:,} to {sizes[-1]:,} images"
        f" ({'flat' if flat else 'NOT flat'}: tolerance x{FLAT_MEMORY_GROWTH})",
        notes=[
            f"`AnalyzeAndTransformDataset` (tft_beam) with `preprocessing_fn` (image_size"
            f" {settings['image_size']}), Beam's direct runner with the pipeline's default Beam"
            " arguments, writing gzipped tf.Examples and the transform graph as the Transform"
            " component does (one split, no statistics).",
            f"Input: synthetic PNG faces drawn at {settings['source_image_size']}x"
            f"{settings['source_image_size']} px (small, to keep generating them cheap; decoding"
            f" them is correspondingly cheap), {IMAGES_PER_IDENTITY} per identity.",
            f"One process per size, {settings['repeats']} runs each; peak RSS is the process's"
            " resident high-water mark during each run (reset before it), TensorFlow and Beam included.",
        ],
        seconds=time.perf_counter() - start,
    )
