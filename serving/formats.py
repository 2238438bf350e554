"""The model files a pushed version can hold beside its SavedModel, by format name; imports nothing.

The SavedModel takes encoded images. The other formats take the preprocessed pixels
(`preprocessing.json` beside them says how to make them: serving/preprocessing.py):

| name          | file                | runtime      | weights                         |
| ------------- | ------------------- | ------------ | ------------------------------- |
| `onnx`        | `model.onnx`        | ONNX Runtime | float32                         |
| `tflite`      | `model.tflite`      | LiteRT       | float32                         |
| `tflite_fp16` | `model_fp16.tflite` | LiteRT       | float16                         |
| `tflite_int8` | `model_int8.tflite` | LiteRT       | int8, dynamic-range quantised   |

Example:
    >>> FORMATS["tflite_int8"].file, FORMATS["tflite_int8"].exact
    ('model_int8.tflite', False)
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Format:
    """A model file; the float32 ones must give the SavedModel's embeddings (cosine >= MIN_COSINE)."""

    name: str
    file: str
    runtime: str  # "onnxruntime" or "litert"
    weights: str  # "float32", "float16" or "int8" (dynamic-range: activations stay float)

    @property
    def exact(self) -> bool:
        return self.weights == "float32"


FORMATS = {
    format_.name: format_
    for format_ in (
        Format("onnx", "model.onnx", "onnxruntime", "float32"),
        Format("tflite", "model.tflite", "litert", "float32"),
        Format("tflite_fp16", "model_fp16.tflite", "litert", "float16"),
        Format("tflite_int8", "model_int8.tflite", "litert", "int8"),
    )
}
# An exact (float32) format must give every probe face this cosine with the SavedModel's embedding.
MIN_COSINE = 0.9999
