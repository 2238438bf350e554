"""A second pipeline run warm-starts from the first's blessed model, and ML Metadata says so.

The first run is the session's `tiny_run`, which blessed and pushed a model. The second run
continues its store (a copy, so that the tests reading `tiny_run` see it as it was) with
`trainer.warm_start.base_model: last_blessed`: the Resolver that gives the evaluator its
baseline gives the Trainer its base model, the Trainer's `base_model` input event records it,
and `python -m inspection lineage` names it.
"""

import json
import shutil

import pytest
import yaml

from configs import load_config
from inspection import cli, metadata, views
from configs.starting_model import METADATA_FILE

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def warm_run(tiny_run, tmp_path_factory, run_pipeline):
    """(the first run's config, the second run's config) of a run warm-started from tiny_run's blessed model."""
    first, _ = tiny_run
    root = tmp_path_factory.mktemp("warm") / "run"
    root.mkdir()
    shutil.copy(first.metadata_path, root / "metadata.sqlite")
    raw = yaml.safe_load((first.run_root / "config.yaml").read_text())
    raw.update(run_root=str(root))
    raw["pusher"]["serving_dir"] = str(root / "serving")
    raw["trainer"].update(train_steps=30, warmup_steps=0,
                          warm_start={"base_model": "last_blessed", "freeze_backbone_steps": 20})
    # What is tested is where the run started, not whether 30 steps on the same faces beat the base.
    raw["evaluator"]["max_regression_from_blessed"] = {"verification_accuracy": 1.0}
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    run_pipeline(path)
    return first, load_config(path)


def test_the_second_run_starts_from_the_first_runs_blessed_model(warm_run):
    first, second = warm_run
    store = metadata.open_store(second)
    rows = views.models(store, second.pipeline_name)
    newest = metadata.find_run(store, second.pipeline_name).name
    (blessed,) = [row for row in rows if row["blessed"] and row["run"] != newest]
    (model,) = [row for row in rows if row["run"] == newest]
    assert model["started_from"] == blessed["model"]
    # The Trainer wrote what a third run would start from, naming its own base.
    with open(f"{model['uri']}/{METADATA_FILE}") as file:
        assert json.load(file)["base_model"] == blessed["uri"]
    rows, text = cli.show_lineage(store, second, type("Args", (), {"artifact_id": model["model"]}))
    assert f"started from model {blessed['model']} (Trainer in run " in text
