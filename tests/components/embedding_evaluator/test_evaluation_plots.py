"""The evaluation figures: each is a real PNG with content, not a blank or one-colour canvas."""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from components.embedding_evaluator import catalog, plots
from verification import metrics


@pytest.fixture(scope="module")
def clustered():
    """Embeddings of 6 identities around separate centres, and pairs scored from them."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.array(["ann", "bob", "cho", "dev", "eve", "fay"]), 12)
    embeddings = rng.normal(size=(6, 16))[np.unique(labels, return_inverse=True)[1]]
    embeddings += rng.normal(scale=0.8, size=embeddings.shape)
    index_a, index_b, is_same = metrics.make_pairs(labels, max_positive_pairs=10_000)
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


def _pixels_of(path, colour: str) -> int:
    """Pixels of about `colour` ("#rrggbb"; anti-aliased edges blend it with the white page)."""
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=int)
    return int((np.abs(rgb - [int(colour[i:i + 2], 16) for i in (1, 3, 5)]).max(axis=2) <= 25).sum())


def test_roc_plot_marks_the_shipped_threshold(tmp_path, clustered):
    _, _, scores, is_same = clustered
    fpr, tpr, _ = metrics.roc(scores, is_same)
    point = plots.accept_rates(scores, is_same, 0.3)
    assert point == (np.mean(scores[~is_same] >= 0.3), np.mean(scores[is_same] >= 0.3))
    plots.plot_roc(fpr, tpr, tmp_path / "roc.png", 0.3, point)
    plots.plot_roc(fpr, tpr, tmp_path / "unmarked.png")
    assert len(_hues_in(tmp_path / "roc.png")) >= 2  # the curve, and the point in another colour
    assert _pixels_of(tmp_path / "roc.png", plots.POINT_COLOUR) > 100  # two round markers and the legend's
    assert _pixels_of(tmp_path / "unmarked.png", plots.POINT_COLOUR) == 0


def test_a_threshold_not_shipped_is_not_called_shipped(clustered):
    _, _, scores, is_same = clustered
    fpr, tpr, _ = metrics.roc(scores, is_same)
    point = plots.accept_rates(scores, is_same, 0.3)
    figure = plots.roc_figure(fpr, tpr, 0.3, point, catalog.UNSHIPPED_THRESHOLD)
    labels = [text.get_text() for axes in figure.axes for text in axes.get_legend().get_texts()]
    assert any(label.startswith(f"{catalog.UNSHIPPED_THRESHOLD} 0.300") for label in labels), labels
    assert not any(label.startswith("shipped") for label in labels), labels


def test_the_roc_legends_cover_no_curve(clustered):
    _, _, scores, is_same = clustered
    fpr, tpr, _ = metrics.roc(scores, is_same)
    figure = plots.roc_figure(fpr, tpr, 0.3, plots.accept_rates(scores, is_same, 0.3))
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    for axes in figure.axes:
        assert axes.get_legend() is not None
        assert not axes.get_legend().get_window_extent(renderer).overlaps(axes.get_window_extent(renderer))


def test_similarity_histogram_shows_both_kinds_of_pairs(tmp_path, clustered):
    _, _, scores, is_same = clustered
    plots.plot_similarity_histogram(scores, is_same, tmp_path / "hist.png", threshold=0.3)
    assert len(_hues_in(tmp_path / "hist.png")) >= 2  # green and red bars


def test_identity_separation_tells_separate_identities_from_mixed_ones(tmp_path):
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(6), 5)
    centres = rng.normal(size=(6, 32))
    embeddings = centres[labels] + rng.normal(scale=0.2, size=(30, 32))  # own cos ~0.96, others' ~0 +- 0.3
    plots.plot_identity_separation(embeddings, labels, tmp_path / "apart.png", threshold=0.7)
    assert _pixels_of(tmp_path / "apart.png", plots.SEPARATE_COLOUR) > 100
    # Twins: each image has its double in the other identity, so neither stands apart.
    twins = np.concatenate([embeddings[:5], embeddings[:5]])
    plots.plot_identity_separation(twins, np.repeat(["ann", "twin"], 5), tmp_path / "mixed.png", threshold=0.7)
    assert _pixels_of(tmp_path / "mixed.png", plots.SEPARATE_COLOUR) == 0
    assert _pixels_of(tmp_path / "mixed.png", plots.MIXED_COLOUR) > 100


@pytest.mark.parametrize(
    "plot, arguments, message",
    [
        (plots.plot_roc, ([0.0, 1.0], [0.0, 0.5, 1.0]), r"got \(2,\) and \(3,\)"),
        (plots.plot_similarity_histogram, ([0.1, 0.2], [True]), r"got \(2,\) and \(1,\)"),
        (plots.plot_identity_separation, (np.ones((3, 4)), ["a", "b"]), r"got \(3, 4\) and \(2,\)"),
        (plots.plot_identity_separation, (np.ones((3, 1)), ["a", "b", "c"]), r"dim >= 2.*got \(3, 1\)"),
        (plots.plot_identity_separation, (np.eye(3), ["a", "b", "c"]), r"with 2 images and another identity"),
    ],
)
def test_plots_reject_mismatched_input(tmp_path, plot, arguments, message):
    extra = (0.5,) if plot is plots.plot_identity_separation else ()  # its threshold
    with pytest.raises(ValueError, match=message):
        plot(*arguments, tmp_path / "never.png", *extra)
    assert not (tmp_path / "never.png").exists()
