"""run_fn called directly: progress in logs and TensorBoard, resuming from checkpoints, and every
config choice (margins, Partial FC, sub-centers, SGD, epochs, mixed precision, flip TTA) at once."""

import glob
import io
import math
import os
import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfx_module.trainer.checkpoints import checkpoint_dir
from face_data.records.contract import parse_face_example
from tests.tfx_module.trainer_fixtures import STEPS, make_fn_args, png, run_logged, serve

STEP_LINE = re.compile(r"^step (\d+)/(\d+) \(\d+%\)  loss (\S+)  accuracy (\S+)  lr (\S+)  ")


def progress(lines):
    """{step: (accuracy, learning rate, loss)} from run_fn's progress lines."""
    return {int(m[1]): tuple(float(m[i]) for i in (4, 5, 3)) for m in map(STEP_LINE.search, lines) if m}


def scalars(log_dir):
    """{tag: {step: value}} of the TensorBoard event files in `log_dir`."""
    values = {}
    for path in glob.glob(os.path.join(log_dir, "events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(path):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                values.setdefault(value.tag, {})[event.step] = float(tf.make_ndarray(value.tensor))
    return values


def test_progress_goes_to_the_log_and_to_tensorboard(trained):
    fn_args, lines = trained
    logged = progress(lines)
    # The first step, the last, and others only every trainer.progress_every_seconds (15 s).
    assert {1, STEPS} <= set(logged), lines
    assert re.search(r"  first step \d+\.\d s$", next(line for line in lines if line.startswith("step 1/")))
    assert re.search(r"  \d+ images/s  took \d+s$", next(line for line in lines if line.startswith(f"step {STEPS}/")))
    board = scalars(fn_args.model_run_dir)
    assert sorted(board) == ["accuracy", "learning_rate", "loss"]
    assert sorted(board["loss"]) == list(range(1, STEPS + 1))  # log_every_steps is 1
    for step, (accuracy, learning_rate, loss) in logged.items():
        assert math.isfinite(loss) and 0 <= accuracy <= 1
        # The line shows 4 significant digits, accuracy 3 decimals.
        assert board["loss"][step] == pytest.approx(loss, rel=1e-3)
        assert board["learning_rate"][step] == pytest.approx(learning_rate, rel=1e-3)
        assert board["accuracy"][step] == pytest.approx(accuracy, abs=1e-3)
    assert [line for line in lines if "checkpoint at step" in line][-1].endswith(f"ckpt-{STEPS}")


def test_a_rerun_resumes_from_the_last_checkpoint_instead_of_training_again(trained, transformed_faces):
    fn_args, _ = trained
    root = os.path.dirname(os.path.dirname(os.path.dirname(fn_args.model_run_dir)))
    rerun = make_fn_args(transformed_faces, root, {"train_steps": STEPS}, execution=2)
    lines = run_logged(rerun)
    assert any(re.search(rf"resumed from .*ckpt-{STEPS} at step {STEPS} of {STEPS}$", line) for line in lines), lines
    assert progress(lines) == {}  # no step trained again
    images = [parse_face_example(r).image for r in transformed_faces.raw_records("eval")]
    np.testing.assert_allclose(serve(rerun.serving_model_dir, images), serve(fn_args.serving_model_dir, images), atol=1e-6)


def test_checkpoint_folder_is_stable_across_executions_and_changes_with_inputs_or_config():
    def folder(run="/runs/p/Trainer/model_run/12", files=("/t/Split-train/*",), graph="/t/graph/7", seed=0):
        return checkpoint_dir(run, list(files), graph, {"seed": seed}, {"image_feature": "image"})

    assert os.path.dirname(folder()) == "/runs/p/Trainer/checkpoints"
    assert folder(run="/runs/p/Trainer/model_run/13") == folder()  # a re-run finds it
    assert len({folder(), folder(files=("/u/Split-train/*",)), folder(graph="/t/graph/8"), folder(seed=1)}) == 4
    remote = checkpoint_dir("gs://bucket/p/Trainer/model_run/12", ["x"], "g", {}, {})
    assert remote.startswith("gs://bucket/p/Trainer/checkpoints/")


# Every choice the defaults leave out, in one run: 8 identities x 6 images in batches of 16 make
# 3 steps an epoch.
OPTIONS = {
    "epochs": 2,
    "optimizer": "sgd",
    "learning_rate": 0.05,
    "lr_schedule": "polynomial",
    "warmup_steps": 2,
    "margin_type": "adaface",
    "margin": 0.4,
    "sub_centers": 2,
    "partial_fc_rate": 0.5,
    "precision": "mixed_float16",
    "flip_test_time_augmentation": True,
}


def test_every_option_trains_and_exports_with_flip_test_time_augmentation(transformed_faces, trained, tmp_path):
    fn_args = make_fn_args(transformed_faces, tmp_path, OPTIONS)
    lines = run_logged(fn_args)
    assert any("training 6 steps on 8 identities" in line for line in lines), lines
    board = scalars(fn_args.model_run_dir)  # every step: log_every_steps is 1
    assert sorted(board["loss"]) == list(range(1, 7))
    assert all(math.isfinite(loss) for loss in board["loss"].values())
    rates = [board["learning_rate"][step] for step in range(1, 7)]
    # Warmup from 0 to the peak, then the decay (a step the loss scaling skips delays both).
    peak = rates.index(max(rates))
    assert rates[0] == 0.0 and max(rates) == pytest.approx(0.05, rel=1e-6) and rates[-1] < max(rates)
    assert rates[: peak + 1] == sorted(rates[: peak + 1]) and rates[peak:] == sorted(rates[peak:], reverse=True)
    assert keras.config.dtype_policy().name == "float32"  # mixed precision only inside run_fn

    pixels = [
        np.asarray(Image.open(io.BytesIO(parse_face_example(r).image))) for r in transformed_faces.raw_records("eval")[:4]
    ]
    images, mirror_images = [png(p) for p in pixels], [png(np.ascontiguousarray(p[:, ::-1])) for p in pixels]
    embeddings = serve(fn_args.serving_model_dir, images)
    assert embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    # With flip TTA an image and its mirror give one embedding (up to float16 arithmetic);
    # without it (the shared trained model) they do not.
    flip_gap = np.abs(embeddings - serve(fn_args.serving_model_dir, mirror_images)).max()
    plain_model = trained[0].serving_model_dir
    plain_gap = np.abs(serve(plain_model, images) - serve(plain_model, mirror_images)).max()
    print(f"\nlargest image-vs-mirror difference: {flip_gap:.1e} with flip TTA, {plain_gap:.1e} without")
    assert flip_gap <= 1e-3 < plain_gap
