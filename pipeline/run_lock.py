"""One runner at a time per run folder: `<run_root>/runner.lock`, held while a runner works.

Two runners in one run folder would race on the generated data and on the sqlite store (whose
writers fail with "database is locked"), and could both push. The lock is an flock: the kernel
drops it when its holder dies, even by SIGKILL, so a crashed run never blocks the re-run; the file
keeps the holder's pid, start time and config for the message. A remote run_root (shared MySQL
store, several machines) cannot be locked from here and is not.

The lock also tells the living runs from the dead: an execution still RUNNING in ML Metadata while
no runner holds the lock belongs to a runner that was killed or interrupted (`runner_alive`,
read by `python -m inspection`). No TensorFlow here.

Example:
    >>> with run_folder_lock(config, "configs/local.yaml"):
    ...     runner.run(pipeline)                   # a second runner meanwhile: RunFolderBusy
    >>> runner_alive(config)
    False
"""

import contextlib
import datetime
import fcntl
import os
from pathlib import Path
from typing import Optional

from configs import PipelineConfig
from configs.base import is_remote

LOCK_FILE = "runner.lock"


class RunFolderBusy(RuntimeError):
    """Another runner holds the run folder."""


def lock_path(config: PipelineConfig) -> Path:
    return Path(config.run_root, LOCK_FILE)


@contextlib.contextmanager
def run_folder_lock(config: PipelineConfig, config_file: str):
    """Holds `<run_root>/runner.lock` while a runner works; raises RunFolderBusy if another holds it."""
    if is_remote(config.run_root):
        yield
        return
    Path(config.run_root).mkdir(parents=True, exist_ok=True)
    path = lock_path(config)
    with open(path, "a+") as lock:  # append mode: opening never erases the holder's description
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            raise RunFolderBusy(
                f"{config.run_root} is in use by another run of the pipeline ({lock.read().strip()}); "
                f"wait for it to finish, or give this run another run_root (lock: {path})"
            ) from None
        lock.truncate(0)
        started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        lock.write(f"pid {os.getpid()}, started {started}, config {os.path.abspath(config_file)}\n")
        lock.flush()
        yield


def runner_alive(config: PipelineConfig) -> Optional[bool]:
    """Whether a runner holds the run folder's lock now; None when it cannot be told (a remote run_root).

    Asked without waiting (a shared lock taken and dropped at once): a runner starting in that
    instant would find the folder busy, as with any other runner.
    """
    if is_remote(config.run_root):
        return None
    try:
        lock = open(lock_path(config))
    except FileNotFoundError:
        return False  # no runner ever ran here
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
        return False
