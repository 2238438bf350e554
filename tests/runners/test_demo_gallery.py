"""The demo's gallery people (pusher.gallery.synthetic): drawn once, as `<person>/<photo>` folders, of people
nobody trains on; configs that could not choose a threshold or would enrol trained people are refused."""

import os
import shutil

import numpy as np
import pytest
from PIL import Image

from configs import ConfigError, load_config
from runners import demo_data

GALLERY = {"photos": "gallery/photos", "probes": "gallery/probes", "fpir": 0.25,
           "synthetic": {"people": 2, "strangers": 2, "photos_per_person": 2, "probes_per_person": 2}}


def _config(tmp_path, gallery=GALLERY):
    gallery = {**gallery, "photos": str(tmp_path / gallery["photos"]), "probes": str(tmp_path / gallery["probes"])}
    return load_config("configs/local.yaml", {"run_root": str(tmp_path / "run"), "pusher": {"gallery": gallery},
                                              "data": {"synthetic": {"image_size": 32}}})


def _tree(folder):
    return sorted(os.path.relpath(os.path.join(root, name), folder)
                  for root, _, names in os.walk(folder) for name in names)


def test_the_gallery_people_are_drawn_once_as_person_folders(tmp_path):
    config = _config(tmp_path)
    demo_data._prepare_gallery(config)
    photos, probes = tmp_path / "gallery" / "photos", tmp_path / "gallery" / "probes"
    assert _tree(photos) == ["enrolled-01/0.png", "enrolled-01/1.png", "enrolled-02/0.png", "enrolled-02/1.png"]
    assert _tree(probes) == [f"{person}/{photo}.png" for person in ("enrolled-01", "enrolled-02", "stranger-01",
                                                                    "stranger-02") for photo in (2, 3)]
    pixels = {path: np.asarray(Image.open(photos / path)) for path in _tree(photos)}
    assert {image.shape for image in pixels.values()} == {(32, 32, 3)}
    assert not np.array_equal(pixels["enrolled-01/0.png"], pixels["enrolled-02/0.png"])
    before = {path: os.stat(probes / path).st_mtime_ns for path in _tree(probes)}
    demo_data._prepare_gallery(config)  # present: left as it is
    assert {path: os.stat(probes / path).st_mtime_ns for path in _tree(probes)} == before
    assert not any(name.endswith(".partial") for name in os.listdir(tmp_path / "gallery"))
    shutil.rmtree(probes)  # killed between the two folders: the missing one is drawn, the other kept
    photo_times = {path: os.stat(photos / path).st_mtime_ns for path in _tree(photos)}
    demo_data._prepare_gallery(config)
    assert {path: os.stat(probes / path).st_mtime_ns for path in _tree(probes)}.keys() == before.keys()
    assert {path: os.stat(photos / path).st_mtime_ns for path in _tree(photos)} == photo_times


def test_too_few_strangers_for_the_fpir_are_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"pusher\.gallery: .*synthetic: expected strangers x probes_per_person "
                                          r">= 1/fpir \(100\) .* got 4"):
        _config(tmp_path, {**GALLERY, "fpir": 0.01})


def test_enrolling_people_the_model_trained_on_is_refused(tmp_path):
    trained = {**GALLERY, "synthetic": {**GALLERY["synthetic"], "first_identity": 10}}
    with pytest.raises(ConfigError, match=r"pusher\.gallery\.synthetic\.first_identity: expected >= "
                                          r"data\.synthetic\.num_identities \(240"):
        _config(tmp_path, trained)
