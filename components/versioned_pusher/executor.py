"""VersionedPusher executor: TFX's Pusher checks, then an atomic, numbered, pruned publish.

Like the stock Pusher it pushes only a blessed model, archives the pushed model in the PushedModel
artifact and marks it `pushed`, `pushed_destination` and `pushed_version`. Unlike it, the model goes
to `<base_directory>/<model_name>/<version>/` (TF Serving's model base path per model), appears
there atomically, only the newest `keep_versions` are kept, and the blessing's `verification.json`
(the EmbeddingEvaluator's threshold) is copied beside it. Given the evaluation (and the run's
statistics), the version also holds its model card, `model_card.json` and `model_card.md`
(model_card.py; serving/model_card.py owns the names).

With `formats` (ONNX, TFLite: serving/formats.py), the version is first assembled in a local
folder: the SavedModel, each format converted from its `embed_pixels` signature (conversion.py)
and `preprocessing.json` (serving/preprocessing.py); verification.json gains, under "formats",
each format's cosine with the SavedModel on the probe faces and the verification accuracy it gives
on the eval pairs (parity.py).

Before the copy becomes a version it is loaded as a user would load it (`parity.check_formats`):
the SavedModel must embed the probe faces (real faces from the eval split of `examples`, or a
noise image without them: a flat image may embed to ~0) as finite unit vectors, and each float32 format must give the same
embeddings. A copy that is damaged, a model that yields NaN, or a format that disagrees is never
served; the error names the format.
"""

import io
import json
import os
import tempfile
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf
from PIL import Image

from tensorflow_metadata.proto.v0 import statistics_pb2
from tfx import types
from tfx.components.pusher import executor as pusher_executor
from tfx.dsl.components.base import base_beam_executor
from tfx.proto import pusher_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import io_utils, json_utils, proto_utils

from arcface_module.catalog import FACE_SIZE
from components.embedding_evaluator.catalog import METRICS_FILE, VERIFICATION_ACCURACY
from components.versioned_pusher import conversion, gallery, model_card, parity, versions
from face_data.records import contract
from serving import identification_file, preprocessing, verification_file
from serving.formats import MIN_COSINE

MODEL_NAME_KEY = "model_name"
KEEP_VERSIONS_KEY = "keep_versions"
FORMATS_KEY = "formats"
PREPROCESSING_KEY = "preprocessing"
EVAL_DATA_KEY = "eval_data"
EXAMPLES_KEY = "examples"
EVALUATION_KEY = "evaluation"  # the EmbeddingEvaluator's ModelEvaluation: the card's figures
STATISTICS_KEY = "statistics"  # StatisticsGen's: the card's data summary
STATISTICS_FILE = "FeatureStats.pb"  # StatisticsGen's binary DatasetFeatureStatisticsList, per split
PROBE_SIZE = FACE_SIZE  # pixels of the noise probe; the model's own preprocessing resizes it
PROBE_FACES = 16  # eval faces every format must embed as the SavedModel does
# Eval faces each format embeds for its pair accuracy: all of the demo's (a quarter of its 2400), a
# bounded cost on a large eval split (every runtime embeds them: 5 x 2000 faces at most).
MAX_EVAL_FACES = 2000


def _noise_probe() -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, (PROBE_SIZE, PROBE_SIZE, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def check_serves(folder: str, formats: Sequence[str] = (), probe_faces: Sequence[bytes] = ()) -> Dict[str, dict]:
    """Raises ValueError unless the version in `folder` serves (see parity.check_formats); a noise probe by default."""
    return parity.check_formats(folder, formats, list(probe_faces) or [_noise_probe()])


def read_eval_faces(examples: types.Artifact, eval_data: Dict[str, Any]) -> Tuple[List[bytes], np.ndarray]:
    """The encoded images and labels of the eval split of ExampleGen's `examples`: its first MAX_EVAL_FACES."""
    split_uri = artifact_utils.get_split_uri([examples], eval_data["split"])
    files = sorted(tf.io.gfile.glob(os.path.join(split_uri, "*")))
    if not files:
        raise ValueError(f"split '{eval_data['split']}' of {examples.uri}: expected TFRecord files, found none")
    features = contract.FaceFeatures(eval_data["image_feature"], eval_data["label_feature"])
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP").take(MAX_EVAL_FACES)
    faces = [contract.parse_face_example(record.numpy(), features, f"{split_uri} record {number}")
             for number, record in enumerate(dataset)]
    return [face.image for face in faces], np.array([str(face.label) for face in faces])


def _single(input_dict, key) -> Optional[types.Artifact]:
    artifacts = input_dict.get(key) or []
    return artifact_utils.get_single_instance(artifacts) if artifacts else None


def read_statistics(statistics: Optional[types.Artifact]) -> Dict[str, statistics_pb2.DatasetFeatureStatisticsList]:
    """{split: its statistics} of a StatisticsGen output; {} without one."""
    if statistics is None:
        return {}
    result = {}
    for split in artifact_utils.decode_split_names(statistics.split_names):
        path = os.path.join(artifact_utils.get_split_uri([statistics], split), STATISTICS_FILE)
        result[split] = statistics_pb2.DatasetFeatureStatisticsList.FromString(io_utils.read_bytes_file(path))
    return result


def card_files(input_dict, model_name: str, verification: Dict[str, Any]):
    """The version folder -> {model card file: text}, from the evaluation, statistics and lineage ids."""
    evaluation, statistics = _single(input_dict, EVALUATION_KEY), _single(input_dict, STATISTICS_KEY)
    if evaluation is None:
        return lambda version_dir: {}
    metrics = json.loads(io_utils.read_string_file(os.path.join(evaluation.uri, METRICS_FILE)))
    stats = read_statistics(statistics)
    lineage = {artifact.type_name: artifact.id for key in (standard_component_specs.MODEL_KEY,
                                                          standard_component_specs.MODEL_BLESSING_KEY,
                                                          EVALUATION_KEY, STATISTICS_KEY, EXAMPLES_KEY)
               for artifact in input_dict.get(key) or []}
    return lambda version_dir: model_card.files(model_card.build(metrics, stats, lineage, model_name, version_dir,
                                                                 verification))


def assemble(model_dir: str, folder: str, formats: List[str], transform: Dict[str, Any]) -> None:
    """The SavedModel, each format's file and preprocessing.json in the local `folder`."""
    io_utils.copy_dir(model_dir, folder)
    if not formats:
        return
    conversion.convert(model_dir, folder, formats)
    with open(os.path.join(folder, preprocessing.FILE_NAME), "w", encoding="utf-8") as file:
        json.dump(preprocessing.spec_from_transform(transform), file, indent=2)


def _format_report(folder: str, formats: List[str], images: List[bytes], labels: np.ndarray, probes: List[bytes],
                   eval_data: Dict[str, Any]) -> Dict[str, Any]:
    """verification.json's "formats" (each one's probe cosines and pair accuracy) and "format_check".

    Raises ValueError, naming the format, if a float32 format does not serve the SavedModel's embeddings.
    """
    report = parity.check_formats(folder, formats, probes)
    accuracy = parity.pair_accuracy(folder, formats, images, labels, eval_data["max_positive_pairs"],
                                    eval_data["seed"])
    for name in formats:
        report[name][VERIFICATION_ACCURACY] = accuracy[name]
    check = {"probe_faces": len(probes), "min_cosine_required": MIN_COSINE,
             "pairs": f"drawn as the evaluator draws them from split '{eval_data['split']}' ({len(images)} images"
                      f"{', its first' if len(images) == MAX_EVAL_FACES else ''})",
             "saved_model_verification_accuracy": accuracy[parity.SAVED_MODEL]}
    return {"formats": report, "format_check": check}


class Executor(pusher_executor.Executor, base_beam_executor.BaseBeamExecutor):
    """Pushes a blessed model to `<base_directory>/<model_name>/<version>/` with its threshold, formats and
    gallery (a Beam job re-embeds it: components/versioned_pusher/gallery.py)."""

    def Do(self, input_dict: Dict[str, List[types.Artifact]], output_dict: Dict[str, List[types.Artifact]],
           exec_properties: Dict[str, Any]) -> None:
        self._log_startup(input_dict, output_dict, exec_properties)
        pushed_model = artifact_utils.get_single_instance(output_dict[standard_component_specs.PUSHED_MODEL_KEY])
        if not self.CheckBlessing(input_dict):
            self._MarkNotPushed(pushed_model)
            return
        destination = proto_utils.json_to_proto(
            exec_properties[standard_component_specs.PUSH_DESTINATION_KEY], pusher_pb2.PushDestination())
        if destination.WhichOneof("destination") != "filesystem":
            raise ValueError(f"push_destination: expected a filesystem destination, got {destination}")
        custom_config = json_utils.loads(exec_properties[standard_component_specs.CUSTOM_CONFIG_KEY])
        formats = custom_config.get(FORMATS_KEY) or []
        model_blessing = artifact_utils.get_single_instance(input_dict[standard_component_specs.MODEL_BLESSING_KEY])
        verification = json.loads(verification_file.read_text(model_blessing.uri))

        examples = input_dict.get(EXAMPLES_KEY) or []
        images, labels = ([], None) if not examples else read_eval_faces(
            artifact_utils.get_single_instance(examples), custom_config[EVAL_DATA_KEY])
        probes = images[:PROBE_FACES]

        gallery_config = custom_config.get(gallery.GALLERY_KEY)
        extra_files = {}
        with tempfile.TemporaryDirectory(prefix="versioned-pusher-") as work_dir:
            source = self.GetModelPath(input_dict)
            if formats or gallery_config:
                source = os.path.join(work_dir, "version")
                assemble(self.GetModelPath(input_dict), source, formats, custom_config[PREPROCESSING_KEY])
            if formats:
                verification.update(_format_report(source, formats, images, labels, probes,
                                                   custom_config[EVAL_DATA_KEY]))
            if gallery_config:
                gallery_artifact = artifact_utils.get_single_instance(output_dict[gallery.GALLERY_KEY])
                operating_point = gallery.build_gallery(self._make_beam_pipeline, self.GetModelPath(input_dict),
                                                        source, gallery_config, gallery_artifact.uri)
                extra_files[identification_file.FILE_NAME] = identification_file.content(operating_point)
            cards = card_files(input_dict, custom_config[MODEL_NAME_KEY], verification)
            version_dir = versions.publish(
                source,
                os.path.join(destination.filesystem.base_directory, custom_config[MODEL_NAME_KEY]),
                lambda version_dir: {verification_file.FILE_NAME: json.dumps(verification, indent=2),
                                     **extra_files, **cards(version_dir)},
                keep=custom_config[KEEP_VERSIONS_KEY],
                check=lambda folder: check_serves(folder, formats, probes),
            )
        io_utils.copy_dir(version_dir, pushed_model.uri)  # the archive TFX's Pusher keeps too
        self._MarkPushed(pushed_model, pushed_destination=version_dir, pushed_version=os.path.basename(version_dir))
        if gallery_config:
            gallery.record(gallery_artifact, version_dir, operating_point)
