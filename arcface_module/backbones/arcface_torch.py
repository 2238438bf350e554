"""insightface arcface_torch's parameter names and layouts for the Keras backbones: its state dicts load.

The backbones "mbf" and "r18".."r100" are arcface_torch's architectures layer for layer, so each
of their weights is one tensor of arcface_torch's `state_dict()`: `torch_names` gives the module
path of every Keras layer that holds weights, and `load_state_dict` copies a state dict (NumPy
arrays by name, however they were read) into a backbone, turning PyTorch's layouts into Keras'
(channels-first kernels into channels-last ones, PReLU's slopes onto their shared axes, and the
rows of the fully connected layer after a flattened feature map from PyTorch's channel-major
order into Keras' channel-last one). Every tensor must be used and every weight given, each of
its exact shape: anything else is refused with the tensor's name. BatchNorm's
`num_batches_tracked` counts training steps and is the one tensor not loaded.

Example:

    backbone = get_backbone("mbf")
    torch_names(backbone)["stage1_0_expand_conv"]  # 'layers.3.layers.0.layers.0.layers.0'
    mapped = load_state_dict(backbone, state_dict)  # state_dict: {"layers.0.layers.0.weight": array, ...}
"""

import re

import keras
import numpy as np

# Tensors of a state dict that no Keras weight holds: BatchNorm's count of training steps.
UNUSED_SUFFIXES = ("num_batches_tracked",)

# MobileFaceNet's Keras blocks -> arcface_torch's modules (`MobileFaceNet.layers`, a ModuleList;
# `Residual` blocks hold their `DepthWise` blocks in `.layers`; `GDC` is `features`).
_MBF_BLOCKS = {
    "stem": "layers.0",
    "stem_grouped": "layers.1",
    "down1": "layers.2",
    "stage1": "layers.3.layers",
    "down2": "layers.4",
    "stage2": "layers.5.layers",
    "down3": "layers.6",
    "stage3": "layers.7.layers",
    "conv_sep": "conv_sep",
    "gdc": "features.layers.0",
}
# A DepthWise block's parts, and a ConvBlock's / LinearBlock's layers, in their Sequential.
_MBF_PARTS = {"expand": 0, "depthwise": 1, "project": 2}
_MBF_LAYERS = {"conv": 0, "bn": 1, "prelu": 2}
_MBF_NAME = re.compile(r"^(stem_grouped|stem|down\d|stage\d|conv_sep|gdc)(?:_(\d+))?(?:_(expand|depthwise|project))?"
                       r"_(conv|bn|prelu)$")
# GDC's flatten, linear and BatchNorm1d: `features.layers.2` and `.3`.
_MBF_OUTPUT = {"fc": "features.layers.2", "features": "features.layers.3"}
_IRESNET_BLOCK = re.compile(r"^layer(\d)_(\d+)_(.+)$")
_IRESNET_DOWNSAMPLE = {"downsample_conv": "downsample.0", "downsample_bn": "downsample.1"}

# Keras weight name -> the tensor of the PyTorch module that holds it.
_TENSORS = {
    "kernel": "weight",
    "depthwise_kernel": "weight",
    "alpha": "weight",
    "gamma": "weight",
    "beta": "bias",
    "bias": "bias",
    "moving_mean": "running_mean",
    "moving_variance": "running_var",
}


def _mbf_module(layer_name):
    if layer_name in _MBF_OUTPUT:
        return _MBF_OUTPUT[layer_name]
    match = _MBF_NAME.match(layer_name)
    if not match:
        return None
    block, index, part, kind = match.groups()
    path = _MBF_BLOCKS[block] + (f".{index}" if index is not None else "")
    if part is not None:
        path += f".layers.{_MBF_PARTS[part]}"
    return f"{path}.layers.{_MBF_LAYERS[kind]}"


def _iresnet_module(layer_name):
    match = _IRESNET_BLOCK.match(layer_name)
    if not match:
        return layer_name  # conv1, bn1, prelu, bn2, fc, features: the same names
    stage, block, part = match.groups()
    return f"layer{stage}.{block}.{_IRESNET_DOWNSAMPLE.get(part, part)}"


def torch_names(backbone):
    """Keras layer name -> arcface_torch module path, for every layer of `backbone` with weights.

    Args:
        backbone: a model `get_backbone` built as "mbf" or an IResNet ("r18", "r34", "r50", "r100").
    """
    if backbone.name == "mobilefacenet":
        module = _mbf_module
    elif backbone.name.startswith("iresnet"):
        module = _iresnet_module
    else:
        raise ValueError(
            f"Backbone {backbone.name!r} has no arcface_torch counterpart; expected one built by "
            "get_backbone as 'mbf' or an IResNet ('r18', 'r34', 'r50', 'r100')."
        )
    names = {}
    for layer in backbone.layers:
        if layer.weights:
            path = module(layer.name)
            if path is None:
                raise ValueError(f"Layer {layer.name!r} of {backbone.name} has no arcface_torch counterpart.")
            names[layer.name] = path
    return names


def _flattened_map(layer):
    """(height, width, channels) of the feature map a Dense layer reads through a Flatten, else None."""
    producer = layer.input._keras_history.operation
    if isinstance(producer, keras.layers.Flatten):
        shape = producer.input.shape[1:]
        if len(shape) == 3 and shape[0] * shape[1] > 1:
            return tuple(shape)
    return None


def to_keras_layout(layer, variable, tensor):
    """PyTorch's layout of the tensor for `layer`'s weight `variable` -> Keras' layout of it.

    Conv2d weights [out, in / groups, h, w] become kernels [h, w, in / groups, out] (depthwise
    [h, w, channels, 1]); Linear weights [out, in] become [in, out], their rows reordered from
    PyTorch's NCHW flattening to Keras' NHWC one when the layer reads a flattened map; PReLU's
    slopes [channels] take the layer's shared axes. The rest is as it is.
    """
    if variable.name in ("kernel", "depthwise_kernel") and tensor.ndim == 4:
        depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
        return np.transpose(tensor, (2, 3, 0, 1) if depthwise else (2, 3, 1, 0))
    if variable.name == "kernel" and tensor.ndim == 2:
        grid = _flattened_map(layer)
        if grid is not None and tensor.shape[1] == np.prod(grid):
            height, width, channels = grid
            # Column c * h * w + i * w + j of PyTorch's weight is row (i * w + j) * c_count + c here.
            return tensor.reshape(-1, channels, height, width).transpose(2, 3, 1, 0).reshape(tensor.shape[1], -1)
        return tensor.T
    if variable.name == "alpha":
        return tensor.reshape(variable.shape) if tensor.size == np.prod(variable.shape) else tensor
    return tensor


def load_state_dict(backbone, state_dict):
    """Copies an arcface_torch state dict into `backbone`; returns [(tensor name, Keras weight path)].

    Args:
        backbone: a model `get_backbone` built as "mbf" or an IResNet, of the state dict's
            architecture and embedding size.
        state_dict: tensor name -> NumPy array, as `torch.save(model.state_dict())` names them
            (a "module." prefix, which DistributedDataParallel adds, is taken off).

    Raises:
        ValueError: naming the tensors the backbone has no weight for, the weights the state
            dict has no tensor for, and every tensor whose shape differs from its weight's;
            nothing is loaded then.
    """
    state_dict = {name.removeprefix("module."): value for name, value in state_dict.items()}
    expected, assignments, shapes = set(), [], []
    for layer_name, module in torch_names(backbone).items():
        layer = backbone.get_layer(layer_name)
        for variable in layer.weights:
            name = f"{module}.{_TENSORS[variable.name]}"
            expected.add(name)
            if name not in state_dict:
                continue
            tensor = np.asarray(state_dict[name])
            value = to_keras_layout(layer, variable, tensor)
            if tuple(value.shape) != tuple(variable.shape):
                shapes.append(f"{name} has shape {list(tensor.shape)}, expected one that is "
                              f"{tuple(variable.shape)} in Keras ({variable.path})")
                continue
            assignments.append((name, variable, value))
    missing = sorted(expected - set(state_dict))
    unused = sorted(name for name in set(state_dict) - expected if not name.endswith(UNUSED_SUFFIXES))
    problems = shapes[:3] + ([f"{len(shapes) - 3} more shapes differ"] if len(shapes) > 3 else [])
    if missing:
        problems.append(f"{len(missing)} weights have no tensor: {_some(missing)}")
    if unused:
        problems.append(f"{len(unused)} tensors are not weights of {backbone.name}: {_some(unused)}")
    if problems:
        raise ValueError(f"Cannot load the state dict into {backbone.name}: " + "; ".join(problems))
    for _, variable, value in assignments:
        variable.assign(value.astype(variable.dtype))
    return [(name, variable.path) for name, variable, _ in assignments]


def _some(names, count=5):
    return ", ".join(names[:count]) + (f" and {len(names) - count} more" if len(names) > count else "")
