"""One run on tiny synthetic data judged on two named pairs sets of ORL faces, validated during training.

The sets: `orl`, a pairs.txt converted by the face data CLI, and `orl_bin`, an insightface `.bin`
whose images are uint8 numpy arrays (as insightface's AgeDB and CFP packers write them), converted
by the same CLI. Both travel into the pipeline through the PairsExampleGen (a split each); each is
reported on its own beside the synthetic eval split, which keeps identification. The Trainer
validates on both every 25 of its 100 steps and keeps the weights of the best `orl` accuracy,
which are the ones exported. The shipped threshold is chosen for a FAR of 1e-2 on `orl`.

The ORL face database was taken between 1992 and 1994 at the Olivetti Research Laboratory in
Cambridge, UK (40 people x 10 images); credit to the Olivetti Research Laboratory (AT&T
Laboratories Cambridge). The faces are read in place (the `orl_dir` fixture, tests/conftest.py),
never copied.
"""

import glob
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from face_data.conversion import cli as face_data_cli
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
def orl_run(pipeline_config, run_pipeline, tmp_path_factory, orl_dir, orl_verification_bin):
    """(config, {set: number of pairs}, runner output) of a finished tiny run judged on ORL pairs."""
    folder = tmp_path_factory.mktemp("orl_pairs")
    # The .bin: person p's images 1 and 9, and p's image 2 with p+1's image 10, at pickle protocol 2.
    bin_pairs = [pair for person in range(1, ORL_PEOPLE + 1)
                 for pair in (((person, 1), (person, 9)), ((person, 2), (person % ORL_PEOPLE + 1, 10)))]
    sizes = {"orl": _write_orl_pairs(folder / "pairs.txt"),
             "orl_bin": orl_verification_bin(folder / "orl.bin", bin_pairs, protocol=2)}
    assert face_data_cli.main(["lfw-pairs", str(folder / "pairs.txt"), orl_dir, str(folder / "orl"),
                               "--image-pattern", "{name}/{number}.pgm", "--quiet"]) == 0
    assert face_data_cli.main(["bin", str(folder / "orl.bin"), str(folder / "orl_bin"), "--quiet"]) == 0
    config_path = pipeline_config("orl_pairs", {
        "evaluator": {"pairs": {name: {"input_base": str(folder / name)} for name in sizes},
                      "operating_point": {"criterion": "far", "far": 1e-2, "pairs": "orl"}},
        "trainer": {"validation": {"pairs": ["orl", "orl_bin"], "every_steps": 25, "keep_best": "orl"}},
    })
    result = run_pipeline(config_path, extra_args=("--log-level", "info"))
    return load_config(config_path), sizes, result.stdout + result.stderr


@pytest.fixture(scope="module")
def evaluation_dir(orl_run):
    config, _, _ = orl_run
    (folder,) = glob.glob(os.path.join(config.pipeline_root, "EmbeddingEvaluator", "evaluation", "*"))
    return folder


def _report(evaluation_dir):
    with open(os.path.join(evaluation_dir, "metrics.json")) as file:
        return json.load(file)


def test_each_orl_set_is_reported_on_its_own(orl_run, evaluation_dir):
    config, sizes, output = orl_run
    report = _report(evaluation_dir)
    (pairs_examples,) = glob.glob(os.path.join(config.pipeline_root, "PairsExampleGen", "examples", "*"))
    for name, size in sizes.items():
        scored = report["pair_sets"][name]
        print(f"\n{name} ({scored['num_pairs']} pairs): verification accuracy {scored['verification_accuracy']:.4f} "
              f"+/- {scored['verification_accuracy_std']:.4f}, AUC {scored['auc']:.4f}, EER {scored['eer']:.4f}, "
              f"TAR@FAR=1e-1 {scored['tar_at_far_1e-1']}")
        assert scored["pairs_source"].startswith(f"pairs set '{name}': {pairs_examples}/Split-{name}/")
        assert (scored["num_pairs"], scored["num_positive_pairs"]) == (size, size // 2)
        for key in ("verification_accuracy", "auc", "tar_at_far_1e-1"):
            assert 0 <= scored[key] <= 1, (name, key)
        assert scored["tar_at_far_1e-3"] == f"not measurable: needs 1000 negative pairs, have {size // 2}"
    # The eval split is scored as without sets, and keeps identification.
    assert report["num_images"] == report["num_identities"] * config.data.synthetic.images_per_identity
    assert 0 <= report["verification_accuracy"] <= 1 and 0 <= report["rank_1"] <= 1
    point = report["operating_point"]
    print(f"operating point on orl: threshold {point['threshold']:.4f}, FAR {point['far']:.4f} "
          f"{point['far_interval']}, FRR {point['frr']:.4f} {point['frr_interval']}")
    assert (point["pairs"], point["target_far"], point["num_negative_pairs"]) == ("orl", 1e-2, sizes["orl"] // 2)
    assert point["far"] <= 1e-2
    # The runner's summary names each set and the operating point.
    for name, size in sizes.items():
        accuracy = report["pair_sets"][name]["verification_accuracy"]
        assert f"  on {name}: {accuracy:.4f} (+/- " in output and f", {size} pairs)" in output
    assert (f"Operating point: threshold {point['threshold']:.4f} for FAR 0.01 on the orl pairs: FAR {point['far']:.4f}, "
            f"FRR {point['frr']:.4f} (200 + 200 pairs)") in output


VALIDATION_LINE = re.compile(r"validation at step (\d+)/100 \([\d.]+ s\): orl accuracy ([\d.]+) .*; orl_bin accuracy")
BEST_LINE = re.compile(r"exporting the best weights by orl accuracy: ([\d.]+) at step (\d+) of 100")


def test_validation_is_logged_during_training_and_the_best_weights_are_exported(orl_run, evaluation_dir):
    config, sizes, output = orl_run
    validations = [(int(step), float(accuracy)) for step, accuracy in VALIDATION_LINE.findall(output)]
    assert [step for step, _ in validations] == [25, 50, 75, 100], output[-3000:]
    best_accuracy = max(accuracy for _, accuracy in validations)
    best_step = next(step for step, accuracy in validations if accuracy == best_accuracy)
    (exported,) = BEST_LINE.findall(output)
    print(f"\nvalidation on orl during training: {validations}; exported the weights of step {exported[1]}")
    assert (float(exported[0]), int(exported[1])) == (best_accuracy, best_step)
    # The exported model, scored by the evaluator on the same pairs and folds, is the best step's.
    scored = _report(evaluation_dir)["pair_sets"]["orl"]["verification_accuracy"]
    assert abs(scored - best_accuracy) <= 1 / sizes["orl"] + 1e-4  # at most one pair decided otherwise
    # TensorBoard has every validation of both sets.
    events = glob.glob(os.path.join(config.pipeline_root, "Trainer", "model_run", "*", "events.out.tfevents.*"))
    tags = {}
    for record in tf.data.TFRecordDataset(events):
        event = tf.compat.v1.Event.FromString(record.numpy())
        for value in event.summary.value:
            tags.setdefault(value.tag, []).append(event.step)
    assert tags["validation/orl/accuracy"] == tags["validation/orl_bin/accuracy"] == [25, 50, 75, 100]
    assert tags["validation/orl/tar_at_far"] == [25, 50, 75, 100]


@pytest.mark.parametrize("name", ["roc.png", "similarity_histogram.png", "identity_separation.png"])
def test_evaluation_figures_are_drawn(evaluation_dir, name):
    image = Image.open(os.path.join(evaluation_dir, name))
    pixels = np.asarray(image.convert("RGB"), dtype=float)
    assert image.format == "PNG" and min(image.size) >= 300
    assert pixels.std() > 10  # drawn content on white, not one flat colour
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50

