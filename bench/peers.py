"""The Trainer's images/s against a peer: insightface's arcface_torch, stated and measured here.

Two references. The figures stated in issue 19 ([P1] Training speed), measured on "this machine
kind (2 cores, AVX2 + FMA, no AVX-512)", PyTorch 2.13 CPU, the backbone's train step at batch 64,
112x112, one process; the issue gives no date. And, when `bench/torch_reference/run.sh` has run
on this machine (`make bench` runs it first), PyTorch 2.13 measured here: arcface_torch's
architectures written in PyTorch (bench/torch_reference), its ArcFace head and SGD step, at each
batch size; the verdict judges against it when it is there. Beside them, the Trainer's loop
(`run_fn`'s model, input and callbacks, as in the trainer benchmark) on the same backbones, and
the share of the machine's fp32 FLOP ceiling each reaches: a train step counted as 3x the
backbone's forward FLOPs (forward, and the two products of the backward pass), the head's left out.
"""

import json
import os
import time

import keras

from bench import machine, measure, train_data
from bench.torch_reference import RESULT_FILE
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


def measured_here(image_size):
    """PyTorch's rows from RESULT_FILE by (backbone, batch size), and the file, if measured on this
    machine at `image_size`; ({}, None) if not."""
    if not os.path.exists(RESULT_FILE):
        return {}, None
    with open(RESULT_FILE) as file:
        document = json.load(file)
    if document["machine"] != machine.cpu():
        return {}, None
    return {(row["backbone"], row["batch_size"]): row for row in document["rows"]
            if row["image_size"] == image_size}, document


def trainable_parameters(model):
    return sum(int(keras.ops.size(weight)) for weight in model.trainable_weights)


def _ratio(rates, reference):
    return measure.summary([rate / reference for rate in rates]) if reference else "none"


def run(settings, context):
    start = time.perf_counter()
    data = train_data.prepare(context.scratch_dir, settings["data"])
    image_size = settings["data"]["image_size"]
    torch_rows, torch_run = measured_here(image_size)
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
            torch_row = torch_rows.get((backbone, batch_size))
            parameters = trainable_parameters(model.backbone)
            if torch_row and torch_row["parameters"] != parameters:
                raise ValueError(f"{RESULT_FILE}: PyTorch's {backbone} has {torch_row['parameters']:,} parameters,"
                                 f" ours {parameters:,}: expected the same architecture")
            rows.append({
                "backbone": backbone, "batch_size": batch_size,
                "parameters": f"{parameters:,} / " + (f"{torch_row['parameters']:,}" if torch_row else "-"),
                # Only the smoke run's "tiny" has no stated reference.
                "reference": REFERENCE.get(backbone, "none"),
                "torch_here": torch_row["images_per_second"] if torch_row else "not run",
                "trainer": ours,
                "ratio": _ratio(rates, REFERENCE.get(backbone)),
                "ratio_here": (measure.ratio_of_medians(ours, torch_row["images_per_second"]) if torch_row
                               else "not run"),
                "gflop": step_flops / 1e9,
                "ceiling_share": measure.summary([rate * step_flops / FLOP_CEILING for rate in rates]),
            })
    judged = [row for row in rows if row["batch_size"] == 64 and row["backbone"] in TARGETS]
    # Against PyTorch measured here when every judged row has it: same machine, same hour.
    here = bool(judged) and all(row["ratio_here"] != "not run" for row in judged)
    basis = "ratio_here" if here else "ratio"
    met = all(row[basis]["median"] >= TARGETS[row["backbone"]] for row in judged) if judged else None

    def ratios(key):
        return "; ".join(f"{row['backbone']} batch {row['batch_size']}: {row[key]['median']:.2f}x"
                         for row in rows if isinstance(row[key], dict))

    verdict = "; ".join(part for part in (
        ratios("ratio_here") and f"against PyTorch here{' (judged)' if here else ''}: {ratios('ratio_here')}",
        ratios("ratio") and f"against issue 19's figures{'' if here else ' (judged)'}: {ratios('ratio')}",
    ) if part) or "no reference for these backbones"
    torch_note = (
        f"PyTorch here: PyTorch {torch_run['torch']} measured on this machine at {torch_run['run']['date']}"
        f" (load average {torch_run['run']['load_start']} at its start, {torch_run['run']['load_end']} at its"
        f" end), {torch_run['threads']} threads, one process: arcface_torch's architectures written in"
        " PyTorch (bench/torch_reference; parameters column: ours / its), a train step of the backbone, a"
        f" {torch_run['classes']}-class ArcFace head, cross-entropy and SGD on a fixed random batch (no input"
        f" pipeline); {torch_run['warmup']} untimed steps, then each timed step one sample. Run outside ./dev"
        " by bench/torch_reference/run.sh (its own Python 3.11 venv), which `make bench` runs first."
        if torch_run else
        "PyTorch here: not run on this machine (bench/torch_reference/run.sh measures it, outside ./dev;"
        " `make bench` runs it first); judged against issue 19's figures."
    )
    return Result(
        name=NAME,
        title=f"Trainer vs. insightface arcface_torch ({image_size}x{image_size})",
        target=", ".join(f"{name} >= {target}x the reference at batch 64" for name, target in TARGETS.items())
        + " (PyTorch measured here if run, else issue 19's figures)",
        columns=[("backbone", "backbone"), ("batch_size", "batch"), ("parameters", "parameters"),
                 ("reference", "arcface_torch, issue 19 (images/s, batch 64)"),
                 ("torch_here", "PyTorch here (images/s)"),
                 ("trainer", "Trainer loop (images/s)"), ("ratio", "Trainer / issue 19"),
                 ("ratio_here", "Trainer / PyTorch here"),
                 ("gflop", "train step GFLOP / image"), ("ceiling_share", "share of 190 GFLOP/s")],
        rows=rows,
        met=met,
        verdict=verdict,
        notes=[
            f"Issue 19: {REFERENCE_SOURCE}. Not measured here: this run's machine may differ"
            " (see the machine line above); a ratio to it is only meaningful on that machine kind.",
            torch_note,
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
