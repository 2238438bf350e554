"""The reviewed schema (configs/schemas/faces.pbtxt): the pipeline imports it, and ExampleValidator
flags records that drifted from it.

The drift test runs TFX's own executors (StatisticsGen on Beam's direct runner, ImportSchemaGen,
ExampleValidator) on a few records, as the pipeline would; about 10 s on 2 cores.
"""

import io
import os
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_data_validation as tfdv
from PIL import Image
from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx import v1 as tfx
from tfx.components.example_validator import executor as validator_executor
from tfx.components.schema_gen.import_schema_gen import executor as import_schema_executor
from tfx.components.statistics_gen import executor as statistics_executor
from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
from tfx.types import artifact_utils, standard_artifacts, standard_component_specs as keys

from face_data.records.contract import make_face_example
from configs import load_config
from configs.orchestration import BeamConfig
from inspection import metadata
from pipeline import pipeline
from inspection import schema as schema_command

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "configs" / "schemas" / "faces.pbtxt"
Anomaly = anomalies_pb2.AnomalyInfo


def _png(seed: int, size: int = 32) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _artifact(kind, uri, **properties):
    artifact = kind()
    artifact.uri = str(uri)
    for name, value in properties.items():
        setattr(artifact, name, value)
    os.makedirs(uri, exist_ok=True)
    return artifact


def _anomalies(tmp_path, examples) -> anomalies_pb2.Anomalies:
    """What ExampleValidator finds in `examples` (one train split) against the reviewed schema."""
    split = artifact_utils.encode_split_names(["train"])
    records = _artifact(standard_artifacts.Examples, tmp_path / "examples", split_names=split)
    os.makedirs(tmp_path / "examples" / "Split-train")
    # As ExampleGen writes a split: gzipped TFRecord shards.
    with tf.io.TFRecordWriter(str(tmp_path / "examples" / "Split-train" / "data_tfrecord-00000-of-00001.gz"),
                              "GZIP") as writer:
        for example in examples:
            writer.write(example.SerializeToString())
    statistics = _artifact(standard_artifacts.ExampleStatistics, tmp_path / "statistics", split_names=split)
    context = BaseBeamExecutor.Context(beam_pipeline_args=BeamConfig().pipeline_args(), tmp_dir=str(tmp_path / "tmp"))
    statistics_executor.Executor(context).Do(
        {keys.EXAMPLES_KEY: [records]}, {keys.STATISTICS_KEY: [statistics]}, {keys.EXCLUDE_SPLITS_KEY: "[]"})
    schema = _artifact(standard_artifacts.Schema, tmp_path / "schema")
    import_schema_executor.Executor().Do({}, {keys.SCHEMA_KEY: [schema]}, {keys.SCHEMA_FILE_KEY: str(SCHEMA)})
    anomalies = _artifact(standard_artifacts.ExampleAnomalies, tmp_path / "anomalies")
    validator_executor.Executor().Do(
        {keys.STATISTICS_KEY: [statistics], keys.SCHEMA_KEY: [schema]}, {keys.ANOMALIES_KEY: [anomalies]},
        {keys.EXCLUDE_SPLITS_KEY: "[]"})
    diff = Path(anomalies.uri, "Split-train", validator_executor.DEFAULT_FILE_NAME).read_bytes()
    return anomalies_pb2.Anomalies.FromString(diff)


def _kinds(anomalies) -> dict:
    return {name: {reason.type for reason in info.reason} for name, info in anomalies.anomaly_info.items()}


def test_records_like_the_reviewed_ones_have_no_anomaly(tmp_path):
    assert _kinds(_anomalies(tmp_path, [make_face_example(_png(i), i % 3) for i in range(12)])) == {}


def test_a_label_of_the_other_type_is_flagged(tmp_path):
    # The identities as names (bytes) where the reviewed schema has integer ids.
    drifted = [make_face_example(_png(i), f"person-{i % 3}") for i in range(12)]
    kinds = _kinds(_anomalies(tmp_path, drifted))
    assert set(kinds) == {"label"}
    assert kinds["label"] & {Anomaly.UNEXPECTED_DATA_TYPE, Anomaly.INT_TYPE_STRING_EXPECTED,
                             Anomaly.INT_TYPE_NOT_INT_STRING}, kinds


def test_the_pipeline_imports_the_configured_schema_and_infers_one_without(tmp_path):
    config = load_config(REPO / "configs" / "local.yaml")
    assert config.data.schema_file == SCHEMA
    node = next(c for c in pipeline.create_pipeline(config).components if c.id == "SchemaGen")
    assert isinstance(node, tfx.components.ImportSchemaGen)
    assert node.exec_properties[keys.SCHEMA_FILE_KEY] == str(SCHEMA)

    inferred = load_config(REPO / "configs" / "local.yaml", {"data": {"schema_file": None}})
    node = next(c for c in pipeline.create_pipeline(inferred).components if c.id == "SchemaGen")
    assert isinstance(node, tfx.components.SchemaGen)


@pytest.mark.pipeline
def test_the_refresh_command_infers_the_reviewed_schema_from_a_run(tiny_run, tmp_path, capsys):
    # The session's tiny run (shared with tests/pipeline/test_end_to_end.py); the command: < 10 s.
    config, _ = tiny_run
    output = tmp_path / "faces.pbtxt"
    schema_command.main(["--config", str(config.run_root / "config.yaml"), "--output", str(output)])
    store = metadata.open_store(config)
    run = metadata.find_run(store, config.pipeline_name)
    assert capsys.readouterr().out == f"Schema inferred from run {run.name}: {output}\n"
    # The synthetic faces still have the schema that was reviewed (the comments aside).
    assert tfdv.load_schema_text(str(output)) == tfdv.load_schema_text(str(SCHEMA))
