"""Galleries with the tiny run's pushed model: enrol ORL people, identify, "unknown", crashes, other models.

Real faces: the ORL face database (Olivetti Research Laboratory, Cambridge; see tests/conftest.py),
read in place through links. The tiny run pushed a gallery of ORL people 1-10 (photos 1-5) and the
threshold chosen on held-out probes at FPIR 5% (tests/conftest.py `tiny_gallery`); people 31-40
took part in neither.
"""

import json
import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from serving import cli, gallery_commands, identification_file, verification_file
from serving.gallery import MANIFEST, Gallery
from serving.model_folder import latest_version_dir
from serving.pushed_model import PushedModel
from verification.metrics import unit_rows

pytestmark = pytest.mark.pipeline
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _photos(orl_dir, people, shots):
    return [os.path.join(orl_dir, f"s{person}", f"{shot}.pgm") for person in people for shot in shots]


@pytest.fixture(scope="module")
def enrolled(model_dir, tiny_gallery, orl_folder, tmp_path_factory):
    """A gallery enrolled by `python -m serving enrol` from the pushed gallery's people and photos."""
    folder = orl_folder(tmp_path_factory.mktemp("enrol") / "people", [(tiny_gallery["people"], tiny_gallery["shots"])])
    gallery = tmp_path_factory.mktemp("galleries") / "staff"
    assert cli.main(["enrol", str(folder), "--gallery", str(gallery), "--model", model_dir]) == 0
    return folder, gallery


def test_identify_ranks_as_brute_force_search_over_averaged_templates(model_dir, tiny_gallery, orl_dir, enrolled,
                                                                      capsys):
    _, gallery = enrolled
    model = PushedModel(model_dir)
    people = [f"s{person}" for person in tiny_gallery["people"]]
    # The reference: every photo embedded, each person's unit embeddings averaged and normalised, all compared.
    templates = unit_rows(np.stack([
        unit_rows(model.embed([open(path, "rb").read() for path in _photos(orl_dir, [person], tiny_gallery["shots"])]))
        .mean(axis=0) for person in tiny_gallery["people"]]))
    probes = _photos(orl_dir, tiny_gallery["people"], tiny_gallery["held_out_shots"])
    scores = unit_rows(model.embed([open(path, "rb").read() for path in probes])) @ templates.T
    lines = gallery_commands.identify_photos(probes, model_dir, "auto", str(gallery), k=3, threshold=-1.0)
    assert len(lines) == len(probes) == 50
    for line, path, row in zip(lines, probes, scores):
        who, score, _, photo, top = line.split("\t")
        assert photo == path and who == people[int(np.argmax(row))]
        assert float(score) == pytest.approx(row.max(), abs=1e-4)
        assert [entry.split(":")[0] for entry in top.split(",")] == [people[i] for i in np.argsort(-row)[:3]]
    capsys.readouterr()
    assert cli.main(["list", "--gallery", str(gallery)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith(f"{gallery}: 10 people, 50 photos; model version {os.path.basename(latest_version_dir(model_dir))}")
    assert listed[1:] == [f"{name}\t5" for name in sorted(people)]


def test_re_enrolment_adds_photos_and_removal_deletes_the_person(model_dir, orl_dir, orl_folder, enrolled, tmp_path,
                                                                  capsys, monkeypatch):
    folder, staff = enrolled
    gallery = tmp_path / "copy"
    shutil.copytree(staff, gallery)
    before = dict(zip(*Gallery.open(str(gallery)).templates()))
    more = orl_folder(tmp_path / "more", [([1], [6, 7])])
    decoded, decode = [], gallery_commands._outcome
    monkeypatch.setattr(gallery_commands, "_outcome", lambda *args: decoded.append(args[1]) or decode(*args))
    assert cli.main(["enrol", str(folder), "--gallery", str(gallery), "--model", model_dir]) == 0  # all known
    assert cli.main(["enrol", str(more), "--gallery", str(gallery), "--model", model_dir]) == 0
    out = capsys.readouterr().out
    assert "enrolled 0 new photos (50 already enrolled, 0 skipped)" in out and "enrolled 2 new photos" in out
    assert sorted(decoded) == [os.path.join("s1", "6.pgm"), os.path.join("s1", "7.pgm")]  # known photos: not read
    changed = Gallery.open(str(gallery))
    key = changed.people["s1"]
    after = dict(zip(*changed.templates()))
    assert len(changed.photos()[0]) == 52
    assert [k for k in after if not np.allclose(after[k], before[k])] == [key]  # only s1's template moved
    model = PushedModel(model_dir)
    shots = unit_rows(model.embed([open(path, "rb").read() for path in _photos(orl_dir, [1], range(1, 8))]))
    np.testing.assert_allclose(after[key], unit_rows(shots.mean(axis=0, keepdims=True))[0], atol=1e-5)

    assert cli.main(["remove", "s1", "s2", "--gallery", str(gallery)]) == 0
    removed = Gallery.open(str(gallery))
    assert sorted(removed.people) == sorted(f"s{person}" for person in range(3, 11))
    assert set(removed.photos()[0]) == set(removed.people)
    lines = gallery_commands.identify_photos(_photos(orl_dir, [1, 2], [8]), model_dir, "auto", str(gallery), k=8,
                                             threshold=-1.0)
    assert not any(name.startswith(("s1:", "s2:")) for line in lines for name in line.split("\t")[4].split(","))
    assert cli.main(["remove", "s1", "--gallery", str(gallery)]) == 1
    assert capsys.readouterr().err.strip().startswith(f"python -m serving: error: {gallery}: 's1' is not enrolled")


def test_people_not_enrolled_are_unknown_at_the_shipped_fpir(model_dir, tiny_gallery, orl_dir):
    version = latest_version_dir(model_dir)
    shipped = identification_file.read(version)
    point = shipped["operating_point"]
    assert point["target_fpir"] == tiny_gallery["fpir"] and point["num_nonmated_searches"] == 100
    assert point["num_mated_searches"] == 50 and point["gallery_size"] == 10
    # The pushed gallery (embedded by the SavedModel in the Pusher's Beam job) is the one `enrol` makes.
    pushed = Gallery.open(os.path.join(version, identification_file.GALLERY_DIR))
    assert sorted(pushed.people) == sorted(f"s{person}" for person in tiny_gallery["people"])
    probes = _photos(orl_dir, tiny_gallery["unseen_people"], range(1, 11))  # 100, used by nothing before
    lines = gallery_commands.identify_photos(probes, model_dir, "auto")  # the pushed gallery and threshold
    answered = [line for line in lines if not line.startswith("unknown\t")]
    assert all(float(line.split("\t")[2]) == pytest.approx(shipped["threshold"], abs=1e-4) for line in lines)
    # The threshold let through at most 5 of the 100 non-mated probes it was chosen on; with 99.9% confidence
    # these 100 new ones are answered with someone no more often than the upper 95% bound of that rate allows.
    upper = stats.binomtest(int(tiny_gallery["fpir"] * 100), 100).proportion_ci(0.95, method="exact").high
    assert len(answered) <= stats.binom.ppf(0.999, len(probes), upper), answered


def test_a_version_without_a_pushed_gallery_decides_by_the_verification_threshold(model_dir, orl_dir, enrolled,
                                                                                   tmp_path, capsys):
    _, gallery = enrolled
    copy = tmp_path / "arcface" / "1900000000"  # the same model, pushed without pusher.gallery
    shutil.copytree(latest_version_dir(model_dir), copy, ignore=shutil.ignore_patterns(
        identification_file.FILE_NAME, identification_file.GALLERY_DIR))
    assert cli.main(["identify", _photos(orl_dir, [1], [6])[0], "--gallery", str(gallery), "--model", str(copy)]) == 0
    out, err = capsys.readouterr()
    assert float(out.split("\t")[2]) == pytest.approx(verification_file.read_threshold(str(copy)), abs=1e-4)
    assert err.startswith(f"note: {copy} has no {identification_file.FILE_NAME}")


def test_a_gallery_refuses_a_model_it_was_not_built_with(model_dir, orl_dir, enrolled, tmp_path, capsys):
    folder, gallery = enrolled
    other = tmp_path / "arcface" / "1900000000"
    shutil.copytree(latest_version_dir(model_dir), other)
    (data,) = [os.path.join(other, "variables", name) for name in os.listdir(other / "variables")
               if name.startswith("variables.data")]
    with open(data, "r+b") as file:  # other weights: another model, as a new training run would give
        file.seek(-1, os.SEEK_END)
        last = file.read(1)
        file.seek(-1, os.SEEK_END)
        file.write(bytes([last[0] ^ 1]))
    for argv in (["identify", _photos(orl_dir, [1], [6])[0], "--gallery", str(gallery), "--model", str(other)],
                 ["enrol", str(folder), "--gallery", str(gallery), "--model", str(other)]):
        assert cli.main(argv) == 1
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1
        assert err.startswith(f"python -m serving: error: {gallery}: this gallery was built with model version "
                              f"{os.path.basename(latest_version_dir(model_dir))}")
        assert "not with the model given, version 1900000000" in err


def test_a_kill_during_enrolment_loses_nothing_already_enrolled(model_dir, orl_folder, enrolled, tmp_path):
    _, staff = enrolled
    gallery = tmp_path / "gallery"
    shutil.copytree(staff, gallery)
    before = Gallery.open(str(gallery))
    keys, templates = before.templates()
    newcomers = orl_folder(tmp_path / "newcomers", [(range(11, 26), range(1, 11))])
    # `python -m serving enrol` committing every 20 photos, saying so after each commit and pausing there:
    # killed just after its second commit, the enrolment is midway through the 150 photos.
    enrol_in_chunks = (
        "import sys, time\n"
        "from serving import cli, gallery_commands\n"
        "from serving.gallery import Gallery\n"
        "gallery_commands.IMAGES_PER_CHUNK = 20\n"
        "enrol = Gallery.enrol\n"
        "def enrol_and_say(gallery, *photos):\n"
        "    added = enrol(gallery, *photos)\n"
        "    print(f'committed {len(gallery.people)} people', file=sys.stderr, flush=True)\n"
        "    time.sleep(0.5)\n"
        "    return added\n"
        "Gallery.enrol = enrol_and_say\n"
        "sys.exit(cli.main(sys.argv[1:]))\n")
    command = [sys.executable, "-c", enrol_in_chunks, "enrol", str(newcomers), "--gallery", str(gallery), "--model",
               model_dir]
    enrolment = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in enrolment.stderr:
        lines.append(line)
        if sum(line.startswith("committed") for line in lines) == 2:
            break
    enrolment.send_signal(signal.SIGKILL)
    enrolment.wait()
    assert lines and lines[-1].startswith("committed"), "".join(lines)
    committed = int(lines[-1].split()[1])
    after = Gallery.open(str(gallery))  # the manifest is whole, and names only whole files
    assert set(before.people.items()) <= set(after.people.items())
    assert len(before.people) < committed <= len(after.people) < 25  # the two commits kept, the rest not done
    np.testing.assert_array_equal(after.templates()[1][np.isin(after.templates()[0], keys)], templates)
    # Killed between writing its photos and replacing gallery.json: nothing changes, the stray file goes later.
    stray = gallery / "photos-killed.npz"
    stray.write_bytes(b"half a file")
    assert cli.main(["enrol", str(newcomers), "--gallery", str(gallery), "--model", model_dir]) == 0
    done = Gallery.open(str(gallery))
    assert len(done.people) == 25 and len(done.photos()[0]) == 50 + 150
    assert not stray.exists()
    assert sorted(os.listdir(gallery)) == sorted([MANIFEST, *done.manifest["photo_files"]])
    assert json.loads((gallery / MANIFEST).read_text())["model"] == before.model
