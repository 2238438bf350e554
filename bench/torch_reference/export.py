"""python -m bench.torch_reference.export BACKBONE... --output DIR [--faces FACES.npy] [--seed N]

In the PyTorch venv (bench/torch_reference/venv.sh): an arcface_torch backbone with random
weights for each BACKBONE, written to DIR/BACKBONE/ as arcface_torch and its model zoo write theirs: `backbone.pth`
(`torch.save(model.state_dict())`) and `backbone.onnx` (torch2onnx.py's export: the TorchScript
exporter, opset 11, input "data", BatchNorms folded into the convolutions). Its BatchNorms get
statistics of their own: scales and shifts drawn at random, running means and variances
measured on random images and then scaled and shifted at random, so that a reader which ignored
them, or normalised with the batch's statistics, would compute something else. With `--faces`
(float32 [N, 112, 112, 3], normalised as the pipeline does), the model's embeddings of them in
inference mode go to `embeddings.npy`: what the imported Keras backbone must reproduce.
"""

import argparse
import os

import numpy as np
import torch
from torch import nn

from arcface_module.catalog import FACE_SIZE
from bench.torch_reference.backbones import IRESNET_BLOCKS, get_model

OPSET = 11  # torch2onnx.py's


def randomize(model, generator):
    """Random BatchNorm scales and shifts, PReLU slopes, and running statistics that are not the batch's."""
    batch_norms = [layer for layer in model.modules() if isinstance(layer, nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.PReLU):
                layer.weight.uniform_(0.0, 0.5, generator=generator)
        for layer in batch_norms:
            layer.weight.uniform_(0.5, 1.5, generator=generator)
            layer.bias.normal_(0.0, 0.2, generator=generator)
            layer.reset_running_stats()
            layer.momentum = None  # a cumulative average over the calibration batches
        model.train()
        model(torch.rand((2, 3, FACE_SIZE, FACE_SIZE), generator=generator) * 2 - 1)
        for layer in batch_norms:
            channels = layer.num_features
            layer.running_var.mul_(torch.empty(channels).uniform_(0.5, 2.0, generator=generator))
            layer.running_mean.add_(torch.randn(channels, generator=generator) * layer.running_var.sqrt() * 0.2)
            layer.momentum = 0.1
    return model.eval()


def export(name, output_dir, faces=None, seed=0):
    """Writes backbone `name`'s files (and its embeddings of `faces`, NCHW) to `output_dir`."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = randomize(get_model(name), generator)
    os.makedirs(output_dir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(output_dir, "backbone.pth"))
    torch.onnx.export(model, torch.zeros((1, 3, FACE_SIZE, FACE_SIZE)), os.path.join(output_dir, "backbone.onnx"),
                      input_names=["data"], keep_initializers_as_inputs=False, opset_version=OPSET, dynamo=False)
    if faces is not None:
        with torch.no_grad():
            np.save(os.path.join(output_dir, "embeddings.npy"), model(faces).numpy())


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.torch_reference.export", description=__doc__.splitlines()[0])
    parser.add_argument("backbones", nargs="+", choices=["mbf", *IRESNET_BLOCKS])
    parser.add_argument("--output", required=True, help="a folder; each backbone's files go to OUTPUT/BACKBONE/")
    parser.add_argument("--faces", help="float32 [N, 112, 112, 3] images to embed into embeddings.npy")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    faces = torch.from_numpy(np.load(args.faces)).permute(0, 3, 1, 2).contiguous() if args.faces else None
    for name in args.backbones:
        export(name, os.path.join(args.output, name), faces, args.seed)


if __name__ == "__main__":
    main()
