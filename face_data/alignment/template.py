"""Aligns a face by its five landmarks onto the ArcFace template, as insightface's `norm_crop` does.

The transform is a similarity (rotation, uniform scale, translation) fitted by least squares over
the five points (Umeyama's method: scikit-image's `SimilarityTransform.from_estimate`, the estimator
insightface's `estimate_norm` uses); the face is then resampled with Pillow, straight from the
8-bit image. Coordinates follow OpenCV and scikit-image: pixel (0, 0) is centred at (0.0, 0.0).
This module imports no TensorFlow, and scikit-image only when a transform is fitted.

Example:
    >>> landmarks = [[30, 50], [70, 48], [50, 70], [35, 90], [66, 88]]   # eyes, nose, mouth corners
    >>> face = align_face(Image.open("photo.jpg"), landmarks)            # a 112x112 PIL image
    >>> template(224)[0]                                                  # the left eye at 224x224
    array([ 76.5892, 103.3926], dtype=float32)
"""

from typing import Sequence

import numpy as np
from PIL import Image

from arcface_module.catalog import FACE_SIZE

ALIGNED_SIZE = FACE_SIZE
# insightface's `arcface_dst`: left eye, right eye, nose tip, left and right mouth corner (as seen
# in the image) of an aligned 112x112 face.
ARCFACE_TEMPLATE_112 = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                                 [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float32)
# Below half the source resolution, bilinear sampling skips pixels (aliasing); the image is
# first reduced by box averaging to at most twice the output's resolution.
_MAX_UNREDUCED_SHRINK = 2.0


def template(size: int = ALIGNED_SIZE) -> np.ndarray:
    """The 5 template points for a `size`x`size` crop, scaled as insightface's `estimate_norm` does.

    Sizes that are multiples of 112 scale the template; others scale it as a 128 crop whose face
    sits 8/128 of the width to the right (insightface's layout for 128, 256...).
    """
    if size < 1:
        raise ValueError(f"expected an aligned size of at least 1 pixel, got {size}")
    if size % ALIGNED_SIZE == 0:
        return ARCFACE_TEMPLATE_112 * (size / ALIGNED_SIZE)
    ratio = size / 128.0
    return ARCFACE_TEMPLATE_112 * ratio + np.array([8.0 * ratio, 0.0], dtype=np.float32)


def similarity_transform(landmarks: Sequence[Sequence[float]], size: int = ALIGNED_SIZE) -> np.ndarray:
    """The 3x3 matrix of the similarity that maps `landmarks` (5 x (x, y)) best onto `template(size)`."""
    from skimage.transform import SimilarityTransform  # pulls in SciPy (0.3 s): only when aligning

    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (5, 2) or not np.all(np.isfinite(points)):
        raise ValueError(f"expected 5 finite (x, y) landmarks, got an array of shape {points.shape}: {points.tolist()}")
    transform = SimilarityTransform.from_estimate(points, template(size).astype(np.float64))
    if not transform:  # a failed estimation is falsy: the points are degenerate (all equal, or collinear)
        raise ValueError(f"cannot fit a similarity transform to the landmarks {points.tolist()}: {transform}")
    return transform.params


def transform_points(matrix: np.ndarray, points: Sequence[Sequence[float]]) -> np.ndarray:
    """`points` (N x (x, y)) carried through the 3x3 affine `matrix`, as float64."""
    points = np.asarray(points, dtype=np.float64)
    return points @ matrix[:2, :2].T + matrix[:2, 2]


def warp_face(image: Image.Image, matrix: np.ndarray, size: int = ALIGNED_SIZE) -> Image.Image:
    """Resamples `image` through `matrix` (source -> aligned, OpenCV pixel convention) into `size`x`size`.

    Outside the image is black, as with insightface's `cv2.warpAffine(..., borderValue=0.0)`.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:2, :2]))))
    reduce = int(1.0 / (scale * _MAX_UNREDUCED_SHRINK)) if scale > 0 else 1
    if reduce > 1:
        # Box-average `reduce`x`reduce` blocks; pixel i of the reduced image covers source pixels
        # reduce*i .. reduce*i + reduce-1, whose centre is reduce*i + (reduce-1)/2.
        image = image.reduce(reduce)
        matrix = matrix @ np.array([[reduce, 0, (reduce - 1) / 2], [0, reduce, (reduce - 1) / 2], [0, 0, 1]])
    inverse = np.linalg.inv(matrix)
    # Pillow samples at pixel centres x + 0.5 in both images; shift so that its map is `inverse`
    # in the OpenCV convention, where pixel centres are whole numbers.
    shift = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    pillow_inverse = shift @ inverse @ np.linalg.inv(shift)
    return image.transform((size, size), Image.Transform.AFFINE, tuple(pillow_inverse[:2].ravel()),
                           resample=Image.Resampling.BILINEAR, fillcolor=0)


def align_face(image: Image.Image, landmarks: Sequence[Sequence[float]], size: int = ALIGNED_SIZE) -> Image.Image:
    """The `size`x`size` aligned crop of the face whose 5 landmarks in `image` are given."""
    return warp_face(image, similarity_transform(landmarks, size), size)
