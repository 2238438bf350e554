"""The face-verification protocol on NumPy arrays, shared by the evaluator and the Trainer's validation.

`metrics`: same/different pairs, LFW k-fold accuracy (random or a protocol's own folds), ROC and AUC
(scikit-learn), EER, TAR at a FAR, rank-k identification. `operating_point`: the threshold for a
target false-accept rate, with Clopper-Pearson intervals (SciPy). Imports nothing of the project,
so `components/embedding_evaluator` and `tfx_module/trainer` both build on it.
"""
