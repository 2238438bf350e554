"""What the importer refuses, and how it says so: code in a pickle, tensors that do not fit the backbone."""

import pickle
import zipfile

import numpy as np
import pytest

import arcface_module
from arcface_module.backbones.arcface_torch import load_state_dict
from pretrained import onnx_graph, torch_checkpoint
from pretrained.cli import main


class _Command:
    """Pickles as a call of os.system, as a malicious checkpoint would."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        import os

        return os.system, (self.command,)


def test_a_pickle_that_would_run_code_is_refused_before_anything_runs(tmp_path):
    witness = tmp_path / "ran"
    path = tmp_path / "backbone.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("backbone/data.pkl", pickle.dumps({"conv1.weight": _Command(f"touch {witness}")}, protocol=2))
    with pytest.raises(ValueError, match=r"backbone\.pth.*refused to load (posix|os)\.system"):
        torch_checkpoint.read_state_dict(path)
    assert not witness.exists()


def test_a_file_that_is_no_checkpoint_is_named(tmp_path):
    path = tmp_path / "notes.pth"
    path.write_text("not a zip")
    with pytest.raises(ValueError, match="notes.pth: not a PyTorch zip file"):
        torch_checkpoint.read_state_dict(path)


@pytest.fixture(scope="module")
def mbf():
    return arcface_module.get_backbone("mbf", 512, (112, 112, 3))


def test_tensors_that_do_not_fit_are_named_and_nothing_is_loaded(torch_exports, mbf):
    state_dict = torch_checkpoint.read_state_dict(torch_exports[0] / "mbf" / "backbone.pth")
    state_dict["conv_sep.layers.0.weight"] = np.zeros((512, 128, 1, 1), np.float32)  # 256 input channels
    del state_dict["features.layers.2.weight"]
    state_dict["head.weight"] = np.zeros(3, np.float32)
    before = [np.array(weight) for weight in mbf.weights]
    with pytest.raises(ValueError) as refused:
        load_state_dict(mbf, state_dict)
    message = str(refused.value)
    assert "\n" not in message
    assert "conv_sep.layers.0.weight has shape [512, 128, 1, 1], expected one that is (1, 1, 256, 512)" in message
    assert "1 weights have no tensor: features.layers.2.weight" in message
    assert "1 tensors are not weights of mobilefacenet: head.weight" in message
    assert all(np.array_equal(a, np.array(b)) for a, b in zip(before, mbf.weights))


def test_an_onnx_graph_of_another_architecture_is_refused_at_its_first_difference(torch_exports, tmp_path, capsys):
    r18 = arcface_module.get_backbone("r18", 512, (112, 112, 3))
    path = torch_exports[0] / "mbf" / "backbone.onnx"
    with pytest.raises(ValueError, match=r"backbone\.onnx: node .*Conv has strides \(2, 2\) and 1 groups, "
                                         r"iresnet18's conv1 \(\(1, 1\), 1\)"):
        onnx_graph.read_state_dict(path, r18)
    # The command line says it on one line and writes nothing.
    assert main([str(path), "--backbone", "r18", "--output", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert not (tmp_path / "out").exists()
