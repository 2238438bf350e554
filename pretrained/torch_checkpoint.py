"""Reads PyTorch's `.pth` / `.pt` files (torch.save's zip format) without PyTorch and without running them.

A file `torch.save` wrote is a zip: `<name>/data.pkl`, a pickle of the saved object whose
tensors point, by key, at raw storages `<name>/data/<key>`. Pickles can run code when loaded, so
`data.pkl` is read with `TorchUnpickler`, an allow-list: dicts and lists, `OrderedDict` (a state
dict), and torch's own tensor rebuilders (`_rebuild_tensor_v2`, `_rebuild_parameter`) and storage
types, each served by a NumPy stand-in that checks its arguments; any other global (a class, a
function) is refused by name before anything ran. The safe loading is face_data's, which reads
insightface's `.bin` pickles the same way. What `torch.load(path, weights_only=True)` gives,
without torch.

Example:
    tensors = read_state_dict("ms1mv3_arcface_r50_fp16/backbone.pth")
    tensors["conv1.weight"].shape  # (64, 3, 3, 3)
"""

import collections
import pickle
import zipfile

import numpy as np

from face_data.conversion.verification_bin import UnsafePickleError, load_pickle

# torch's storage types -> the NumPy type of their elements (bfloat16 is widened to float32).
STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "BFloat16Storage": np.uint16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
# Keys of an arcface_torch training checkpoint (`checkpoint_gpu_<rank>.pt`) holding the backbone.
BACKBONE_KEYS = ("state_dict_backbone", "state_dict", "model")


class _StorageType:
    """Stands for one of torch's storage classes: the dtype of the raw bytes it names."""

    def __init__(self, name):
        self.name = name
        self.dtype = np.dtype(STORAGE_DTYPES[name]).newbyteorder("<")


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    """torch._utils._rebuild_tensor_v2: a view of `storage` (a flat array) as a NumPy array."""
    if not isinstance(storage, np.ndarray):
        raise UnsafePickleError(f"refused a tensor on {type(storage).__name__}: expected a storage of the file")
    shape, stride = tuple(size), tuple(stride)
    if not all(isinstance(n, int) and n >= 0 for n in (offset, *shape, *stride)) or len(shape) != len(stride):
        raise UnsafePickleError(f"refused a tensor of size {size!r}, stride {stride!r}, offset {offset!r}")
    last = offset + sum((n - 1) * step for n, step in zip(shape, stride)) if all(shape) else offset - 1
    if last >= storage.size:
        raise ValueError(f"a tensor of size {list(shape)} at offset {offset} reaches past its storage of "
                         f"{storage.size} elements")
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape, [step * storage.itemsize for step in stride])
    return np.array(view)  # its own copy: the storage's bytes are shared by every view of them


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None):
    """torch._utils._rebuild_parameter: a Parameter's tensor."""
    return data


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(name) for name in STORAGE_DTYPES},
}


class TorchUnpickler(pickle.Unpickler):
    """Unpickles torch.save's `data.pkl`: tensors become NumPy arrays read from `storages(key)`.

    Args:
        file: the pickle, a binary file.
        storages: key -> the raw bytes of that storage.
    """

    def __init__(self, file, storages):
        super().__init__(file)
        self.storages = storages
        self.loaded = {}

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        raise UnsafePickleError(f"refused to load {module}.{name}: a weights file may hold only tensors, "
                                "dicts, lists and numbers")

    def persistent_load(self, persistent_id):
        # ("storage", storage type, key, location, number of elements): torch's reference to data/<key>.
        if not (isinstance(persistent_id, tuple) and len(persistent_id) == 5 and persistent_id[0] == "storage"
                and isinstance(persistent_id[1], _StorageType)):
            raise UnsafePickleError(f"refused the persistent id {persistent_id!r}: expected a storage of the file")
        _, storage_type, key, _, count = persistent_id
        if key not in self.loaded:
            data = self.storages(str(key))
            if len(data) != count * storage_type.dtype.itemsize:
                raise ValueError(f"storage {key} holds {len(data)} bytes, expected {count} {storage_type.name} "
                                 f"elements of {storage_type.dtype.itemsize} bytes")
            array = np.frombuffer(data, storage_type.dtype)
            if storage_type.name == "BFloat16Storage":
                array = (array.astype(np.uint32) << 16).view(np.float32)
            self.loaded[key] = array
        return self.loaded[key]


def read_checkpoint(path):
    """The object `torch.save` wrote to `path`, tensors as NumPy arrays; ValueError names what is wrong."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: not a PyTorch zip file (torch.save's format since PyTorch 1.6): {error}") from error
    with archive:
        pickles = [name for name in archive.namelist() if name.endswith("/data.pkl") and name.count("/") == 1]
        if len(pickles) != 1:
            raise ValueError(f"{path}: expected one <name>/data.pkl in the zip, found {len(pickles)}")
        root = pickles[0][: -len("data.pkl")]
        names = set(archive.namelist())
        byteorder = archive.read(f"{root}byteorder").decode().strip() if f"{root}byteorder" in names else "little"
        if byteorder != "little":
            raise ValueError(f"{path}: tensors stored {byteorder}-endian; expected little-endian")

        def storage(key):
            member = f"{root}data/{key}"
            if member not in names:
                raise ValueError(f"no storage {member}")
            return archive.read(member)

        return load_pickle(archive.read(pickles[0]), TorchUnpickler, f"{path} ({pickles[0]})",
                           storages=storage)


def read_state_dict(path):
    """The backbone's tensors in a `.pth`: name -> NumPy array.

    A state dict as arcface_torch saves its models (`model.pt`, the model zoo's `backbone.pth`),
    or the backbone's state dict inside a training checkpoint (`state_dict_backbone`).
    """
    loaded = read_checkpoint(path)
    if isinstance(loaded, dict):
        for key in BACKBONE_KEYS:
            if isinstance(loaded.get(key), dict):
                loaded = loaded[key]
                break
    if not isinstance(loaded, dict) or not all(isinstance(value, np.ndarray) for value in loaded.values()):
        raise ValueError(f"{path}: expected a state dict (tensor name -> tensor) or a checkpoint holding one under "
                         f"{' or '.join(BACKBONE_KEYS)}; got {type(loaded).__name__}"
                         + (f" with keys {sorted(map(str, loaded))[:5]}" if isinstance(loaded, dict) else ""))
    return dict(loaded)

