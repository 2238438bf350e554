"""The optimizers the Trainer builds by name (tfx_module/trainer/optimization.py), and the peak learning rates each trains with.

Imports no TensorFlow: the config (configs/model.py) refuses a rate that does not fit its
optimizer before anything runs: SGD trains face models at about 0.1 (insightface arcface_torch,
configs/base.py), AdamW at about 1e-3; AdamW at 0.1 diverges and SGD at 1e-4 barely moves.
"""

OPTIMIZERS = ("sgd", "adamw")
# After the warmup: constant, cosine to 0, (1 - progress) ** 2, or 1 - progress (arcface_torch's
# PolynomialLRWarmup at its default power 1, as train_v2.py builds it).
DECAYS = ("constant", "cosine", "polynomial", "linear")
# Peak rates, inclusive: (lowest, highest).
LEARNING_RATES = {"sgd": (1e-3, 1.0), "adamw": (1e-5, 1e-2)}


def learning_rate_problem(optimizer, learning_rate):
    """"" if `learning_rate` fits `optimizer`, else why not, in one line.

    >>> learning_rate_problem("adamw", 0.1)
    'learning_rate 0.1 does not fit optimizer adamw: expected 1e-05 to 0.01 (sgd takes 0.001 to 1)'
    """
    low, high = LEARNING_RATES[optimizer]
    if low <= learning_rate <= high:
        return ""
    others = ", ".join(f"{name} takes {lo:g} to {hi:g}" for name, (lo, hi) in LEARNING_RATES.items() if name != optimizer)
    return f"learning_rate {learning_rate:g} does not fit optimizer {optimizer}: expected {low:g} to {high:g} ({others})"
