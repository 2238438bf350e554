"""The SavedModel's `embed_pixels` signature as ONNX and TFLite files (the formats of serving/formats.py).

Both converters start from the signature with its variables folded into constants. TensorFlow
2.21's TFLite converter, given the signature with its resource variables, writes a model whose
variables LiteRT never initialises (its embeddings are garbage or NaN, measured); frozen first,
it converts exactly. ONNX comes from tf2onnx 1.17 (opset 17), which
converts TensorFlow 2.21 graphs; Keras' own `model.export(format="onnx")` would need the Keras
model, which the SavedModel does not hold. `tflite_fp16` stores float16 weights,
`tflite_int8` int8 weights with dynamic-range quantisation (activations stay float).

Example:
    >>> convert("/pipeline/Trainer/model/7/Format-Serving", "/tmp/version", ["onnx", "tflite"])
    ['/tmp/version/model.onnx', '/tmp/version/model.tflite']
"""

import os
from typing import List, Sequence

import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

from serving.formats import FORMATS
from tfx_module.signatures import PIXELS_SIGNATURE

ONNX_OPSET = 17


def pixels_signature(saved_model):
    """The `embed_pixels` signature of a loaded SavedModel (which must stay alive while it is used)."""
    signature = saved_model.signatures.get(PIXELS_SIGNATURE)
    if signature is None:
        raise ValueError(f"expected a '{PIXELS_SIGNATURE}' signature (pixels -> embedding) to convert to ONNX / "
                         "TFLite; the model was exported without it: train it again")
    return signature


def _tflite(signature, weights: str) -> bytes:
    converter = tf.lite.TFLiteConverter.from_concrete_functions([convert_variables_to_constants_v2(signature)])
    if weights != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]  # alone: dynamic-range int8 weights
        if weights == "float16":
            converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def _onnx(signature, path: str) -> None:
    import tf2onnx  # here: it is slow to import and only this format needs it

    (spec,) = signature.structured_input_signature[1].values()
    # tf2onnx freezes the variables itself; the input keeps the signature's name, the output "embedding".
    tf2onnx.convert.from_function(tf.function(signature), input_signature=[spec], opset=ONNX_OPSET,
                                  output_path=path)


def convert(saved_model_dir: str, output_dir: str, formats: Sequence[str]) -> List[str]:
    """Writes each format's file (serving/formats.py) into the local `output_dir`; returns their paths."""
    saved_model = tf.saved_model.load(saved_model_dir)
    try:
        signature = pixels_signature(saved_model)
    except ValueError as error:
        raise ValueError(f"{saved_model_dir}: {error}") from None
    paths = []
    for name in formats:
        path = os.path.join(output_dir, FORMATS[name].file)
        if FORMATS[name].runtime == "onnxruntime":
            _onnx(signature, path)
        else:
            with open(path, "wb") as file:
                file.write(_tflite(signature, FORMATS[name].weights))
        paths.append(path)
    return paths
