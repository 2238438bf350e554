"""VersionedPusher: TFX's Pusher with an executor that publishes TF Serving versions atomically.

The component is the stock Pusher (same parameters, same `pushed_model` output, same blessing
check) plus one optional input, `examples`: the eval split's faces, on which the executor checks
that every format of the version (`formats`: ONNX, TFLite, see serving/formats.py) serves the
SavedModel's embeddings. The blessing is required: it decides whether to push, and it carries the
threshold shipped beside the model.

Example:
    pusher = VersionedPusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        base_directory="/srv/models",
        model_name="arcface",
        keep_versions=3,
        examples=example_gen.outputs["examples"],
        formats=["onnx", "tflite"],
        preprocessing={"image_size": 112, "crop": None, "normalize_mean": 0.5, "normalize_std": 0.5},
        eval_data={"split": "eval", "image_feature": "image", "label_feature": "label",
                   "max_positive_pairs": 3000, "seed": 0},
    )  # -> /srv/models/arcface/<version>/{saved_model.pb, variables/, verification.json,
       #                                   model.onnx, model.tflite, preprocessing.json}
"""

from typing import Mapping, Optional, Sequence

from tfx import types
from tfx.components import Pusher
from tfx.dsl.components.base import base_component, executor_spec
from tfx.proto import pusher_pb2
from tfx.types import standard_artifacts, standard_component_specs
from tfx.types.component_spec import ChannelParameter
from tfx.utils import json_utils

from components.versioned_pusher import executor, gallery as gallery_step


class VersionedPusherSpec(standard_component_specs.PusherSpec):
    """The Pusher's spec plus the optional eval faces the format check embeds."""

    INPUTS = {**standard_component_specs.PusherSpec.INPUTS,
              executor.EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples, optional=True),
              executor.EVALUATION_KEY: ChannelParameter(type=standard_artifacts.ModelEvaluation, optional=True),
              executor.STATISTICS_KEY: ChannelParameter(type=standard_artifacts.ExampleStatistics, optional=True)}
    OUTPUTS = {**standard_component_specs.PusherSpec.OUTPUTS,
               gallery_step.GALLERY_KEY: ChannelParameter(type=gallery_step.GalleryArtifact, optional=True)}


class VersionedPusher(Pusher):
    """Pushes a blessed model to `<base_directory>/<model_name>/<version>/`, keeping `keep_versions`.

    With `formats`, each version also holds those files, `preprocessing.json` (made from
    `preprocessing`, the pipeline config's `transform` section) and, in verification.json, what
    each format gives on the eval faces of `examples` (`eval_data` says where and how to pair them).
    With `evaluation` (the EmbeddingEvaluator's) and `statistics` (StatisticsGen's), each version
    holds its model card: `model_card.json` (Model Card Toolkit's schema) and `model_card.md`.
    With `gallery` ({photos, probes, fpir, aligned_size}), each version holds the gallery of those
    people embedded by the model and identification.json, and the `gallery` output records it
    (gallery.py).
    """

    SPEC_CLASS = VersionedPusherSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)  # the gallery's embedding is a Beam job

    def __init__(self, model: types.BaseChannel, model_blessing: types.BaseChannel, base_directory: str,
                 model_name: str, keep_versions: int, examples: Optional[types.BaseChannel] = None,
                 formats: Sequence[str] = (), preprocessing: Optional[Mapping] = None,
                 eval_data: Optional[Mapping] = None, evaluation: Optional[types.BaseChannel] = None,
                 statistics: Optional[types.BaseChannel] = None, gallery: Optional[Mapping] = None):
        if formats and (examples is None or preprocessing is None or eval_data is None):
            raise ValueError(f"formats {list(formats)}: expected examples, preprocessing and eval_data too "
                             "(the formats are checked against the SavedModel on the eval faces)")
        spec = VersionedPusherSpec(
            model=model,
            model_blessing=model_blessing,
            examples=examples,
            evaluation=evaluation,
            statistics=statistics,
            push_destination=pusher_pb2.PushDestination(
                filesystem=pusher_pb2.PushDestination.Filesystem(base_directory=base_directory)
            ),
            custom_config=json_utils.dumps({
                executor.MODEL_NAME_KEY: model_name,
                executor.KEEP_VERSIONS_KEY: keep_versions,
                executor.FORMATS_KEY: list(formats),
                executor.PREPROCESSING_KEY: dict(preprocessing) if preprocessing else None,
                executor.EVAL_DATA_KEY: dict(eval_data) if eval_data else None,
                gallery_step.GALLERY_KEY: dict(gallery) if gallery else None,
            }),
            pushed_model=types.Channel(type=standard_artifacts.PushedModel),
            **({gallery_step.GALLERY_KEY: types.Channel(type=gallery_step.GalleryArtifact)} if gallery else {}),
        )
        base_component.BaseComponent.__init__(self, spec=spec)
