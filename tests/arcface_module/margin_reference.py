"""Independent NumPy (float64) references of the margin formulas, written from the papers and
InsightFace/AdaFace reference code, not from arcface_module."""

import numpy as np


def insightface_arcface(cosine, margin, easy_margin=False):
    """InsightFace's ArcFace target logit: cos(theta + m), with its th/mm or easy_margin rule."""
    sine = np.sqrt(1.0 - cosine**2)
    cos_theta_m = cosine * np.cos(margin) - sine * np.sin(margin)
    if easy_margin:
        return np.where(cosine > 0, cos_theta_m, cosine)
    th = np.cos(np.pi - margin)
    mm = np.sin(np.pi - margin) * margin
    return np.where(cosine > th, cos_theta_m, cosine - mm)


def combined_margin(cosine, m1, m2, m3, easy_margin=False):
    """cos(m1 * theta + m2) - m3; past theta_max = (pi - m2) / m1, cos(theta) - mm - m3 with
    mm = sin(pi - theta_max) * (pi - theta_max); easy_margin: no margin where cos(theta) <= 0."""
    theta = np.arccos(cosine)
    penalised = np.cos(m1 * theta + m2) - m3
    if easy_margin:
        return np.where(cosine > 0, penalised, cosine)
    theta_max = (np.pi - m2) / m1
    if theta_max >= np.pi:
        return penalised
    overshoot = np.pi - theta_max
    return np.where(theta < theta_max, penalised, cosine - np.sin(overshoot) * overshoot - m3)


def adaface(cosine, norms, mean, std, margin=0.4, h=0.333, t_alpha=0.01, training=True):
    """AdaFace's target logit for the target cosines (mk-minchul/AdaFace head.py).

    Returns the penalised target cosines and the updated (mean, std) norm statistics.
    """
    eps = 1e-3
    cosine = np.clip(cosine, -1 + eps, 1 - eps)
    safe_norms = np.clip(norms, 0.001, 100)
    if training:
        mean = safe_norms.mean() * t_alpha + (1 - t_alpha) * mean
        std = safe_norms.std(ddof=1) * t_alpha + (1 - t_alpha) * std
    scaler = np.clip((safe_norms - mean) / (std + eps) * h, -1, 1)
    theta = np.clip(np.arccos(cosine) - margin * scaler, eps, np.pi - eps)
    return np.cos(theta) - (margin + margin * scaler), mean, std


def margin_softmax(cosine, labels, target_logit, scale):
    """Scaled logits with the target cosine replaced, and the per-sample cross-entropy."""
    logits = np.array(cosine, dtype=np.float64)
    rows = np.arange(len(labels))
    logits[rows, labels] = target_logit
    logits *= scale
    top = logits.max(axis=1, keepdims=True)
    log_sum_exp = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
    return logits, log_sum_exp - logits[rows, labels]


def cosines(embeddings, centers):
    """(batch, classes) cosines; centers (classes, K, dim), max over the K sub-centers."""
    e = embeddings / np.linalg.norm(embeddings, axis=-1, keepdims=True)
    c = centers / np.linalg.norm(centers, axis=-1, keepdims=True)
    return np.einsum("bd,ckd->bck", e, c).max(axis=-1)
