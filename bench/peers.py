"""The Trainer's images/s against a peer: insightface's arcface_torch, as issue 19 measured it.

No PyTorch runs here: the reference is the figures stated in issue 19 ([P1] Training speed),
measured on "this machine kind (2 cores, AVX2 + FMA, no AVX-512)", PyTorch 2.13 CPU, the
backbone's train step at batch 64, 112x112, one process; the issue gives no date. Beside them,
the Trainer's loop (`run_fn`'s model, input and callbacks, as in the trainer benchmark) on the
same backbones, at each batch size, and the share of the machine's fp32 FLOP ceiling each
reaches: a train step counted as 3x the backbone's forward FLOPs (forward, and the two products
of the backward pass), the head's left out.
"""

import os
import time

import keras

from bench import measure, train_data
from bench.results import Result
from bench.trainer import StepClock, build_as_run_fn, trainer_callbacks, trainer_config
from tfx_module.trainer.loop import train

NAME = "trainer_peers"
# Issue 19's table: arcface_torch's backbone train step, images/s at batch 64.
REFERENCE = {"mbf": 17.4, "r50": 3.4}
REFERENCE_SOURCE = ("insightface arcface_torch, PyTorch 2.13 CPU, batch 64, 112x112, 2 cores"
                    " (AVX2 + FMA, no AVX-512), as stated in issue 19 (no date given)")
# The fp32 peak of that machine kind.
FLOP_CEILING = 190e9
TARGETS = {"mbf": 1.2, "r50": 1.0}
STEP_FLOPS_PER_FORWARD = 3


def forward_flops(backbone):
    """Multiply-adds x 2 of the backbone's convolutions and dense layers, for one image."""
    flops = 0
    for layer in backbone.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
            rows, columns = layer.output.shape[1:3]
            # Each output sums its window over its group's inputs (one input if depthwise).
            kernel = layer.weights[0].shape
            depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
            per_output = kernel[0] * kernel[1] * (1 if depthwise else kernel[2])
            flops += 2 * rows * columns * layer.output.shape[-1] * per_output
        elif isinstance(layer, keras.layers.Dense):
            flops += 2 * layer.weights[0].shape[0] * layer.weights[0].shape[1]
    return flops


def run(settings, context):
    start = time.perf_counter()
    data = train_data.prepare(context.scratch_dir, settings["data"])
    image_size = settings["data"]["image_size"]
    rows = []
    for backbone, batch_sizes in settings["batch_sizes"].items():
        for batch_size in batch_sizes:
            trainer = trainer_config(backbone, batch_size, settings["embedding_size"])
            model, strategy, trainer_input = build_as_run_fn(data, trainer, image_size)
            clock = StepClock()
            log_dir = os.path.join(context.scratch_dir, "peer-logs", f"{backbone}-{batch_size}")
            # The first step traces and fills the shuffle buffer; `warmup` more settle the kernels.
            train(model, trainer_input, strategy, 0, 1 + settings["warmup"] + settings["repeats"],
                  [*trainer_callbacks(trainer, log_dir), clock])
            rates = clock.images_per_second(batch_size)[settings["warmup"]:]
            ours = measure.summary(rates)
            step_flops = STEP_FLOPS_PER_FORWARD * forward_flops(model.backbone)
            # Only the smoke run's "tiny" has no reference.
            reference = REFERENCE.get(backbone)
            rows.append({
                "backbone": backbone, "batch_size": batch_size,
                "reference": reference or "none", "trainer": ours,
                "ratio": measure.summary([rate / reference for rate in rates]) if reference else "none",
                "gflop": step_flops / 1e9,
                "ceiling_share": measure.summary([rate * step_flops / FLOP_CEILING for rate in rates]),
            })
    judged = [row for row in rows if row["batch_size"] == 64 and row["backbone"] in TARGETS]
    met = all(row["ratio"]["median"] >= TARGETS[row["backbone"]] for row in judged) if judged else None
    return Result(
        name=NAME,
        title="Trainer vs. insightface arcface_torch (112x112)",
        target=", ".join(f"{name} >= {target}x the reference at batch 64" for name, target in TARGETS.items()),
        columns=[("backbone", "backbone"), ("batch_size", "batch"),
                 ("reference", "arcface_torch, issue 19 (images/s, batch 64)"),
                 ("trainer", "Trainer loop (images/s)"), ("ratio", "Trainer / reference"),
                 ("gflop", "train step GFLOP / image"), ("ceiling_share", "share of 190 GFLOP/s")],
        rows=rows,
        met=met,
        verdict="; ".join(f"{row['backbone']} batch {row['batch_size']}: {row['ratio']['median']:.2f}x"
                          for row in rows if row["backbone"] in REFERENCE) or "no reference for these backbones",
        notes=[
            f"Reference: {REFERENCE_SOURCE}. Not measured here: this run's machine may differ"
            " (see the machine line above); a ratio is only meaningful on that machine kind.",
            f"Trainer: the model, input (transformed synthetic faces, {data.num_classes} identities,"
            f" augmentation on) and per-step callbacks of `run_fn`, embedding size"
            f" {settings['embedding_size']}; one run per row of 1 + {settings['warmup']} untimed"
            f" steps, then {settings['repeats']} timed steps, each one sample.",
            f"Ceiling share: images/s x {STEP_FLOPS_PER_FORWARD} x the backbone's forward FLOPs"
            " (convolutions and dense layers, 2 per multiply-add) / 190 GFLOP/s, the issue's fp32"
            " peak for 2 AVX2 + FMA cores.",
        ],
        seconds=time.perf_counter() - start,
    )
