"""The evaluation figures: each is a real PNG with content, not a blank or one-colour canvas."""

import numpy as np
import pytest
from PIL import Image

from components.embedding_evaluator import plots
from verification import metrics


@pytest.fixture(scope="module")
def clustered():
    """Embeddings of 6 identities around separate centres, and pairs scored from them."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.array(["ann", "bob", "cho", "dev", "eve", "fay"]), 12)
    embeddings = rng.normal(size=(6, 16))[np.unique(labels, return_inverse=True)[1]]
    embeddings += rng.normal(scale=0.8, size=embeddings.shape)
    index_a, index_b, is_same = metrics.make_pairs(labels)
    scores = metrics.cosine_similarities(embeddings[index_a], embeddings[index_b])
    return embeddings, labels, scores, is_same


def _hues_in(path):
    """Image checks shared by all figures; returns the distinct hues of its saturated pixels."""
    image = Image.open(path)
    assert image.format == "PNG" and min(image.size) >= 300
    pixels = np.asarray(image.convert("RGB"), dtype=float)
    assert pixels.std() > 10  # mostly white with drawn content, not one flat colour
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50
    hsv = np.asarray(image.convert("RGB").convert("HSV")).reshape(-1, 3)
    return set((hsv[hsv[:, 1] > 60, 0] // 16).tolist())  # hue in 16 bins, vivid pixels only


def test_roc_plot(tmp_path, clustered):
    _, _, scores, is_same = clustered
    fpr, tpr, _ = metrics.roc(scores, is_same)
    plots.plot_roc(fpr, tpr, tmp_path / "roc.png")
    assert len(_hues_in(tmp_path / "roc.png")) >= 1  # the curve is drawn in colour


def test_similarity_histogram_shows_both_kinds_of_pairs(tmp_path, clustered):
    _, _, scores, is_same = clustered
    plots.plot_similarity_histogram(scores, is_same, tmp_path / "hist.png", threshold=0.3)
    assert len(_hues_in(tmp_path / "hist.png")) >= 2  # green and red bars


def test_embedding_map_colours_identities_apart(tmp_path, clustered):
    embeddings, labels, _, _ = clustered
    plots.plot_embedding_map(embeddings, labels, tmp_path / "map.png")
    # 6 identities; neighbours on the hue wheel may share a bin.
    assert len(_hues_in(tmp_path / "map.png")) >= 5


@pytest.mark.parametrize(
    "plot, arguments, message",
    [
        (plots.plot_roc, ([0.0, 1.0], [0.0, 0.5, 1.0]), r"got \(2,\) and \(3,\)"),
        (plots.plot_similarity_histogram, ([0.1, 0.2], [True]), r"got \(2,\) and \(1,\)"),
        (plots.plot_embedding_map, (np.ones((3, 4)), ["a", "b"]), r"got \(3, 4\) and \(2,\)"),
        (plots.plot_embedding_map, (np.ones((3, 1)), ["a", "b", "c"]), r"dim >= 2.*got \(3, 1\)"),
    ],
)
def test_plots_reject_mismatched_input(tmp_path, plot, arguments, message):
    with pytest.raises(ValueError, match=message):
        plot(*arguments, tmp_path / "never.png")
    assert not (tmp_path / "never.png").exists()
