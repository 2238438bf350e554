"""Importing insightface's models: seconds to read an r100 `.pth` and its ONNX export into the Keras backbone.

PyTorch (its venv, $ARCFACE_TORCH_VENV, `make torch-venv`) writes an arcface_torch r100 with random
weights as the model zoo's files are written (bench.torch_reference.export); each is then
imported `repeats` times: reading the file (`pretrained.torch_checkpoint`, `pretrained.onnx_graph`)
and loading it into a built backbone (`load_state_dict`), and `python -m pretrained`'s whole
conversion (the same, plus building the backbone and writing the starting model).
"""

import os
import subprocess
import sys
import time

import arcface_module
from arcface_module.backbones.arcface_torch import load_state_dict
from bench import measure
from bench.results import Result
from pretrained import onnx_graph, torch_checkpoint
from arcface_module.catalog import FACE_SIZE
from pretrained.cli import EMBEDDING_SIZE, convert

NAME = "pretrained_import"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET_SECONDS = 60  # a conversion is done once per model: a minute is nothing beside a training


def export_with_pytorch(backbone, directory):
    """The backbone's `.pth` and `.onnx` with random weights, written by PyTorch in its venv."""
    python = os.path.join(os.environ.get("ARCFACE_TORCH_VENV", ""), "bin", "python")
    if not os.path.exists(python):
        raise RuntimeError(f"no PyTorch venv at ARCFACE_TORCH_VENV={os.environ.get('ARCFACE_TORCH_VENV')!r}: "
                           "`make torch-venv` builds it")
    command = [python, "-W", "ignore", "-m", "bench.torch_reference.export", backbone, "--output", directory]
    done = subprocess.run(command, cwd=REPO, env={**os.environ, "PYTHONPATH": REPO}, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"PyTorch's export failed:\n{done.stderr[-3000:]}")
    return os.path.join(directory, backbone)


def read_and_load(path, backbone):
    if path.endswith(".onnx"):
        return load_state_dict(backbone, onnx_graph.read_state_dict(path, backbone)[0])
    return load_state_dict(backbone, torch_checkpoint.read_state_dict(path))


def run(settings, context):
    start = time.perf_counter()
    name = settings["backbone"]
    files = export_with_pytorch(name, os.path.join(context.scratch_dir, "pretrained"))
    backbone = arcface_module.get_backbone(name, EMBEDDING_SIZE, (FACE_SIZE, FACE_SIZE, 3))
    rows = []
    for file_format in ("pth", "onnx"):
        path = os.path.join(files, f"backbone.{file_format}")
        loads, conversions = [], []
        for repeat in range(settings["repeats"]):
            began = time.perf_counter()
            tensors = len(read_and_load(path, backbone))
            loads.append(time.perf_counter() - began)
            began = time.perf_counter()
            convert(path, name, os.path.join(context.scratch_dir, f"{file_format}-{repeat}"))
            conversions.append(time.perf_counter() - began)
            print(f"bench: {name} {file_format}: read and load {loads[-1]:.1f} s, conversion {conversions[-1]:.1f} s",
                  file=sys.stderr, flush=True)
        rows.append({"format": file_format, "megabytes": round(os.path.getsize(path) / 1e6), "tensors": tensors,
                     "read_and_load": measure.summary(loads), "conversion": measure.summary(conversions)})
    slowest = max(row["conversion"]["median"] for row in rows)
    return Result(
        name=NAME,
        title=f"Importing an arcface_torch {name} (.pth and ONNX) into the Keras backbone",
        target=f"a conversion under {TARGET_SECONDS} s",
        columns=[("format", "file"), ("megabytes", "MB"), ("tensors", "tensors"),
                 ("read_and_load", "read + load s"), ("conversion", "python -m pretrained s")],
        rows=rows,
        met=slowest < TARGET_SECONDS,
        verdict=f"slowest conversion {slowest:.1f} s ({'under' if slowest < TARGET_SECONDS else 'OVER'} "
                f"{TARGET_SECONDS} s)",
        notes=[f"arcface_torch's {name} with random weights, written by PyTorch 2.13 (torch.save of the state dict; "
               "torch.onnx.export as torch2onnx.py, BatchNorms folded); "
               f"{settings['repeats']} imports of each. read + load: the file read into NumPy and loaded into a "
               "built backbone; python -m pretrained: the whole conversion (backbone built, file read and loaded, "
               "backbone.keras and starting_model.json written)."],
        seconds=time.perf_counter() - start,
    )
