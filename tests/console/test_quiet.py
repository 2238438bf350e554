"""A quiet start: no framework start-up lines or warnings on a command's stderr at the default level; --verbose shows them.

The runner's output is checked in tests/pipeline/test_end_to_end.py (the session's tiny run).
"""

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
INFO: Created TensorFlow Lite XNNPACK delegate for CPU.
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


def test_framework_warnings_are_hidden_unless_verbose():
    # TFX warns through absl (e.g. "Fallback to non-ZetaSQL contexts execution query"), TensorFlow's
    # deprecation notices through its "tensorflow" logger, Beam forwards its workers' warnings; the
    # project's own warnings stay.
    program = ("import logging\n"
               "from console import quiet\n"
               "quiet.start()\n"
               "from absl import logging as absl_logging\n"
               "absl_logging.warning('from absl')\n"
               "logging.getLogger('tensorflow').warning('from tensorflow')\n"
               "logging.getLogger('apache_beam.runners.portability.local_job_service').warning('from beam')\n"
               "logging.getLogger('components.versioned_pusher.versions').warning('from the project')\n")
    def messages(run):  # "WARNING:<logger>:<message>" -> message
        assert run.returncode == 0, run.stderr
        return [line.rsplit(":", 1)[-1] for line in run.stderr.splitlines()]

    assert messages(_run(["-c", program])) == ["from the project"]
    assert messages(_run(["-c", program], ARCFACE_VERBOSE="1")) == ["from absl", "from tensorflow", "from beam",
                                                                      "from the project"]


def test_litert_announces_no_delegate_unless_verbose(tmp_path):
    # LiteRT prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." from C at the first
    # allocation, whoever embeds (serving, the Pusher's check of the .tflite files).
    import tensorflow as tf

    double = tf.function(lambda x: 2.0 * x, input_signature=[tf.TensorSpec([None, 4], tf.float32)])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([double.get_concrete_function()], double)
    model = tmp_path / "model.tflite"
    model.write_bytes(converter.convert())
    program = ("import numpy as np\n"
               "from serving.runtimes import TFLiteEmbedder\n"
               f"embedder = TFLiteEmbedder({str(model)!r}, spec={{}})\n"
               "print(embedder.embed_pixels(np.ones((2, 4), np.float32)).sum())\n")
    quiet_run = _run(["-c", program])
    assert (quiet_run.returncode, quiet_run.stdout, quiet_run.stderr) == (0, "16.0\n", "")
    loud_run = _run(["-c", program], ARCFACE_VERBOSE="1")
    assert loud_run.stderr.splitlines() == ["INFO: Created TensorFlow Lite XNNPACK delegate for CPU."]


def test_what_worker_processes_write_passes_through_the_filter_as_it_comes():
    # Beam's worker processes (multi_processing) inherit stderr and load TensorFlow on their own.
    worker = f"import sys; sys.stderr.write({STARTUP + KEPT!r})"
    program = ("import subprocess, sys\n"
               "from console import quiet\n"
               "with quiet.filtered_stream():\n"
               f"    subprocess.run([sys.executable, '-c', {worker!r}])\n"
               "    print('from the runner', file=sys.stderr)\n"
               "print('after', file=sys.stderr)\n")
    quiet_run = _run(["-c", program])
    assert quiet_run.returncode == 0 and quiet_run.stderr == KEPT + "from the runner\nafter\n", quiet_run.stderr
    loud_run = _run(["-c", program, "--verbose"])
    assert loud_run.stderr == STARTUP + KEPT + "from the runner\nafter\n"
