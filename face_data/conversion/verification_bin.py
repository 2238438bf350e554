"""Reads insightface `.bin` verification sets (lfw.bin, cfp_fp.bin, agedb_30.bin...) safely.

A `.bin` file is a pickle of `(bins, issame_list)`: `bins` a list of encoded images, `issame_list`
a list of booleans; pair i is images 2i and 2i+1. Pickles can run code when loaded, so these are
read with `SafeUnpickler`, which refuses every global (classes, functions): only bytes, lists,
tuples, booleans and other built-in literals can be built, and then the shape is checked.
Files written by Python 2 hold `str` images; they load as bytes. insightface's packers for AgeDB
and CFP store each image as the uint8 numpy array `cv2.imencode` returns (shape [N] or [N, 1]):
for those, and nothing else numpy can pickle, the unpickler has stand-ins of its own for the
names numpy's pickles call (`_reconstruct`, `_frombuffer`, `dtype`), which check every argument
and yield the encoded bytes; numpy itself runs nothing while the file loads. This module imports
no TensorFlow.

Example:
    >>> images, is_same = load_verification_bin("lfw.bin")
    >>> len(images) == 2 * len(is_same)
    True
"""

import io
import pickle
import pickletools
from typing import List, Optional, Tuple

from face_data.conversion.images import MAX_PIXELS, ImageRejected, check_pair_image
from face_data.conversion.outcomes import ConvertedPair, Skipped


class UnsafePickleError(pickle.UnpicklingError, ValueError):
    """A pickle that asks for more than plain data: refused before anything ran.

    A ValueError as well, like every other refused input, so callers (the CLI) report it as one.
    """


def _text(value) -> str:
    """A name in a pickle: str, or bytes when a Python 2 file is read with encoding="bytes"."""
    return value.decode("latin1") if isinstance(value, bytes) else value


class _NumpyArrayClass:
    """Stands for `numpy.ndarray`, the class argument of `_reconstruct`: nothing else is accepted there."""


class _UInt8Dtype:
    """Stands for `numpy.dtype("u1")`; its pickled state must be exactly a plain uint8's."""

    # (version, byte order "|" (not applicable), subarray, names, fields, item size, alignment, flags)
    STATE = (3, "|", None, None, None, -1, -1, 0)

    def __setstate__(self, state):
        if not isinstance(state, tuple) or tuple(_text(value) for value in state) != self.STATE:
            raise UnsafePickleError(f"refused a numpy dtype state {state!r}: only a plain uint8 is allowed")


def _numpy_dtype(code, align=False, copy=True):
    if _text(code) != "u1" or align not in (False, 0) or copy not in (True, 1):
        raise UnsafePickleError(f"refused numpy.dtype({code!r}): only uint8 ('u1') images are allowed")
    return _UInt8Dtype()


class EncodedImageArray:
    """A uint8 numpy array of encoded image bytes, rebuilt without numpy; `data` holds the bytes.

    Shapes [N] and [N, 1] (`cv2.imencode`'s) are accepted: both hold the N bytes in order.
    """

    def __init__(self, data: bytes = None):
        self.data = data

    def __setstate__(self, state):
        # numpy's ndarray state: (version, shape, dtype, Fortran order, raw bytes).
        if not isinstance(state, tuple) or len(state) != 5:
            raise UnsafePickleError("refused a numpy array state: expected (version, shape, dtype, order, data)")
        version, shape, dtype, _, data = state
        if version != 1 or not isinstance(dtype, _UInt8Dtype) or not isinstance(data, (bytes, bytearray)):
            raise UnsafePickleError(f"refused a numpy array state of version {version!r} with dtype "
                                    f"{type(dtype).__name__} and data {type(data).__name__}: only uint8 arrays "
                                    "with their bytes inline are allowed")
        self.data = _checked_bytes(data, shape)


def _checked_bytes(data, shape) -> bytes:
    if (not isinstance(shape, tuple) or not 1 <= len(shape) <= 2 or not all(isinstance(n, int) for n in shape)
            or shape[1:] not in ((), (1,)) or shape[0] != len(data)):
        raise UnsafePickleError(f"refused a numpy array of shape {shape!r} holding {len(data)} bytes: expected "
                                "encoded image bytes of shape [N] or [N, 1]")
    return bytes(data)


def _numpy_reconstruct(array_class, shape, typecode):
    """numpy's `_reconstruct(ndarray, (0,), b"b")`: an empty array whose state BUILD sets next."""
    if array_class is not _NumpyArrayClass or shape != (0,) or _text(typecode) != "b":
        raise UnsafePickleError(f"refused numpy _reconstruct({array_class!r}, {shape!r}, {typecode!r}): only plain "
                                "numpy arrays are allowed")
    return EncodedImageArray()


def _numpy_frombuffer(data, dtype, shape, order):
    """numpy's `_frombuffer(bytes, dtype, shape, order)`, as pickle protocol 5 rebuilds arrays."""
    if not isinstance(data, (bytes, bytearray)) or not isinstance(dtype, _UInt8Dtype) or _text(order) not in "CF":
        raise UnsafePickleError(f"refused numpy _frombuffer of {type(data).__name__} with dtype "
                                f"{type(dtype).__name__}: only uint8 arrays with their bytes inline are allowed")
    return EncodedImageArray(_checked_bytes(data, shape))


# The names numpy's pickles of a uint8 array call (numpy 1: numpy.core, numpy 2: numpy._core).
_NUMPY_STAND_INS = {
    **{(f"{package}.multiarray", "_reconstruct"): _numpy_reconstruct for package in ("numpy.core", "numpy._core")},
    **{(f"{package}.numeric", "_frombuffer"): _numpy_frombuffer for package in ("numpy.core", "numpy._core")},
    ("numpy", "ndarray"): _NumpyArrayClass,
    ("numpy", "dtype"): _numpy_dtype,
}


def _latin1_bytes(text, encoding):
    """Python 3 pickles bytes at protocol 2 as `_codecs.encode(text, "latin1")`; nothing else is let through."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError(f"refused _codecs.encode({type(text).__name__}, {encoding!r}): only the latin1 "
                                "encoding of text, which is how bytes are pickled, is allowed")
    return text.encode("latin1")


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that builds only built-in literals; any global (hence any code) is refused.

    The exceptions: `_codecs.encode`, narrowed to latin1 text -> bytes (Python 3 pickles bytes
    that way at protocol 2), and the numpy names a uint8 array's pickle calls, served by checking
    stand-ins (`EncodedImageArray`).

    Example:
        >>> SafeUnpickler(io.BytesIO(pickle.dumps(([b"a"], [True])))).load()
        ([b'a'], [True])
        >>> SafeUnpickler(io.BytesIO(pickle.dumps(print))).load()
        UnsafePickleError: refused to load builtins.print: ...
    """

    def find_class(self, module, name):
        if (module, name) == ("_codecs", "encode"):
            return _latin1_bytes
        if (module, name) in _NUMPY_STAND_INS:
            return _NUMPY_STAND_INS[(module, name)]
        raise UnsafePickleError(f"refused to load {module}.{name}: a verification file may hold only bytes, "
                                "uint8 numpy arrays, lists, tuples and booleans")

    def persistent_load(self, persistent_id):
        raise UnsafePickleError("refused a persistent id: a verification file may hold only plain data")


def load_pickle(data: bytes, unpickler, source: str, **options):
    """What the pickle `data` holds, built by `unpickler` (a restricted `pickle.Unpickler` class).

    Raises UnsafePickleError or ValueError naming `source` (a file, or a member of one) if the
    pickle is malformed or asks for what the unpickler refuses; `options` go to the unpickler.
    """
    try:
        # The unpickler allocates what a length field claims before reading it: 2**62 bytes is a
        # MemoryError, a few GB are reserved. Walking the opcodes first reads each length against
        # the bytes actually left in the file, and builds nothing.
        for _ in pickletools.genops(data):
            pass
    except ValueError as error:
        raise ValueError(f"{source}: not a readable pickle ({error})") from error
    try:
        return unpickler(io.BytesIO(data), **options).load()
    except UnsafePickleError as error:
        raise UnsafePickleError(f"{source}: {error}") from error
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError) as error:
        raise ValueError(f"{source}: not a readable pickle ({type(error).__name__}: {error})") from error


def load_verification_bin(path: str) -> Tuple[List[bytes], List[bool]]:
    """(images, is_same) of a `.bin` file; raises ValueError naming the file if it is unsafe or malformed."""
    with open(path, "rb") as file:
        loaded = load_pickle(file.read(), SafeUnpickler, path, encoding="bytes")
    if not isinstance(loaded, (tuple, list)) or len(loaded) != 2:
        raise ValueError(f"{path}: expected a pickled (bins, issame_list) pair, got {type(loaded).__name__}"
                         + (f" of length {len(loaded)}" if isinstance(loaded, (tuple, list)) else ""))
    images, is_same = loaded
    if not isinstance(images, (list, tuple)) or not isinstance(is_same, (list, tuple)):
        raise ValueError(f"{path}: expected bins and issame_list to be lists, got {type(images).__name__} "
                         f"and {type(is_same).__name__}")
    for index, image in enumerate(images):
        if isinstance(image, EncodedImageArray) and image.data is None:
            raise ValueError(f"{path} image {index}: a numpy array whose data the file never gives")
        if not isinstance(image, (bytes, bytearray, EncodedImageArray)):
            raise ValueError(f"{path} image {index}: expected encoded image bytes, got {type(image).__name__}")
    for index, flag in enumerate(is_same):
        if not isinstance(flag, bool) and flag not in (0, 1):
            raise ValueError(f"{path} pair {index}: expected a boolean same/different flag, got {flag!r}")
    if len(images) != 2 * len(is_same):
        raise ValueError(f"{path}: expected 2 images per pair, got {len(images)} images for {len(is_same)} pairs")
    return ([image.data if isinstance(image, EncodedImageArray) else bytes(image) for image in images],
            [bool(flag) for flag in is_same])


def check_pairs(pairs: List[Tuple[str, bytes, bytes, bool, Optional[int]]], max_pixels: int = MAX_PIXELS) -> list:
    """Worker: checks both images of each (source, image_a, image_b, is_same, fold); ConvertedPair or Skipped."""
    outcomes = []
    for source, image_a, image_b, is_same, fold in pairs:
        try:
            checked = [check_pair_image(image, which, max_pixels) for which, image in (("a", image_a), ("b", image_b))]
        except ImageRejected as error:
            outcomes.append(Skipped(source, error.reason, error.detail))
            continue
        changes = tuple(note for image in checked for note in image.notes)
        outcomes.append(ConvertedPair(source, checked[0].data, checked[1].data, is_same, changes=changes, fold=fold))
    return outcomes

