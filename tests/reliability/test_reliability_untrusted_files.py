"""Untrusted files handed to the command lines as an attacker would (issue #9, point 5).

Every hostile file goes to `python -m face_data ...` or `python -m serving ...`
in a process of its own. It is refused (exit 1) or only its bad part is skipped, with a message
naming the file and the record, line or pair; no payload runs and nothing is written outside the
output folder. The readers underneath are tested case by case in tests/face_data/; this covers
what reaches them from the command line, and the cases those tests lack: a protocol-0 pickle
calling os.system, pickle and index lengths that lie, decompression bombs inside .bin and .rec
files and given to the serving commands, and identity folders or names leading out of the root.
"""

import json
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.face_data import face_fixtures as fx  # the small inputs in each format's layout
from tests.reliability.refusals import assert_refused

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(300)

BOMB = fx.png_claiming_size(50_000, 50_000)  # 2.5 gigapixels claimed in 69 bytes


def _run(module: str, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=240)


def _convert(*args) -> subprocess.CompletedProcess:
    return _run("face_data", *args, "--quiet")


def _files(root: Path) -> set:
    return {path.relative_to(root) for path in root.rglob("*")}


def _skipped(summary_json: Path) -> dict:
    summary = json.loads(summary_json.read_text())
    return {entry["source"]: (entry["reason"], entry["detail"]) for entry in summary["skipped"]}


class _Touch:
    """Unpickling this runs `touch marker` through os.system: proof of code execution if the marker appears."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _protocol0_os_system(marker) -> bytes:
    # As hand-written exploits are: GLOBAL posix.system, then REDUCE with a shell command.
    return f"cposix\nsystem\n(S'touch {marker}'\ntR.".encode()


def _numpy_object_array(marker) -> bytes:
    # numpy-array images are accepted (insightface's AgeDB/CFP packers write them), but only uint8
    # ones: an object array lets numpy's unpickling build any object, here one running a command.
    array = np.array([_Touch(marker), None], dtype=object)
    return pickle.dumps(([np.frombuffer(fx.png(1), np.uint8), array], [True]), protocol=2)


@pytest.mark.parametrize("hostile, refusal", [
    (_protocol0_os_system, "refused to load posix.system"),
    (_numpy_object_array, "refused numpy.dtype('O8'): only uint8 ('u1') images are allowed"),
], ids=["protocol0-os-system", "numpy-object-array"])
def test_a_pickle_that_would_run_code_is_refused_and_does_not_run(tmp_path, hostile, refusal):
    marker = tmp_path / "code-ran"
    pickle.loads(hostile(marker))  # the payload is live: a plain unpickler runs the command
    assert marker.exists()
    marker.unlink()
    (tmp_path / "lfw.bin").write_bytes(hostile(marker))
    assert_refused(_convert("bin", tmp_path / "lfw.bin", tmp_path / "out"), f"{tmp_path / 'lfw.bin'}: {refusal}")
    assert not marker.exists()
    assert _files(tmp_path) == {Path("lfw.bin")}


@pytest.mark.parametrize("opcode, length_format, claimed", [
    (b"\x8e", "<Q", 2**62),  # BINBYTES8: the unpickler allocated the claim first (MemoryError)
    (b"B", "<I", 2**32 - 1),  # BINBYTES: 4 GB reserved before reading 3 bytes
])
def test_pickle_lengths_that_lie_are_refused_before_anything_is_allocated(tmp_path, opcode, length_format, claimed):
    (tmp_path / "lfw.bin").write_bytes(b"\x80\x04" + opcode + struct.pack(length_format, claimed) + b"abc")
    result = _convert("bin", tmp_path / "lfw.bin", tmp_path / "out")
    assert_refused(result, f"{tmp_path / 'lfw.bin'}: not a readable pickle")
    assert "MemoryError" not in result.stderr
    assert _files(tmp_path) == {Path("lfw.bin")}


def test_a_bomb_in_a_bin_skips_its_pair_and_the_rest_converts(tmp_path):
    (tmp_path / "lfw.bin").write_bytes(pickle.dumps(([BOMB, fx.png(1), fx.png(2), fx.png(3)], [True, False])))
    result = _convert("bin", tmp_path / "lfw.bin", tmp_path / "out", "--summary-json", tmp_path / "summary.json")
    assert result.returncode == 0, result.stderr[-3000:]
    reason, detail = _skipped(tmp_path / "summary.json")["lfw.bin pair 0"]
    assert reason == "too many pixels" and detail.startswith("image a: decompression bomb refused")
    assert json.loads((tmp_path / "summary.json").read_text())["written"] == 1


def test_recordio_records_whose_lengths_lie_are_skipped_by_key(tmp_path):
    rec = tmp_path / "train.rec"
    payloads = [fx.pack_ir(0, fx.png(0)),
                fx.pack_ir(1, fx.png(1)),  # its chunk header will claim 2**29 - 1 bytes
                struct.pack("<IfQQ", 2**32 - 1, 0.0, 2, 0) + fx.png(2),  # "4294967295 labels follow"
                fx.pack_ir(3, BOMB),
                fx.pack_ir(4, fx.png(4))]
    fx.write_recordio(rec, list(enumerate(payloads)))
    offset = int((tmp_path / "train.idx").read_text().splitlines()[1].split("\t")[1])
    with open(rec, "r+b") as file:
        file.seek(offset + 4)
        file.write(struct.pack("<I", 2**29 - 1))
    result = _convert("recordio", rec, tmp_path / "out", "--summary-json", tmp_path / "summary.json")
    assert result.returncode == 0, result.stderr[-3000:]
    skipped = _skipped(tmp_path / "summary.json")
    assert {source: reason for source, (reason, _) in skipped.items()} == {
        "train.rec record 1": "corrupt record", "train.rec record 2": "corrupt record",
        "train.rec record 3": "too many pixels"}
    assert "a chunk of 536870911 bytes" in skipped["train.rec record 1"][1]
    assert "announces 4294967295 float32 labels" in skipped["train.rec record 2"][1]
    assert json.loads((tmp_path / "summary.json").read_text())["written"] == 2


def test_an_index_offset_beyond_any_file_is_refused_naming_the_line(tmp_path):
    fx.write_recordio(tmp_path / "train.rec", [(0, fx.pack_ir(0, fx.png(0)))])
    (tmp_path / "train.idx").write_text(f"0\t0\n1\t{10**20}\n")
    assert_refused(_convert("recordio", tmp_path / "train.rec", tmp_path / "out"),
                   f"{tmp_path / 'train.idx'} line 2: offset {10**20} is beyond any file")
    assert not (tmp_path / "out").exists()


def test_identity_folders_and_names_leading_out_of_the_root_are_not_followed(tmp_path):
    (tmp_path / "outside" / "secret").mkdir(parents=True)
    (tmp_path / "outside" / "secret" / "1.png").write_bytes(fx.png(9))
    (tmp_path / "faces" / "ann").mkdir(parents=True)
    (tmp_path / "faces" / "ann" / "1.png").write_bytes(fx.png(1))
    os.symlink("../outside/secret", tmp_path / "faces" / "escape")  # an identity folder named for its target
    (tmp_path / "pairs.txt").write_text("ann 1 1\n../outside/secret 1 1\n")
    before = _files(tmp_path)

    folder = _convert("folder", tmp_path / "faces", tmp_path / "out", "--labels", "name",
                      "--summary-json", tmp_path / "out" / "summary.json")
    assert folder.returncode == 0, folder.stderr[-3000:]
    assert _skipped(tmp_path / "out" / "summary.json")["escape"][0] == "outside the root folder"
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["written"] == 1
    assert_refused(_convert("lfw-pairs", tmp_path / "pairs.txt", tmp_path / "faces", tmp_path / "out2"),
                   f"{tmp_path / 'pairs.txt'} line 2: identity name '../outside/secret' is not a plain folder name")
    assert_refused(_convert("folder", tmp_path / "faces", tmp_path / "out3", "--prefix", "../escaped"),
                   "expected a shard prefix of letters, digits, '_', '-' or '.' that is not a path, got '../escaped'")
    assert {path for path in _files(tmp_path) - before if path.parts[0] != "out"} == set()


@pytest.fixture(scope="module")
def pushed_model(tiny_run):
    config, _ = tiny_run
    return Path(config.pusher.serving_dir, config.pusher.model_name)


@pytest.mark.pipeline
def test_serving_refuses_a_bomb_to_compare_and_skips_it_when_embedding(pushed_model, tmp_path):
    (tmp_path / "faces" / "ann").mkdir(parents=True)
    (tmp_path / "faces" / "ann" / "1.png").write_bytes(fx.png(1))
    (tmp_path / "faces" / "bomb.png").write_bytes(BOMB)
    before = _files(tmp_path)
    assert_refused(_run("serving", "compare", tmp_path / "faces" / "ann" / "1.png", tmp_path / "faces" / "bomb.png",
                        "--model", pushed_model),
                   f"{tmp_path / 'faces' / 'bomb.png'}: too many pixels: decompression bomb refused")
    assert _files(tmp_path) == before

    (tmp_path / "out").mkdir()
    embedded = _run("serving", "embed", tmp_path / "faces", tmp_path / "out" / "faces.npz",
                    "--model", pushed_model)
    assert embedded.returncode == 0, embedded.stderr[-3000:]
    assert "  skipped, too many pixels: 1 (e.g. bomb.png: decompression bomb refused" in embedded.stdout
    assert np.load(tmp_path / "out" / "faces.npz")["paths"].tolist() == ["ann/1.png"]
    assert _files(tmp_path) - before == {Path("out"), Path("out", "faces.npz")}
