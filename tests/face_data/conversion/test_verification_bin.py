"""insightface .bin verification sets -> pair records, and the unpickler that cannot run code."""

import codecs
import io
import os
import pickle

import numpy as np
import pytest

from tests.face_data import face_fixtures as fx
from face_data.conversion.writing import OutputOptions
from face_data.conversion.converters import convert_verification_bin
from face_data.records.reading import read_pair_records
from face_data.conversion.verification_bin import SafeUnpickler, UnsafePickleError, load_verification_bin

IMAGES = [fx.png(1), fx.jpeg(2), fx.png(3), fx.png(4), fx.jpeg(5), fx.png(6)]
FLAGS = [True, False, True]


def _pairs(summary):
    return [(r.image_a, r.image_b, r.is_same, r.label_a, r.label_b) for _, r in read_pair_records(summary.shards)]


EXPECTED = [(IMAGES[2 * i], IMAGES[2 * i + 1], flag, None, None) for i, flag in enumerate(FLAGS)]


def _arrays(shape):
    # What cv2.imencode returns: the encoded file as uint8, [N, 1] in OpenCV 3/4, [N] in newer ones.
    return [np.frombuffer(image, np.uint8).reshape(shape) for image in IMAGES]


@pytest.mark.parametrize("pickled", [
    fx.python2_pickle(IMAGES, FLAGS, numpy_arrays=True),
    pickle.dumps((_arrays((-1, 1)), FLAGS), protocol=2),
    pickle.dumps((_arrays(-1), FLAGS), protocol=4),
    pickle.dumps((_arrays(-1), FLAGS), protocol=5),  # numpy rebuilds these through _frombuffer
], ids=["python2", "protocol2-column", "protocol4", "protocol5"])
def test_bin_with_numpy_array_images_converts_like_bytes(tmp_path, pickled):
    # Really numpy arrays: numpy reads Python 2 pickles with encoding="latin1".
    assert pickle.loads(pickled, encoding="latin1")[0][0].tobytes() == IMAGES[0]
    (tmp_path / "agedb_30.bin").write_bytes(pickled)
    summary = convert_verification_bin(str(tmp_path / "agedb_30.bin"),
                                       OutputOptions(tmp_path / "out", show_progress=False))
    assert _pairs(summary) == EXPECTED and summary.written == 3


@pytest.mark.parametrize("array, expected", [
    (np.array([b"x", 3], dtype=object), r"refused numpy.dtype\('O8'\)"),
    (np.zeros(4, np.float32), r"refused numpy.dtype\('f4'\)"),
    (np.zeros(4, ">u2"), r"refused numpy.dtype\('u2'\)"),
    (np.zeros((4, 5, 3), np.uint8), r"refused a numpy array of shape \(4, 5, 3\)"),
])
@pytest.mark.parametrize("protocol", [2, 5])
def test_numpy_arrays_other_than_encoded_uint8_bytes_are_refused(tmp_path, array, expected, protocol):
    (tmp_path / "cfp_fp.bin").write_bytes(pickle.dumps(([array, IMAGES[1]], [True]), protocol=protocol))
    with pytest.raises(UnsafePickleError, match="cfp_fp.bin: " + expected):
        convert_verification_bin(str(tmp_path / "cfp_fp.bin"), OutputOptions(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_the_numpy_stand_ins_refuse_what_numpy_would_build_otherwise(tmp_path):
    # _reconstruct of another class, and a dtype state other than a plain uint8's.
    other_class = pickle.dumps(([np.frombuffer(IMAGES[0], np.uint8)], []), protocol=2).replace(
        b"cnumpy\nndarray", b"cnumpy\nmatrix")
    with pytest.raises(UnsafePickleError, match="refused to load numpy.matrix"):
        SafeUnpickler(io.BytesIO(other_class)).load()
    big_endian = pickle.dumps(np.frombuffer(IMAGES[0], np.uint8), protocol=4).replace(b"\x8c\x01|", b"\x8c\x01>")
    with pytest.raises(UnsafePickleError, match="refused a numpy dtype state"):
        SafeUnpickler(io.BytesIO(big_endian)).load()


@pytest.mark.parametrize("pickled", [
    fx.python2_pickle(IMAGES, FLAGS),
    pickle.dumps((IMAGES, FLAGS), protocol=2),  # Python 3 at protocol 2: bytes via _codecs.encode
    pickle.dumps((IMAGES, FLAGS), protocol=pickle.HIGHEST_PROTOCOL),
], ids=["python2", "python3-protocol2", "python3-highest"])
def test_bin_converts_consecutive_images_to_pairs_bit_exact(tmp_path, pickled):
    (tmp_path / "lfw.bin").write_bytes(pickled)
    summary = convert_verification_bin(str(tmp_path / "lfw.bin"), OutputOptions(tmp_path / "out", show_progress=False))
    assert _pairs(summary) == EXPECTED and summary.written == 3 and summary.kind == "pairs"
    assert [os.path.basename(path) for path in summary.shards] == ["pairs-00000-of-00001.tfrecord"]


class _Payload:
    """Unpickling this calls os.mkdir(marker): proof of code execution if the marker appears."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def test_a_pickle_that_would_run_code_is_refused_and_does_not_run(tmp_path):
    marker = tmp_path / "code-ran"
    hostile = pickle.dumps(([fx.png(1), _Payload(str(marker))], [True]))
    pickle.loads(hostile)  # the payload is live: a plain unpickler runs it
    assert marker.is_dir()
    os.rmdir(marker)
    (tmp_path / "evil.bin").write_bytes(hostile)
    with pytest.raises(UnsafePickleError, match=r"evil.bin: refused to load posix.mkdir"):
        convert_verification_bin(str(tmp_path / "evil.bin"), OutputOptions(tmp_path / "out"))
    assert not marker.exists() and not (tmp_path / "out").exists()


class _Encoded:
    def __reduce__(self):
        return codecs.encode, ("abc", "zlib_codec")


def test_codecs_encode_is_narrowed_to_latin1_text(tmp_path):
    (tmp_path / "odd.bin").write_bytes(pickle.dumps(([_Encoded(), b"x"], [True])))
    with pytest.raises(UnsafePickleError, match=r"refused _codecs.encode\(str, 'zlib_codec'\)"):
        load_verification_bin(str(tmp_path / "odd.bin"))


@pytest.mark.parametrize("content, expected", [
    (pickle.dumps({"bins": []}), "expected a pickled \\(bins, issame_list\\) pair, got dict"),
    (pickle.dumps(([b"a", b"b", b"c"], [True])), "expected 2 images per pair, got 3 images for 1 pairs"),
    (pickle.dumps(([b"a", "text"], [True])), "image 1: expected encoded image bytes, got str"),
    (pickle.dumps(([b"a", b"b"], [2])), "pair 0: expected a boolean same/different flag, got 2"),
    (pickle.dumps((IMAGES, FLAGS))[:-20], "not a readable pickle"),
])
def test_malformed_bin_files_are_refused_with_the_file_named(tmp_path, content, expected):
    (tmp_path / "bad.bin").write_bytes(content)
    with pytest.raises(ValueError, match=f"bad.bin.*{expected}"):
        convert_verification_bin(str(tmp_path / "bad.bin"), OutputOptions(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_a_pair_with_a_corrupt_image_is_skipped_and_named(tmp_path):
    images = list(IMAGES)
    images[3] = images[3][:-40]
    (tmp_path / "cfp.bin").write_bytes(pickle.dumps((images, FLAGS)))
    summary = convert_verification_bin(str(tmp_path / "cfp.bin"), OutputOptions(tmp_path / "out", show_progress=False))
    assert [(s.source, s.reason) for s in summary.skipped] == [("cfp.bin pair 1", "corrupt image")]
    assert summary.skipped[0].detail.startswith("image b: PNG does not decode")
    assert _pairs(summary) == [EXPECTED[0], EXPECTED[2]]


def test_folds_are_consecutive_blocks_as_insightface_deals_them(tmp_path):
    images = [fx.png(seed) for seed in range(14)]
    (tmp_path / "lfw.bin").write_bytes(pickle.dumps((images, [True, False] * 3 + [True]), protocol=4))
    summary = convert_verification_bin(str(tmp_path / "lfw.bin"), OutputOptions(tmp_path / "out", show_progress=False),
                                       folds=3)
    # 7 pairs in 3 folds: sizes 3, 2, 2 (sklearn's KFold without shuffling, which insightface uses).
    assert [record.fold for _, record in read_pair_records(summary.shards)] == [0, 0, 0, 1, 1, 2, 2]
    with pytest.raises(ValueError, match=r"--folds: expected 2 to 7 \(the pairs in .*lfw.bin\), got 8"):
        convert_verification_bin(str(tmp_path / "lfw.bin"), OutputOptions(tmp_path / "out2"), folds=8)
