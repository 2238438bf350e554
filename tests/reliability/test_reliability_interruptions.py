"""Interrupting a serving command: Ctrl-C ends it in one line with status 130, kill -9 leaves no
output file behind and the next run does the whole job (a toy model, seconds; the runner's kill -9
and Ctrl-C: test_reliability_crash_resume.py)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from serving import cli
from tests.components.embedding_evaluator import toy_models
from tests.reliability.signals import answer_ctrl_c

REPO = Path(__file__).resolve().parents[2]
# Long enough for the command to be at work (importing TensorFlow, loading the model and the face
# detector take seconds more), short enough to leave it unfinished.
AT_WORK_S = 2.0


@pytest.fixture(scope="module")
def version(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serving") / "toy" / "1"
    toy_models.save_toy_version(str(folder))
    return folder


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faces")
    for image in range(3):
        (folder / f"{image}.png").write_bytes(toy_models.face_png(image, image, size=64))
    return folder


def _interrupted(command, sent):
    """Starts `python -m serving COMMAND` in its own process group, sends `sent` to the group (as a
    terminal does on Ctrl-C) once it is at work, and returns the finished process's (status, stdout, stderr)."""
    environment = {key: value for key, value in os.environ.items() if key != "ARCFACE_VERBOSE"}
    process = subprocess.Popen([sys.executable, "-m", "serving", *command], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True, env=environment,
                               preexec_fn=answer_ctrl_c)
    time.sleep(AT_WORK_S)
    assert process.poll() is None, f"finished before it was interrupted: {process.communicate()}"
    os.killpg(process.pid, sent)
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def test_ctrl_c_in_compare_align_is_one_line_and_status_130(version, faces):
    status, out, err = _interrupted(["compare", str(faces / "0.png"), str(faces / "1.png"), "--model", str(version),
                                     "--align"], signal.SIGINT)
    assert (status, out, err) == (130, "", "python -m serving: interrupted\n")


def test_kill_9_in_embed_leaves_no_output_and_the_next_run_embeds_everything(version, faces, tmp_path):
    output = tmp_path / "embeddings.npz"
    command = ["embed", str(faces), str(output), "--model", str(version), "--quiet"]
    status, out, err = _interrupted(command, signal.SIGKILL)
    assert (status, out, err) == (-signal.SIGKILL, "", "")
    assert not output.exists()
    assert cli.main(command) == 0  # in this process: the same code, without a second start of TensorFlow
    assert np.load(output)["paths"].tolist() == ["0.png", "1.png", "2.png"]
    assert sorted(os.listdir(tmp_path)) == ["embeddings.npz"]  # no partial file of either run
