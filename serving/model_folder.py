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

import os
import types
from typing import List

SAVED_MODEL_FILE = "saved_model.pb"
_LOCAL = types.SimpleNamespace(isdir=os.path.isdir, listdir=os.listdir, exists=os.path.exists)


def _filesystem(path: str):
    if "://" in path:
        from tfx.dsl.io import fileio  # imports TensorFlow: only remote paths need it

        return fileio
    return _LOCAL


def exists(path: str) -> bool:
    """Whether a local or remote file exists."""
    return _filesystem(path).exists(path)


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
