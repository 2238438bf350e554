"""The Trainer inside the real pipeline, on the demo config (configs/local.yaml) and its synthetic faces.

One run is killed (SIGKILL, a real signal to the runner process) as soon as the Trainer has saved
a checkpoint, and run again: the Trainer resumes from that checkpoint and exports one model,
which must clearly beat raw pixels at verifying people it never saw. In the same run folder (so
that every step before the Trainer is cached), a learning rate that overflows the weights must
fail the run with a clear message and push nothing. A bad trainer key stops the runner before
anything runs.
"""

import glob
import io
import logging
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import yaml
from absl import logging as absl_logging
from PIL import Image

from verification.metrics import cosine_similarities, make_pairs, verification_accuracy_kfold
from configs import load_config
from runners import local_runner

pytestmark = pytest.mark.pipeline

REPO = Path(__file__).resolve().parents[2]
DEMO = load_config(REPO / "configs" / "local.yaml")
# The runner's default log level is "warning"; the Trainer's progress lines are INFO.
LOG_LEVEL = ("--log-level", "info")
RUNNER = [sys.executable, "-m", "runners.local_runner", *LOG_LEVEL, "--config"]
CHECKPOINT_LINE = re.compile(r"checkpoint at step (\d+): ")
RESUMED_LINE = re.compile(r"resumed from (\S+) at step (\d+) of (\d+)")
# "Clearly beats": at least this much verification accuracy above raw pixels, on the same pairs.
MIN_GAIN_OVER_RAW_PIXELS = 0.1


def demo_sections():
    """The demo config's data, model and evaluation settings (the fixtures add tiny-data overrides)."""
    return {
        "data": {"synthetic": DEMO.data.synthetic.model_dump(mode="json")},
        "transform": DEMO.transform.model_dump(mode="json"),
        "trainer": DEMO.trainer.model_dump(mode="json", exclude={"epochs"}),
        "evaluator": DEMO.evaluator.model_dump(mode="json"),
    }


def run_until_checkpoint_then_kill(config_path):
    """Starts the runner, SIGKILLs it when the Trainer logs its first checkpoint: the output lines."""
    process = subprocess.Popen(
        [*RUNNER, str(config_path)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines = []
    for line in process.stdout:
        lines.append(line)
        if CHECKPOINT_LINE.search(line):
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the runner ended before a checkpoint:\n" + "".join(lines[-80:])
    return lines


@pytest.fixture(scope="module")
def resumed_demo_run(pipeline_config, run_pipeline):
    """(config path, the killed run's lines, the completed re-run)."""
    config_path = pipeline_config("demo", demo_sections())
    killed = run_until_checkpoint_then_kill(config_path)
    return config_path, killed, run_pipeline(config_path, extra_args=LOG_LEVEL)


def test_a_killed_trainer_resumes_from_its_checkpoint_and_exports_once(resumed_demo_run):
    config_path, killed, rerun = resumed_demo_run
    config = load_config(config_path)
    saved = int(CHECKPOINT_LINE.search(killed[-1])[1])
    resumed = [m for m in map(RESUMED_LINE.search, rerun.stderr.splitlines()) if m]
    assert len(resumed) == 1, rerun.stderr[-5000:]
    checkpoint, step, total = resumed[0][1], int(resumed[0][2]), int(resumed[0][3])
    print(f"\nkilled after the checkpoint at step {saved}; the re-run resumed at step {step} of {total}")
    assert saved <= step < total == config.trainer.train_steps
    assert checkpoint.endswith(f"ckpt-{step}") and os.path.exists(checkpoint + ".index")
    # The killed attempt exported nothing; the re-run exported once, and that model was pushed.
    exported = glob.glob(os.path.join(config.pipeline_root, "Trainer", "model", "*", "Format-Serving", "saved_model.pb"))
    assert len(exported) == 1, exported
    assert len(glob.glob(os.path.join(config.pusher.serving_dir, "*", "*", "saved_model.pb"))) == 1


def eval_split(config):
    """(encoded images, labels) of the eval split: identities the model never trained on."""
    files = glob.glob(os.path.join(config.pipeline_root, "ImportExampleGen", "examples", "*", "Split-eval", "*"))
    images, labels = [], []
    for record in tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator():
        feature = tf.train.Example.FromString(record).features.feature
        images.append(feature[config.data.image_feature].bytes_list.value[0])
        labels.append(feature[config.data.label_feature].int64_list.value[0])
    return images, np.array(labels)


def verification_accuracy(vectors, pairs, seed):
    index_a, index_b, is_same = pairs
    return verification_accuracy_kfold(cosine_similarities(vectors[index_a], vectors[index_b]), is_same, seed=seed)


def test_the_demo_config_clearly_beats_raw_pixels_on_unseen_identities(resumed_demo_run):
    config_path, _, rerun = resumed_demo_run
    config = load_config(config_path)
    images, labels = eval_split(config)
    pairs = make_pairs(labels, max_positive_pairs=config.evaluator.max_positive_pairs, seed=config.evaluator.seed)
    pixels = np.stack([np.asarray(Image.open(io.BytesIO(image)), np.float32).ravel() / 255 for image in images])
    (model_dir,) = glob.glob(os.path.join(config.pusher.serving_dir, "*", "*", "saved_model.pb"))
    embed = tf.saved_model.load(os.path.dirname(model_dir)).signatures["serving_default"]
    embeddings = embed(images=tf.constant(images))["embedding"].numpy()

    raw = verification_accuracy(pixels, pairs, config.evaluator.seed)
    model = verification_accuracy(embeddings, pairs, config.evaluator.seed)
    print(
        f"\nverification accuracy on {len(set(labels))} unseen identities, {len(pairs[2])} pairs, 10 folds: "
        f"demo model {model['mean']:.1%} ± {model['std']:.1%}, raw pixels {raw['mean']:.1%} ± {raw['std']:.1%}"
    )
    print("\n".join(line for line in rerun.stdout.splitlines() if "Verification accuracy" in line))
    assert model["mean"] >= raw["mean"] + MIN_GAIN_OVER_RAW_PIXELS


def test_a_diverging_run_fails_clearly_and_pushes_nothing(resumed_demo_run):
    config_path, _, _ = resumed_demo_run
    config = load_config(config_path)
    pushed_before = sorted(glob.glob(os.path.join(config.pusher.serving_dir, "*", "*")))
    exported_before = sorted(glob.glob(os.path.join(config.pipeline_root, "Trainer", "model", "*", "Format-Serving")))
    # A learning rate far outside its optimizer's range is refused before anything runs
    # (tfx_module/trainer/optimizer_choices.py); a normalisation that divides the pixels by almost
    # nothing overflows float32 in the first layer instead, and the loss is NaN from the first step.
    raw = yaml.safe_load(Path(config_path).read_text())
    raw.setdefault("transform", {})["normalize_std"] = 1e-40
    diverging = Path(config_path).with_name("config-diverging.yaml")
    diverging.write_text(yaml.safe_dump(raw))
    result = subprocess.run([*RUNNER, str(diverging)], cwd=REPO, capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-5000:]
    message = re.search(r"TrainingDiverged: Training diverged: the loss is nan at step \d+.*", output)
    assert message, output[-5000:]
    print("\n" + message[0])
    assert "No model was exported" in message[0]
    assert sorted(glob.glob(os.path.join(config.pusher.serving_dir, "*", "*"))) == pushed_before
    assert sorted(glob.glob(os.path.join(config.pipeline_root, "Trainer", "model", "*", "Format-Serving"))) == exported_before


def test_a_bad_trainer_key_stops_the_runner_before_anything_runs(tmp_path, capsys):
    raw = yaml.safe_load((REPO / "configs" / "local.yaml").read_text())
    raw.update(run_root=str(tmp_path / "run"), pusher={**raw["pusher"], "serving_dir": str(tmp_path / "serving")})
    raw["data"]["input_base"] = str(tmp_path / "data")
    raw["trainer"]["augmentaton"] = {"flip": False}  # misspelt
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    root_level, absl_level = logging.getLogger().level, absl_logging.get_verbosity()
    try:
        status = local_runner.main(["--config", str(path)])  # one line naming the key, no traceback
    finally:  # the runner sets the process' log levels
        logging.getLogger().setLevel(root_level)
        absl_logging.set_verbosity(absl_level)
    assert status == 1
    assert re.search(r"error: .*trainer\.augmentaton: Extra inputs are not permitted", capsys.readouterr().err)
    assert sorted(os.listdir(tmp_path)) == ["config.yaml"]  # no data, no metadata, no pipeline root
