"""trainer_peers reads PyTorch's reference (bench/torch_reference's file) only where it applies: this
machine, the image size it trains at, each backbone and batch size by itself."""

import json

from bench import machine, peers


def _reference(tmp_path, monkeypatch, cpu):
    row = {"backbone": "mbf", "batch_size": 64, "image_size": 112, "parameters": 2059520,
           "images_per_second": {"median": 17.0, "min": 16.0, "max": 18.0, "n": 5}}
    document = {"torch": "2.13.0+cpu", "threads": 2, "classes": 1000, "warmup": 2, "machine": cpu,
                "run": {"date": "2026-12-06T10:00:00Z", "commit": None, "load_start": [0.1, 0.1, 0.1],
                        "load_end": [0.1, 0.1, 0.1]},
                "rows": [row, {**row, "batch_size": 128}, {**row, "image_size": 96}]}
    path = tmp_path / "torch_reference.json"
    path.write_text(json.dumps(document))
    monkeypatch.setattr(peers, "RESULT_FILE", str(path))
    return row


def test_the_reference_measured_on_this_machine_is_read_by_backbone_and_batch_size(tmp_path, monkeypatch):
    row = _reference(tmp_path, monkeypatch, machine.cpu())
    rows, run = peers.measured_here(112)
    assert rows == {("mbf", 64): row, ("mbf", 128): {**row, "batch_size": 128}}
    assert run["torch"] == "2.13.0+cpu"
    assert peers.measured_here(32) == ({}, run)  # another image size: nothing to compare with


def test_a_reference_from_another_machine_or_none_is_not_used(tmp_path, monkeypatch):
    _reference(tmp_path, monkeypatch, {**machine.cpu(), "cores": machine.cpu()["cores"] + 1})
    assert peers.measured_here(112) == ({}, None)
    monkeypatch.setattr(peers, "RESULT_FILE", str(tmp_path / "missing.json"))
    assert peers.measured_here(112) == ({}, None)
