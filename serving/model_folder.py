"""A model folder in TF Serving's layout, as a server reads it: `<model_dir>/<version>/saved_model.pb`.

The Pusher writes this layout (`components/versioned_pusher/versions.py`, which imports these
names); every reader of a pushed model finds its versions here. A numbered folder without
`saved_model.pb` is a version still being copied to an object store, and is not a version yet.
Local folders are read with `os`, so serving from ONNX imports no TensorFlow; remote ones
(`gs://...`) through TFX's filesystems.

Example:
    >>> list_versions("/srv/models/arcface"), latest_version_dir("/srv/models/arcface")
    ([1759990000, 1759995000, 1760000000], '/srv/models/arcface/1760000000')
"""

import hashlib
import os
import types
from typing import List

SAVED_MODEL_FILE = "saved_model.pb"
VARIABLES_DIR = "variables"
_LOCAL = types.SimpleNamespace(isdir=os.path.isdir, listdir=os.listdir, exists=os.path.exists, open=open)


def _filesystem(path: str):
    if "://" in path:
        from tfx.dsl.io import fileio  # imports TensorFlow: only remote paths need it

        return fileio
    return _LOCAL


def exists(path: str) -> bool:
    """Whether a local or remote file exists."""
    return _filesystem(path).exists(path)


def fingerprint(version_dir: str) -> str:
    """sha256 of the SavedModel's graph and weights (saved_model.pb, variables/*): what a gallery's
    embeddings depend on; the same model pushed twice, or copied, has the same fingerprint."""
    filesystem = _filesystem(version_dir)
    variables = os.path.join(version_dir, VARIABLES_DIR)
    names = [SAVED_MODEL_FILE] + sorted(os.path.join(VARIABLES_DIR, name.rstrip("/"))
                                        for name in filesystem.listdir(variables))
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0")
        with filesystem.open(os.path.join(version_dir, name), "rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def read_text(path: str) -> str:
    """A local or remote text file's content; FileNotFoundError naming it when there is none."""
    filesystem = _filesystem(path)
    if not filesystem.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    with filesystem.open(path, "r") as file:
        return file.read()


def list_versions(model_dir: str) -> List[int]:
    """The complete versions in `model_dir`, oldest first: numbered folders holding saved_model.pb."""
    filesystem = _filesystem(model_dir)
    if not filesystem.isdir(model_dir):
        return []
    return sorted(int(name.rstrip("/")) for name in filesystem.listdir(model_dir)
                  if name.rstrip("/").isdigit()
                  and filesystem.exists(os.path.join(model_dir, name.rstrip("/"), SAVED_MODEL_FILE)))


def latest_version_dir(model_dir: str) -> str:
    """The folder of the newest version, the one TF Serving serves by default."""
    versions = list_versions(model_dir)
    if not versions:
        raise FileNotFoundError(f"{model_dir}: expected version folders <model_dir>/<number>/ holding "
                                f"{SAVED_MODEL_FILE}, found none")
    return os.path.join(model_dir, str(versions[-1]))
