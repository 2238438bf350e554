"""The ONNX and TFLite files of a pushed version, run without TensorFlow: pixels or images -> embeddings.

ONNX Runtime runs `model.onnx`, LiteRT (`ai_edge_litert`, TFLite's interpreter without
TensorFlow) the `.tflite` files. Both take the preprocessed pixels; `embed` makes them from
encoded images with `preprocessing.json` (serving/preprocessing.py), after the same check as the
SavedModel path (face_data/conversion/images.py: Pillow, PGM / 16-bit / RGBA become 8-bit PNG).

Example:
    >>> embedder = format_embedder("runs/demo/serving/arcface/1796540000", "onnx")
    >>> embedder.embed([open("a.jpg", "rb").read()]).shape
    (1, 128)
"""

import contextlib
import os
from typing import Sequence

import numpy as np

from console import quiet
from face_data.conversion.images import MAX_PIXELS, check_image
from serving import preprocessing
from serving.formats import FORMATS

BATCH_SIZE = 64


class _PixelsEmbedder:
    """Encoded images -> preprocessed pixels -> the model file's embeddings, in batches."""

    def __init__(self, path: str, spec: dict, max_pixels: int = MAX_PIXELS):
        self.path, self.spec, self.max_pixels = path, spec, max_pixels

    def embed_pixels(self, pixels: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def embed(self, images: Sequence[bytes], batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Encoded images (any format Pillow reads) -> [N, dim] float32 embeddings."""
        if not images:
            raise ValueError("expected at least one image to embed, got none")
        batches = []
        for start in range(0, len(images), batch_size):
            pixels = preprocessing.preprocess([check_image(image, self.max_pixels).data for image in images[start:start + batch_size]],
                                              self.spec)
            batches.append(self.embed_pixels(pixels))
        return np.concatenate(batches)


class OnnxEmbedder(_PixelsEmbedder):
    """`model.onnx` in ONNX Runtime (CPU)."""

    def __init__(self, path: str, spec: dict, max_pixels: int = MAX_PIXELS):
        super().__init__(path, spec, max_pixels)
        import onnxruntime  # here, not at the top: only this format needs it

        with damaged_file(path):
            self._session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        (self._input,) = self._session.get_inputs()

    def embed_pixels(self, pixels: np.ndarray) -> np.ndarray:
        (embeddings,) = self._session.run(None, {self._input.name: pixels})
        return embeddings


class TFLiteEmbedder(_PixelsEmbedder):
    """A `.tflite` file in LiteRT's interpreter; the batch dimension is resized to each call's."""

    def __init__(self, path: str, spec: dict, max_pixels: int = MAX_PIXELS):
        super().__init__(path, spec, max_pixels)
        from ai_edge_litert.interpreter import Interpreter  # here: only these formats need it

        with damaged_file(path):
            self._interpreter = Interpreter(model_path=path)
        (self._input,) = self._interpreter.get_input_details()
        (self._output,) = self._interpreter.get_output_details()
        self._batch = None

    def embed_pixels(self, pixels: np.ndarray) -> np.ndarray:
        if self._batch != len(pixels):
            self._interpreter.resize_tensor_input(self._input["index"], list(pixels.shape))
            with quiet.hidden_noise():  # the first allocation prints "INFO: Created ... XNNPACK delegate"
                self._interpreter.allocate_tensors()
            self._batch = len(pixels)
        self._interpreter.set_tensor(self._input["index"], pixels)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output["index"]).copy()


_EMBEDDERS = {"onnxruntime": OnnxEmbedder, "litert": TFLiteEmbedder}


def format_embedder(folder: str, name: str, max_pixels: int = MAX_PIXELS) -> _PixelsEmbedder:
    """The embedder of format `name` (serving/formats.py) in a version folder, with its preprocessing;
    images above `max_pixels` are refused."""
    format_ = FORMATS[name]
    path = os.path.join(folder, format_.file)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{folder}: expected {format_.file} (format '{name}'), found none")
    return _EMBEDDERS[format_.runtime](path, preprocessing.read_spec(folder), max_pixels)


@contextlib.contextmanager
def damaged_file(path: str):
    """A model file its runtime cannot load (truncated by a copy, overwritten) is refused in one line naming it.

    The runtimes raise their own types (ONNX Runtime's InvalidProtobuf derives from Exception
    only), with messages about their parsers; what the user can do is push the version again.
    """
    try:
        yield
    except Exception as error:  # noqa: BLE001 - any loader failure means the same: the file is damaged
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"{path}: cannot be loaded, the file is damaged or not a model ({reason[:200]}); "
                         "push the version again") from error
