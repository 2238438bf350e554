"""`./dev CMD` killed (kill -9, or Ctrl-C) says nothing of its own: the command replaces the script
(exec), so the script cannot print its unshare/chroot command as the job that was killed."""

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_a_command_killed_by_sigkill_leaves_no_lines_of_the_script(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    # Stands for the environment's command, killed as `kill -9` kills the runner inside it.
    (fake / "unshare").write_text("#!/bin/bash\nkill -9 $$\n")
    (fake / "unshare").chmod(0o755)
    shutil.copy(REPO / "dev", tmp_path / "dev")
    done = subprocess.run(["bash", "-c", 'source "$1"; chroot_exec /rootfs /venv /work python -m x', "bash",
                           str(tmp_path / "dev")], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"})
    assert (done.returncode, done.stdout, done.stderr) == (-9, "", "")
