"""Finds faces and their five landmarks in a photo, with MTCNN (the `mtcnn` package, TensorFlow).

MTCNN's weights ship inside the `mtcnn` wheel, so nothing is downloaded, ever. Photos larger than
`DETECTION_MAX_SIDE` are searched at that size (MTCNN's image pyramid grows with the pixels) and
the boxes and landmarks scaled back, so alignment still samples the full-resolution photo. Of
several faces, `main_face` keeps the one insightface keeps (`FaceAnalysis` with `max_num=1`): the
largest box, less twice the squared distance of its centre from the photo's centre.

Example:
    >>> detector = FaceDetector()
    >>> faces = detector.detect(np.asarray(Image.open("photo.jpg").convert("RGB")))
    >>> main_face(faces, 640, 480).landmarks.shape   # left eye, right eye, nose, left/right mouth corner
    (5, 2)
"""

import dataclasses
import sys
from typing import List, Sequence

import numpy as np
from PIL import Image

# Long side at which photos are searched: a face of MTCNN's minimum (20 px) there is 80 px in a
# 4000x3000 photo, smaller than any face worth aligning to 112x112.
DETECTION_MAX_SIDE = 1024
# The landmarks' order (left eye, right eye, nose tip, left and right mouth corner) as found in the
# mirror image: left and right swap.
MIRRORED_LANDMARKS = [1, 0, 2, 4, 3]
# MTCNN's numpy output, one row per face: image index, x1, y1, x2, y2, score, the 5 x, the 5 y.
_BOX, _SCORE, _XS, _YS = slice(1, 5), 5, slice(6, 11), slice(11, 16)


@dataclasses.dataclass(frozen=True)
class DetectedFace:
    """A face in photo pixels: its box (x1, y1, x2, y2), MTCNN's score and 5 landmarks (x, y)."""

    box: np.ndarray
    score: float
    landmarks: np.ndarray  # left eye, right eye, nose tip, left and right mouth corner, as seen in the photo

    @property
    def area(self) -> float:
        return float((self.box[2] - self.box[0]) * (self.box[3] - self.box[1]))


def main_face(faces: Sequence[DetectedFace], width: int, height: int) -> DetectedFace:
    """The face insightface would keep of `faces` in a `width`x`height` photo: largest, most central."""
    if not faces:
        raise ValueError("expected at least one face to choose from, got none")
    centre = np.array([width / 2.0, height / 2.0])

    def value(face: DetectedFace) -> float:
        offset = (face.box[:2] + face.box[2:]) / 2.0 - centre
        return face.area - 2.0 * float(offset @ offset)

    return max(faces, key=value)


class _QuietLz4Finaliser:
    """Drops the one harmless message mtcnn's weight loading prints on Python 3.13.

    joblib reads the bundled `.lz4` weights through a buffered reader that is finalised after its
    file was closed: "Exception ignored in: <_io.BufferedReader> ... I/O operation on closed
    file" (lz4 4.4, joblib 1.6). Every other unraisable exception still reaches the usual hook.
    """

    def __enter__(self):
        self._hook = sys.unraisablehook

        def hook(unraisable):
            value = unraisable.exc_value
            if not (isinstance(value, ValueError) and "I/O operation on closed file" in str(value)):
                self._hook(unraisable)

        sys.unraisablehook = hook

    def __exit__(self, *exc):
        sys.unraisablehook = self._hook


class FaceDetector:
    """MTCNN with its bundled weights; `detect` takes RGB pixels and returns every face found.

    Loading takes a second or two (TensorFlow and three small networks): make one per process.
    """

    def __init__(self, max_side: int = DETECTION_MAX_SIDE):
        import tensorflow as tf  # imported only where faces are detected
        from mtcnn import MTCNN

        with _QuietLz4Finaliser():
            self._mtcnn = MTCNN()
        # mtcnn calls its three Keras networks eagerly, layer by layer; as TensorFlow graphs (one
        # trace each: any batch and image size) they give the same boxes 2-5x faster.
        for stage in self._mtcnn.stages:
            stage._model = tf.function(stage.model, input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)],
                                       reduce_retracing=True)
        self.max_side = max_side

    def detect(self, pixels: np.ndarray) -> List[DetectedFace]:
        """Faces in `pixels` ([height, width, 3] uint8 RGB), best score first; [] if none."""
        if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
            raise ValueError(f"expected RGB pixels of shape [height, width, 3] and dtype uint8, "
                             f"got shape {pixels.shape} and dtype {pixels.dtype}")
        height, width = pixels.shape[:2]
        factor = min(1.0, self.max_side / max(height, width))
        if factor < 1.0:
            size = (max(1, round(width * factor)), max(1, round(height * factor)))
            pixels = np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR))
        rows = self._mtcnn.detect_faces(pixels, box_format="xyxy", output_type="numpy")

        def in_photo(points):  # searched pixels -> photo pixels (pixel centres at whole numbers)
            return ((points + 0.5) / factor - 0.5).astype(np.float32)

        faces = [DetectedFace(box=in_photo(row[_BOX]), score=float(row[_SCORE]),
                              landmarks=in_photo(np.stack([row[_XS], row[_YS]], axis=1)))
                 for row in np.asarray(rows).reshape(-1, 16)]
        return sorted(faces, key=lambda face: -face.score)
