"""Bad models never reach serving, and each run says why (issue #9, point 4).

Two of the cases run elsewhere, on the demo settings they share with other tests:
- a diverging run (NaN loss): tests/tfx_module/test_trainer_pipeline.py,
  test_a_diverging_run_fails_clearly_and_pushes_nothing (the Trainer fails with "Training
  diverged: the loss is nan at step N ... No model was exported"; nothing is pushed). Should a
  non-finite model ever be blessed, the Pusher still refuses it:
  tests/components/versioned_pusher/test_versioned_pusher.py, test_executor_refuses_a_model_that_does_not_embed_to_a_unit_vector;
- a model worse than the blessed one: tests/components/embedding_evaluator/test_pipeline_blessing.py,
  test_worse_model_is_not_blessed_and_the_served_version_stays (the blessing's check reads
  "FAIL verification_accuracy ... vs blessed ...", the served version stays).
Here: an eval split that holds a single identity, where no verification pair of two people exists.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from configs import load_config
from inspection import metadata, views

pytestmark = pytest.mark.pipeline

REPO = Path(__file__).resolve().parents[2]
# ExampleGen hashes each label into 3 train buckets and 1 eval bucket: of the labels 0..11 only
# label 0 falls in eval (the next one to do so is 12), so the eval split holds one person.
ONE_EVAL_IDENTITY = {
    "data": {"synthetic": {"num_identities": 12}},
    # Model quality is beside the point: the evaluator cannot score any model on one person.
    "trainer": {"train_steps": 10, "warmup_steps": 0},
}


@pytest.fixture(scope="module")
def one_identity_run(pipeline_config):
    config_path = pipeline_config("one-eval-identity", ONE_EVAL_IDENTITY)
    result = subprocess.run([sys.executable, "-m", "runners.local_runner", "--config", str(config_path)],
                            cwd=REPO, capture_output=True, text=True, timeout=800)  # below pytest's 900 s
    return load_config(config_path), result


def test_an_eval_split_of_one_identity_is_refused_with_the_reason_and_nothing_is_pushed(one_identity_run):
    config, result = one_identity_run
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-5000:]
    message = re.search(r"eval split 'eval' of (\S+) cannot score a model, so none is blessed or pushed: "
                        r"it holds (\d+) images of 1 identity \(make_pairs needs at least 2 identities, got 1\)\. "
                        r"Give the eval split more people.*", output)
    assert message, output[-5000:]
    print("\n" + message[0])
    assert int(message[2]) == config.data.synthetic.images_per_identity
    assert message[1].startswith(os.path.join(str(config.pipeline_root), "ImportExampleGen", "examples"))

    store = metadata.open_store(config)
    (run,) = metadata.pipeline_runs(store, config.pipeline_name)
    states = {row["component"]: row["state"] for row in views.executions(store, run)}
    assert states["Trainer"] == "COMPLETE" and states["EmbeddingEvaluator"] == "FAILED", states
    assert "Pusher" not in states
    assert not os.path.exists(config.pusher.serving_dir)
