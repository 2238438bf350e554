"""Runs the pipeline's `preprocessing_fn` with tf.Transform on Beam, in this process, the way the
Transform component does: the vocabulary is analysed on the train split only, every split is
transformed and written as gzipped tf.Example TFRecords (`Split-<name>/`) beside the transform graph.

Example:
    >>> data = transform_splits({"train": [record_a, record_b], "eval": [record_c]}, tmp_path, {"image_size": 32})
    >>> read_transformed(data, "eval")["label"]
    array([-1])
"""

import dataclasses
import glob
import os

import apache_beam as beam
import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
import tensorflow_transform.beam as tft_beam
from apache_beam.options.pipeline_options import PipelineOptions
from tensorflow_transform.tf_metadata import dataset_metadata, metadata_io, schema_utils
from tfx_bsl.public import tfxio

from tfx_module import preprocessing
from configs.data import DataConfig
from configs.model import TransformConfig

# Feature names of the data config; the raw schema is what SchemaGen infers for face records.
DATA = DataConfig(input_base="unused").model_dump(mode="json")


def raw_schema(label_dtype=tf.int64):
    return schema_utils.schema_from_feature_spec(
        {
            DATA["image_feature"]: tf.io.FixedLenFeature([1], tf.string),
            DATA["label_feature"]: tf.io.FixedLenFeature([1], label_dtype),
        }
    )


@dataclasses.dataclass(frozen=True)
class TransformedData:
    """Where `transform_splits` wrote: the transform graph, the transformed `Split-<name>/` example
    folders, and the raw records it was given (`<raw>/<name>.tfrecord`)."""

    transform_graph: str
    examples: str
    raw: str

    @classmethod
    def at(cls, output_dir):
        """The folders `transform_splits(..., output_dir)` writes."""
        return cls(*(os.path.join(str(output_dir), name) for name in ("transform_graph", "transformed_examples", "raw")))

    def files(self, split):
        return os.path.join(self.examples, f"Split-{split}", "*")

    def raw_records(self, split):
        return list(tf.data.TFRecordDataset(os.path.join(self.raw, f"{split}.tfrecord")).as_numpy_iterator())


def transform_splits(splits, output_dir, transform=None, label_dtype=tf.int64):
    """Analyses `splits["train"]` and transforms every split; `splits` maps a name to serialized records.

    `transform` overrides the default transform config (e.g. `{"image_size": 32}`).
    """
    config = {
        "transform": TransformConfig.model_validate(transform or {}).model_dump(mode="json"),
        "data": DATA,
    }
    output_dir = str(output_dir)
    data = TransformedData.at(output_dir)
    schema = raw_schema(label_dtype)
    sources = {}
    os.makedirs(data.raw, exist_ok=True)
    for split, records in splits.items():
        path = os.path.join(data.raw, f"{split}.tfrecord")
        with tf.io.TFRecordWriter(path) as writer:
            for record in records:
                writer.write(record)
        sources[split] = tfxio.TFExampleRecord(file_pattern=path, schema=schema)

    # SwitchingDirectRunner: the plain DirectRunner first tries to download a Prism binary.
    options = PipelineOptions(["--runner=SwitchingDirectRunner", "--direct_running_mode=in_memory"])
    with beam.Pipeline(options=options) as pipeline, tft_beam.Context(temp_dir=os.path.join(output_dir, "tmp")):
        raw = {split: pipeline | f"Read {split}" >> source.BeamSource() for split, source in sources.items()}
        transform_fn = (raw["train"], sources["train"].TensorAdapterConfig()) | tft_beam.AnalyzeDataset(
            lambda inputs: preprocessing.preprocessing_fn(inputs, config)
        )
        _ = transform_fn | tft_beam.WriteTransformFn(data.transform_graph)
        for split, source in sources.items():
            transformed, metadata = ((raw[split], source.TensorAdapterConfig()), transform_fn) | (
                f"Transform {split}" >> tft_beam.TransformDataset()
            )
            coder = tft.coders.ExampleProtoCoder(metadata.dataset_metadata.schema)
            _ = (
                transformed
                | f"Encode {split}" >> beam.Map(coder.encode)
                | f"Write {split}"
                >> beam.io.WriteToTFRecord(
                    os.path.join(data.examples, f"Split-{split}", "transformed_examples"),
                    file_name_suffix=".gz",
                )
            )
    # The raw schema, which the Transform component also keeps: serving parses raw records with it.
    metadata_io.write_metadata(
        dataset_metadata.DatasetMetadata(schema),
        os.path.join(data.transform_graph, tft.TFTransformOutput.RAW_METADATA_DIR),
    )
    return data


def read_transformed(data, split):
    """The transformed records of a split, in no particular order: {feature: numpy array}."""
    spec = tft.TFTransformOutput(data.transform_graph).transformed_feature_spec()
    files = sorted(glob.glob(data.files(split)))
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP")
    columns = {name: [] for name in spec}
    for record in dataset:
        for name, value in tf.io.parse_single_example(record, spec).items():
            columns[name].append(value.numpy())
    return {name: np.stack(values) for name, values in columns.items()}
