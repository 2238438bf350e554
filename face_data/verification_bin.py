"""Reads insightface `.bin` verification sets (lfw.bin, cfp_fp.bin, agedb_30.bin...) safely.

A `.bin` file is a pickle of `(bins, issame_list)`: `bins` a list of encoded images, `issame_list`
a list of booleans; pair i is images 2i and 2i+1. Pickles can run code when loaded, so these are
read with `SafeUnpickler`, which refuses every global (classes, functions): only bytes, lists,
tuples, booleans and other built-in literals can be built, and then the shape is checked.
Files written by Python 2 hold `str` images; they load as bytes. This module imports no TensorFlow.

Example:
    >>> images, is_same = load_verification_bin("lfw.bin")
    >>> len(images) == 2 * len(is_same)
    True
"""

import io
import pickle
import pickletools
from typing import List, Tuple

from face_data.images import MAX_PIXELS, ImageRejected, check_pair_image
from face_data.outcomes import ConvertedPair, Skipped


class UnsafePickleError(pickle.UnpicklingError, ValueError):
    """A pickle that asks for more than plain data: refused before anything ran.

    A ValueError as well, like every other refused input, so callers (the CLI) report it as one.
    """


def _latin1_bytes(text, encoding):
    """Python 3 pickles bytes at protocol 2 as `_codecs.encode(text, "latin1")`; nothing else is let through."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError(f"refused _codecs.encode({type(text).__name__}, {encoding!r}): only the latin1 "
                                "encoding of text, which is how bytes are pickled, is allowed")
    return text.encode("latin1")


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that builds only built-in literals; any global (hence any code) is refused.

    The one exception is `_codecs.encode`, narrowed to latin1 text -> bytes: Python 3 pickles
    bytes that way at protocol 2.

    Example:
        >>> SafeUnpickler(io.BytesIO(pickle.dumps(([b"a"], [True])))).load()
        ([b'a'], [True])
        >>> SafeUnpickler(io.BytesIO(pickle.dumps(print))).load()
        UnsafePickleError: refused to load builtins.print: ...
    """

    def find_class(self, module, name):
        if (module, name) == ("_codecs", "encode"):
            return _latin1_bytes
        raise UnsafePickleError(f"refused to load {module}.{name}: a verification file may hold only bytes, "
                                "lists, tuples and booleans")

    def persistent_load(self, persistent_id):
        raise UnsafePickleError("refused a persistent id: a verification file may hold only plain data")


def load_verification_bin(path: str) -> Tuple[List[bytes], List[bool]]:
    """(images, is_same) of a `.bin` file; raises ValueError naming the file if it is unsafe or malformed."""
    with open(path, "rb") as file:
        data = file.read()
    try:
        # The unpickler allocates what a length field claims before reading it: 2**62 bytes is a
        # MemoryError, a few GB are reserved. Walking the opcodes first reads each length against
        # the bytes actually left in the file, and builds nothing.
        for _ in pickletools.genops(data):
            pass
    except ValueError as error:
        raise ValueError(f"{path}: not a readable pickle ({error})") from error
    try:
        loaded = SafeUnpickler(io.BytesIO(data), encoding="bytes").load()
    except UnsafePickleError as error:
        raise UnsafePickleError(f"{path}: {error}") from error
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError) as error:
        raise ValueError(f"{path}: not a readable pickle ({type(error).__name__}: {error})") from error
    if not isinstance(loaded, (tuple, list)) or len(loaded) != 2:
        raise ValueError(f"{path}: expected a pickled (bins, issame_list) pair, got {type(loaded).__name__}"
                         + (f" of length {len(loaded)}" if isinstance(loaded, (tuple, list)) else ""))
    images, is_same = loaded
    if not isinstance(images, (list, tuple)) or not isinstance(is_same, (list, tuple)):
        raise ValueError(f"{path}: expected bins and issame_list to be lists, got {type(images).__name__} "
                         f"and {type(is_same).__name__}")
    for index, image in enumerate(images):
        if not isinstance(image, (bytes, bytearray)):
            raise ValueError(f"{path} image {index}: expected encoded image bytes, got {type(image).__name__}")
    for index, flag in enumerate(is_same):
        if not isinstance(flag, bool) and flag not in (0, 1):
            raise ValueError(f"{path} pair {index}: expected a boolean same/different flag, got {flag!r}")
    if len(images) != 2 * len(is_same):
        raise ValueError(f"{path}: expected 2 images per pair, got {len(images)} images for {len(is_same)} pairs")
    return [bytes(image) for image in images], [bool(flag) for flag in is_same]


def check_pairs(pairs: List[Tuple[str, bytes, bytes, bool]], max_pixels: int = MAX_PIXELS) -> list:
    """Worker: checks both images of each (source, image_a, image_b, is_same); ConvertedPair or Skipped."""
    outcomes = []
    for source, image_a, image_b, is_same in pairs:
        try:
            checked = [check_pair_image(image, which, max_pixels) for which, image in (("a", image_a), ("b", image_b))]
        except ImageRejected as error:
            outcomes.append(Skipped(source, error.reason, error.detail))
            continue
        changes = tuple(image.change for image in checked if image.change)
        outcomes.append(ConvertedPair(source, checked[0].data, checked[1].data, is_same, changes=changes))
    return outcomes

