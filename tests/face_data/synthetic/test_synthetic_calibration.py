"""Calibration of the synthetic faces: raw pixels must not solve pair verification.

A face recogniser earns its keep only if comparing pixels does not already work, so raw-pixel
cosine similarity must verify pairs of synthetic faces at 70% accuracy or less (LFW protocol:
10 folds, threshold fit on 9 and scored on the tenth). The trained model's figure on the same
protocol comes from the pipeline test; this one states the raw-pixel figure.
"""

import io

import numpy as np
from PIL import Image

from verification.metrics import cosine_similarities, make_pairs, verification_accuracy_kfold
from face_data.records.reading import read_face_records
from face_data.synthetic.face_set import write_synthetic_faces

MAX_RAW_PIXEL_ACCURACY = 0.70


def test_raw_pixel_cosine_verification_is_at_most_70_percent(tmp_path):
    # Identities 1000+ are people no demo or pipeline test trains on.
    summary = write_synthetic_faces(tmp_path, num_identities=50, images_per_identity=8, first_identity=1000,
                                    show_progress=False)
    records = [record for _, record in read_face_records(summary.shards)]
    pixels = np.stack([np.asarray(Image.open(io.BytesIO(r.image)), dtype=np.float32).ravel() / 255
                       for r in records])
    labels = np.array([r.label for r in records])
    index_a, index_b, is_same = make_pairs(labels, max_positive_pairs=3000, seed=0)
    result = verification_accuracy_kfold(cosine_similarities(pixels[index_a], pixels[index_b]), is_same)
    print(f"\nraw-pixel cosine verification accuracy on synthetic faces: {result['mean']:.1%} "
          f"± {result['std']:.1%} over {len(is_same)} pairs ({is_same.sum()} same), 10 folds")
    assert len(is_same) == 2 * 50 * 28
    assert result["mean"] <= MAX_RAW_PIXEL_ACCURACY
