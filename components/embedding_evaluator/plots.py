"""PNG figures of an evaluation: ROC curve, similarity histograms, and how apart the identities stand.

Figures are drawn on matplotlib's Agg canvas directly, not through pyplot, so they need no display
and leave no global figure state behind in a long-running pipeline worker.

Example:
    >>> fpr, tpr, _ = metrics.roc([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])
    >>> plot_roc(fpr, tpr, "/tmp/roc.png")
"""

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from components.embedding_evaluator.catalog import SHIPPED_THRESHOLD
from verification import metrics


# Colours a reader (and the report's picture test) can tell apart from the curves' default blue.
POINT_COLOUR, SEPARATE_COLOUR, MIXED_COLOUR = "#d62728", "#2ca02c", "#d62728"
# An identity stands apart when its typical own pair beats this share of its pairs with others.
OTHERS_PERCENTILE = 95


def _save(figure, path):
    FigureCanvasAgg(figure)
    figure.savefig(path, format="png", dpi=100)


def accept_rates(scores, is_same, threshold):
    """(false accept rate, true accept rate) of "same identity iff score >= threshold"."""
    scores, is_same = np.asarray(scores, dtype=float), np.asarray(is_same, dtype=bool)
    return float(np.mean(scores[~is_same] >= threshold)), float(np.mean(scores[is_same] >= threshold))


def plot_roc(fpr, tpr, path, threshold=None, point=None, threshold_name=SHIPPED_THRESHOLD):
    """ROC curve twice: on linear axes, and against a log-scaled false-accept rate (`roc_figure`), as a PNG.

    Example:
        >>> plot_roc(np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0]), "/tmp/roc.png", 0.4, (0.0, 1.0))
    """
    _save(roc_figure(fpr, tpr, threshold, point, threshold_name), path)


def roc_figure(fpr, tpr, threshold=None, point=None, threshold_name=SHIPPED_THRESHOLD) -> Figure:
    """ROC curve twice: on linear axes, and against a log-scaled false-accept rate.

    The log panel shows the low-FAR end where face verification operates; points with FAR 0
    cannot be drawn on it and are left out there. `point` (FAR, TAR), the operating point of
    `threshold`, is marked on both panels, called `threshold_name` (catalog.SHIPPED_THRESHOLD, or
    UNSHIPPED_THRESHOLD when none was shipped). The legends go under the panels.
    """
    fpr, tpr = np.asarray(fpr, dtype=float), np.asarray(tpr, dtype=float)
    if fpr.ndim != 1 or fpr.shape != tpr.shape or len(fpr) < 2:
        raise ValueError(
            f"expected fpr and tpr as 1-D arrays of one length >= 2, got {fpr.shape} and {tpr.shape}"
        )
    figure = Figure(figsize=(10, 4.5))
    linear, logarithmic = figure.subplots(1, 2)
    linear.plot(fpr, tpr, label=f"AUC {np.trapezoid(tpr, fpr):.4f}")
    linear.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    linear.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="false accept rate", ylabel="true accept rate")
    drawable = fpr > 0
    logarithmic.plot(fpr[drawable], tpr[drawable])
    logarithmic.set(xscale="log", ylim=(0, 1.01), xlabel="false accept rate (log)")
    if point is not None:
        far, tar = point
        label = f"{threshold_name} {threshold:.3f}: FAR {far:.3g}, TAR {tar:.3f}"
        marker = dict(marker="o", markersize=9, color=POINT_COLOUR, linestyle="none", label=label)
        linear.plot([far], [tar], **marker)
        if far > 0:  # a FAR of 0 has no place on a log axis
            logarithmic.plot([far], [tar], **marker)
            logarithmic.legend(**_BELOW)
    linear.legend(**_BELOW)
    for axes in (linear, logarithmic):
        axes.grid(True, alpha=0.3)
    figure.suptitle("ROC: same identity if similarity >= threshold")
    figure.subplots_adjust(bottom=0.3)  # room for the legends under the panels
    return figure


# A legend under its panel: inside, it would cover the curve wherever it bends.
_BELOW = dict(loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)


def plot_similarity_histogram(scores, is_same, path, threshold=None, threshold_name=SHIPPED_THRESHOLD):
    """Histograms of same- and different-identity similarities on shared bins, with the threshold.

    Example:
        >>> plot_similarity_histogram([0.9, 0.7, 0.2, 0.1], [1, 1, 0, 0], "/tmp/hist.png", threshold=0.5)
    """
    scores, is_same = np.asarray(scores, dtype=float), np.asarray(is_same, dtype=bool)
    if scores.ndim != 1 or scores.shape != is_same.shape:
        raise ValueError(
            "expected scores and is_same as 1-D arrays of one length, "
            f"got {scores.shape} and {is_same.shape}"
        )
    bins = np.histogram_bin_edges(scores, bins=60)
    figure = Figure(figsize=(7, 4.5))
    axes = figure.subplots()
    # Densities, because the two kinds of pairs need not be equally many.
    kinds = ((is_same, "same identity", "tab:green"), (~is_same, "different", "tab:red"))
    for members, name, colour in kinds:
        label = f"{name} ({members.sum()} pairs)"
        axes.hist(scores[members], bins=bins, density=True, alpha=0.5, color=colour, label=label)
    if threshold is not None:
        axes.axvline(threshold, color="black", linestyle="--", label=f"{threshold_name} {threshold:.3f}")
    axes.set(xlabel="cosine similarity", ylabel="density", title="Similarity of pairs")
    axes.legend()
    _save(figure, path)


def plot_identity_separation(embeddings, labels, path, threshold, max_images=2000, seed=0,
                             threshold_name=SHIPPED_THRESHOLD):
    """Whether each identity stands apart from the others: one point per identity.

    x: the median similarity between the identity's own images; y: the 95th percentile of the
    similarities of its images to every other identity's images. Below the diagonal (green) its
    typical own pair is more similar than 95% of the pairs with other people: it stands apart;
    above it (red), others are as close as its own images. The dashed lines are the shipped
    threshold: right of it, own pairs are mostly accepted; above it, more than 5% of the pairs
    with others are. Identities with one image have no own pair and are left out; past
    `max_images` a random subset is used.

    Example:
        >>> plot_identity_separation(np.eye(4), np.array(["a", "a", "b", "b"]), "/tmp/separation.png", 0.5)
    """
    embeddings, labels = np.asarray(embeddings, dtype=float), np.asarray(labels)
    if embeddings.ndim != 2 or min(embeddings.shape) < 2 or labels.shape != (len(embeddings),):
        raise ValueError(
            "expected embeddings [N >= 2, dim >= 2] and labels [N], "
            f"got {embeddings.shape} and {labels.shape}"
        )
    if len(labels) > max_images:  # the similarity matrix is N x N
        chosen = np.sort(np.random.default_rng(seed).choice(len(labels), max_images, replace=False))
        embeddings, labels = embeddings[chosen], labels[chosen]
    unit = metrics.unit_rows(embeddings)
    similarity = unit @ unit.T
    _, identity = np.unique(labels, return_inverse=True)
    own, other = [], []
    for members in (identity == k for k in np.unique(identity)):
        if members.sum() < 2 or members.all():
            continue
        block = similarity[np.ix_(members, members)]
        own.append(np.median(block[~np.eye(len(block), dtype=bool)]))
        other.append(np.percentile(similarity[np.ix_(members, ~members)], OTHERS_PERCENTILE))
    own, other = np.array(own), np.array(other)
    if not len(own):
        raise ValueError("expected at least one identity with 2 images and another identity, got none")
    apart = own > other

    figure = Figure(figsize=(6.5, 6))
    axes = figure.subplots()
    for members, colour, name in ((apart, SEPARATE_COLOUR, "stands apart"), (~apart, MIXED_COLOUR, "does not")):
        if members.any():  # an empty group would still put its colour in the legend
            axes.scatter(own[members], other[members], s=30, color=colour, label=f"{name} ({members.sum()})")
    low, high = min(own.min(), other.min(), threshold) - 0.05, max(own.max(), other.max(), threshold) + 0.05
    axes.plot([low, high], [low, high], linestyle=":", color="grey")
    axes.axvline(threshold, color="black", linestyle="--", linewidth=1)
    axes.axhline(threshold, color="black", linestyle="--", linewidth=1, label=f"{threshold_name} {threshold:.3f}")
    axes.set(xlim=(low, high), ylim=(low, high),
             xlabel="median similarity of the identity's own images",
             ylabel=f"similarity to other identities ({OTHERS_PERCENTILE}th percentile)",
             title=f"{apart.sum()} of {len(own)} identities stand apart from the others")
    axes.legend(loc="upper left")
    _save(figure, path)
