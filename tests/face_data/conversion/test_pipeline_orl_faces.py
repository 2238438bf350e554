"""The ORL faces, converted by the data CLI, train and evaluate through the whole pipeline.

40 people x 10 grayscale 92x112 PGM images (the `orl_dir` fixture, tests/conftest.py; courtesy of
the Olivetti Research Laboratory, AT&T Laboratories Cambridge). The splits are checked from the
records ExampleGen wrote: every face lands in exactly one split, and no person is in both.
"""

import glob
import json
import os

import pytest
from ml_metadata.proto import metadata_store_pb2

from face_data.conversion import cli as face_data_cli
from configs import load_config
from inspection import metadata

pytestmark = pytest.mark.pipeline

ORL_PEOPLE, ORL_SHOTS = 40, 10
DONE = {metadata_store_pb2.Execution.COMPLETE, metadata_store_pb2.Execution.CACHED}


@pytest.fixture(scope="module")
def orl_faces_run(pipeline_config, run_pipeline, tmp_path_factory, orl_dir):
    """A finished run on the ORL faces: (config, ImportExampleGen's examples URI)."""
    records = tmp_path_factory.mktemp("orl_faces") / "records"
    assert face_data_cli.main(["folder", orl_dir, str(records), "--quiet"]) == 0
    config_path = pipeline_config("orl_faces", {"data": {"input_base": str(records), "synthetic": None}})
    run_pipeline(config_path)
    config = load_config(config_path)
    store = metadata.open_store(config)
    run = metadata.find_run(store, config.pipeline_name)
    for name, execution in metadata.run_executions(store, run).items():
        assert execution.last_known_state in DONE, name
    examples = metadata.run_artifacts(store, run)["Examples"]
    return config, next(a.uri for a in examples if "ImportExampleGen" in a.uri)


def test_orl_splits_are_identity_disjoint_and_hold_every_face(orl_faces_run, split_records):
    _, examples_uri = orl_faces_run
    train_images, train_labels = split_records(examples_uri, "train")
    eval_images, eval_labels = split_records(examples_uri, "eval")
    assert set(train_labels).isdisjoint(eval_labels)
    assert set(train_labels) | set(eval_labels) == set(range(ORL_PEOPLE))
    assert len(train_images) + len(eval_images) == ORL_PEOPLE * ORL_SHOTS
    assert len(set(train_images) | set(eval_images)) == ORL_PEOPLE * ORL_SHOTS  # no face duplicated or lost
    print(f"\nORL split by identity: {len(set(train_labels))} people train, {len(set(eval_labels))} eval")


def test_orl_model_is_measured_on_people_it_never_saw(orl_faces_run, split_records):
    config, examples_uri = orl_faces_run
    _, eval_labels = split_records(examples_uri, "eval")
    (evaluation,) = glob.glob(os.path.join(config.pipeline_root, "EmbeddingEvaluator", "evaluation", "*"))
    with open(os.path.join(evaluation, "metrics.json")) as file:
        report = json.load(file)
    print(f"ORL unseen people ({report['num_identities']}, {report['num_pairs']} pairs): verification accuracy "
          f"{report['verification_accuracy']:.4f} +/- {report['verification_accuracy_std']:.4f}, "
          f"AUC {report['auc']:.4f}, rank-1 {report['rank_1']:.4f}")
    assert (report["num_identities"], report["num_images"]) == (len(set(eval_labels)), len(eval_labels))
    # A trained model separates unseen people better than chance on the ORL faces.
    assert report["auc"] > 0.6
