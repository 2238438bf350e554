"""Evaluation: seconds to compute every verification metric the EmbeddingEvaluator reports.

Times `model_metrics.verification_metrics` (LFW 10-fold accuracy, AUC, EER, TAR at four FARs,
the threshold to ship) on synthetic pair scores, and each metric function on its own, so a slow
total shows where its time goes.
"""

import time

import numpy as np

from bench import measure
from bench.results import Result
from components.embedding_evaluator import catalog, model_metrics
from verification import metrics

NAME = "evaluation"
TARGET_SECONDS = 5.0


def pair_scores(num_pairs, seed=0):
    """Half same-identity pairs scoring about 0.6, half different ones about 0.1, in [-1, 1]."""
    rng = np.random.default_rng(seed)
    is_same = rng.random(num_pairs) < 0.5
    scores = np.clip(rng.normal(np.where(is_same, 0.6, 0.1), 0.15), -1, 1).astype(np.float32)
    return scores, is_same


def _steps(scores, is_same):
    """What is timed: everything at once, then each metric function alone."""
    return {
        "all": lambda: model_metrics.verification_metrics(scores, is_same, seed=0),
        "kfold": lambda: metrics.verification_accuracy_kfold(scores, is_same),
        "auc": lambda: metrics.auc(scores, is_same),
        "eer": lambda: metrics.equal_error_rate(scores, is_same),
        "tar": lambda: metrics.tar_at_far(scores, is_same, fars=tuple(catalog.FARS.values())),
    }


def run(settings, context):
    start = time.perf_counter()
    rows = []
    for num_pairs in settings["pairs"]:
        scores, is_same = pair_scores(num_pairs)
        row = {"pairs": f"{num_pairs:,}"}
        for name, step in _steps(scores, is_same).items():
            row[name] = measure.summary(measure.time_calls(step, settings["repeats"]))
        rows.append(row)
    largest = rows[-1]
    met = largest["all"]["median"] <= TARGET_SECONDS
    return Result(
        name=NAME,
        title="Evaluation: all verification metrics",
        target=f"<= {TARGET_SECONDS:g} s at 1e6 pairs",
        columns=[("pairs", "pairs"), ("all", "all metrics (s)"), ("kfold", "10-fold accuracy (s)"),
                 ("auc", "AUC (s)"), ("eer", "EER (s)"), ("tar", "TAR@FAR (s)")],
        rows=rows,
        met=met if settings["pairs"][-1] >= 1_000_000 else None,
        verdict=f"{largest['all']['median']:.2f} s at {largest['pairs']} pairs"
        f" ({largest['all']['median'] / TARGET_SECONDS:.0%} of the {TARGET_SECONDS:g} s budget)",
        notes=[
            f"`model_metrics.verification_metrics` as the EmbeddingEvaluator calls it, on synthetic"
            f" scores (half same-identity pairs); {settings['repeats']} timed calls after 1 warm-up"
            " per size. The metric columns time each function alone (the total is timed separately"
            " and computes some of them twice).",
        ],
        seconds=time.perf_counter() - start,
    )
