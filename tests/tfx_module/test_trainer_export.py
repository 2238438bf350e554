"""The exported SavedModel: no training/serving skew, every input format serves, no label, no head.

One face of the ORL database (the `orl_dir` fixture, tests/conftest.py) is served as its PGM:
courtesy of the Olivetti Research Laboratory (AT&T Laboratories Cambridge), F. Samaria and
A. Harter, 1994.
"""

import io
import json
import os

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from tfx_module.signatures import EMBEDDING_KEY, EXAMPLES_SIGNATURE, PIXELS_INPUT, PIXELS_SIGNATURE, SERVING_SIGNATURE
from tfx_module.preprocessing import decode_pixels, model_images
from tfx_module.training import BACKBONE_FILE, KERNELS_FILE
from face_data.conversion.images import check_image
from face_data.records.contract import parse_face_example
from tests.tfx_module.trainer_fixtures import TRAINER, TRANSFORM, png, serve
from tests.tfx_module.transform_fixtures import read_transformed

def test_serving_gives_the_embedding_of_transform_then_backbone_in_python(trained, transformed_faces):
    fn_args, _ = trained
    records = transformed_faces.raw_records("eval")
    served = serve(fn_args.serving_model_dir, [parse_face_example(r).image for r in records])
    assert served.dtype == np.float32 and served.shape == (len(records), TRAINER["embedding_size"])
    np.testing.assert_allclose(np.linalg.norm(served, axis=1), 1.0, atol=1e-6)

    # The training side: images as Transform wrote them on Beam (8-bit PNGs), read as the training
    # input reads them, then the trained Keras backbone.
    backbone = keras.saving.load_model(os.path.join(fn_args.model_run_dir, BACKBONE_FILE))
    images = model_images(read_transformed(transformed_faces, "eval")["image"], TRANSFORM)
    features = keras.ops.convert_to_numpy(backbone(images))
    in_python = features / np.linalg.norm(features, axis=1, keepdims=True)

    with open(os.path.join(fn_args.model_run_dir, KERNELS_FILE)) as file:
        # oneDNN on, as ./dev (which runs the tests) and the command lines set it on any CPU.
        assert json.load(file) == {"batch_norm_training": "fused", "grouped_convolution": "onednn",
                                   "onednn": "on", "TF_ENABLE_ONEDNN_OPTS": "1"}

    # Beam writes records in any order: pair each served embedding with its nearest in Python.
    distance = np.abs(served[:, None, :] - in_python[None, :, :]).max(axis=-1)
    nearest = distance.argmin(axis=1)
    print(f"\nlargest served-vs-Python difference over {len(records)} images: {distance.min(axis=1).max():.2e}")
    assert sorted(nearest) == list(range(len(records)))  # one-to-one
    assert distance.min(axis=1).max() <= 1e-5


def test_examples_signature_embeds_records_like_serving_default(trained, transformed_faces):
    fn_args, _ = trained
    records = transformed_faces.raw_records("eval")
    model = tf.saved_model.load(fn_args.serving_model_dir)
    from_examples = model.signatures[EXAMPLES_SIGNATURE](examples=tf.constant(records))[EMBEDDING_KEY]
    np.testing.assert_allclose(
        from_examples.numpy(), serve(fn_args.serving_model_dir, [parse_face_example(r).image for r in records]),
        atol=1e-6,
    )


def test_signatures_take_no_label_and_the_export_holds_no_margin_head(trained):
    fn_args, _ = trained
    model = tf.saved_model.load(fn_args.serving_model_dir)
    assert set(model.signatures) == {SERVING_SIGNATURE, EXAMPLES_SIGNATURE, PIXELS_SIGNATURE}
    for name, input_name in ((SERVING_SIGNATURE, "images"), (EXAMPLES_SIGNATURE, "examples")):
        signature = model.signatures[name]
        assert signature.structured_input_signature == ((), {input_name: tf.TensorSpec([None], tf.string, input_name)})
        assert signature.structured_outputs == {
            EMBEDDING_KEY: tf.TensorSpec([None, TRAINER["embedding_size"]], tf.float32, EMBEDDING_KEY)
        }
    backbone = keras.saving.load_model(os.path.join(fn_args.model_run_dir, BACKBONE_FILE))
    saved = tf.train.load_checkpoint(os.path.join(fn_args.serving_model_dir, "variables", "variables"))
    shapes = saved.get_variable_to_shape_map()
    exported_values = sum(int(np.prod(shape)) for name, shape in shapes.items() if name.endswith("VARIABLE_VALUE"))
    # The backbone's weights, nothing more: the class centers stayed in training.
    assert exported_values == backbone.count_params()


def test_pixels_signature_embeds_transforms_images_as_the_backbone_does(trained, transformed_faces):
    """`embed_pixels` (what the Pusher converts to ONNX and TFLite) is the model after Transform:
    Transform's 8-bit pixels in, normalised inside."""
    fn_args, _ = trained
    encoded = read_transformed(transformed_faces, "eval")["image"]
    pixels = decode_pixels(tf.constant(encoded), TRANSFORM.image_size)
    model = tf.saved_model.load(fn_args.serving_model_dir)
    signature = model.signatures[PIXELS_SIGNATURE]
    assert signature.structured_input_signature == (
        (), {PIXELS_INPUT: tf.TensorSpec([None, *pixels.shape[1:]], tf.uint8, PIXELS_INPUT)})
    embedded = signature(**{PIXELS_INPUT: pixels})[EMBEDDING_KEY].numpy()
    backbone = keras.saving.load_model(os.path.join(fn_args.model_run_dir, BACKBONE_FILE))
    features = keras.ops.convert_to_numpy(backbone(model_images(tf.constant(encoded), TRANSFORM)))
    np.testing.assert_allclose(embedded, features / np.linalg.norm(features, axis=1, keepdims=True), atol=1e-5)


def test_orl_pgm_rgba_png_and_jpeg_all_serve(trained, orl_dir):
    fn_args, _ = trained
    pgm_path = os.path.join(orl_dir, "s1", "1.pgm")
    # A user's PGM, converted as the data CLI converts it (tf.io.decode_image reads no PGM).
    with open(pgm_path, "rb") as pgm:
        orl_png = check_image(pgm.read()).data
    gray = np.asarray(Image.open(io.BytesIO(orl_png)))
    rgb = np.repeat(gray[..., None], 3, axis=-1)
    alpha = np.random.default_rng(0).integers(0, 256, gray.shape + (1,), dtype=np.uint8)
    jpeg = io.BytesIO()
    Image.fromarray(rgb).save(jpeg, format="JPEG", quality=95)
    orl, as_rgb, as_rgba, as_jpeg = serve(
        fn_args.serving_model_dir, [orl_png, png(rgb), png(np.concatenate([rgb, alpha], -1)), jpeg.getvalue()]
    )
    np.testing.assert_allclose(np.linalg.norm([orl, as_rgb, as_rgba, as_jpeg], axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(orl, as_rgb, atol=1e-6)  # grayscale serves as its RGB repetition
    np.testing.assert_allclose(as_rgba, as_rgb, atol=1e-6)  # alpha is dropped
    assert float(as_jpeg @ as_rgb) > 0.99  # JPEG's loss moves the embedding a little
