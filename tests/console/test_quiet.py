"""A quiet start: no TensorFlow start-up lines on a command's stderr at the default level; --verbose shows them."""

import os
import subprocess
import sys
from pathlib import Path

from console import quiet

REPO = Path(__file__).resolve().parents[2]
# What importing TensorFlow 2.21 on this CPU-only machine printed (2026-12-06), and lines to keep.
STARTUP = """\
WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1796540958.508371    2374 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results due to floating-point round-off errors from different computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.
I0000 00:00:1796540958.508639    2374 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
I0000 00:00:1796540958.574795    2374 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.
To enable the following instructions: AVX2 AVX512F AVX512_VNNI FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.
E0000 00:00:1796540966.233228    2374 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)
"""
KEPT = """\
/opt/venv/lib/python3.13/site-packages/x.py:3: UserWarning: something a user should see
E0000 00:00:1796540966.233228    2374 some_kernel.cc:52] a real error
"""


def test_the_startup_lines_are_dropped_and_others_kept():
    assert quiet.drop_noise(STARTUP) == ""
    assert quiet.drop_noise(STARTUP + KEPT + STARTUP) == KEPT


def _run(command, **env):
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("TF_CPP_MIN_LOG_LEVEL", "ARCFACE_VERBOSE")}
    return subprocess.run([sys.executable, *command], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**environment, **env})


def test_a_command_that_loads_tensorflow_prints_only_its_own_lines(tmp_path):
    # Writing face records loads TensorFlow; stderr holds the converter's progress line alone.
    def synthetic(output, *flags):
        return ["-m", "face_data", *flags, "synthetic", str(output), "--identities", "2",
                "--images-per-identity", "2", "--image-size", "16"]

    quiet_run = _run(synthetic(tmp_path / "quiet"))
    assert quiet_run.returncode == 0, quiet_run.stderr
    assert [line.split(", 0 skipped")[0] for line in quiet_run.stderr.splitlines()] == ["faces: 4/4 (100%)"]
    loud_run = _run(synthetic(tmp_path / "loud", "--verbose"))
    assert loud_run.returncode == 0, loud_run.stderr
    progress = [line for line in loud_run.stderr.splitlines() if line.startswith("faces: ")]
    assert len(progress) == 1 and len(loud_run.stderr.splitlines()) > 1  # TensorFlow's lines shown
    assert quiet.drop_noise(loud_run.stderr).splitlines() == progress
