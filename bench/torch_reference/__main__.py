"""python -m bench.torch_reference [--only mbf r50] [--batch-sizes 64 128] [--warmup N] [--repeats N]

In the PyTorch venv (run.sh builds it and runs this): each backbone's train step at each batch
size, `warmup` untimed steps then `repeats` timed ones, on `THREADS` threads; writes the images/s
of each step, the parameter counts, the machine and the load to RESULT_FILE (or --output).
Defaults: the `trainer_peers` benchmark's backbones, batch sizes, warm-up and repeats.
"""

import argparse
import json
import os
import sys

import torch

from bench import machine, measure, settings
from bench.torch_reference import RESULT_FILE
from bench.torch_reference.backbones import BACKBONES
from bench.torch_reference.step import CLASSES, IMAGE_SIZE, TrainStep

# Two threads, as issue 19's figures: the machine kind's 2 cores, one process.
THREADS = 2
PEERS = settings.FULL["trainer_peers"]


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.torch_reference", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(BACKBONES), default=list(PEERS["batch_sizes"]),
                        metavar="BACKBONE", help=f"backbones to measure (default: all of {', '.join(BACKBONES)})")
    parser.add_argument("--batch-sizes", nargs="+", type=int, metavar="N",
                        help="default: trainer_peers' batch sizes of each backbone")
    parser.add_argument("--warmup", type=int, default=PEERS["warmup"], help="untimed steps first")
    parser.add_argument("--repeats", type=int, default=PEERS["repeats"], help="timed steps")
    parser.add_argument("--output", default=RESULT_FILE, help=f"the JSON file to write (default: {RESULT_FILE})")
    return parser.parse_args(argv)


def measure_rows(backbones, batch_sizes, warmup, repeats):
    """One row per backbone and batch size: its parameters and the images/s of each timed step."""
    rows = []
    for name in backbones:
        for batch_size in batch_sizes or PEERS["batch_sizes"][name]:
            torch.manual_seed(0)
            backbone = BACKBONES[name]()
            train = TrainStep(backbone, batch_size)
            for _ in range(warmup):
                train()
            rates = [batch_size / train() for _ in range(repeats)]
            rows.append({"backbone": name, "batch_size": batch_size, "image_size": IMAGE_SIZE,
                         "parameters": sum(p.numel() for p in backbone.parameters()),
                         "images_per_second": measure.summary(rates)})
            print(f"torch_reference: {name} batch {batch_size}: {rows[-1]['images_per_second']['median']:.2f}"
                  f" images/s (median of {repeats})", file=sys.stderr, flush=True)
    return rows


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(THREADS)
    run = machine.starting()
    rows = measure_rows(args.only, args.batch_sizes, args.warmup, args.repeats)
    document = {
        "torch": torch.__version__, "threads": THREADS, "classes": CLASSES, "warmup": args.warmup,
        "machine": machine.cpu(), "run": {**run, "load_end": machine.load_average()}, "rows": rows,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    partial = f"{args.output}.partial"
    with open(partial, "w") as file:
        json.dump(document, file, indent=1)
    os.replace(partial, args.output)  # a reader never sees half a file
    print(args.output)


if __name__ == "__main__":
    main()
