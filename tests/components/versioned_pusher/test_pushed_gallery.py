"""The Pusher's gallery step in the session's tiny run: the gallery inside the version, and ML Metadata's record
of which gallery went with which model (its Gallery artifact, properties and lineage).

The gallery is ORL people (Olivetti Research Laboratory; tests/conftest.py `tiny_gallery`).
"""

import os

import numpy as np
import pytest

from components.versioned_pusher import gallery as gallery_step
from components.versioned_pusher.gallery import GalleryArtifact
from inspection import metadata
from serving import identification_file
from serving.gallery import Gallery
from serving.model_folder import fingerprint, latest_version_dir

pytestmark = pytest.mark.pipeline


def test_the_gallery_pushed_with_a_model_is_recorded_with_it(tiny_run, tiny_gallery):
    config, _ = tiny_run
    version = latest_version_dir(os.path.join(config.pusher.serving_dir, config.pusher.model_name))
    pushed = Gallery.open(os.path.join(version, identification_file.GALLERY_DIR))
    assert pushed.model["fingerprint"] == fingerprint(version)
    assert sorted(pushed.people) == sorted(f"s{person}" for person in tiny_gallery["people"])
    people, paths, _ = pushed.photos()
    assert len(people) == len(tiny_gallery["people"]) * len(tiny_gallery["shots"])
    assert all(os.path.isabs(path) and path.endswith(".pgm") for path in paths)  # kept for re-embedding

    store = metadata.open_store(config)
    artifacts = metadata.run_artifacts(store, metadata.find_run(store, config.pipeline_name))
    (gallery,) = artifacts[GalleryArtifact.TYPE_NAME]
    properties = {name: value.string_value or value.int_value or value.double_value
                  for name, value in gallery.properties.items()}
    point = identification_file.read(version)["operating_point"]
    assert properties["pushed_version"] == os.path.basename(version)
    assert properties["model_fingerprint"] == fingerprint(version)
    assert properties["people"] == 10 and properties["photos"] == 50
    assert properties["threshold"] == pytest.approx(point["threshold"], abs=1e-6)
    assert properties["fpir"] == pytest.approx(tiny_gallery["fpir"])
    assert gallery.custom_properties[gallery_step.INDEX_PROPERTY].string_value == "exact search"  # 10 people
    # Its copy of the gallery is the pushed one.
    archived = Gallery.open(os.path.join(gallery.uri, identification_file.GALLERY_DIR))
    np.testing.assert_array_equal(archived.templates()[1], pushed.templates()[1])
    # Lineage: written by the Pusher's execution, beside the PushedModel, from the Trainer's Model.
    (step,) = metadata.lineage(store, gallery.id, "upstream", max_depth=1)
    inputs, outputs = store.get_artifacts_by_id(step.inputs), store.get_artifacts_by_id(step.outputs)
    types = metadata.artifact_types(store, inputs + outputs)
    assert {"Model", "ModelBlessing"} <= {types[artifact.type_id] for artifact in inputs}
    (pushed_model,) = [artifact for artifact in outputs if types[artifact.type_id] == "PushedModel"]
    assert pushed_model.custom_properties["pushed_destination"].string_value == version
