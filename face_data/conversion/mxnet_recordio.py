"""Reads insightface face sets in MXNet RecordIO (`train.rec` + `train.idx`) without MXNet.

The layout, as written by dmlc-core's `recordio.h`/`recordio.cc`, MXNet's `python/mxnet/recordio.py`
and insightface's `face2rec2.py` (and read by its `arcface_torch/dataset.py`):

- `.idx` is text, one `key<TAB>offset` line per record: the byte offset of record `key` in `.rec`.
- `.rec` chunks: uint32 magic `0xced7230a`, uint32 `lrecord` (continuation flag `lrecord >> 29`,
  length `lrecord & (2**29 - 1)`), `length` bytes, zero padding to a multiple of 4. Flag 0 is a
  whole record; 1, 2, 3 start, continue and end a record that the writer cut wherever its data
  held the magic word, which the reader puts back between the pieces. All little-endian.
- A record's payload starts with the IRHeader struct `<IfQQ`: flag, label (float32), id, id2.
  If flag > 0, `flag` float32 labels follow (and the scalar label is unused); then the image file.
- insightface's record 0 is a header: flag > 0, labels (a, b). Images are records 1 .. a-1;
  records a .. b-1 describe identities (labels: their first and end image record). Without that
  header (flag 0 in record 0, or no record 0), every record is an image. An image's identity is
  its scalar label if flag == 0, else its first label.

This module imports no TensorFlow: worker processes use it.

Example:
    >>> index = read_index("faces_emore/train.idx")
    >>> keys, skipped = image_keys("faces_emore/train.rec", index)
    >>> outcomes = read_recordio_images([(k, index[k]) for k in keys[:10]], "faces_emore/train.rec")
"""

import math
import os
import struct
from typing import BinaryIO, Dict, List, NamedTuple, Tuple, Union

from face_data.conversion.images import MAX_PIXELS, ImageRejected, check_image
from face_data.conversion.outcomes import Converted, Skipped

MAGIC = 0xCED7230A
_CHUNK_HEADER = struct.Struct("<II")
IRHEADER = struct.Struct("<IfQQ")
_LENGTH_MASK = (1 << 29) - 1
_WHOLE, _START, _MIDDLE, _END = 0, 1, 2, 3
_MAX_OFFSET = 2**63 - 1  # off_t


class RecordIOError(ValueError):
    """A RecordIO file or record that does not follow the layout; the message says where."""


class IRHeader(NamedTuple):
    """MXNet's image-record header; `label` is a float, or a tuple of floats when flag > 0."""

    flag: int
    label: Union[float, Tuple[float, ...]]
    id: int
    id2: int


def read_index(idx_path: str) -> Dict[int, int]:
    """Parses an `.idx` file: {record key: byte offset in the .rec}, in key order."""
    index = {}
    with open(idx_path, "r", encoding="ascii", errors="replace") as file:
        for line_number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            fields = line.split()
            if len(fields) != 2 or not all(field.isdigit() for field in fields):
                raise RecordIOError(f"{idx_path} line {line_number}: expected 'key<TAB>offset' "
                                    f"(two non-negative integers), got {line.rstrip()!r}")
            key, offset = int(fields[0]), int(fields[1])
            if offset > _MAX_OFFSET:  # file.seek() could not even represent it
                raise RecordIOError(f"{idx_path} line {line_number}: offset {offset} is beyond any file "
                                    f"(the largest is {_MAX_OFFSET})")
            index[key] = offset
    if not index:
        raise RecordIOError(f"{idx_path}: the index lists no record")
    return dict(sorted(index.items()))


def read_record(file: BinaryIO, offset: int) -> bytes:
    """The payload of the record at `offset`, its pieces joined; raises RecordIOError if malformed."""
    file.seek(offset)
    pieces = []
    while True:
        header = file.read(_CHUNK_HEADER.size)
        if len(header) < _CHUNK_HEADER.size:
            raise RecordIOError(f"truncated at byte {offset}: the file ends inside a chunk header")
        magic, lrecord = _CHUNK_HEADER.unpack(header)
        if magic != MAGIC:
            raise RecordIOError(f"no RecordIO magic at byte {file.tell() - 8} (found {magic:#010x}, "
                                f"expected {MAGIC:#010x})")
        flag, length = lrecord >> 29, lrecord & _LENGTH_MASK
        expected = (_WHOLE, _START) if not pieces else (_MIDDLE, _END)
        if flag not in expected:
            raise RecordIOError(f"continuation flag {flag} at byte {file.tell() - 8}, expected one of {expected}")
        left = os.fstat(file.fileno()).st_size - file.tell()
        if length > left:  # checked before reading: a corrupt length could claim 512 MB
            raise RecordIOError(f"truncated: a chunk of {length} bytes at byte {file.tell() - 8} has only "
                                f"{left} bytes left in the file")
        data = file.read(length)
        file.read(-length % 4)  # padding to a multiple of 4
        pieces.append(data)
        if flag in (_WHOLE, _END):
            return struct.pack("<I", MAGIC).join(pieces)


def unpack(payload: bytes) -> Tuple[IRHeader, bytes]:
    """Splits a record payload into its IRHeader and the image bytes."""
    if len(payload) < IRHEADER.size:
        raise RecordIOError(f"a record of {len(payload)} bytes is shorter than its {IRHEADER.size}-byte IRHeader")
    flag, label, record_id, id2 = IRHEADER.unpack_from(payload)
    body = payload[IRHEADER.size:]
    if flag > 0:
        if len(body) < 4 * flag:
            raise RecordIOError(f"the IRHeader announces {flag} float32 labels but only {len(body)} bytes follow")
        label = struct.unpack_from(f"<{flag}f", body)
        body = body[4 * flag:]
    return IRHeader(flag, label, record_id, id2), body


def identity_label(header: IRHeader) -> int:
    """The identity of an image record: its scalar label, or its first label; a non-negative integer."""
    value = header.label if header.flag == 0 else header.label[0]
    if not math.isfinite(value) or value < 0 or value != int(value):
        raise RecordIOError(f"expected a non-negative integer identity label, got {value!r}")
    return int(value)


def image_keys(rec_path: str, index: Dict[int, int]) -> Tuple[List[int], List[Skipped]]:
    """Keys of the image records, from insightface's header record if there is one, and the keys
    the header lists that the index lacks (as Skipped)."""
    if 0 not in index:
        return list(index), []
    with open(rec_path, "rb") as file:
        try:
            header, _ = unpack(read_record(file, index[0]))
        except RecordIOError as error:
            raise RecordIOError(f"{rec_path} record 0 (the header record): {error}") from error
    if header.flag == 0:
        return list(index), []
    end = header.label[0]
    if not 1 <= end <= max(index) + 1 or end != int(end):
        raise RecordIOError(f"{rec_path} record 0: the header's first label should be one past the last "
                            f"image record (1..{max(index) + 1}), got {end!r}")
    keys = [key for key in index if 1 <= key < int(end)]
    name = os.path.basename(rec_path)
    missing = [Skipped(f"{name} record {key}", "missing record", "the header counts it but the .idx has no offset")
               for key in sorted(set(range(1, int(end))) - set(keys))]
    return keys, missing


def _read_image_record(file: BinaryIO, offset: int, source: str, max_pixels: int):
    try:
        header, image = unpack(read_record(file, offset))
    except RecordIOError as error:
        return Skipped(source, "corrupt record", str(error))
    try:
        label = identity_label(header)
    except RecordIOError as error:
        return Skipped(source, "bad label", str(error))
    try:
        checked = check_image(image, max_pixels)
    except ImageRejected as error:
        return Skipped(source, error.reason, error.detail)
    return Converted(source, checked.data, label, checked.notes)


def read_recordio_images(entries: List[Tuple[int, int]], rec_path: str, max_pixels: int = MAX_PIXELS) -> list:
    """Worker: reads records (key, offset) of `rec_path`; returns Converted or Skipped outcomes in order."""
    outcomes = []
    name = os.path.basename(rec_path)
    with open(rec_path, "rb") as file:
        for key, offset in entries:
            outcomes.append(_read_image_record(file, offset, f"{name} record {key}", max_pixels))
    return outcomes
