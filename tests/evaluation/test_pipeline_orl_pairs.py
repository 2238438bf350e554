"""One run on tiny synthetic data whose verification is measured on an external pairs set of ORL faces.

The pairs.txt below is converted to pair records by the face data CLI and travels into the
pipeline through the PairsExampleGen; identification stays on the synthetic eval split.

The ORL face database was taken between 1992 and 1994 at the Olivetti Research Laboratory in
Cambridge, UK (40 people x 10 images); credit to the Olivetti Research Laboratory (AT&T
Laboratories Cambridge). The faces are read in place (the `orl_dir` fixture, tests/conftest.py),
never copied.
"""

import glob
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from face_data import cli as face_data_cli
from configs import load_config

pytestmark = pytest.mark.pipeline

ORL_PEOPLE, SHOTS = 40, 5


def _write_orl_pairs(path: Path) -> int:
    """LFW-style pairs.txt over ORL: person p's images k and k+5, and p's image k with p+1's image k+5."""
    lines = []
    for person in range(1, ORL_PEOPLE + 1):
        other = person % ORL_PEOPLE + 1
        lines += [f"s{person}\t{shot}\t{shot + SHOTS}" for shot in range(1, SHOTS + 1)]
        lines += [f"s{person}\t{shot}\ts{other}\t{shot + SHOTS}" for shot in range(1, SHOTS + 1)]
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


@pytest.fixture(scope="module")
def orl_run(pipeline_config, run_pipeline, tmp_path_factory, orl_dir):
    """(config, number of ORL pairs) of a finished tiny run judged on ORL pairs."""
    folder = tmp_path_factory.mktemp("orl_pairs")
    num_pairs = _write_orl_pairs(folder / "pairs.txt")
    converted = face_data_cli.main(["lfw-pairs", str(folder / "pairs.txt"), orl_dir, str(folder / "records"),
                                    "--image-pattern", "{name}/{number}.pgm", "--quiet"])
    assert converted == 0
    config_path = pipeline_config("orl_pairs", {"evaluator": {"pairs": {"input_base": str(folder / "records")}}})
    run_pipeline(config_path)
    return load_config(config_path), num_pairs


@pytest.fixture(scope="module")
def evaluation_dir(orl_run):
    config, _ = orl_run
    (folder,) = glob.glob(os.path.join(config.pipeline_root, "EmbeddingEvaluator", "evaluation", "*"))
    return folder


def test_verification_is_measured_on_the_orl_pairs(orl_run, evaluation_dir):
    config, num_pairs = orl_run
    with open(os.path.join(evaluation_dir, "metrics.json")) as file:
        report = json.load(file)
    print(f"\nORL pairs ({report['num_pairs']}): verification accuracy {report['verification_accuracy']:.4f} "
          f"+/- {report['verification_accuracy_std']:.4f}, AUC {report['auc']:.4f}, EER {report['eer']:.4f}, "
          f"TAR@FAR=1e-1 {report['tar_at_far_1e-1']:.4f}, TAR@FAR=1e-2 {report['tar_at_far_1e-2']:.4f}, "
          f"threshold {report['best_threshold']:.4f}; synthetic eval split ({report['num_identities']} people): "
          f"rank-1 {report['rank_1']:.4f}, rank-5 {report['rank_5']:.4f}")
    (pairs_examples,) = glob.glob(os.path.join(config.pipeline_root, "PairsExampleGen", "examples", "*"))
    assert report["pairs_source"] == f"external pairs {pairs_examples}"
    assert (report["num_pairs"], report["num_positive_pairs"]) == (num_pairs, num_pairs // 2)
    for key in ("verification_accuracy", "auc", "tar_at_far_1e-1", "tar_at_far_1e-2", "rank_1", "rank_5"):
        assert 0 <= report[key] <= 1, key
    assert report["tar_at_far_1e-3"] == f"not measurable: needs 1000 negative pairs, have {num_pairs // 2}"
    assert report["tar_at_far_1e-4"] == f"not measurable: needs 10000 negative pairs, have {num_pairs // 2}"
    # Identification stays on the synthetic eval split, the only labelled faces of unseen people.
    assert report["num_images"] == report["num_identities"] * config.data.synthetic.images_per_identity


@pytest.mark.parametrize("name", ["roc.png", "similarity_histogram.png", "embedding_map.png"])
def test_evaluation_figures_are_drawn(evaluation_dir, name):
    image = Image.open(os.path.join(evaluation_dir, name))
    pixels = np.asarray(image.convert("RGB"), dtype=float)
    assert image.format == "PNG" and min(image.size) >= 300
    assert pixels.std() > 10  # drawn content on white, not one flat colour
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50

