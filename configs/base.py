"""The base of every config section, and the type of the paths they hold."""

import os
import posixpath
import re
from pathlib import Path
from typing import Annotated, Union

import pydantic

# "scheme://..." (gs://bucket/dir, s3://, hdfs://): where a cluster's pods read and write.
_REMOTE_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class Section(pydantic.BaseModel):
    """A config section: unknown keys are errors, values cannot change once validated.

    Strict types: a value of the wrong type is refused, never converted. `batch_size: yes` (YAML's
    boolean) is not batch size 1, `image_size: "64"` is not 64; an int is still a float. A field
    whose YAML form has another type (a list for a tuple, a string for a path) says so itself.
    """

    # Each key's meaning is the docstring under it: pydantic reads it as the field's description,
    # and `python -m configs.reference --write` writes docs/configuration.md from it.
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, strict=True, use_attribute_docstrings=True)


def is_remote(location) -> bool:
    """True for a remote URI such as gs://bucket/dir, False for a local path."""
    return isinstance(location, str) and bool(_REMOTE_URI.match(location))


def _location(value) -> Union[Path, str]:
    if is_remote(value):
        return value  # kept as written: pathlib would fold its "//" into "/"
    if isinstance(value, (str, Path)):
        # Absolute, resolved against where the pipeline is started: TFX records absolute URIs.
        return Path(os.path.abspath(value))
    raise ValueError(f"expected a local path or a URI such as gs://bucket/dir, got {value!r}")


# A local path (made absolute) or a remote URI (kept as a string).
Location = Annotated[Union[Path, str], pydantic.PlainValidator(_location)]


def join(location: Union[Path, str], *names: str) -> Union[Path, str]:
    """`location/names...`, of the same kind as `location` (a Path, or a URI string)."""
    if is_remote(location):
        return posixpath.join(location, *names)
    return Path(location, *names)
