"""The Pusher's gallery step: the configured people re-embedded with each blessed model, pushed beside it.

A gallery's embeddings mean nothing to another model, so every version the Pusher publishes gets
its own: with `pusher.gallery` in the config, the photos of `photos` (`<person>/<photos>`, local
or gs://) and of `probes` (held-out photos, `<person>/<photos>` too: of enrolled people and of
people not enrolled) are embedded by the new SavedModel in a Beam job (`embed_photos`: on
Dataflow the photos are spread over the workers, each loading the model once), the gallery is
built from them in the version's folder (`<version>/gallery`, serving/gallery.py), and the
open-set threshold is chosen on the probes for the false-positive identification rate `fpir`
(`verification.identification.open_set_identification`), shipped as `<version>/identification.json`.
Both are in the version before it is published, so a version never appears without them.

In ML Metadata the Pusher's `gallery` output (type `Gallery`) holds a copy of the pushed gallery
and records, as properties, the version it went with, the model's fingerprint and the figures:
the Pusher's execution links it to the model and the blessing it read.

Example:
    >>> report = build_gallery(make_pipeline, "/pipeline/Trainer/model/7/Format-Serving", "/tmp/version",
    ...                        {"photos": "data/staff", "probes": "data/staff_probes", "fpir": 0.01,
    ...                         "aligned_size": None}, "/pipeline/Pusher/gallery/9")
    >>> report["threshold"], report["tpir"]
    (0.43, 0.97)
"""

import logging
import os
from typing import Any, Callable, Dict, List, Tuple

import apache_beam as beam
import numpy as np
import tensorflow as tf
from tfx.types.artifact import Artifact, Property, PropertyType

from serving import identification_file
from serving.gallery import Gallery
from serving.model_folder import fingerprint
from verification.identification import open_set_identification

GALLERY_KEY = "gallery"
PHOTOS, PROBES = "photos", "probes"  # the two folders of the config, and the sets of the Beam job
EMBEDDINGS_DIR = "embeddings"  # in the Gallery artifact: the Beam job's output, beside the gallery's copy
BATCH_SIZE = 64
PHOTO_EMBEDDING = "photo_embedding"  # the Beam job's records: set, person, path and this
RANKS = (1, 5)
INDEX_PROPERTY = "index"  # a custom property of the Gallery artifact

logger = logging.getLogger(__name__)


class GalleryArtifact(Artifact):
    """A gallery pushed beside a model version: its files, and what it was built with."""

    TYPE_NAME = "Gallery"
    PROPERTIES = {name: Property(type=kind) for name, kind in (
        ("pushed_version", PropertyType.STRING), ("pushed_destination", PropertyType.STRING),
        ("model_fingerprint", PropertyType.STRING), ("people", PropertyType.INT), ("photos", PropertyType.INT),
        ("fpir", PropertyType.FLOAT), ("threshold", PropertyType.FLOAT), ("tpir", PropertyType.FLOAT))}


def list_photos(folder: str) -> List[Tuple[str, str]]:
    """(person, path) of every file under `folder`/<person>/, sorted; local or remote."""
    photos = []
    for root, _, names in tf.io.gfile.walk(folder):
        relative = os.path.relpath(root, folder)
        if relative == ".":
            continue
        person = relative.split(os.sep, 1)[0]
        photos.extend((person, os.path.join(root, name)) for name in names)
    if not photos:
        raise ValueError(f"{folder}: expected photos in <person>/ folders, found none")
    return sorted(photos)


class _EmbedPhotos(beam.DoFn):
    """Batches of (set, person, path) -> serialized tf.Examples with the photo's embedding; each worker loads
    the SavedModel once. A photo that cannot be used is skipped, and said in the log."""

    def __init__(self, model_dir: str, aligned_size):
        self._model_dir, self._aligned_size = model_dir, aligned_size

    def setup(self):
        from serving.saved_model import SavedModelEmbedder

        self._embedder = SavedModelEmbedder(self._model_dir)

    def process(self, batch):
        from face_data.alignment.photos import align_photo
        from face_data.conversion.images import ImageRejected, check_image

        kept, faces = [], []
        for photo_set, person, path in batch:
            try:
                with tf.io.gfile.GFile(path, "rb") as file:
                    data = file.read()
                # As `enrol` reads a photo: checked, or its face aligned (the largest, most central).
                faces.append(align_photo(data, self._aligned_size).data if self._aligned_size
                             else check_image(data).data)
                kept.append((photo_set, person, path))
            except (ImageRejected, tf.errors.OpError) as error:
                logger.warning("gallery: skipped %s: %s", path, error)
        if not faces:
            return
        for (photo_set, person, path), embedding in zip(kept, self._embedder.embed(faces)):
            features = {"set": [photo_set.encode()], "person": [person.encode()], "path": [path.encode()]}
            feature = {key: tf.train.Feature(bytes_list=tf.train.BytesList(value=value))
                       for key, value in features.items()}
            feature[PHOTO_EMBEDDING] = tf.train.Feature(float_list=tf.train.FloatList(value=embedding))
            yield tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def embed_photos(make_pipeline: Callable[[], beam.Pipeline], model_dir: str, photos: List[Tuple[str, str, str]],
                 aligned_size, output_dir: str) -> Dict[str, Tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Embeds (set, person, path) photos with the SavedModel in a Beam job writing to `output_dir`;
    returns {set: (people, paths, embeddings)}."""
    prefix = os.path.join(output_dir, "embeddings")
    with make_pipeline() as pipeline:
        _ = (pipeline
             | "Photos" >> beam.Create(photos)
             | "Spread" >> beam.Reshuffle()
             | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=BATCH_SIZE)
             | "Embed" >> beam.ParDo(_EmbedPhotos(model_dir, aligned_size))
             | "Write" >> beam.io.WriteToTFRecord(prefix))
    rows = {PHOTOS: ([], [], []), PROBES: ([], [], [])}
    for record in tf.data.TFRecordDataset(sorted(tf.io.gfile.glob(prefix + "*"))):
        feature = tf.train.Example.FromString(record.numpy()).features.feature
        people, paths, embeddings = rows[feature["set"].bytes_list.value[0].decode()]
        people.append(feature["person"].bytes_list.value[0].decode())
        paths.append(feature["path"].bytes_list.value[0].decode())
        embeddings.append(np.array(feature[PHOTO_EMBEDDING].float_list.value, np.float32))
    for photo_set, (people, _, _) in rows.items():
        if not people:
            raise ValueError(f"pusher.gallery.{photo_set}: expected photos that decode, none did (see the log)")
    return {photo_set: (np.array(people), np.array(paths), np.stack(embeddings))
            for photo_set, (people, paths, embeddings) in rows.items()}


def build_gallery(make_pipeline, model_dir: str, version_folder: str, config: Dict[str, Any],
                  artifact_uri: str) -> Dict[str, Any]:
    """The gallery of the config's photos in `version_folder`/gallery, and identification.json's operating point
    chosen on its probes; returns the operating point. The Beam job writes under the Gallery artifact."""
    photos = [(photo_set, person, path) for photo_set in (PHOTOS, PROBES)
              for person, path in list_photos(config[photo_set])]
    embedded = embed_photos(make_pipeline, model_dir, photos, config["aligned_size"],
                            os.path.join(artifact_uri, EMBEDDINGS_DIR))
    gallery = Gallery.create(os.path.join(version_folder, identification_file.GALLERY_DIR), None,
                             fingerprint(version_folder), embedded[PHOTOS][2].shape[1])
    gallery.enrol(*embedded[PHOTOS])
    keys, templates = gallery.templates()
    name_of = {key: name for name, key in gallery.people.items()}
    probe_people, _, probe_embeddings = embedded[PROBES]
    fpir = config["fpir"]
    result = open_set_identification(probe_embeddings, probe_people, templates,
                                     np.array([name_of[key] for key in keys]), ks=RANKS, fpirs=(fpir,))
    if result["threshold"][fpir] is None:
        raise ValueError(f"pusher.gallery.fpir {fpir:g}: {result['tpir'][fpir]} (probes of people not enrolled in "
                         f"{config[PROBES]}); add such probes or choose a larger fpir")
    return {"threshold": result["threshold"][fpir], "criterion": f"FPIR {fpir:g}", "target_fpir": fpir,
            "tpir": result["tpir"][fpir], **{f"rank_{k}": rate for k, rate in result["rank"].items()},
            "num_mated_searches": result["num_mated_searches"],
            "num_nonmated_searches": result["num_nonmated_searches"], "gallery_size": result["gallery_size"],
            "gallery_photos": len(embedded[PHOTOS][0]), "probes": str(config[PROBES]),
            "photos": str(config[PHOTOS])}


def record(artifact: Artifact, version_dir: str, operating_point: Dict[str, Any]) -> None:
    """The pushed gallery copied into the Gallery artifact, and its properties: which model, which figures."""
    from tfx.utils import io_utils

    io_utils.copy_dir(os.path.join(version_dir, identification_file.GALLERY_DIR),
                      os.path.join(artifact.uri, identification_file.GALLERY_DIR))
    artifact.pushed_version = os.path.basename(version_dir)
    artifact.pushed_destination = version_dir
    artifact.model_fingerprint = fingerprint(version_dir)
    artifact.people = operating_point["gallery_size"]
    artifact.photos = operating_point["gallery_photos"]
    artifact.fpir = operating_point["target_fpir"]
    artifact.threshold = operating_point["threshold"]
    artifact.tpir = operating_point["tpir"]
    # How it is searched: exact, or an index with its check on the gallery's own photos (serving/gallery.py).
    artifact.set_string_custom_property(INDEX_PROPERTY, Gallery.open(
        os.path.join(version_dir, identification_file.GALLERY_DIR)).index_summary())
