"""PNG figures of an evaluation: ROC curve, similarity histograms and a 2-D map of the embeddings.

Figures are drawn on matplotlib's Agg canvas directly, not through pyplot, so they need no display
and leave no global figure state behind in a long-running pipeline worker.

Example:
    >>> fpr, tpr, _ = metrics.roc([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])
    >>> plot_roc(fpr, tpr, "/tmp/roc.png")
"""

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from verification import metrics


def _save(figure, path):
    FigureCanvasAgg(figure)
    figure.savefig(path, format="png", dpi=100)


def plot_roc(fpr, tpr, path):
    """ROC curve twice: on linear axes, and against a log-scaled false-accept rate.

    The log panel shows the low-FAR end where face verification operates; points with FAR 0
    cannot be drawn on it and are left out there.

    Example:
        >>> plot_roc(np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0]), "/tmp/roc.png")
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
    linear.legend(loc="lower right")
    drawable = fpr > 0
    logarithmic.plot(fpr[drawable], tpr[drawable])
    logarithmic.set(xscale="log", ylim=(0, 1.01), xlabel="false accept rate (log)")
    for axes in (linear, logarithmic):
        axes.grid(True, alpha=0.3)
    figure.suptitle("ROC: same identity if similarity >= threshold")
    _save(figure, path)


def plot_similarity_histogram(scores, is_same, path, threshold=None):
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
        axes.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.3f}")
    axes.set(xlabel="cosine similarity", ylabel="density", title="Similarity of pairs")
    axes.legend()
    _save(figure, path)


def plot_embedding_map(embeddings, labels, path):
    """The L2-normalised embeddings projected on their first two principal axes, coloured by identity.

    Example:
        >>> plot_embedding_map(np.eye(4), np.array(["a", "a", "b", "b"]), "/tmp/map.png")
    """
    embeddings, labels = np.asarray(embeddings), np.asarray(labels)
    if embeddings.ndim != 2 or min(embeddings.shape) < 2 or labels.shape != (len(embeddings),):
        raise ValueError(
            "expected embeddings [N >= 2, dim >= 2] and labels [N], "
            f"got {embeddings.shape} and {labels.shape}"
        )
    # Cosine similarity compares directions, so the map shows directions too.
    centred = metrics.unit_rows(embeddings)
    centred = centred - centred.mean(axis=0)
    _, singular_values, axes_rows = np.linalg.svd(centred, full_matrices=False)
    coordinates = centred @ axes_rows[:2].T
    explained = singular_values[:2] ** 2 / max(np.sum(singular_values**2), np.finfo(float).tiny)
    identities, identity_index = np.unique(labels, return_inverse=True)

    figure = Figure(figsize=(6.5, 6))
    axes = figure.subplots()
    # tab20 keeps up to 20 identities apart; beyond that a continuous map still separates neighbours.
    colour_map = "tab20" if len(identities) <= 20 else "turbo"
    axes.scatter(*coordinates.T, c=identity_index, cmap=colour_map, s=12, alpha=0.8)
    axes.set(
        xlabel=f"principal axis 1 ({explained[0]:.0%} of variance)",
        ylabel=f"principal axis 2 ({explained[1]:.0%} of variance)",
        title=f"PCA of {len(labels)} L2-normalised embeddings, {len(identities)} identities",
    )
    _save(figure, path)
