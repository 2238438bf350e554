"""CheckedImportExampleGen: TFX's ImportExampleGen, with every record checked inside its Beam job.

The component is the stock ImportExampleGen (same spec, splits and `examples` output); only the
executor differs (executor.py), and the check's settings travel in ExampleGen's `custom_config`.
A set with a bad record fails the component, naming each file and record, and nothing after it runs.

Example:
    example_gen = CheckedImportExampleGen(
        input_base="data/faces", input_config=..., output_config=...,
        kind="face", image_feature="image", label_feature="label")
"""

from typing import Optional

from google.protobuf import struct_pb2
from tfx.components import ImportExampleGen
from tfx.components.example_gen import component as example_gen_component
from tfx.dsl.components.base import executor_spec
from tfx.proto import example_gen_pb2

from components.checked_example_gen import executor
from face_data.conversion.images import MAX_PIXELS
from face_data.records.features import IMAGE_FEATURE, LABEL_FEATURE


class CheckedImportExampleGen(ImportExampleGen):
    """Imports TFRecords of face (`kind="face"`) or verification-pair (`kind="pair"`) records, checked.

    `output_config` None keeps each input split as an output split, as ImportExampleGen does.
    Face splits are written in a random order that `shuffle_seed` and the records fix (shuffle.py).
    """

    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

    def __init__(self, input_base: str, input_config: example_gen_pb2.Input,
                 output_config: Optional[example_gen_pb2.Output], kind: str, image_feature: str = IMAGE_FEATURE, label_feature: str = LABEL_FEATURE,
                 max_pixels: int = MAX_PIXELS, shuffle_seed: int = 0, output_data_format: Optional[int] = example_gen_pb2.FORMAT_TF_EXAMPLE):
        if kind not in (executor.FACES, executor.PAIRS):
            raise ValueError(f"kind: expected {executor.FACES!r} or {executor.PAIRS!r}, got {kind!r}")
        settings = struct_pb2.Struct()
        settings.update({"kind": kind, "image_feature": image_feature, "label_feature": label_feature,
                         "max_pixels": max_pixels, "shuffle_seed": shuffle_seed})
        custom_config = example_gen_pb2.CustomConfig()
        custom_config.custom_config.Pack(settings)
        # FileBasedExampleGen's constructor: ImportExampleGen's takes no custom_config.
        example_gen_component.FileBasedExampleGen.__init__(
            self, input_base=input_base, input_config=input_config, output_config=output_config,
            custom_config=custom_config, output_data_format=output_data_format)
