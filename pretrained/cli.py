"""Converts an insightface arcface_torch model (`.pth` or ONNX) into a starting model the Trainer warm-starts from.

    python -m pretrained backbone.pth --backbone r50 --output models/r50-glint360k
    python -m pretrained model.onnx --backbone r100 --output models/r100-ms1mv3 [--embedding-size 512]

Reads the file without PyTorch (a `.pth` through a restricted reader that runs none of its
pickle; an ONNX file with the `onnx` package, matched to the backbone layer by layer), loads
every tensor into arcface_module's backbone of that name, prints each tensor and the Keras
weight it went to, and writes `backbone.keras` and `starting_model.json` to OUTPUT (a new
folder, written under a temporary name and renamed when complete). A tensor the backbone has
no weight for, a weight the file has no tensor for, or a shape that differs is refused, naming
the tensor; nothing is written then. Then point `trainer.warm_start.base_model` at OUTPUT
(docs/fine-tuning.md).
"""

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time

from arcface_module.catalog import FACE_SIZE, IRESNET_BLOCKS
from console import quiet

# Backbones with an arcface_torch counterpart: the rest (tiny, tiny_flat) are the project's own.
IMPORTABLE = ("mbf", *IRESNET_BLOCKS)
EMBEDDING_SIZE = 512  # arcface_torch's models give 512-d embeddings of FACE_SIZE faces


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m pretrained", description=__doc__.splitlines()[0])
    parser.add_argument("file", help="an arcface_torch state dict (.pth, .pt) or ONNX export (.onnx)")
    parser.add_argument("--backbone", required=True, choices=IMPORTABLE, help="its architecture")
    parser.add_argument("--output", required=True, help="the starting model's folder to create")
    parser.add_argument("--embedding-size", type=int, default=EMBEDDING_SIZE,
                        help=f"its embedding size (default {EMBEDDING_SIZE}, the model zoo's)")
    parser.add_argument("--quiet", action="store_true", help="print the summary only, not each tensor")
    quiet.add_flag(parser)
    return parser.parse_args(argv)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_zip(path):
    with open(path, "rb") as file:
        return file.read(4) == b"PK\x03\x04"


def convert(path, backbone_name, output, embedding_size=EMBEDDING_SIZE):
    """Writes the starting model of `path` to `output`; returns its metadata (with the mapping)."""
    import arcface_module
    from arcface_module.backbones.arcface_torch import load_state_dict
    from tfx_module.trainer.warm_start import save_starting_model

    if os.path.exists(output):
        raise ValueError(f"{output}: already exists; expected a new folder for the starting model")
    backbone = arcface_module.get_backbone(backbone_name, embedding_size, (FACE_SIZE, FACE_SIZE, 3))
    start = time.perf_counter()
    if _is_zip(path):
        from pretrained.torch_checkpoint import read_state_dict

        file_format, folded = "pth", 0
        state_dict = read_state_dict(path)
    else:
        from pretrained.onnx_graph import read_state_dict

        file_format = "onnx"
        state_dict, _, folded = read_state_dict(path, backbone)
    try:
        mapping = load_state_dict(backbone, state_dict)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    metadata = {
        "backbone": backbone_name, "embedding_size": embedding_size, "image_size": FACE_SIZE,
        "source": os.path.abspath(path), "format": file_format, "sha256": _sha256(path),
        "tensors": len(mapping), "folded_batch_norms": folded, "seconds": round(time.perf_counter() - start, 2),
        "mapping": mapping,
    }
    parent = os.path.dirname(os.path.abspath(output))
    os.makedirs(parent, exist_ok=True)
    partial = tempfile.mkdtemp(prefix=f".{os.path.basename(output)}.", dir=parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(partial, 0o777 & ~umask)  # mkdtemp's folder is private; the starting model is not
    try:
        save_starting_model(partial, backbone, metadata)
        os.replace(partial, output)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return metadata


def main(argv=None):
    args = parse_args(argv)
    try:
        metadata = convert(args.file, args.backbone, args.output, args.embedding_size)
    except (ValueError, OSError) as error:
        print(f"pretrained: {error}", file=sys.stderr)
        return 1
    if not args.quiet:
        for tensor, weight in metadata["mapping"]:
            print(f"{tensor} -> {weight}")
    folded = (f"; {metadata['folded_batch_norms']} BatchNorms the file had folded into the layer before them "
              "restored as identity BatchNorms" if metadata["folded_batch_norms"] else "")
    print(f"pretrained: {args.file} ({metadata['format']}) -> {args.output}: {metadata['tensors']} tensors onto "
          f"the {args.backbone} backbone's weights in {metadata['seconds']} s{folded}; set "
          f"trainer.warm_start.base_model: {os.path.abspath(args.output)}", file=sys.stderr)
    return 0
