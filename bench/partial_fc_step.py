"""The whole train step at scale: backbone + margin head + logged accuracy + update, full head vs. Partial FC.

The margin_head benchmark times the head alone; this one times `MarginTrainer.train_step`, which
also computes the step's accuracy: over every class under the full head, over the sampled classes
under Partial FC (tfx_module/trainer/logged.py), so a Partial FC step never multiplies the batch
by every class center. Each configuration runs in its own process (`bench.train_step`).
"""

import time

from bench import margin_head
from bench.results import Result

NAME = "partial_fc_step"


def run(settings, context):
    start = time.perf_counter()
    rows, speedup = margin_head.measure_heads("bench.train_step", lambda num_classes, rate: [
        settings["backbone"], settings["image_size"], num_classes, rate, settings["batch_size"], settings["dim"],
        settings["steps"]], settings)
    met, verdict = margin_head.judged(settings, speedup)
    size = settings["image_size"]
    return Result(
        name=NAME,
        title="Whole train step at scale: full softmax vs. Partial FC",
        target=f"at 1e6 classes, Partial FC 0.1 at least {margin_head.TARGET_SPEEDUP:g}x faster than the full"
        " softmax, whole step",
        columns=margin_head.COLUMNS,
        rows=rows,
        met=met,
        verdict=verdict,
        notes=[
            f"`MarginTrainer.train_step` (as the Trainer's loop runs it) with the `{settings['backbone']}` backbone"
            f" on {size}x{size} random images, batch {settings['batch_size']}, {settings['dim']}-d embeddings,"
            " ArcFace margin, the logged accuracy, and a plain SGD update (no momentum or weight decay, so no"
            " optimizer slots: 1e6 x 512 float32 centers are 2 GB); one process per configuration,"
            f" {settings['steps']} timed steps after 1 untimed (tracing) step.",
            f"A small backbone, so that the head's share shows: with r50 or r100 the backbone's cost (the"
            " same in both) narrows the ratio; see the trainer benchmark for the backbones' own speed.",
            margin_head.SPEEDUP_NOTE,
        ],
        seconds=time.perf_counter() - start,
    )
