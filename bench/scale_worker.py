"""Worker: one stage of the scale benchmark over one record set, timed, in its own process.

    python -m bench.scale_worker convert OUTPUT_DIR IDENTITIES IMAGES_PER_IDENTITY SOURCE_IMAGE_SIZE
    python -m bench.scale_worker example_gen|checked_example_gen RECORDS_DIR OUTPUT_DIR
    python -m bench.scale_worker transform EXAMPLES_DIR OUTPUT_DIR IMAGE_SIZE

Prints one JSON line: the stage's seconds, the process's peak resident memory during it (reset
before it; worker processes of the stage's own not included) and the bytes it wrote.
"""

import os
import sys
import time

from tfx import v1 as tfx
from tfx.components.example_gen.import_example_gen import executor as import_executor
from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
from tfx.types import standard_artifacts, standard_component_specs as keys
from tfx.utils import proto_utils

from bench import faces, measure
from components.checked_example_gen import executor as checked_executor
from components.checked_example_gen.component import CheckedImportExampleGen
from face_data.synthetic.face_set import write_synthetic_faces
from configs.orchestration import BeamConfig

# The pipeline's identity split (configs/data.py's defaults: 3 train buckets, 1 eval).
SPLITS = tfx.proto.Output(split_config=tfx.proto.SplitConfig(
    splits=[tfx.proto.SplitConfig.Split(name="train", hash_buckets=3),
            tfx.proto.SplitConfig.Split(name="eval", hash_buckets=1)],
    partition_feature_name=faces.DATA["label_feature"]))


def folder_bytes(folder):
    return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(folder) for name in names)


def convert(output_dir, identities, images_per_identity, source_image_size):
    write_synthetic_faces(output_dir, int(identities), int(images_per_identity), image_size=int(source_image_size),
                          show_progress=False)


def example_gen(records_dir, output_dir, checked):
    """ImportExampleGen's executor (TFX's, or the pipeline's checked one) as the pipeline runs it."""
    component = CheckedImportExampleGen(
        records_dir, tfx.proto.Input(splits=[tfx.proto.Input.Split(name="all", pattern=faces.RAW_PATTERN)]),
        SPLITS, kind=checked_executor.FACES)
    # As the orchestrator hands them over: protos as JSON.
    properties = {name: value if isinstance(value, (str, int)) else proto_utils.proto_to_json(value)
                  for name, value in component.exec_properties.items() if value is not None}
    examples = standard_artifacts.Examples()
    examples.uri = os.path.join(output_dir, "examples")
    context = BaseBeamExecutor.Context(beam_pipeline_args=BeamConfig().pipeline_args(),
                                       tmp_dir=os.path.join(output_dir, "tmp"), unique_id="1")
    executor = checked_executor.Executor if checked else import_executor.Executor
    executor(context).Do({}, {keys.EXAMPLES_KEY: [examples]}, properties)
    return examples.uri


def main(stage, *arguments):
    measure.reset_peak_rss()
    start = time.perf_counter()
    if stage == "convert":
        convert(*arguments)
        written = arguments[0]
    elif stage in ("example_gen", "checked_example_gen"):
        written = example_gen(*arguments, checked=stage == "checked_example_gen")
    elif stage == "transform":
        examples_dir, output_dir, image_size = arguments
        pattern = os.path.join(examples_dir, "Split-train", "*")
        written = faces.transform_faces(pattern, output_dir, int(image_size)).examples
    else:
        raise ValueError(f"stage: expected convert, example_gen, checked_example_gen or transform, got {stage!r}")
    seconds = time.perf_counter() - start
    measure.print_result({"seconds": seconds, "peak_rss_bytes": measure.peak_rss_bytes(),
                          "output_bytes": folder_bytes(written)})


if __name__ == "__main__":
    main(*sys.argv[1:])
