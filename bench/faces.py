"""Face records for the benchmarks: synthetic raw records, and their transformed form.

`transform_faces` runs the pipeline's `preprocessing_fn` with tf.Transform on Beam the way the
Transform component does (the Beam arguments of `configs/local.yaml`'s defaults): it analyses
and transforms one split and writes gzipped tf.Example TFRecords beside the transform graph.
"""

import dataclasses
import glob
import os

import apache_beam as beam
import tensorflow as tf
import tensorflow_transform.beam as tft_beam
from apache_beam.options.pipeline_options import PipelineOptions
from tensorflow_transform.tf_metadata import schema_utils
from tfx_bsl.coders import example_coder
from tfx_bsl.public import tfxio

from tfx_module import preprocessing
from face_data.synthetic.face_set import write_synthetic_faces
from configs.data import DataConfig
from configs.model import TransformConfig
from configs.orchestration import BeamConfig

# The data config's default feature names, as the pipeline passes them to its modules.
DATA = DataConfig(input_base=".").model_dump(mode="json")
RAW_PATTERN = "*.tfrecord*"


def raw_faces(directory, num_identities, images_per_identity, image_size):
    """Synthetic PNG face records in `directory` (made once); returns their file pattern."""
    if not os.path.isdir(directory):
        partial = directory + ".partial"
        write_synthetic_faces(partial, num_identities=num_identities,
                              images_per_identity=images_per_identity, image_size=image_size,
                              overwrite=True, show_progress=False)
        os.rename(partial, directory)
    return os.path.join(directory, RAW_PATTERN)


def raw_schema():
    """What SchemaGen infers for face records: one image (bytes) and one int64 label each."""
    return schema_utils.schema_from_feature_spec({
        DATA["image_feature"]: tf.io.FixedLenFeature([1], tf.string),
        DATA["label_feature"]: tf.io.FixedLenFeature([1], tf.int64),
    })


@dataclasses.dataclass(frozen=True)
class Transformed:
    """Where `transform_faces` wrote: the transform graph and the transformed examples."""

    transform_graph: str
    examples: str

    @classmethod
    def at(cls, output_dir):
        return cls(os.path.join(output_dir, "transform_graph"),
                   os.path.join(output_dir, "transformed_examples"))

    @property
    def files(self):
        return sorted(glob.glob(os.path.join(self.examples, "*")))

    @property
    def pattern(self):
        return os.path.join(self.examples, "*")


def transform_config(image_size):
    """The config's `transform` section (defaults) at this image size."""
    return TransformConfig(image_size=image_size)


def transform_faces(raw_pattern, output_dir, image_size):
    """Analyses and transforms the records of `raw_pattern` with the project's preprocessing_fn."""
    config = {"transform": transform_config(image_size).model_dump(mode="json"), "data": DATA}
    output = Transformed.at(output_dir)
    source = tfxio.TFExampleRecord(file_pattern=raw_pattern, schema=raw_schema())
    options = PipelineOptions(BeamConfig().pipeline_args())
    with beam.Pipeline(options=options) as pipeline, \
            tft_beam.Context(temp_dir=os.path.join(output_dir, "tmp")):
        raw = pipeline | "Read" >> source.BeamSource()
        (transformed, metadata), transform_fn = (
            (raw, source.TensorAdapterConfig())
            | tft_beam.AnalyzeAndTransformDataset(
                lambda inputs: preprocessing.preprocessing_fn(inputs, config),
                output_record_batches=True)  # as the Transform component: Arrow batches out
        )
        _ = transform_fn | tft_beam.WriteTransformFn(output.transform_graph)
        encoder = example_coder.RecordBatchToExamplesEncoder(metadata.dataset_metadata.schema)
        _ = (transformed
             | "Encode" >> beam.FlatMap(lambda batch_and_unary: encoder.encode(batch_and_unary[0]))
             | "Write" >> beam.io.WriteToTFRecord(os.path.join(output.examples, "part"),
                                                  file_name_suffix=".gz"))
    return output
