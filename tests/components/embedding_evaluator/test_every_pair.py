"""The evaluator on every pair of the eval split: TAR down to 1e-6, the operating point there, and
per-group rates that a planted group with a raised FAR fails the blessing on, by name."""

import json

import numpy as np
import pytest

from components.embedding_evaluator import catalog, embedding
from components.embedding_evaluator.blessing import BlessingPolicy, judge
from components.embedding_evaluator.scoring import CANDIDATE, evaluate
from verification import metrics, operating_point


def _faces(lookalike_region=None, seed=0):
    """120 identities x 6 faces (259,000-odd impostor pairs); region "east" or "west" by identity.

    With `lookalike_region`, that region's identities are drawn closer together than the others,
    so its impostor pairs are falsely accepted far more often.
    """
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(120), 6)
    region = np.where(np.arange(120) % 2, "east", "west")
    centres = rng.standard_normal((120, 32))
    if lookalike_region is not None:
        chosen = region == lookalike_region
        centres[chosen] = 0.3 * centres[chosen] + rng.standard_normal(32)  # one shared look
    embeddings = centres[labels] + 0.7 * rng.standard_normal((len(labels), 32))
    return {
        embedding.KEY_FEATURE: np.array([f"{index:04d}".encode() for index in range(len(labels))]),
        embedding.LABEL_FEATURE: labels,
        embedding.embedding_feature(CANDIDATE): embeddings.astype(np.float32),
        embedding.ATTRIBUTE_PREFIX + "region": np.array([value.encode() for value in region[labels]]),
    }


def _evaluate(faces, far=1e-3):
    return evaluate(faces, {}, [CANDIDATE], max_positive_pairs=300, seed=0, eval_source="eval split",
                    set_sources={}, point={"far": far, "pairs": "eval"}, every_pair={"replicates": 50})


def test_the_eval_split_is_scored_on_every_pair_down_to_the_far_it_resolves():
    faces = _faces()
    result = _evaluate(faces).results[CANDIDATE]
    every = result[catalog.ALL_PAIRS]
    assert every["num_impostor_pairs"] == 720 * 719 // 2 - 120 * 15 and every["num_genuine_pairs"] == 1800
    unit = metrics.unit_rows(faces[embedding.embedding_feature(CANDIDATE)])
    first, second = np.triu_indices(720, k=1)
    scores = np.einsum("ij,ij->i", unit[first], unit[second])
    is_same = faces[embedding.LABEL_FEATURE][first] == faces[embedding.LABEL_FEATURE][second]
    reference = metrics.tar_at_far(scores, is_same, tuple(catalog.ALL_PAIRS_FARS.values()))
    for name, far in catalog.ALL_PAIRS_FARS.items():
        if far >= 1e-5:
            assert every[catalog.tar_key(name)] == pytest.approx(reference[far])
            low, high = every[catalog.interval_key(catalog.tar_key(name))]
            assert low <= reference[far] <= high
        else:  # 258,000 impostor pairs cannot resolve 1e-6: the report says so
            assert every[catalog.tar_key(name)].startswith("not measurable: a FAR of 1e-06 needs at least 1000000")
    point = result[catalog.OPERATING_POINT]
    expected = operating_point.choose(scores, is_same, 1e-3)
    assert point["false_accepts"] == expected.false_accepts and point["num_negative_pairs"] == (~is_same).sum()
    assert point["pairs"] == "eval, every pair" and point["intervals"].startswith("bootstrap over identities")
    assert point["far_interval"][0] <= point["far"] <= point["far_interval"][1]
    json.dumps(result)  # the report is plain JSON


def test_a_group_with_a_raised_far_blocks_the_blessing_naming_the_group():
    policy = BlessingPolicy(min_verification_accuracy=0.0, max_group_rate_factor=3.0)
    fair = _evaluate(_faces()).results[CANDIDATE]
    assert set(fair[catalog.GROUPS]["region"]["within"]) == {"east", "west"}
    assert judge(policy, fair).blessed, judge(policy, fair).checks

    planted = _evaluate(_faces(lookalike_region="east")).results[CANDIDATE]
    within = planted[catalog.GROUPS]["region"]["within"]
    overall = planted[catalog.OPERATING_POINT]["far"]
    print(f"\nFAR within east {within['east']['far']:.2e}, west {within['west']['far']:.2e}, overall {overall:.2e}")
    verdict = judge(policy, planted)
    assert not verdict.blessed
    failed = [check for check in verdict.checks if check.startswith("FAIL")]
    assert len(failed) == 1 and failed[0].startswith("FAIL group region=east FAR"), verdict.checks
    assert "at most 3x allowed" in failed[0]


def test_a_group_factor_without_attributes_fails_saying_how_to_give_them():
    faces = _faces()
    del faces[embedding.ATTRIBUTE_PREFIX + "region"]
    verdict = judge(BlessingPolicy(min_verification_accuracy=0.0, max_group_rate_factor=2.0),
                    _evaluate(faces).results[CANDIDATE])
    assert not verdict.blessed and "--attributes CSV" in verdict.checks[-1]


def test_a_pairs_set_that_names_its_identities_is_scored_on_every_pair_of_its_faces():
    faces = _faces()
    rng = np.random.default_rng(4)
    first, second = rng.integers(0, 200, 900), rng.integers(0, 200, 900)  # 900 pairs among 200 faces
    labels, vectors = faces[embedding.LABEL_FEATURE], faces[embedding.embedding_feature(CANDIDATE)]
    columns = {
        embedding.KEY_FEATURE: np.array([f"{index:04d}".encode() for index in range(900)]),
        embedding.IS_SAME_FEATURE: (labels[first] == labels[second]).astype(int),
        embedding.embedding_feature(CANDIDATE, "a"): vectors[first],
        embedding.embedding_feature(CANDIDATE, "b"): vectors[second],
        embedding.LABEL_A_FEATURE: labels[first], embedding.LABEL_B_FEATURE: labels[second],
        embedding.IMAGE_KEY_A_FEATURE: first.astype(str).astype(bytes),
        embedding.IMAGE_KEY_B_FEATURE: second.astype(str).astype(bytes),
    }
    result = evaluate(faces, {"named": columns}, [CANDIDATE], max_positive_pairs=300, seed=0, eval_source="eval",
                      set_sources={"named": "pairs"}, point={"far": 1e-3, "pairs": "eval"},
                      every_pair={"replicates": 20}).results[CANDIDATE]
    every = result[catalog.PAIR_SETS]["named"][catalog.ALL_PAIRS]
    used = np.unique(np.r_[first, second])
    same = labels[used][:, None] == labels[used][None, :]
    assert every["num_genuine_pairs"] == (same.sum() - len(used)) // 2  # each distinct face once
    assert every["num_impostor_pairs"] == (~same).sum() // 2
    assert isinstance(every[catalog.tar_key("1e-2")], float)


def test_the_tar_over_every_pair_can_be_required_down_to_the_far_the_split_resolves():
    candidate = _evaluate(_faces()).results[CANDIDATE]
    tar = candidate[catalog.ALL_PAIRS][catalog.tar_key("1e-5")]
    verdict = judge(BlessingPolicy(min_verification_accuracy=0.0,
                                   every_pair_min_tar_at_far={"1e-5": tar, "1e-6": 0.1}), candidate)
    assert verdict.checks[1] == f"PASS all_pairs/tar_at_far_1e-5 {tar:.4f}, required >= {tar:.4f}"
    assert verdict.checks[2].startswith("FAIL all_pairs/tar_at_far_1e-6 not measurable: a FAR of 1e-06 needs")
