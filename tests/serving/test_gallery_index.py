"""The gallery's index (serving/gallery_index.py) against brute force, and kept consistent by enrol and remove.

Synthetic unit vectors, small: the approximate index is forced on by a low APPROXIMATE_FROM.
"""

import os

import numpy as np
import pytest

from serving import cli, gallery, gallery_index
from serving.gallery import MANIFEST, Gallery
from verification.metrics import unit_rows


def _unit(rng, count, dimensions=16):
    return unit_rows(rng.standard_normal((count, dimensions)).astype(np.float32))


@pytest.mark.parametrize("kind", [gallery_index.ExactIndex, gallery_index.ApproximateIndex])
def test_search_returns_the_k_best_templates_best_first(kind):
    rng = np.random.default_rng(0)
    templates, probes = _unit(rng, 200), _unit(rng, 30)
    index = kind(16)
    index.add(np.arange(100, 300), templates)
    keys, scores = index.search(probes, 3)
    reference = probes @ templates.T
    best = -np.sort(-reference, axis=1)[:, :3]
    if kind is gallery_index.ExactIndex:
        np.testing.assert_array_equal(keys, 100 + np.argsort(-reference, axis=1)[:, :3])
    # The approximate index keeps 8-bit vectors: near ties may swap, but what it finds is as similar.
    np.testing.assert_allclose(np.take_along_axis(reference, keys - 100, axis=1), best, atol=2e-2)
    np.testing.assert_allclose(scores, best, atol=2e-2)


def test_the_approximate_index_follows_every_enrolment_and_removal(tmp_path, monkeypatch):
    monkeypatch.setattr(gallery_index, "APPROXIMATE_FROM", 5)
    rng = np.random.default_rng(1)
    folder = str(tmp_path / "g")
    store = Gallery.create(folder, "7", "abc", 64)  # 64-d: top-1 margins far above 8-bit rounding

    def check():
        reopened = Gallery.open(folder)
        assert reopened.index().kind == gallery_index.APPROXIMATE and len(reopened.index()) == len(reopened.people)
        keys, templates = reopened.templates()
        name_of = {key: name for name, key in reopened.people.items()}
        probes = unit_rows(templates + 0.05 * _unit(rng, len(templates), 64))
        expected = [name_of[key] for key in keys[np.argmax(probes @ templates.T, axis=1)]]
        assert [matches[0][0] for matches in reopened.search(probes, 1)] == expected
        index_files = [name for name in os.listdir(folder) if name.startswith(gallery.INDEX_PREFIX)]
        assert index_files == [reopened.manifest["index_file"]]  # the old ones are gone

    names = [f"p{number}" for number in range(30) for _ in range(2)]
    store.enrol(names, [f"{name}/{shot}" for name, shot in zip(names, [0, 1] * 30)], _unit(rng, 60, 64))
    check()
    store.remove(["p3", "p4", "p5"])
    check()
    store.enrol(["p6", "p3", "new"], ["p6/2", "p3/0", "new/0"], _unit(rng, 3, 64))  # more photos, back, new
    check()
    assert len(Gallery.open(folder).people) == 29


def test_a_crash_before_the_manifest_is_replaced_changes_nothing(tmp_path, monkeypatch):
    rng = np.random.default_rng(2)
    folder = str(tmp_path / "g")
    Gallery.create(folder, "7", "abc", 16).enrol(["ann", "bob"], ["a", "b"], _unit(rng, 2))
    before = open(os.path.join(folder, MANIFEST)).read()
    replace = os.replace

    def crash_on_the_manifest(source, target):
        if target.endswith(MANIFEST):
            raise KeyboardInterrupt("killed")
        replace(source, target)

    monkeypatch.setattr(gallery.os, "replace", crash_on_the_manifest)
    with pytest.raises(KeyboardInterrupt):
        Gallery.open(folder).enrol(["cid"], ["c"], _unit(rng, 1))
    monkeypatch.setattr(gallery.os, "replace", replace)
    assert open(os.path.join(folder, MANIFEST)).read() == before
    assert sorted(Gallery.open(folder).people) == ["ann", "bob"]
    assert len(os.listdir(folder)) == 3  # the manifest, the photos named in it, and the new photos' stray file
    Gallery.open(folder).enrol(["cid"], ["c"], _unit(rng, 1))
    reopened = Gallery.open(folder)
    assert sorted(reopened.people) == ["ann", "bob", "cid"]
    assert sorted(os.listdir(folder)) == sorted([MANIFEST, *reopened.manifest["photo_files"]])


def _two_photos_each(store, rng, people, dimensions=64):
    names = [f"p{number}" for number in range(people) for _ in range(2)]
    store.enrol(names, [f"{name}/{shot}" for name, shot in zip(names, [0, 1] * people)],
                _unit(rng, 2 * people, dimensions))


def test_a_new_index_is_checked_on_the_gallerys_own_photos_and_searches_with_the_list_chosen(tmp_path, monkeypatch):
    monkeypatch.setattr(gallery_index, "APPROXIMATE_FROM", 5)
    monkeypatch.setattr(gallery_index, "CHECK_PROBES", 150)
    folder = str(tmp_path / "g")
    _two_photos_each(Gallery.create(folder, "7", "abc", 64), np.random.default_rng(3), 300)
    reopened = Gallery.open(folder)
    check = reopened.manifest["index_check"]
    assert (check["probes"], check["people"], check["search_list"]) == (150, 300, gallery_index.EXPANSION_SEARCH)
    assert reopened.index().search_list == gallery_index.EXPANSION_SEARCH
    # The figure is what exact search says of the same probes: enrolled photos, drawn with the check's seed.
    probes = reopened._check_probes()
    keys, templates = reopened.templates()
    name_of = {key: name for name, key in reopened.people.items()}
    expected = [name_of[key] for key in keys[np.argmax(probes @ templates.T, axis=1)]]
    found = [matches[0][0] for matches in reopened.search(probes, 1)]
    recall = check["recall_at_1"][str(gallery_index.EXPANSION_SEARCH)]
    assert recall == np.mean(np.array(found) == np.array(expected)) >= gallery_index.TARGET_RECALL
    assert reopened.index_summary() == (f"usearch search, search list {gallery_index.EXPANSION_SEARCH}: recall@1 "
                                        f"{recall:.4f} against exact search on 150 enrolled photos (checked at 300 people)")
    reopened.remove([f"p{number}" for number in range(297)])  # back below APPROXIMATE_FROM: exact, nothing to check
    assert Gallery.open(folder).manifest["index_check"] is None
    assert Gallery.open(folder).index_summary() == "exact search"


def test_a_check_below_the_target_tries_longer_search_lists_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(gallery_index, "APPROXIMATE_FROM", 5)
    folder = str(tmp_path / "g")
    _two_photos_each(Gallery.create(folder, "7", "abc", 64), np.random.default_rng(4), 50)
    monkeypatch.setattr(gallery_index, "TARGET_RECALL", 1.01)  # out of reach: every list is tried
    assert cli.main(["check", "--gallery", folder]) == 0
    check = Gallery.open(folder).manifest["index_check"]
    assert list(check["recall_at_1"]) == [str(size) for size in gallery_index.SEARCH_LISTS]
    assert check["search_list"] == gallery_index.SEARCH_LISTS[-1] == Gallery.open(folder).index().search_list
    assert capsys.readouterr().out == (
        f"{folder}: 50 people; usearch search, search list {gallery_index.SEARCH_LISTS[-1]}: recall@1 "
        f"{check['recall_at_1'][str(gallery_index.SEARCH_LISTS[-1])]:.4f} against exact search on 100 enrolled "
        "photos, below the 1.01 aimed at (checked at 50 people)\n")


def test_a_gallery_of_one_photo_a_person_is_not_checked_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr(gallery_index, "APPROXIMATE_FROM", 5)
    folder = str(tmp_path / "g")
    names = [f"p{number}" for number in range(20)]
    Gallery.create(folder, "7", "abc", 16).enrol(names, names, _unit(np.random.default_rng(5), 20))
    check = Gallery.open(folder).manifest["index_check"]
    assert (check["probes"], check["recall_at_1"]) == (0, {})
    assert "not checked: no person has two photos" in Gallery.open(folder).index_summary()
