"""The face-verification protocol on NumPy arrays, shared by the evaluator and the Trainer's validation.

`metrics`: same/different pairs, LFW k-fold accuracy (random or a protocol's own folds), ROC and AUC
(scikit-learn), EER, TAR at a FAR. `operating_point`: the threshold for a target false-accept rate,
with Clopper-Pearson intervals (SciPy). `identification`: 1:N search, closed set (rank-k) and open
set (TPIR at an FPIR). `templates`: IJB-B / IJB-C templates (several faces, one embedding).
Imports nothing of the project, so `components/embedding_evaluator` and `tfx_module/trainer` both
build on it.
"""
