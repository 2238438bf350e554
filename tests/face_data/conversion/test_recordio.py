"""insightface RecordIO (.rec + .idx) -> face records, from sets written here in the real layout."""

import os
import struct

import pytest

from tests.face_data import face_fixtures as fx
from face_data.conversion import mxnet_recordio
from face_data.conversion.writing import OutputOptions
from face_data.conversion.converters import convert_recordio
from face_data.records.reading import read_face_records

IDENTITIES = [(0, [fx.png(1), fx.jpeg(2)]), (1, [fx.png(3)]), (7, [fx.png(4), fx.png(5), fx.jpeg(6)])]


def _convert(tmp_path, records, **options):
    rec = tmp_path / "train.rec"
    fx.write_recordio(rec, records)
    return convert_recordio(str(rec), OutputOptions(tmp_path / "out", show_progress=False, **options))


def _faces(summary):
    return [(record.label, record.image) for _, record in read_face_records(summary.shards)]


EXPECTED = [(identity, image) for identity, images in IDENTITIES for image in images]


@pytest.mark.parametrize("array_labels", [False, True], ids=["scalar-labels", "face2rec2-array-labels"])
def test_insightface_set_converts_bit_exact_without_its_header_and_identity_records(tmp_path, array_labels):
    summary = _convert(tmp_path, fx.insightface_records(IDENTITIES, array_labels))
    assert _faces(summary) == EXPECTED
    assert summary.identities == 3 and not summary.skipped and summary.notes == {
        "identities with a single image (kept)": 1}


def test_a_set_without_header_record_is_all_images(tmp_path):
    records = [(key, fx.pack_ir(identity, image, key)) for key, (identity, image) in enumerate(EXPECTED)]
    assert _faces(_convert(tmp_path, records)) == EXPECTED


def test_records_holding_the_magic_word_are_joined_back(tmp_path):
    magic = struct.pack("<I", fx.MAGIC)
    image = fx.png(7)
    # Decoders ignore bytes after PNG's end chunk: put two magic words there, at 4-byte boundaries.
    image += b"\0" * (-(len(image) + mxnet_recordio.IRHEADER.size) % 4) + magic * 2 + b"end"
    assert fx.recordio_chunks(fx.pack_ir(3, image)).count(magic) == 3  # start, middle and end piece
    assert _faces(_convert(tmp_path, [(0, fx.pack_ir(3, image))])) == [(3, image)]


def test_bad_records_are_skipped_with_their_key_and_the_rest_converts(tmp_path):
    records = fx.insightface_records(IDENTITIES, array_labels=True)
    records[1] = (1, fx.pack_ir([float("nan"), 1.0], fx.png(1), 1))  # bad label
    records[2] = (2, struct.pack("<IfQQ", 2, 0.0, 2, 0) + b"\0\0")  # announces 2 labels, holds half of one
    records[3] = (3, fx.pack_ir([1, 1.0], fx.png(3)[:-30], 3))  # truncated image
    summary = _convert(tmp_path, records)
    assert {(s.source, s.reason) for s in summary.skipped} == {
        ("train.rec record 1", "bad label"), ("train.rec record 2", "corrupt record"),
        ("train.rec record 3", "corrupt image")}
    details = {s.source: s.detail for s in summary.skipped}
    assert "expected a non-negative integer identity label, got nan" in details["train.rec record 1"]
    assert "announces 2 float32 labels but only 2 bytes follow" in details["train.rec record 2"]
    assert _faces(summary) == EXPECTED[3:]


def test_a_truncated_rec_file_keeps_every_whole_record(tmp_path):
    records = [(key, fx.pack_ir(identity, image, key)) for key, (identity, image) in enumerate(EXPECTED)]
    rec = tmp_path / "train.rec"
    fx.write_recordio(rec, records)
    os.truncate(rec, os.path.getsize(rec) - 100)
    summary = convert_recordio(str(rec), OutputOptions(tmp_path / "out", show_progress=False))
    assert [(s.source, s.reason) for s in summary.skipped] == [("train.rec record 5", "corrupt record")]
    assert "truncated" in summary.skipped[0].detail
    assert _faces(summary) == EXPECTED[:5]


def test_header_counting_records_the_index_lacks_reports_them(tmp_path):
    records = fx.insightface_records(IDENTITIES, array_labels=False)
    del records[2]
    summary = _convert(tmp_path, records)
    assert [(s.source, s.reason) for s in summary.skipped] == [("train.rec record 2", "missing record")]
    assert len(_faces(summary)) == len(EXPECTED) - 1


@pytest.mark.parametrize("index_text, expected", [
    ("0\t0\nbad line\n", r"train.idx line 2: expected 'key<TAB>offset'"),
    ("", "the index lists no record"),
])
def test_a_malformed_index_is_refused_before_writing(tmp_path, index_text, expected):
    fx.write_recordio(tmp_path / "train.rec", [(0, fx.pack_ir(0, fx.png(1)))])
    (tmp_path / "train.idx").write_text(index_text)
    with pytest.raises(ValueError, match=expected):
        convert_recordio(str(tmp_path / "train.rec"), OutputOptions(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_missing_files_and_a_bad_header_record_are_refused(tmp_path):
    with pytest.raises(ValueError, match="nothing.rec: no such file"):
        convert_recordio(str(tmp_path / "nothing.rec"), OutputOptions(tmp_path / "out"))
    fx.write_recordio(tmp_path / "train.rec", [(0, fx.pack_ir([99.0, 100.0], b"")), (1, fx.pack_ir(0, fx.png(1)))])
    with pytest.raises(ValueError, match=r"record 0: the header's first label should be one past the last image "
                                         r"record \(1..2\), got 99.0"):
        convert_recordio(str(tmp_path / "train.rec"), OutputOptions(tmp_path / "out"))


def test_reader_rejects_a_bad_magic_word(tmp_path):
    path = tmp_path / "bad.rec"
    path.write_bytes(struct.pack("<II", 0x12345678, 4) + b"abcd")
    with open(path, "rb") as file, pytest.raises(mxnet_recordio.RecordIOError, match="no RecordIO magic at byte 0"):
        mxnet_recordio.read_record(file, 0)
