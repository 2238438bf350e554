"""The input check before a local run: every record read once, again only when a file changes."""

import pytest

from face_data import reading
from face_data.synthetic import write_synthetic_faces
from configs import load_config
from pipeline import inputs


@pytest.fixture
def config(pipeline_config):
    config = load_config(pipeline_config("input_check"))
    write_synthetic_faces(str(config.data.input_base), num_identities=4, images_per_identity=2, image_size=16,
                          show_progress=False)
    return config


def test_files_that_passed_are_not_decoded_again(config, monkeypatch):
    checked = []
    real_check = reading.check_face_files
    monkeypatch.setattr(reading, "check_face_files", lambda paths, features: checked.append(paths) or
                        real_check(paths, features))
    inputs.check_input_data(config)
    inputs.check_input_data(config)
    assert len(checked) == 1
    assert (config.run_root / inputs.CHECKED_INPUTS).exists()


def test_a_file_changed_after_it_passed_is_checked_again_and_refused(config):
    inputs.check_input_data(config)
    (shard,) = config.data.input_base.glob("*.tfrecord*")
    shard.write_bytes(shard.read_bytes()[:-10])  # truncated after it passed
    with pytest.raises(inputs.InputDataError, match=f"{shard} record 7: truncated or corrupted TFRecord file"):
        inputs.check_input_data(config)


def test_a_dangling_link_or_a_folder_matching_the_pattern_is_refused_by_name(config):
    base = config.data.input_base
    (base / "gone.tfrecord").symlink_to(base / "nowhere.tfrecord")
    (base / "x.tfrecord.d").mkdir()
    with pytest.raises(inputs.InputDataError) as refused:
        inputs.check_input_data(config)
    message = str(refused.value)
    assert f"{base / 'gone.tfrecord'}: a link to {base / 'nowhere.tfrecord'}, which does not exist" in message
    assert f"{base / 'x.tfrecord.d'}: a folder" in message
    assert "2 of the 3 entries matching data.file_pattern '*.tfrecord*'" in message
    assert not (config.run_root / inputs.CHECKED_INPUTS).exists()
