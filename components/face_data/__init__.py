"""Face data for the ArcFace pipeline: the TFRecord contract, converters and a synthetic face set.

Modules (import them directly; this package imports nothing heavy, so worker processes stay light):
- `records`: the face and verification-pair `tf.train.Example` layouts and helpers.
- `shards`: sharded TFRecord output written atomically.
- `synthetic`: `write_synthetic_faces`, a deterministic synthetic face set.

Command line: `python -m components.face_data --help`.
"""
