"""Times every verification metric on many pairs (not a test: timings vary with machine load).

Usage: ./dev python tests/evaluation/benchmark_metrics.py [NUM_PAIRS]   (default 1,000,000)
"""

import sys
import time

import numpy as np

from components.embedding_evaluator import metrics


def main(num_pairs):
    rng = np.random.default_rng(0)
    is_same = rng.random(num_pairs) < 0.5
    scores = np.clip(rng.normal(np.where(is_same, 0.6, 0.1), 0.15), -1, 1).astype(np.float32)
    steps = {
        "verification_accuracy_kfold": lambda: metrics.verification_accuracy_kfold(scores, is_same),
        "roc": lambda: metrics.roc(scores, is_same),
        "auc": lambda: metrics.auc(scores, is_same),
        "equal_error_rate": lambda: metrics.equal_error_rate(scores, is_same),
        "tar_at_far": lambda: metrics.tar_at_far(scores, is_same),
    }
    total = 0.0
    for name, step in steps.items():
        start = time.perf_counter()
        step()
        seconds = time.perf_counter() - start
        total += seconds
        print(f"{name:30s} {seconds:6.2f} s")
    print(f"{'all verification metrics':30s} {total:6.2f} s for {num_pairs:,} pairs")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
