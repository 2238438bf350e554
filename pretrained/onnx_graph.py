"""Reads an ONNX export of an arcface_torch backbone as its state dict, by matching its graph to the Keras backbone.

An ONNX file names its weights as its exporter chose: PyTorch's TorchScript exporter (which
arcface_torch's torch2onnx.py and the model zoo's files used) folds each BatchNorm that follows
a convolution into the convolution's weights and bias and names them `onnx::Conv_123`. So the
weights are found by structure, not by name: both graphs become chains of units (a convolution
or fully connected layer with the BatchNorm after it, a lone BatchNorm, a PReLU, a residual sum)
and are walked in the same canonical order (from the output back, the shallower input of a sum
first), unit for unit, checking each kind, stride and group count. Each unit's tensors then take
arcface_torch's names (`arcface_module.backbones.arcface_torch.torch_names`), and the state dict
loads like a `.pth`'s. A folded BatchNorm comes back as an identity one (scale 1, the fused bias as
its shift, mean 0, variance 1 - epsilon): the same function in inference mode, exactly.

Example:
    state_dict, folded = read_state_dict("model.onnx", get_backbone("r50"))
"""

import collections

import keras
import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import numpy_helper

from arcface_module.backbones.arcface_torch import torch_names

# Nodes that move data without computing on it (in inference): their output is their input's unit.
PASS_THROUGH = {"Identity", "Dropout", "Flatten", "Reshape"}
LINEAR = ("conv", "dense")


class Unit:
    """A step of either graph: `kind`, its input units, and its tensors (ONNX) or layers (Keras)."""

    def __init__(self, kind, inputs=(), name="", **tensors):
        self.kind, self.inputs, self.name = kind, list(inputs), name
        self.tensors = tensors  # ONNX: weight, bias, bn (gamma, beta, mean, var, epsilon), strides, groups
        self.layers = []  # Keras: the layers of the unit, linear layer first
        self.depth = 1 + max((unit.depth for unit in self.inputs), default=-1)

    def describe(self):
        return f"{self.kind} {self.name}"


def _attributes(node):
    return {attribute.name: onnx.helper.get_attribute_value(attribute) for attribute in node.attribute}


def _onnx_units(model, path):
    """The output unit of the ONNX graph's units; ValueError names any node of another kind."""
    graph = model.graph
    constants = {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant":
            constants[node.output[0]] = numpy_helper.to_array(_attributes(node)["value"])
    inputs = [value.name for value in graph.input if value.name not in constants]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise ValueError(f"{path}: expected one image input and one embedding output, got inputs {inputs} and "
                         f"{len(graph.output)} outputs")
    consumers = collections.Counter(name for node in graph.node for name in node.input)
    source = {inputs[0]: Unit("input", name=inputs[0])}
    produced_by = {}  # tensor -> the unit whose linear layer wrote it (a BatchNorm right after joins it)
    for node in graph.node:
        op, name = node.op_type, node.name or node.output[0]
        if op == "Constant":
            continue
        if op == "Identity" and node.input[0] in constants:
            constants[node.output[0]] = constants[node.input[0]]  # a deduplicated initializer
            continue
        data = [tensor for tensor in node.input if tensor and tensor not in constants]
        missing = [tensor for tensor in data if tensor not in source]
        if missing:
            raise ValueError(f"{path}: node {name} ({op}) reads {missing[0]}, which no node before it writes")
        if op in PASS_THROUGH and len(data) == 1:
            source[node.output[0]] = source[data[0]]
            continue
        try:
            unit = _unit(node, op, name, data, constants, source, produced_by, consumers, path)
        except KeyError as error:
            raise ValueError(f"{path}: node {name} ({op}) reads {error}, which is not a weight stored in the file") \
                from None
        source[node.output[0]] = unit
        if unit.kind in LINEAR:
            produced_by[node.output[0]] = unit
    return source[graph.output[0].name]


def _unit(node, op, name, data, constants, source, produced_by, consumers, path):
    """The unit an ONNX node makes, or joins (a BatchNorm after a linear layer, a MatMul's bias)."""
    attributes = _attributes(node)
    if op == "Conv":
        unit = Unit("conv", [source[data[0]]], name, weight=constants[node.input[1]],
                    bias=constants.get(node.input[2]) if len(node.input) > 2 else None,
                    strides=tuple(attributes.get("strides", (1, 1))), groups=attributes.get("group", 1))
    elif op == "Gemm":
        if attributes.get("transA", 0) or attributes.get("alpha", 1.0) != 1.0 or attributes.get("beta", 1.0) != 1.0:
            raise ValueError(f"{path}: node {name} (Gemm) with transA, alpha or beta: not a PyTorch Linear layer")
        weight = constants[node.input[1]]
        unit = Unit("dense", [source[data[0]]], name, weight=weight if attributes.get("transB", 0) else weight.T,
                    bias=constants.get(node.input[2]) if len(node.input) > 2 else None)
    elif op == "MatMul" and len(data) == 1 and node.input[1] in constants:
        unit = Unit("dense", [source[data[0]]], name, weight=constants[node.input[1]].T, bias=None)
    elif op == "Add" and len(data) == 1 and produced_by.get(data[0]) and produced_by[data[0]].tensors["bias"] is None:
        unit = produced_by[data[0]]  # MatMul + Add: a Linear layer's bias
        unit.tensors["bias"] = constants[next(tensor for tensor in node.input if tensor in constants)]
    elif op == "Add" and len(data) == 2:
        unit = Unit("add", [source[tensor] for tensor in data], name)
    elif op == "BatchNormalization":
        gamma, beta, mean, var = (constants[tensor] for tensor in node.input[1:5])
        bn = {"gamma": gamma, "beta": beta, "mean": mean, "var": var, "epsilon": attributes.get("epsilon", 1e-5)}
        unit = produced_by.get(data[0])
        if unit is not None and "bn" not in unit.tensors and consumers[data[0]] == 1:
            unit.tensors["bn"] = bn
        else:
            unit = Unit("bn", [source[data[0]]], name, bn=bn)
    elif op == "PRelu":
        unit = Unit("prelu", [source[data[0]]], name, weight=constants[node.input[1]])
    else:
        raise ValueError(f"{path}: node {name} ({op}) is not a layer of arcface_torch's backbones (convolutions, "
                         "BatchNorm, PReLU, residual sums, flatten, linear)")
    return unit


def _keras_units(backbone):
    """The output unit of the Keras backbone's units, each holding its layers."""
    units = {}
    for layer in backbone.layers:
        if isinstance(layer, keras.layers.InputLayer):
            units[layer.name] = Unit("input", name=layer.name)
            continue
        parents = [units[tensor._keras_history.operation.name] for tensor in keras.tree.flatten(layer.input)]
        parent_layer = keras.tree.flatten(layer.input)[0]._keras_history.operation
        if isinstance(layer, (keras.layers.ZeroPadding2D, keras.layers.Flatten)):
            units[layer.name] = parents[0]
            continue
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
            unit = Unit("conv", parents, layer.name)
        elif isinstance(layer, keras.layers.Dense):
            unit = Unit("dense", parents, layer.name)
        elif isinstance(layer, keras.layers.BatchNormalization):
            unit = parents[0]
            if not (unit.kind in LINEAR and len(unit.layers) == 1 and unit.layers[0] is parent_layer
                    and len(parent_layer._outbound_nodes) == 1):
                unit = Unit("bn", parents, layer.name)
        elif isinstance(layer, keras.layers.PReLU):
            unit = Unit("prelu", parents, layer.name)
        elif isinstance(layer, keras.layers.Add):
            unit = Unit("add", parents, layer.name)
        else:
            raise ValueError(f"layer {layer.name} ({type(layer).__name__}) of {backbone.name} has no ONNX counterpart")
        unit.layers.append(layer)
        units[layer.name] = unit
    return units[backbone.layers[-1].name]


def canonical_order(output):
    """The units from the input to `output`, each after its inputs, the shallower input of a sum first."""
    order, seen = [], set()

    def visit(unit):
        if id(unit) in seen:
            return
        seen.add(id(unit))
        for parent in sorted(unit.inputs, key=lambda parent: parent.depth):
            visit(parent)
        order.append(unit)

    visit(output)
    return order


def _keras_settings(layer):
    """(strides, groups) of a Keras convolution, as ONNX states them."""
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        return tuple(layer.strides), layer.input.shape[-1]
    return tuple(layer.strides), layer.groups


def _batch_norm(name, bn, bias, epsilon):
    """arcface_torch's tensors of a BatchNorm with Keras' `epsilon`, from ONNX's (None: folded) and a bias before it."""
    channels = len(bias) if bn is None else len(bn["gamma"])
    bias = np.zeros(channels, np.float32) if bias is None else bias
    if bn is None:  # folded into the convolution: scale 1 and the fused bias as the shift
        bn = {"gamma": np.ones(channels, np.float32), "beta": bias, "mean": np.zeros(channels, np.float32),
              "var": np.full(channels, 1.0 - epsilon, np.float32), "epsilon": epsilon}
        bias = np.zeros(channels, np.float32)
    return {f"{name}.weight": bn["gamma"], f"{name}.bias": bn["beta"],
            # A bias before the normalisation shifts the mean; another epsilon, the variance.
            f"{name}.running_mean": bn["mean"] - bias, f"{name}.running_var": bn["var"] + bn["epsilon"] - epsilon}


def read_state_dict(path, backbone):
    """The ONNX file's weights as arcface_torch's state dict for `backbone`, and the BatchNorms found folded.

    Returns:
        (state_dict, mapping, folded): tensor name -> NumPy array; [(ONNX node, Keras layers)]
        for each unit; how many BatchNorms the file had folded into the layer before them.

    Raises:
        ValueError: naming the file and the first node whose kind or settings differ from the
            Keras backbone's layer at the same place, or the counts of units if they differ.
    """
    try:
        model = onnx.load(str(path))
    except DecodeError as error:
        raise ValueError(f"{path}: not an ONNX file ({error})") from error
    ours = [unit for unit in canonical_order(_keras_units(backbone)) if unit.kind != "input"]
    theirs = [unit for unit in canonical_order(_onnx_units(model, path)) if unit.kind != "input"]
    names = torch_names(backbone)
    state_dict, mapping, folded = {}, [], 0
    for index, (keras_unit, onnx_unit) in enumerate(zip(ours, theirs)):
        layer = keras_unit.layers[0]
        if keras_unit.kind != onnx_unit.kind:
            raise ValueError(f"{path}: node {onnx_unit.name} ({onnx_unit.kind}, unit {index}) stands where "
                             f"{backbone.name} has {layer.name} ({keras_unit.kind})")
        tensors = onnx_unit.tensors
        if keras_unit.kind == "conv" and (tensors["strides"], tensors["groups"]) != _keras_settings(layer):
            raise ValueError(f"{path}: node {onnx_unit.name} has strides {tensors['strides']} and {tensors['groups']} "
                             f"groups, {backbone.name}'s {layer.name} {_keras_settings(layer)}")
        if keras_unit.kind in LINEAR:
            state_dict[f"{names[layer.name]}.weight"] = tensors["weight"]
            bias = tensors["bias"]
            if getattr(layer, "use_bias", False):
                zeros = np.zeros(len(tensors["weight"]), np.float32)
                state_dict[f"{names[layer.name]}.bias"] = zeros if bias is None else bias
                bias = None
            if len(keras_unit.layers) == 2:
                bn_layer = keras_unit.layers[1]
                folded += "bn" not in tensors
                state_dict.update(_batch_norm(names[bn_layer.name], tensors.get("bn"), bias, bn_layer.epsilon))
            elif "bn" in tensors or (bias is not None and np.any(bias)):
                raise ValueError(f"{path}: node {onnx_unit.name} has a bias or BatchNorm that {backbone.name}'s "
                                 f"{layer.name} has not")
        elif keras_unit.kind == "bn":
            state_dict.update(_batch_norm(names[layer.name], tensors["bn"], None, layer.epsilon))
        elif keras_unit.kind == "prelu":
            state_dict[f"{names[layer.name]}.weight"] = tensors["weight"].reshape(-1)
        mapping.append((onnx_unit.name, [layer.name for layer in keras_unit.layers]))
    if len(ours) != len(theirs):
        raise ValueError(f"{path}: {len(theirs)} layers (convolutions with their BatchNorm, BatchNorms, PReLUs, "
                         f"sums), {backbone.name} has {len(ours)}")
    return state_dict, mapping, folded
