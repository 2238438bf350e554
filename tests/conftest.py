"""Fixtures for tests that run the whole pipeline on tiny data, and for the real ORL faces.

`pipeline_config(name, overrides)` writes a config for a fresh run folder; `run_pipeline(path)` runs
a runner in its own process as a user would; `tiny_run` is one finished run shared by the session;
`split_records(examples_uri, split)` reads a split of ExampleGen's output back; `orl_dir` is the ORL
face database; `orl_verification_bin(path, pairs)` writes ORL faces as an insightface `.bin` with
numpy-array images.

The ORL face database was taken between 1992 and 1994 at the Olivetti Research Laboratory in
Cambridge, UK (40 people x 10 grayscale 92x112 PGM images); credit to the Olivetti Research
Laboratory (AT&T Laboratories Cambridge), as its README asks. It is read in place from
$ARCFACE_ORL_DIR (default: ../shared/faces/orl next to the repository) and never copied into it.
"""

import glob
import io
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import yaml
from PIL import Image

from configs import load_config

REPO = Path(__file__).resolve().parents[1]
ORL_DIR = os.environ.get("ARCFACE_ORL_DIR", str(REPO.parent / "shared" / "faces" / "orl"))

# Small enough for 2 CPU cores, large enough that the model learns something measurable.
TINY = {
    "data": {"synthetic": {"num_identities": 24, "images_per_identity": 8, "image_size": 48, "seed": 1}},
    "transform": {"image_size": 32},
    "trainer": {
        "backbone": "tiny",
        "embedding_size": 32,
        "scale": 16.0,
        "margin": 0.3,
        "batch_size": 32,
        "train_steps": 100,
    },
    # The eval split's few people (a quarter of 24) give under 250 different-identity pairs: too
    # few for the default FAR of 1e-3, so the shipped threshold is the most accurate one.
    "evaluator": {"min_verification_accuracy": 0.55, "operating_point": {"criterion": "best_accuracy"}},
    # Converting and checking the ONNX / TFLite formats costs about 10 s a run: only tiny_run does it.
    "pusher": {"formats": []},
}


def write_config(run_root: Path, overrides: dict) -> Path:
    """A config file for a run under `run_root`, the demo config with `overrides` merged in."""
    base = yaml.safe_load((REPO / "configs" / "local.yaml").read_text())
    base.update(
        pipeline_name="arcface-test",
        run_root=str(run_root),
        data={**base["data"], "input_base": str(run_root / "data")},
        # No demo gallery (its photos are drawn under the repository's runs/): a test gives its own.
        pusher={**{key: value for key, value in base["pusher"].items() if key != "gallery"},
                "serving_dir": str(run_root / "serving")},
    )
    path = run_root / "config.yaml"
    run_root.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(_merge(base, overrides)))
    return path


def _merge(base, overrides):
    merged = dict(base)
    for key, value in overrides.items():
        merged[key] = _merge(merged[key], value) if isinstance(value, dict) and key in merged else value
    return merged


def run_pipeline(config_path: Path, runner: str = "runners.local_runner", extra_args=(),
                 expect_success: bool = True) -> subprocess.CompletedProcess:
    """Runs a runner module as a user would, in its own process; fails the test with its log if it
    fails, unless `expect_success=False` (the test then checks the refusal itself)."""
    result = subprocess.run(
        [sys.executable, "-m", runner, "--config", str(config_path), *extra_args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if expect_success and result.returncode != 0:
        pytest.fail(f"{runner} failed ({result.returncode}):\n{result.stdout[-5000:]}\n{result.stderr[-15000:]}")
    return result


@pytest.fixture(scope="session")
def pipeline_config(tmp_path_factory):
    """`pipeline_config(name, overrides=None)` -> path of a TINY config (plus overrides) in a fresh folder."""
    return lambda name, overrides=None: write_config(
        tmp_path_factory.mktemp(name) / "run", _merge(TINY, overrides or {})
    )


@pytest.fixture(name="run_pipeline", scope="session")
def run_pipeline_fixture():
    """`run_pipeline(config_path, runner="runners.local_runner", extra_args=(), expect_success=True)`
    -> CompletedProcess."""
    return run_pipeline


# tiny_run's gallery (pusher.gallery): ORL people 1-10 enrolled with photos 1-5; the open-set threshold
# chosen on their photos 6-10 and on people 11-30 (not enrolled); people 31-40 are left for tests.
GALLERY_PEOPLE, GALLERY_SHOTS, HELD_OUT_SHOTS = range(1, 11), range(1, 6), range(6, 11)
THRESHOLD_PEOPLE, UNSEEN_PEOPLE = range(11, 31), range(31, 41)
GALLERY_FPIR = 0.05  # 100 non-mated probes resolve it (20 are needed)


def orl_folder(folder: Path, people_shots) -> Path:
    """`folder`/s<person>/<shot>.pgm as links to ORL's files (never copies), for (people, shots) pairs."""
    for people, shots in people_shots:
        for person in people:
            (folder / f"s{person}").mkdir(parents=True, exist_ok=True)
            for shot in shots:
                (folder / f"s{person}" / f"{shot}.pgm").symlink_to(os.path.abspath(
                    os.path.join(ORL_DIR, f"s{person}", f"{shot}.pgm")))
    return folder


@pytest.fixture(scope="session")
def tiny_gallery():
    """Who tiny_run's gallery enrols and holds out (the module's GALLERY_* and *_PEOPLE names)."""
    return {"people": GALLERY_PEOPLE, "shots": GALLERY_SHOTS, "held_out_shots": HELD_OUT_SHOTS,
            "threshold_people": THRESHOLD_PEOPLE, "unseen_people": UNSEEN_PEOPLE, "fpir": GALLERY_FPIR}


@pytest.fixture(name="orl_folder", scope="session")
def orl_folder_fixture(orl_dir):
    """`orl_folder(folder, [(people, shots), ...])` -> folder of <person>/<photo> links to ORL faces."""
    return orl_folder


@pytest.fixture(scope="session")
def tiny_run(pipeline_config, orl_dir, tmp_path_factory):
    """One finished local Beam run on tiny synthetic data, pushing the demo's formats and a gallery of ORL
    people: (config, runner output)."""
    demo = yaml.safe_load((REPO / "configs" / "local.yaml").read_text())
    faces = tmp_path_factory.mktemp("gallery")
    gallery = {"photos": str(orl_folder(faces / "photos", [(GALLERY_PEOPLE, GALLERY_SHOTS)])),
               "probes": str(orl_folder(faces / "probes", [(GALLERY_PEOPLE, HELD_OUT_SHOTS),
                                                           (THRESHOLD_PEOPLE, GALLERY_SHOTS)])),
               "fpir": GALLERY_FPIR}
    config_path = pipeline_config("tiny", {"pusher": {"formats": demo["pusher"]["formats"], "gallery": gallery}})
    result = run_pipeline(config_path)
    return load_config(config_path), result


@pytest.fixture(scope="session")
def orl_dir():
    """The ORL faces' folder: s1..s40, each with 1.pgm..10.pgm."""
    assert os.path.isdir(ORL_DIR), f"ORL faces expected at {ORL_DIR} (set ARCFACE_ORL_DIR)"
    return ORL_DIR


def _split_records(examples_uri, split):
    files = glob.glob(os.path.join(examples_uri, f"Split-{split}", "*"))
    assert files, f"no records in split {split} of {examples_uri}"
    images, labels = [], []
    for record in tf.data.TFRecordDataset(files, compression_type="GZIP"):
        feature = tf.train.Example.FromString(record.numpy()).features.feature
        images.append(feature["image"].bytes_list.value[0])
        labels.append(feature["label"].int64_list.value[0])
    return images, np.array(labels)


@pytest.fixture(name="split_records", scope="session")
def split_records_fixture():
    """`split_records(examples_uri, split)` -> (encoded images, int labels) of an ExampleGen split."""
    return _split_records


@pytest.fixture(scope="session")
def orl_verification_bin(orl_dir):
    """`orl_verification_bin(path, pairs, protocol=4)` -> number of pairs: writes an insightface `.bin` of ORL
    faces whose images are uint8 numpy arrays of PNG bytes, shaped [N, 1] as cv2.imencode returns them (as
    insightface's AgeDB and CFP packers store them); `pairs` holds ((person, shot), (person, shot)) tuples."""

    def write(path: Path, pairs, protocol: int = 4) -> int:
        images = []
        for pair in pairs:
            for person, shot in pair:
                buffer = io.BytesIO()
                Image.open(os.path.join(orl_dir, f"s{person}", f"{shot}.pgm")).save(buffer, format="PNG")
                images.append(np.frombuffer(buffer.getvalue(), np.uint8).reshape(-1, 1))
        flags = [a[0] == b[0] for a, b in pairs]
        path.write_bytes(pickle.dumps((images, flags), protocol=protocol))
        return len(flags)

    return write
