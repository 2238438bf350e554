"""Named pairs sets in the config and in the pipeline's graph: one PairsExampleGen, a split per set."""

import json
from pathlib import Path

import pytest
from ml_metadata.proto import metadata_store_pb2

from configs import ConfigError, load_config
from pipeline import pipeline

DEMO = Path(__file__).resolve().parents[2] / "configs" / "local.yaml"


def _components(config):
    built = pipeline.create_pipeline(config, metadata_store_pb2.ConnectionConfig())
    return {component.id: component for component in built.components}


def test_each_set_is_a_split_of_one_pairs_example_gen_and_has_its_own_policy(tmp_path):
    config = load_config(DEMO, {"evaluator": {
        "pairs": {"lfw": {"input_base": str(tmp_path / "sets" / "lfw")},
                  "cfp_fp": {"input_base": str(tmp_path / "sets" / "cfp"), "file_pattern": "*.gz",
                             "min_tar_at_far": {"1e-2": 0.9}}},
        "operating_point": {"far": 1e-2, "pairs": "lfw"}}})
    components = _components(config)
    splits = components["PairsExampleGen"].exec_properties["input_config"]
    assert json.loads(splits)["splits"] == [{"name": "lfw", "pattern": "lfw/*.tfrecord*"},
                                           {"name": "cfp_fp", "pattern": "cfp/*.gz"}]
    assert components["PairsExampleGen"].exec_properties["input_base"] == str(tmp_path / "sets")
    assert json.loads(components["PairsExampleGen"].exec_properties["output_config"]) == {}  # splits kept
    evaluator = components["EmbeddingEvaluator"].exec_properties
    assert json.loads(evaluator["pair_sets"]) == ["lfw", "cfp_fp"]
    assert json.loads(evaluator["operating_point"]) == {"far": 1e-2, "pairs": "lfw"}
    policy = json.loads(evaluator["blessing_policy"])
    assert policy["pair_sets"]["cfp_fp"]["min_tar_at_far"] == {"1e-2": 0.9}
    assert policy["pair_sets"]["lfw"]["min_verification_accuracy"] == 0.0


def test_the_evaluator_settings_reach_the_trainer_only_with_validation(tmp_path):
    def trainer_config(overrides):
        return json.loads(_components(load_config(DEMO, overrides))["Trainer"].exec_properties["custom_config"])

    sets = {"lfw": {"input_base": str(tmp_path / "lfw")}}
    # Without validation, another FAR or another set changes nothing the Trainer is cached by.
    assert trainer_config({"evaluator": {"operating_point": {"far": 1e-2}, "pairs": sets}}) == trainer_config({})
    validated = trainer_config({"evaluator": {"pairs": sets}, "trainer": {"validation": {"pairs": ["lfw"]}}})
    assert validated["validation"] == {"sets": {"lfw": {"input_base": str(tmp_path / "lfw"),
                                                        "file_pattern": "*.tfrecord*"}}, "far": 1e-3, "seed": 0}


def test_without_sets_there_is_no_pairs_example_gen():
    components = _components(load_config(DEMO))
    assert "PairsExampleGen" not in components
    assert json.loads(components["EmbeddingEvaluator"].exec_properties["operating_point"]) == {
        "far": 1e-3, "pairs": "eval"}


def test_sets_in_two_buckets_are_refused():
    config = load_config(DEMO, {"evaluator": {"pairs": {"lfw": {"input_base": "gs://one/lfw"},
                                                         "cfp_fp": {"input_base": "gs://two/cfp"}}}})
    with pytest.raises(ValueError, match="expected the sets' input_base folders to share a root folder"):
        _components(config)


def test_the_former_single_set_reads_as_a_set_named_pairs_and_stays_one_split(tmp_path):
    config = load_config(DEMO, {"evaluator": {"pairs": {"input_base": str(tmp_path)}}})
    assert list(config.evaluator.pairs) == ["pairs"] and config.evaluator.pairs["pairs"].input_base == tmp_path
    # A single input split would be split 2:1 by ExampleGen unless the output says otherwise.
    output = json.loads(_components(config)["PairsExampleGen"].exec_properties["output_config"])
    assert output["split_config"]["splits"] == [{"name": "pairs", "hash_buckets": 1}]


@pytest.mark.parametrize("overrides, message", [
    ({"evaluator": {"pairs": {"eval": {"input_base": "/data/x"}}}}, "the name 'eval' is the eval split's"),
    ({"evaluator": {"pairs": {"LFW": {"input_base": "/data/x"}}}}, "evaluator.pairs.LFW.\\[key\\]"),
    ({"evaluator": {"operating_point": {"pairs": "lfw"}}}, "operating_point.pairs: expected 'eval' or a set"),
    ({"evaluator": {"operating_point": {"far": 0}}}, "evaluator.operating_point.far"),
    ({"trainer": {"validation": {"pairs": ["lfw"]}}}, "trainer.validation.pairs: \\['lfw'\\] are not sets"),
    ({"trainer": {"validation": {"pairs": [], "keep_best": "lfw"}}}, "keep_best: expected one of the validation"),
])
def test_inconsistent_sets_are_refused_naming_the_key(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(DEMO, overrides)


def test_an_ijb_set_goes_to_the_evaluator_from_its_folder_not_through_the_pairs_example_gen(tmp_path):
    config = load_config(DEMO, {"evaluator": {"pairs": {
        "lfw": {"input_base": str(tmp_path / "lfw")},
        "ijbc": {"type": "ijb", "input_base": str(tmp_path / "ijbc"), "detector_scores": False,
                 "min_tar_at_far": {"1e-6": 0.5}}},
        "operating_point": {"pairs": "ijbc"}}})
    components = _components(config)
    assert [split["name"] for split in json.loads(
        components["PairsExampleGen"].exec_properties["input_config"])["splits"]] == ["lfw"]
    evaluator = components["EmbeddingEvaluator"].exec_properties
    assert json.loads(evaluator["pair_sets"]) == ["lfw"]
    assert json.loads(evaluator["ijb_sets"]) == {"ijbc": {"input_base": str(tmp_path / "ijbc"),
                                                          "file_pattern": "*.tfrecord*", "detector_scores": False,
                                                          "flip": True}}
    assert json.loads(evaluator["blessing_policy"])["pair_sets"]["ijbc"]["min_tar_at_far"] == {"1e-6": 0.5}


@pytest.mark.parametrize("overrides, message", [
    ({"evaluator": {"pairs": {"lfw": {"input_base": "/sets/lfw", "flip": False}}}},
     "detector_scores and flip apply to sets of type ijb only"),
    ({"evaluator": {"pairs": {"ijbc": {"type": "ijb", "input_base": "/sets/ijbc"}}},
      "trainer": {"validation": {"pairs": ["ijbc"]}}},
     r"trainer.validation.pairs: \['ijbc'\] are IJB sets, scored by the evaluator only"),
    ({"evaluator": {"pairs": {"lfw": {"input_base": "/sets/lfw", "min_tar_at_far": {"1e-6": 0.5}}}}},
     r"min_tar_at_far: \['1e-6'\] are reported for sets of type ijb only"),
])
def test_ijb_keys_and_validation_on_ijb_sets_are_refused(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(DEMO, overrides)
