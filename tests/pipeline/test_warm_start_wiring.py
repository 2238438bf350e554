"""trainer.warm_start.base_model wires the Trainer's `base_model` input: the Resolver, an Importer, or nothing."""

from pathlib import Path

import pytest

from configs import ConfigError, load_config
from pipeline import nodes, pipeline
from configs.starting_model import BACKBONE_FILE, METADATA_FILE

DEMO = Path(__file__).resolve().parents[2] / "configs" / "local.yaml"


def components(config):
    return {component.id: component for component in pipeline.create_pipeline(config).components}


def base_model_producer(config):
    channel = components(config)[nodes.TRAINER].inputs.get("base_model")
    return channel and channel.producer_component_id


def test_last_blessed_is_the_resolver_the_evaluator_compares_with():
    config = load_config(DEMO, {"trainer": {"warm_start": {"base_model": "last_blessed"}}})
    assert base_model_producer(config) == nodes.LATEST_BLESSED_MODEL_RESOLVER
    evaluator = components(config)[nodes.EMBEDDING_EVALUATOR]
    assert evaluator.inputs["baseline_model"].producer_component_id == nodes.LATEST_BLESSED_MODEL_RESOLVER


def test_a_starting_models_folder_is_imported_and_none_leaves_the_input_empty(tmp_path):
    for name in (BACKBONE_FILE, METADATA_FILE):
        (tmp_path / name).write_text("")
    config = load_config(DEMO, {"trainer": {"warm_start": {"base_model": str(tmp_path)}}})
    assert base_model_producer(config) == nodes.BASE_MODEL_IMPORTER
    assert components(config)[nodes.BASE_MODEL_IMPORTER].exec_properties["artifact_uri"] == str(tmp_path)
    assert base_model_producer(load_config(DEMO)) is None


def test_a_folder_that_is_no_starting_model_is_refused_when_the_config_loads(tmp_path):
    with pytest.raises(ConfigError, match=rf"trainer.warm_start.base_model: .*{tmp_path} has no {BACKBONE_FILE}"):
        load_config(DEMO, {"trainer": {"warm_start": {"base_model": str(tmp_path)}}})
