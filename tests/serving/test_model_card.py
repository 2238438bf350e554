"""The model card in the tiny run's pushed version, and the eval split's TAR over every pair behind it."""

import glob
import json
import os

import pytest

from components.embedding_evaluator import catalog
from serving import model_card
from serving.model_folder import latest_version_dir

pytestmark = pytest.mark.pipeline

# Model Card Toolkit's model_card.schema.json (v0.0.2) allows these top-level fields and no others.
MCT_FIELDS = {"schema_version", "model_details", "model_parameters", "quantitative_analysis", "considerations"}


@pytest.fixture(scope="module")
def card(model_dir):
    with open(os.path.join(latest_version_dir(model_dir), model_card.FILE_NAME)) as file:
        return json.load(file)


def test_the_eval_split_reports_tar_at_far_1e_4_over_every_pair_or_says_why_not(tiny_run):
    config, _ = tiny_run
    (metrics_file,) = glob.glob(os.path.join(config.pipeline_root, "EmbeddingEvaluator", "evaluation", "*",
                                             catalog.METRICS_FILE))
    with open(metrics_file) as file:
        report = json.load(file)
    every, faces = report[catalog.ALL_PAIRS], report["num_images"]
    impostors = every["num_impostor_pairs"]
    # Every pair of the eval faces, more different-person pairs than were drawn.
    assert impostors + every["num_genuine_pairs"] == faces * (faces - 1) // 2
    assert impostors >= report["num_negative_pairs"]
    for name, far in catalog.ALL_PAIRS_FARS.items():
        tar = every[catalog.tar_key(name)]
        if impostors * far >= 1:
            assert 0 <= tar <= 1 and every[catalog.interval_key(catalog.tar_key(name))][0] <= tar
        else:
            assert tar.startswith(f"not measurable: a FAR of {far:g} needs at least")


def test_the_pushed_version_holds_a_model_card_in_the_model_card_toolkit_schema(card, model_dir, tiny_run):
    assert set(card) == MCT_FIELDS and card["schema_version"] == model_card.SCHEMA_VERSION
    details = card["model_details"]
    assert details["path"] == latest_version_dir(model_dir) and details["version"]["name"] == os.path.basename(
        details["path"])
    # Lineage: the model, its blessing, the evaluation and the statistics, by ML Metadata id.
    kinds = {reference["reference"].split("#")[1] for reference in details["references"]}
    assert {"Model", "ModelBlessing", "ModelEvaluation", "ExampleStatistics", "Examples"} <= kinds
    limitations = " ".join(item["description"] for item in card["considerations"]["limitations"])
    assert "liveness" in limitations and "anti-spoofing" in limitations
    # The training data summary comes from the run's statistics: faces per split.
    data = {item["name"]: item["description"] for item in card["model_parameters"]["data"]}
    assert "face records (split 'train'" in data["train split"]
    metrics = card["quantitative_analysis"]["performance_metrics"]
    slices = {metric["slice"] for metric in metrics}
    assert "eval split, every pair" in slices and any(where.startswith("operating point: threshold") for where in slices)
    tar = [metric for metric in metrics if metric["type"] == "TAR at FAR 1e-2" and metric["slice"] == "eval split, every pair"]
    assert len(tar) == 1 and "confidence_interval" in tar[0]
    assert all(isinstance(metric["value"], str) for metric in metrics)  # the schema's type


def test_the_readable_page_beside_it_says_the_same(card, model_dir):
    with open(os.path.join(latest_version_dir(model_dir), model_card.PAGE_NAME)) as file:
        page = file.read()
    assert page == model_card.render_page(card)
    for heading in ("## Intended use", "## Out of scope and limitations", "## Operating point", "## Figures",
                    "## Lineage (ML Metadata)"):
        assert heading in page
