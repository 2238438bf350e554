"""Worker processes start quiet: TensorFlow's start-up lines, printed by each worker that loads it (the
face detector of `folder --align`), are hidden as in the main process."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_workers_that_load_tensorflow_print_nothing():
    # `exec` is picklable and imports TensorFlow in each of the two workers, as aligning photos does.
    program = ("from console import quiet; quiet.start()\n"
               "from face_data.conversion.parallel import map_in_order\n"
               "print(list(map_in_order(exec, ['import tensorflow'] * 2, workers=2)))\n")
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("TF_CPP_MIN_LOG_LEVEL", "ARCFACE_VERBOSE")}
    done = subprocess.run([sys.executable, "-c", program], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env=environment)
    assert (done.returncode, done.stdout, done.stderr) == (0, "[None, None]\n", "")
