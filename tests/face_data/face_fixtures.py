"""Small inputs in the real layouts of each format, built by the tests themselves.

The RecordIO writer follows dmlc-core's RecordIOWriter::WriteRecord (it cuts a record wherever
its data holds the magic word at a 4-byte boundary), MXNet's recordio.pack (IRHeader `<IfQQ`,
float32 labels after it when flag > 0) and insightface's face2rec2.py (record 0 a header with
labels (first identity record, end), then one record per identity with its image range).
"""

import io
import struct
import zlib

import numpy as np
from PIL import Image

from face_data.records.shards import ShardedRecordWriter

MAGIC = 0xCED7230A


def encode(pixels: np.ndarray, image_format: str = "PNG", mode=None, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode=mode).save(buffer, format=image_format, **options)
    return buffer.getvalue()


def random_pixels(seed: int, height: int = 24, width: int = 20, channels: int = 3) -> np.ndarray:
    shape = (height, width, channels) if channels > 1 else (height, width)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def png(seed: int, channels: int = 3) -> bytes:
    return encode(random_pixels(seed, channels=channels))


def jpeg(seed: int) -> bytes:
    return encode(random_pixels(seed), "JPEG", quality=90)


def write_records(folder, examples) -> list:
    """Writes tf.Examples into one shard under `folder`; returns its path in a list."""
    with ShardedRecordWriter(folder, "faces", num_shards=1) as writer:
        for example in examples:
            writer.write(example.SerializeToString())
    return writer.paths


def png_claiming_size(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, followed by a few bytes of data: a bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


def sixteen_bit_gray_png(pixels: np.ndarray) -> bytes:
    return encode(pixels.astype(np.uint16), mode="I;16")


def pack_ir(label, image: bytes, record_id: int = 0) -> bytes:
    """MXNet recordio.pack: a scalar label keeps flag 0; a sequence becomes flag=len, float32 labels."""
    if np.isscalar(label):
        return struct.pack("<IfQQ", 0, float(label), record_id, 0) + image
    labels = np.asarray(label, dtype="<f4")
    return struct.pack("<IfQQ", labels.size, 0.0, record_id, 0) + labels.tobytes() + image


def recordio_chunks(payload: bytes) -> bytes:
    """One record as dmlc-core writes it: split at 4-aligned magic words, padded to 4 bytes."""
    magic = struct.pack("<I", MAGIC)
    out, start = [], 0
    for position in range(0, len(payload) - len(payload) % 4, 4):
        if payload[position:position + 4] == magic:
            out.append(struct.pack("<II", MAGIC, ((1 if start == 0 else 2) << 29) | (position - start)))
            out.append(payload[start:position])
            start = position + 4
    out.append(struct.pack("<II", MAGIC, ((3 if start else 0) << 29) | (len(payload) - start)))
    out.append(payload[start:] + b"\0" * (-(len(payload) - start) % 4))
    return b"".join(out)


def write_recordio(rec_path, records) -> None:
    """Writes (key, payload) records to `rec_path` and `rec_path` with .idx, like MXIndexedRecordIO."""
    lines = []
    with open(rec_path, "wb") as rec:
        for key, payload in records:
            lines.append(f"{key}\t{rec.tell()}\n")
            rec.write(recordio_chunks(payload))
    with open(str(rec_path)[:-len(".rec")] + ".idx", "w") as idx:
        idx.writelines(lines)


def insightface_records(images_by_identity, array_labels: bool):
    """The records of an insightface train.rec: header, images (keys 1..n), identity ranges.

    `array_labels` gives images face2rec2's [label, aligned] float labels (flag 2); otherwise a
    scalar label (flag 0), as in later insightface sets.
    """
    images, ranges = [], []
    for identity, encoded in images_by_identity:
        ranges.append((len(images) + 1, len(images) + 1 + len(encoded)))
        images += [(identity, image) for image in encoded]
    end = len(images) + 1
    records = [(0, pack_ir([end, end + len(ranges)], b""))]
    for key, (identity, image) in enumerate(images, start=1):
        records.append((key, pack_ir([identity, 1.0] if array_labels else identity, image, key)))
    for offset, (first, last) in enumerate(ranges):
        records.append((end + offset, pack_ir([first, last], b"", end + offset)))
    return records


def _python2_str(data: bytes) -> bytes:
    return b"U" + bytes([len(data)]) + data if len(data) < 256 else b"T" + struct.pack("<I", len(data)) + data


def _python2_uint8_array(data: bytes) -> bytes:
    """A 1-D uint8 numpy array as Python 2's numpy 1.x pickled it (its names and bytes as str)."""
    return b"".join([
        b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R(K\x01",
        b"J" + struct.pack("<i", len(data)) + b"\x85",
        b"cnumpy\ndtype\nU\x02u1K\x00K\x01\x87R(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb",
        b"\x89" + _python2_str(data) + b"tb",
    ])


def python2_pickle(images, flags, numpy_arrays: bool = False) -> bytes:
    """`(images, flags)` pickled as Python 2 does (protocol 2, str images as SHORT_BINSTRING/BINSTRING),
    or with each image a uint8 numpy array (`numpy_arrays`), as insightface's AgeDB/CFP packers wrote them."""
    out = [b"\x80\x02", b"]("]
    for image in images:
        out.append(_python2_uint8_array(image) if numpy_arrays else _python2_str(image))
    out.append(b"e](")
    out += [b"\x88" if flag else b"\x89" for flag in flags]
    out.append(b"e\x86.")
    return b"".join(out)
