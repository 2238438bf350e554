"""insightface's models imported exactly: arcface_torch's r50 and mbf with random weights and BatchNorm
statistics, saved by PyTorch as `.pth` and ONNX, embed the same ORL faces here as in PyTorch.

The faces are the ORL database's (Olivetti Research Laboratory, Cambridge), resized to 112x112.
"""

import numpy as np
import pytest

import arcface_module
from arcface_module.backbones.arcface_torch import load_state_dict
from pretrained import onnx_graph, torch_checkpoint
from pretrained.cli import convert
from tfx_module.trainer.warm_start import load_base_backbone

# Cosine between PyTorch's and the imported model's embedding of each face.
MIN_COSINE = 0.9999


def cosines(a, b):
    return np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def embeds_as_pytorch(model, torch_exports, backbone):
    folder, faces = torch_exports
    ours = np.asarray(model(faces, training=False))  # BatchNorm with its running statistics
    found = cosines(ours, np.load(folder / backbone / "embeddings.npy"))
    assert found.min() >= MIN_COSINE, found


@pytest.fixture(scope="module")
def r50():
    return arcface_module.get_backbone("r50", 512, (112, 112, 3))


def test_r50_from_its_state_dict(torch_exports, r50):
    state_dict = torch_checkpoint.read_state_dict(torch_exports[0] / "r50" / "backbone.pth")
    # Every Keras weight is one tensor of the file: only BatchNorm's step counts are left.
    steps = [name for name in state_dict if name.endswith(".num_batches_tracked")]
    assert len(load_state_dict(r50, state_dict)) == len(r50.weights) == len(state_dict) - len(steps)
    embeds_as_pytorch(r50, torch_exports, "r50")


def test_r50_from_its_onnx_export(torch_exports, r50):
    path = torch_exports[0] / "r50" / "backbone.onnx"
    state_dict, mapping, folded = onnx_graph.read_state_dict(path, r50)
    assert len(load_state_dict(r50, state_dict)) == len(r50.weights)
    # The TorchScript exporter folds each BatchNorm after a convolution into it (all 53 of r50's
    # convolutions'); the BatchNorms before a convolution or after the sums stay, as the features'.
    assert folded == 53
    embeds_as_pytorch(r50, torch_exports, "r50")


@pytest.mark.parametrize("file_format", ["pth", "onnx"])
def test_mbf_through_a_starting_model(torch_exports, tmp_path, file_format):
    output = tmp_path / "starting_model"
    metadata = convert(str(torch_exports[0] / "mbf" / f"backbone.{file_format}"), "mbf", str(output))
    # What the Trainer warm-starts from: the starting model's backbone, loaded into a fresh one.
    model = arcface_module.get_backbone("mbf", 512, (112, 112, 3))
    load_base_backbone(model, str(output))
    assert metadata["tensors"] == len(model.weights)
    assert (metadata["folded_batch_norms"] > 0) == (file_format == "onnx")
    embeds_as_pytorch(model, torch_exports, "mbf")
