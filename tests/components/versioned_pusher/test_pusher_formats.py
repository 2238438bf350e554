"""The Pusher's ONNX / TFLite formats on a real (untrained) embedding model and real ORL faces.

The model is the Trainer's export without Transform's vocabulary: Transform's `preprocess_image`
+ a tiny backbone + L2 normalisation behind `serving_default` (image bytes) and `embed_pixels`
(pixels), as tfx_module/trainer/export.py saves them. The eval split holds ORL faces as JPEG,
gray PNG and RGBA PNG. About 35 s on 2 busy cores (the conversions, four times).
"""

import json
import os
import re
import subprocess
import sys

import numpy as np
import onnx
import pytest
import tensorflow as tf
from onnx import numpy_helper
from tfx.proto import pusher_pb2
from tfx.types import standard_artifacts
from tfx.utils import json_utils, proto_utils

import arcface_module
from components.versioned_pusher import conversion, executor
from face_data.records import contract
from tests.serving.orl_inputs import orl_faces
from serving import preprocessing, verification_file
from serving.formats import FORMATS, MIN_COSINE
from serving.model_folder import list_versions
from serving.pushed_model import PushedModel
from tfx_module.preprocessing import normalize, preprocess_image
from tfx_module.signatures import EMBEDDING_KEY, PIXELS_INPUT, PIXELS_SIGNATURE, SERVING_SIGNATURE

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TRANSFORM = {"image_size": 32, "crop": None, "normalize_mean": 0.5, "normalize_std": 0.5}
EVAL_DATA = {"split": "eval", "image_feature": "image", "label_feature": "label", "max_positive_pairs": 100,
             "seed": 0}


class _Export(tf.Module):
    def __init__(self, embedder, size):
        super().__init__()
        self.embedder, self.size = embedder, size
        self.embed_pixels = tf.function(self._embed_pixels,
                                        input_signature=[tf.TensorSpec([None, size, size, 3], tf.uint8,
                                                                       name=PIXELS_INPUT)])

    def _embed_pixels(self, pixels):
        # Transform's 8-bit pixels, normalised in the model as the Trainer's export does.
        normalised = normalize(pixels, TRANSFORM["normalize_mean"], TRANSFORM["normalize_std"])
        return {EMBEDDING_KEY: self.embedder(normalised)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="images")])
    def embed_images(self, images):
        pixels = tf.map_fn(lambda image: preprocess_image(image, self.size), images,
                           fn_output_signature=tf.TensorSpec([self.size, self.size, 3], tf.uint8))
        return self._embed_pixels(pixels)


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    backbone = arcface_module.get_backbone("tiny", num_features=16, input_shape=(32, 32, 3))
    export = _Export(arcface_module.embedding_model(backbone), TRANSFORM["image_size"])
    path = str(tmp_path_factory.mktemp("model") / "Format-Serving")
    tf.saved_model.save(export, path, signatures={SERVING_SIGNATURE: export.embed_images,
                                                  PIXELS_SIGNATURE: export.embed_pixels})
    return path


@pytest.fixture(scope="module")
def examples(tmp_path_factory, orl_dir):
    """An ExampleGen-like artifact whose eval split holds 8 ORL people x 4 faces (JPEG, gray and RGBA PNG)."""
    artifact = standard_artifacts.Examples()
    artifact.uri = str(tmp_path_factory.mktemp("examples"))
    artifact.split_names = '["eval"]'
    os.makedirs(os.path.join(artifact.uri, "Split-eval"))
    images, labels = orl_faces(orl_dir, people=8, images_per_person=4)
    with tf.io.TFRecordWriter(os.path.join(artifact.uri, "Split-eval", "data.gz"), options="GZIP") as writer:
        for image, label in zip(images, labels):
            writer.write(contract.make_face_example(image, label).SerializeToString())
    return artifact


def _push(tmp_path, saved_model, examples, formats):
    model = standard_artifacts.Model()
    model.uri = os.path.dirname(saved_model)
    blessing = standard_artifacts.ModelBlessing()
    blessing.uri = str(tmp_path / "blessing")
    blessing.set_int_custom_property("blessed", 1)
    verification_file.write(blessing.uri, {"threshold": 0.5, "criterion": "best_accuracy"}, model.uri,
                            ["PASS verification_accuracy 0.9000"])
    pushed = standard_artifacts.PushedModel()
    pushed.uri = str(tmp_path / "pushed")
    destination = pusher_pb2.PushDestination(
        filesystem=pusher_pb2.PushDestination.Filesystem(base_directory=str(tmp_path / "serving")))
    executor.Executor().Do(
        {"model": [model], "model_blessing": [blessing], "examples": [examples]},
        {"pushed_model": [pushed]},
        {"push_destination": proto_utils.proto_to_json(destination),
         "custom_config": json_utils.dumps({"model_name": "arcface", "keep_versions": 2, "formats": formats,
                                            "preprocessing": TRANSFORM, "eval_data": EVAL_DATA})},
    )
    return str(tmp_path / "serving" / "arcface")


def test_a_version_holds_every_format_each_serving_the_saved_models_embeddings(tmp_path, saved_model, examples,
                                                                              split_records):
    model_dir = _push(tmp_path, saved_model, examples, list(FORMATS))
    (version,) = list_versions(model_dir)
    folder = os.path.join(model_dir, str(version))
    for format_ in FORMATS.values():
        assert os.path.getsize(os.path.join(folder, format_.file)) > 0
    assert preprocessing.read_spec(folder) == json.loads(json.dumps(preprocessing.spec_from_transform(TRANSFORM)))
    with open(os.path.join(folder, verification_file.FILE_NAME)) as file:
        verification = json.load(file)
    assert verification["threshold"] == 0.5
    assert verification["format_check"]["probe_faces"] == executor.PROBE_FACES
    for name, report in verification["formats"].items():
        assert report["file"] == FORMATS[name].file
        assert 0 <= report["verification_accuracy"] <= 1
        if FORMATS[name].exact:
            assert report["min_cosine"] >= MIN_COSINE
        else:  # quantised: reported, allowed to differ a little
            assert 0.9 < report["min_cosine"] <= report["mean_cosine"] <= 1 + 1e-6
    # Each runtime as a user loads it, on all 32 eval faces (only 16 were probes): the SavedModel's embeddings.
    images, _ = split_records(examples.uri, "eval")
    reference = PushedModel(folder, "saved_model").embed(images)
    for name in ("onnx", "tflite"):
        embeddings = PushedModel(folder, name).embed(images)
        assert np.all(np.sum(embeddings * reference, axis=1) >= MIN_COSINE), name
    assert PushedModel(folder).runtime == "onnx"  # the default when the version holds model.onnx


def _damage_onnx_weights(path):
    model = onnx.load(path)
    weights = max(model.graph.initializer, key=lambda tensor: np.prod(tensor.dims))  # the largest: a conv kernel
    values = numpy_helper.to_array(weights)
    weights.CopyFrom(numpy_helper.from_array(-values, weights.name))
    onnx.save(model, path)


def _truncate(path):
    with open(path, "rb") as file:
        data = file.read()
    with open(path, "wb") as file:
        file.write(data[: len(data) // 2])


@pytest.mark.parametrize("damage, message", [
    (_damage_onnx_weights, r"format 'onnx' \(model.onnx\) gives probe face \d+ an embedding at cosine"),
    (_truncate, r"format 'onnx' \(model.onnx\) does not run"),
])
def test_a_damaged_onnx_file_stops_the_push_naming_the_format(tmp_path, saved_model, examples, monkeypatch,
                                                             damage, message):
    convert = conversion.convert

    def convert_then_damage(saved_model_dir, output_dir, formats):
        paths = convert(saved_model_dir, output_dir, formats)
        damage(os.path.join(output_dir, FORMATS["onnx"].file))
        return paths

    monkeypatch.setattr(conversion, "convert", convert_then_damage)
    with pytest.raises(ValueError, match=f"not pushed: {message}"):
        _push(tmp_path, saved_model, examples, ["onnx", "tflite"])
    assert not os.path.exists(tmp_path / "serving")  # refused before anything was published


def test_the_docs_onnx_runtime_example_gives_the_saved_models_decision(tmp_path, saved_model, examples, orl_dir):
    """docs/deployment.md's example, verbatim but for its paths, run where this project cannot be imported."""
    page = open(os.path.join(REPO, "docs", "deployment.md"), encoding="utf-8").read()
    code = re.search(r"```python\n(import json, numpy as np, onnxruntime\n.*?)```", page, re.S).group(1)
    (version,) = list_versions(_push(tmp_path, saved_model, examples, ["onnx"]))
    folder = os.path.join(tmp_path, "serving", "arcface", str(version))
    face_a, face_b = (os.path.join(orl_dir, "s3", name) for name in ("1.pgm", "2.pgm"))
    code = (code.replace('"runs/demo/serving/arcface/1796540000"', repr(folder))
            .replace('"a.jpg"', repr(face_a)).replace('"b.jpg"', repr(face_b)))
    result = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)  # -I: no PYTHONPATH, no current folder: nothing of this project
    assert result.returncode == 0, result.stderr
    model = PushedModel(folder, "saved_model")
    similarity = model.similarity(open(face_a, "rb").read(), open(face_b, "rb").read())
    assert result.stdout.strip() == ("same" if similarity >= model.threshold else "different")
