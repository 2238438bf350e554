"""Small transformed face sets and hand-built FnArgs, to call the Trainer's `run_fn` directly.

`make_fn_args` lays out its folders as TFX does (`<root>/Trainer/model/<execution>/Format-Serving`,
`<root>/Trainer/model_run/<execution>`), so checkpoints land in `<root>/Trainer/checkpoints/`.
Used in-process by the tests and by `train_worker.py` in worker processes.

Example:
    >>> data = transformed_synthetic_faces(tmp_path / "data")
    >>> fn_args = make_fn_args(data, tmp_path / "run", {"train_steps": 5})
    >>> log_lines = run_logged(fn_args)
"""

import io
import logging
import os

import tensorflow as tf
from PIL import Image
from tfx import v1 as tfx
from tfx_bsl.public import tfxio

from tfx_module import signatures, training
from tfx_module.trainer import progress
from face_data.synthetic.face_drawing import draw_face_records
from face_data.records.contract import make_face_example
from configs.model import TrainerConfig, TransformConfig
from tests.tfx_module.transform_fixtures import DATA, transform_splits

IMAGE_SIZE = 32
# The transform section the faces are transformed with, which run_fn also reads.
TRANSFORM = TransformConfig(image_size=IMAGE_SIZE)
STEPS = 6  # of the trained model the tests share
# A model that trains in seconds on 2 CPU cores; tests override what they exercise and give
# `train_steps` or `epochs` (the two exclude each other).
TRAINER = {
    "backbone": "tiny",
    "embedding_size": 16,
    "scale": 16.0,
    "margin": 0.3,
    "batch_size": 16,
    "learning_rate": 0.003,
    "shuffle_buffer": 64,
    "checkpoint_every_steps": 3,
    "log_every_steps": 1,
}


def face_records(first_identity, num_identities, images_per_identity, size=48, seed=3):
    """Serialized synthetic face records (PNG images, int64 labels)."""
    identities = range(first_identity, first_identity + num_identities)
    faces = draw_face_records(identities, seed=seed, images_per_identity=images_per_identity, size=size)
    return [make_face_example(face.image, face.label).SerializeToString() for face in faces]


def transformed_synthetic_faces(output_dir, train_identities=8, eval_identities=4, images_per_identity=6):
    """Transformed train and eval splits of synthetic faces, with disjoint identities."""
    splits = {
        "train": face_records(0, train_identities, images_per_identity),
        "eval": face_records(1000, eval_identities, images_per_identity),
    }
    return transform_splits(splits, output_dir, TRANSFORM)


def _tf_dataset_factory(files, options, schema):
    return tfxio.TFExampleRecord(file_pattern=files, schema=schema).TensorFlowDataset(options)


def make_fn_args(data, root, trainer=None, execution=1):
    """FnArgs for `run_fn` on `data` (a `TransformedData`), with `TRAINER` + `trainer` as config."""
    root = str(root)
    config = TrainerConfig.model_validate({**TRAINER, **(trainer or {})}).model_dump(mode="json")
    return tfx.components.FnArgs(
        train_files=[data.files("train")],
        eval_files=[data.files("eval")],
        transform_graph_path=data.transform_graph,
        transform_output=data.transform_graph,
        serving_model_dir=os.path.join(root, "Trainer", "model", str(execution), "Format-Serving"),
        model_run_dir=os.path.join(root, "Trainer", "model_run", str(execution)),
        data_accessor=tfx.components.DataAccessor(
            tf_dataset_factory=_tf_dataset_factory, record_batch_factory=None, data_view_decode_fn=None
        ),
        custom_config={"trainer": config, "transform": TRANSFORM.model_dump(mode="json"), "data": DATA},
    )


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def run_logged(fn_args):
    """Calls `run_fn(fn_args)` and returns the lines it logged (INFO and above), progress lines included."""
    handler = _Lines()
    package_logger = logging.getLogger("tfx_module")
    level = package_logger.level
    package_logger.addHandler(handler)
    package_logger.setLevel(logging.INFO)
    progress.logger.addHandler(handler)  # it prints on stderr, not through its parents
    try:
        training.run_fn(fn_args)
    finally:
        package_logger.removeHandler(handler)
        package_logger.setLevel(level)
        progress.logger.removeHandler(handler)
    return handler.lines


def serve(model_dir, images):
    """Embeddings of encoded images through the exported `serving_default`."""
    signature = tf.saved_model.load(model_dir).signatures[signatures.SERVING_SIGNATURE]
    return signature(images=tf.constant(images))[signatures.EMBEDDING_KEY].numpy()


def png(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()
