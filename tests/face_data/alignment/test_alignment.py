"""Alignment onto the ArcFace template: the template at each size, the least-squares similarity, the warp."""

import numpy as np
import pytest
from PIL import Image

from face_data.alignment.template import (ARCFACE_TEMPLATE_112, align_face, similarity_transform, template,
                                            warp_face)


def _similarity(scale: float, degrees: float, shift) -> np.ndarray:
    radians = np.deg2rad(degrees)
    matrix = np.eye(3)
    matrix[:2, :2] = scale * np.array([[np.cos(radians), -np.sin(radians)], [np.sin(radians), np.cos(radians)]])
    matrix[:2, 2] = shift
    return matrix


def _apply(matrix: np.ndarray, points) -> np.ndarray:
    return np.asarray(points, dtype=np.float64) @ matrix[:2, :2].T + matrix[:2, 2]


def _dots(size, points, radius: float = 2.5, sigma: float = 1.0) -> Image.Image:
    """A grayscale image of soft round dots centred at `points` (pixel centres at whole numbers)."""
    ys, xs = np.mgrid[0:size[1], 0:size[0]]
    pixels = np.zeros(size[::-1])
    for x, y in points:
        pixels = np.maximum(pixels, np.exp(-np.maximum(np.hypot(xs - x, ys - y) - radius, 0) ** 2 / (2 * sigma ** 2)))
    return Image.fromarray((pixels * 255).astype(np.uint8), "L")


def _dot_centres(image: Image.Image, near) -> np.ndarray:
    """Intensity-weighted centre of the pixels within 6 px of each point of `near`."""
    pixels = np.asarray(image, dtype=np.float64)
    ys, xs = np.mgrid[0:pixels.shape[0], 0:pixels.shape[1]]
    centres = []
    for x, y in near:
        weights = pixels * (np.hypot(xs - x, ys - y) < 6)
        centres.append([(weights * xs).sum() / weights.sum(), (weights * ys).sum() / weights.sum()])
    return np.array(centres)


def test_the_template_is_insightfaces_at_every_size():
    np.testing.assert_allclose(template(), ARCFACE_TEMPLATE_112)
    np.testing.assert_allclose(template(224), ARCFACE_TEMPLATE_112 * 2)
    # insightface's estimate_norm for sizes that are not multiples of 112: scale by size/128, shift 8/128 right.
    np.testing.assert_allclose(template(128), ARCFACE_TEMPLATE_112 + [8.0, 0.0], rtol=1e-6)
    np.testing.assert_allclose(template(256), ARCFACE_TEMPLATE_112 * 2 + [16.0, 0.0], rtol=1e-6)
    with pytest.raises(ValueError, match="at least 1 pixel, got 0"):
        template(0)


@pytest.mark.parametrize("scale, degrees, shift", [(1.0, 0.0, (0, 0)), (3.7, 25.0, (410.5, 97.25)),
                                                   (0.4, -90.0, (12.0, 300.0))])
def test_the_similarity_undoes_a_known_move_of_the_face_exactly(scale, degrees, shift):
    moved = _apply(_similarity(scale, degrees, shift), ARCFACE_TEMPLATE_112)
    matrix = similarity_transform(moved)
    np.testing.assert_allclose(_apply(matrix, moved), ARCFACE_TEMPLATE_112, atol=1e-4)
    np.testing.assert_allclose(matrix @ _similarity(scale, degrees, shift), np.eye(3), atol=1e-6)


def test_noisy_landmarks_are_fitted_by_least_squares():
    noise = np.random.default_rng(0).normal(0, 1.5, (5, 2))
    landmarks = _apply(_similarity(2.0, 10.0, (100, 50)), ARCFACE_TEMPLATE_112) + noise
    matrix = similarity_transform(landmarks)
    # The least-squares fit leaves residuals summing to zero (its translation is free) and smaller than the noise.
    residuals = _apply(matrix, landmarks) - ARCFACE_TEMPLATE_112
    np.testing.assert_allclose(residuals.sum(axis=0), 0.0, atol=1e-6)
    assert np.sqrt((residuals ** 2).sum()) < np.sqrt(((noise / 2.0) ** 2).sum())


@pytest.mark.parametrize("landmarks, message", [
    (np.zeros((4, 2)), r"5 finite \(x, y\) landmarks, got an array of shape \(4, 2\)"),
    ([[1, 1], [2, 2], [3, 3], [4, np.nan], [5, 5]], "5 finite"),
    (np.full((5, 2), 7.0), "cannot fit a similarity transform"),
])
def test_unusable_landmarks_are_refused_with_what_was_received(landmarks, message):
    with pytest.raises(ValueError, match=message):
        similarity_transform(landmarks)


@pytest.mark.parametrize("scale, degrees", [(1.0, 0.0), (1.6, 20.0), (0.7, -25.0), (5.5, 12.0)])
def test_aligned_dots_land_on_the_template(scale, degrees):
    # Dots at the 5 template points of a face moved by a similarity: the aligned crop has them
    # back on the template, to a fraction of a pixel (5.5x also takes the box-reduction path).
    matrix = _similarity(scale, degrees, (0, 0))
    points = _apply(matrix, ARCFACE_TEMPLATE_112)
    points += 20 * scale - points.min(axis=0)
    size = tuple(int(value) for value in np.ceil(points.max(axis=0) + 20 * scale))
    photo = _dots(size, points, radius=2.5 * scale, sigma=scale)
    aligned = align_face(photo, points)
    assert aligned.size == (112, 112) and aligned.mode == "L"
    np.testing.assert_allclose(_dot_centres(aligned, ARCFACE_TEMPLATE_112), ARCFACE_TEMPLATE_112, atol=0.35)


def test_outside_the_photo_is_black_and_rgb_stays_rgb():
    photo = Image.new("RGB", (40, 40), (200, 100, 50))
    aligned = warp_face(photo, _similarity(1.0, 0.0, (36, 36)), 112)  # the photo lands at 36..75
    pixels = np.asarray(aligned)
    assert aligned.mode == "RGB" and pixels.shape == (112, 112, 3)
    np.testing.assert_array_equal(pixels[50, 50], [200, 100, 50])
    np.testing.assert_array_equal(pixels[5, 5], [0, 0, 0])
    assert pixels[36:76, 36:76].min() > 0 and pixels[:35].max() == 0 and pixels[77:].max() == 0
