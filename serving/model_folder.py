"""A model folder in TF Serving's layout, as a server reads it: `<model_dir>/<version>/saved_model.pb`.

The Pusher writes this layout (`components/versioned_pusher/versions.py`, which imports these
names); every reader of a pushed model finds its versions here. A numbered folder without
`saved_model.pb` is a version still being copied to an object store, and is not a version yet.

Example:
    >>> list_versions("/srv/models/arcface"), latest_version_dir("/srv/models/arcface")
    ([1759990000, 1759995000, 1760000000], '/srv/models/arcface/1760000000')
"""

import os
from typing import List

from tfx.dsl.io import fileio

SAVED_MODEL_FILE = "saved_model.pb"


def list_versions(model_dir: str) -> List[int]:
    """The complete versions in `model_dir`, oldest first: numbered folders holding saved_model.pb."""
    if not fileio.isdir(model_dir):
        return []
    return sorted(int(name.rstrip("/")) for name in fileio.listdir(model_dir)
                  if name.rstrip("/").isdigit()
                  and fileio.exists(os.path.join(model_dir, name.rstrip("/"), SAVED_MODEL_FILE)))


def latest_version_dir(model_dir: str) -> str:
    """The folder of the newest version, the one TF Serving serves by default."""
    versions = list_versions(model_dir)
    if not versions:
        raise FileNotFoundError(f"{model_dir}: expected version folders <model_dir>/<number>/ holding "
                                f"{SAVED_MODEL_FILE}, found none")
    return os.path.join(model_dir, str(versions[-1]))
