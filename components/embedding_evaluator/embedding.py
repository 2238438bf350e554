"""Embeds face records and verification-pair records with exported models, in Beam.

Each worker loads every model once (`DoFn.setup`) and embeds batches of records with all of them,
so the candidate and the baseline see exactly the same records. The output is one "embedding
record" (a tf.Example) per input record: a `key` (SHA-256 of the input record, canonically serialized), the
face's `label` (and its `attribute/<name>`s) or the pair's `is_same`, and one float feature per model and image,
`<model>/embedding` for a face, `<model>/embedding_a` and `<model>/embedding_b` for a pair (and the pair's `fold` if it has one).
`read_embeddings` loads them back sorted by key, an order that does not depend on how Beam
scheduled the work, so pairs drawn from it are the same in every run.

Faces go through the exported `embed_examples` signature (serialized tf.Examples, the graph the
pipeline trained with); pairs hold bare images and go through `serving_default` (image bytes).

Example:
    >>> with beam.Pipeline() as pipeline:
    ...     _ = (pipeline | beam.io.ReadFromTFRecord("eval/*.gz")
    ...          | EmbedRecords({"candidate": model_dir}, FaceEmbedder(FaceFeatures()))
    ...          | beam.io.WriteToTFRecord("out/faces", file_name_suffix=".gz"))
    >>> columns = read_embeddings(glob.glob("out/faces*"))
    >>> columns["label"].shape, columns["candidate/embedding"].shape
    ((150,), (150, 128))
"""

import hashlib
from typing import Callable, Dict, Iterable, List, Mapping, Sequence

import apache_beam as beam
import numpy as np
import tensorflow as tf

from tfx_module.preprocessing import decode_image
from tfx_module.signatures import EMBEDDING_KEY, EXAMPLES_SIGNATURE, SERVING_SIGNATURE
from face_data.records import contract
from face_data.records.features import ATTRIBUTE_PREFIX  # a face's attributes keep their record names

KEY_FEATURE = "key"
LABEL_FEATURE = "label"
IS_SAME_FEATURE = "is_same"
FOLD_FEATURE = "fold"
# A pair's identities, when its record has them, and a digest of each image: which pairs share a face.
LABEL_A_FEATURE, LABEL_B_FEATURE = "label_a", "label_b"
IMAGE_KEY_A_FEATURE, IMAGE_KEY_B_FEATURE = "image_key_a", "image_key_b"
TEMPLATE_FEATURE = "template"
MEDIA_FEATURE = "media"
DETECTOR_SCORE_FEATURE = "detector_score"
FLIPPED = "flipped"  # the embedding of a face's mirror image: embedding_feature(model, FLIPPED)
MAX_BATCH_SIZE = 256


def embedding_feature(model_name: str, image: str = "") -> str:
    """`embedding_feature("baseline", "a") == "baseline/embedding_a"`; a face has no image suffix."""
    return f"{model_name}/embedding{'_' + image if image else ''}"


def record_key(serialized: bytes) -> bytes:
    """The `key` of the embedding record of a serialized input record: the SHA-256 (hex) of its
    canonical serialization. ImportExampleGen writes the same record with its features in another
    order from run to run; keyed by raw bytes, every run drew other pairs from the same faces."""
    canonical = tf.train.Example.FromString(serialized).SerializeToString(deterministic=True)
    return hashlib.sha256(canonical).hexdigest().encode()


def _feature(value) -> tf.train.Feature:
    if isinstance(value, bytes):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))
    if isinstance(value, (int, np.integer)):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))
    return tf.train.Feature(float_list=tf.train.FloatList(value=np.asarray(value, np.float32).ravel()))


def _embedding_record(values: Mapping) -> bytes:
    return tf.train.Example(
        features=tf.train.Features(feature={name: _feature(value) for name, value in values.items()})
    ).SerializeToString()


class FaceEmbedder:
    """Embeds face records (image + identity label) with a model's `embed_examples` signature."""

    signature = EXAMPLES_SIGNATURE

    def __init__(self, features: contract.FaceFeatures):
        self._features = features

    def __call__(self, models: Mapping[str, Callable],
                 batch: Sequence[bytes]) -> Iterable[bytes]:
        faces = [contract.parse_face_example(record, self._features, "eval record") for record in batch]
        examples = tf.constant(list(batch))
        embeddings = {name: embed(examples=examples)[EMBEDDING_KEY].numpy()
                      for name, embed in models.items()}
        for index, (record, face) in enumerate(zip(batch, faces)):
            values = {KEY_FEATURE: record_key(record), LABEL_FEATURE: face.label}
            values.update({ATTRIBUTE_PREFIX + name: value for name, value in face.attributes.items()})
            values.update({embedding_feature(name): rows[index] for name, rows in embeddings.items()})
            yield _embedding_record(values)


class PairEmbedder:
    """Embeds both images of verification-pair records with a model's `serving_default` signature."""

    signature = SERVING_SIGNATURE

    def __init__(self, features: contract.PairFeatures = contract.PairFeatures()):
        self._features = features

    def __call__(self, models: Mapping[str, Callable],
                 batch: Sequence[bytes]) -> Iterable[bytes]:
        pairs = [contract.parse_pair_example(record, self._features, "pair record") for record in batch]
        images = {"a": tf.constant([pair.image_a for pair in pairs]),
                  "b": tf.constant([pair.image_b for pair in pairs])}
        embeddings = {(name, image): embed(images=images[image])[EMBEDDING_KEY].numpy()
                      for name, embed in models.items() for image in images}
        for index, (record, pair) in enumerate(zip(batch, pairs)):
            values = {KEY_FEATURE: record_key(record), IS_SAME_FEATURE: int(pair.is_same)}
            if pair.fold is not None:
                values[FOLD_FEATURE] = pair.fold
            if pair.label_a is not None and pair.label_b is not None:  # the set can be scored all-vs-all
                values.update({LABEL_A_FEATURE: pair.label_a, LABEL_B_FEATURE: pair.label_b,
                               IMAGE_KEY_A_FEATURE: hashlib.sha256(pair.image_a).hexdigest().encode(),
                               IMAGE_KEY_B_FEATURE: hashlib.sha256(pair.image_b).hexdigest().encode()})
            values.update({embedding_feature(name, image): rows[index]
                           for (name, image), rows in embeddings.items()})
            yield _embedding_record(values)


def mirrored(image: bytes) -> bytes:
    """The image flipped left to right, as PNG (lossless: only the flip differs)."""
    return tf.io.encode_png(tf.image.flip_left_right(decode_image(tf.constant(image)))).numpy()


class TemplateFaceEmbedder:
    """Embeds the faces of template-face records (IJB) with `serving_default`, and their mirror
    images when `flip` (insightface's flip test), keeping each face's template, medium and score."""

    signature = SERVING_SIGNATURE

    def __init__(self, flip: bool = True):
        self._flip = flip

    def __call__(self, models: Mapping[str, Callable],
                 batch: Sequence[bytes]) -> Iterable[bytes]:
        faces = [contract.parse_template_face_example(record, source="template-face record") for record in batch]
        images = {"": [face.image for face in faces]}
        if self._flip:
            images[FLIPPED] = [mirrored(face.image) for face in faces]
        embeddings = {(name, which): embed(images=tf.constant(encoded))[EMBEDDING_KEY].numpy()
                      for name, embed in models.items() for which, encoded in images.items()}
        for index, (record, face) in enumerate(zip(batch, faces)):
            values = {KEY_FEATURE: record_key(record), TEMPLATE_FEATURE: face.template, MEDIA_FEATURE: face.media,
                      DETECTOR_SCORE_FEATURE: face.detector_score}
            values.update({embedding_feature(name, which): rows[index]
                           for (name, which), rows in embeddings.items()})
            yield _embedding_record(values)


class _EmbedBatch(beam.DoFn):
    """Loads the models once per worker, then embeds each batch of records with all of them."""

    def __init__(self, model_dirs: Mapping[str, str], embedder):
        self._model_dirs = dict(model_dirs)
        self._embedder = embedder

    def setup(self):
        # The loaded objects own the variables: keep them alive as long as their signatures.
        self._loaded = {name: tf.saved_model.load(path) for name, path in self._model_dirs.items()}
        self._models = {name: model.signatures[self._embedder.signature] for name, model in self._loaded.items()}

    def process(self, batch: List[bytes]):
        yield from self._embedder(self._models, batch)


@beam.ptransform_fn
def EmbedRecords(records_pcoll, model_dirs: Mapping[str, str], embedder):  # pylint: disable=invalid-name
    """Serialized face or pair records -> serialized embedding records, one per input record."""
    return (
        records_pcoll
        | "Batch" >> beam.BatchElements(max_batch_size=MAX_BATCH_SIZE)
        | "Embed" >> beam.ParDo(_EmbedBatch(model_dirs, embedder))
    )


def read_embeddings(files: Sequence[str]) -> Dict[str, np.ndarray]:
    """Embedding records -> {feature: array}, one row per record, rows sorted by `key`.

    Float features become [N, dim] float32 arrays; int and bytes features [N] arrays.
    """
    if not files:
        raise ValueError("no embedding records to read: expected the files the Beam pipeline wrote")
    columns: Dict[str, list] = {}
    for serialized in tf.data.TFRecordDataset(list(files), compression_type="GZIP").as_numpy_iterator():
        for name, feature in tf.train.Example.FromString(serialized).features.feature.items():
            kind = feature.WhichOneof("kind")
            values = getattr(feature, kind).value
            columns.setdefault(name, []).append(np.asarray(values, np.float32) if kind == "float_list" else values[0])
    partial = {name: len(values) for name, values in columns.items() if len(values) != len(columns[KEY_FEATURE])}
    if partial:  # e.g. a pairs set of which only some records carry a fold
        raise ValueError(f"features held by only some of the {len(columns[KEY_FEATURE])} records: {partial}; "
                         "expected every record of a set to hold the same features")
    order = np.argsort(np.asarray(columns[KEY_FEATURE]), kind="stable")
    return {name: np.asarray(values)[order] for name, values in columns.items()}
