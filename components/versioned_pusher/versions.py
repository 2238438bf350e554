"""Numbered model versions in TF Serving's layout: `<model_dir>/<version>/saved_model.pb`, written.

Reading the layout (`list_versions`, `latest_version_dir`) belongs to `serving/model_folder.py`.

On a local filesystem a version is copied under a hidden name (`.partial-<version>-<random>`,
which TF Serving and `list_versions` ignore) and renamed into place, so a reader sees either no
version or a complete one; versions beyond the newest `keep` are renamed out of sight before they
are deleted, for the same reason. Local pushes to one model folder take turns (an exclusive `flock`
on the folder, which the kernel releases when its holder dies, even by SIGKILL), so a push finding
a hidden `.partial-*` or `.deleting-*` folder knows it is what a killed push left, and removes it.
Object stores (gs://, s3://) have no atomic rename: there the version is copied in place with
`saved_model.pb` last, as TFX's own Pusher does (TF Serving and `latest_version_dir` take a
folder without it for an incomplete one), and deleted with `saved_model.pb` first. A `check`
given to `publish` runs on the complete copy before it becomes a version (locally the staged
folder; on an object store, where the copy is made in place, the source), so a copy that does not
serve never becomes one.

Example:
    >>> version_dir = publish("/pipeline/Trainer/model/7/Format-Serving", "/srv/models/arcface",
    ...                       extra_files={"verification.json": "{...}"}, keep=3)
    >>> version_dir, list_versions("/srv/models/arcface")
    ('/srv/models/arcface/1760000000', [1759990000, 1759995000, 1760000000])
"""

import contextlib
import fcntl
import logging
import os
import time
import uuid
from typing import Callable, List, Mapping, Optional, Union

from tfx.dsl.io import fileio
from tfx.utils import io_utils

from serving.model_folder import SAVED_MODEL_FILE, list_versions

# Hidden folders of a local push in progress: a staged copy, a version on its way out.
STAGING_PREFIXES = (".partial-", ".deleting-")

logger = logging.getLogger(__name__)


def _is_remote(path: str) -> bool:
    return "://" in path


def next_version(model_dir: str) -> int:
    """The Unix time in seconds, as TFX's Pusher numbers versions, but always above every existing one."""
    existing = [int(name.rstrip("/")) for name in (fileio.listdir(model_dir) if fileio.isdir(model_dir) else [])
                if name.rstrip("/").isdigit()]
    return max([int(time.time())] + [version + 1 for version in existing])


ExtraFiles = Union[Mapping[str, str], Callable[[str], Mapping[str, str]]]


def _files_of(extra_files: ExtraFiles, version_dir: str) -> Mapping[str, str]:
    """name -> text; a function of the version's final folder is called with it (a model card names it)."""
    return extra_files(version_dir) if callable(extra_files) else extra_files


def _write_extra_files(folder: str, extra_files: Mapping[str, str]) -> None:
    for name, text in extra_files.items():
        io_utils.write_string_file(os.path.join(folder, name), text)


@contextlib.contextmanager
def _one_push_at_a_time(model_dir: str):
    """Holds an exclusive lock on the local folder `model_dir` (waiting for another push to finish)."""
    folder = os.open(model_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)  # releases the lock


def _remove_leftovers(model_dir: str) -> None:
    """Removes the hidden folders of killed pushes; call it holding the lock, when no live push owns one."""
    for name in sorted(os.listdir(model_dir)):
        if name.startswith(STAGING_PREFIXES):
            logger.warning("removing %s, left by a push that was killed midway", os.path.join(model_dir, name))
            fileio.rmtree(os.path.join(model_dir, name))


def publish(source_dir: str, model_dir: str, extra_files: ExtraFiles, keep: int,
            check: Optional[Callable[[str], None]] = None) -> str:
    """Copies a SavedModel folder, plus `extra_files` (name -> text, or a function of the version's
    folder returning them), in as a new version; returns its folder.

    `check(folder)`, if given, must raise if the copy is unfit to serve; then no version is added.
    Then deletes all but the newest `keep` versions.
    """
    if keep < 1:
        raise ValueError(f"keep: expected at least 1 version to keep, got {keep}")
    if not fileio.exists(os.path.join(source_dir, SAVED_MODEL_FILE)):
        raise FileNotFoundError(f"{source_dir}: expected a SavedModel folder with {SAVED_MODEL_FILE}")
    fileio.makedirs(model_dir)
    if _is_remote(model_dir):
        version_dir = _copy_in_place(source_dir, model_dir, extra_files, check)
        prune(model_dir, keep)
        return version_dir
    with _one_push_at_a_time(model_dir):
        _remove_leftovers(model_dir)
        version_dir = _copy_and_rename(source_dir, model_dir, extra_files, check)
        prune(model_dir, keep)
    return version_dir


def _copy_in_place(source_dir, model_dir, extra_files, check) -> str:
    version_dir = os.path.join(model_dir, str(next_version(model_dir)))
    if check is not None:
        check(source_dir)
    io_utils.copy_dir(source_dir, version_dir, deny_regex_patterns=[r"saved_model\.pb"])
    _write_extra_files(version_dir, _files_of(extra_files, version_dir))
    io_utils.copy_file(os.path.join(source_dir, SAVED_MODEL_FILE), os.path.join(version_dir, SAVED_MODEL_FILE))
    return version_dir


def _copy_and_rename(source_dir, model_dir, extra_files, check) -> str:
    version = next_version(model_dir)
    version_dir = os.path.join(model_dir, str(version))
    partial = os.path.join(model_dir, f"{STAGING_PREFIXES[0]}{version}-{uuid.uuid4().hex}")
    try:
        io_utils.copy_dir(source_dir, partial)
        _write_extra_files(partial, _files_of(extra_files, version_dir))
        if check is not None:
            logger.info("checking the staged copy %s before it becomes version %d", partial, version)
            check(partial)
        os.rename(partial, version_dir)  # fails rather than merge if a writer outside the lock took this number
    finally:
        if fileio.exists(partial):
            fileio.rmtree(partial)
    return version_dir


def prune(model_dir: str, keep: int) -> List[int]:
    """Deletes every version but the newest `keep`; returns the deleted version numbers."""
    deleted = list_versions(model_dir)[:-keep]
    for version in deleted:
        version_dir = os.path.join(model_dir, str(version))
        if _is_remote(model_dir):
            fileio.remove(os.path.join(version_dir, SAVED_MODEL_FILE))
            fileio.rmtree(version_dir)
        else:
            hidden = os.path.join(model_dir, f"{STAGING_PREFIXES[1]}{version}-{uuid.uuid4().hex}")
            os.rename(version_dir, hidden)
            fileio.rmtree(hidden)
    return deleted
