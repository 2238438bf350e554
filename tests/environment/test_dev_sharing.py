"""What `./dev` makes visible inside its root filesystem: the host folders a command names.

CI runs the suite inside that environment, where `./dev` itself cannot run again; these tests
source `./dev` (which then only defines its functions) and run `share_named_paths`, which decides
the folders bound in, and which paths are named back to the user with what the environment sees
and how to share a folder. The folders named here need not exist: the nearest existing one is
shared (/srv, /mnt, /home, /media are there on any Debian).
"""

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOW_TO_SHARE = "share a folder with ARCFACE_SHARE=/folder[:/other] ./dev ..."


def _shared(*command, cwd=REPO, **env):
    """(the folders ./dev would bind in for `command`, the paths it says it cannot share)."""
    environment = {key: value for key, value in os.environ.items() if key not in ("ARCFACE_SHARE", "ARCFACE_CONFIG")}
    done = subprocess.run(["bash", "-c", 'source "$1"; shift; share_named_paths unused-rootfs "$@"', "bash",
                           str(REPO / "dev"), *command], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env={**environment, **env})
    assert done.returncode == 0, done.stderr
    refused = [line.split(" is not visible inside the environment")[0].removeprefix("dev: ")
               for line in done.stderr.splitlines()]
    assert all(HOW_TO_SHARE in line for line in done.stderr.splitlines()), done.stderr
    return done.stdout.split(), refused


def test_the_folders_of_absolute_paths_in_the_arguments_and_the_config_are_shared(tmp_path):
    assert all(os.path.isdir(folder) for folder in ("/srv", "/mnt", "/home"))
    config = tmp_path / "config.yaml"
    config.write_text('data:\n  input_base: /srv/faces/orl  # where the faces are\n'
                      'pusher:\n  serving_dir: "/mnt/models"\nrun_root: runs/demo\n')
    shared, refused = _shared("python", "-m", "inspection.html_report", "--config", str(config),
                              "--output=/home/someone/report.html", "relative/path", str(REPO / "runs"), "/tmp/x")
    assert (shared, refused) == (["/home", "/mnt", "/srv"], [])  # the checkout and /tmp are always there


def test_arcface_config_and_arcface_share_name_folders_too(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("data:\n  input_base: /srv/faces\n")
    shared, refused = _shared("tfx", "run", "create", "--engine=local", ARCFACE_CONFIG=str(config),
                              ARCFACE_SHARE="/mnt/models:/media/photos")
    assert (shared, refused) == (["/media", "/mnt", "/srv"], [])


def test_a_working_directory_elsewhere_is_shared():
    assert _shared("python", "-m", "face_data", "--help", cwd="/srv") == (["/srv"], [])


def test_system_folders_are_never_bound_over_the_environments_and_each_is_named():
    shared, refused = _shared("python", "-m", "serving", "embed", "/usr/share/faces", "--model", "/var/models/arcface",
                              ARCFACE_SHARE="/etc")
    assert shared == []
    assert refused == ["/usr/share/faces", "/var/models/arcface", "/etc"]
