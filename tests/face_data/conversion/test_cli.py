"""`python -m face_data FORMAT ...`: one command line for every converter."""

import json
import os
import subprocess
import sys

from tests.face_data import face_fixtures as fx
from face_data.conversion.cli import main
from face_data.records.reading import read_face_records
from face_data.records.contract import FaceFeatures

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def test_folder_command_prints_the_summary_and_writes_json(tmp_path, capsys):
    for person in ("ann", "bob"):
        os.makedirs(tmp_path / "in" / person)
        (tmp_path / "in" / person / "1.png").write_bytes(fx.png(len(person)))
    (tmp_path / "in" / "bob" / "2.png").write_bytes(b"junk")
    status = main(["folder", str(tmp_path / "in"), str(tmp_path / "out"), "--labels", "name", "--quiet",
                   "--label-feature", "person", "--summary-json", str(tmp_path / "summary.json")])
    printed = capsys.readouterr().out
    assert status == 0 and printed.startswith("faces: 2 written of 2 identities to 1 shard(s), 1 skipped")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["written"] == 2 and summary["skipped"][0]["source"] == "bob/2.png"
    labels = [r.label for _, r in read_face_records(summary["shards"], FaceFeatures(label="person"))]
    assert labels == [b"ann", b"bob"]


def test_refused_input_exits_1_with_the_reason(tmp_path, capsys):
    os.makedirs(tmp_path / "empty")
    assert main(["folder", str(tmp_path / "empty"), str(tmp_path / "out")]) == 1
    assert "error: " in capsys.readouterr().err and not (tmp_path / "out").exists()
    (tmp_path / "x.bin").write_bytes(b"not a pickle")
    assert main(["bin", str(tmp_path / "x.bin"), str(tmp_path / "out")]) == 1
    assert "x.bin: not a readable pickle" in capsys.readouterr().err


def test_module_runs_with_worker_processes(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "face_data", "synthetic", str(tmp_path / "out"), "--identities", "4",
         "--images-per-identity", "2", "--image-size", "32", "--workers", "2", "--shards", "2"],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("faces: 8 written of 4 identities to 2 shard(s), 0 skipped")
    assert "faces: 8/8 (100%)" in result.stderr
    assert sorted(os.listdir(tmp_path / "out")) == ["faces-00000-of-00002.tfrecord", "faces-00001-of-00002.tfrecord"]
