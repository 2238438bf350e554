"""Face data for the ArcFace pipeline: the TFRecord contract, converters and a synthetic face set.

Import the modules directly; this package imports nothing, so worker processes stay light.

- `records`: the face and verification-pair `tf.train.Example` layouts (the contract) and helpers.
- `reading`: reads the records back, naming the file and record of any problem.
- `synthetic`: `write_synthetic_faces`, the deterministic synthetic face set (drawn by `face_drawing`).
- `converters`: image folder, insightface RecordIO, insightface `.bin`, LFW `pairs.txt` -> records.
- `splits`: identity-disjoint train/eval/holdout splits of face records.
- `photos`: raw photo -> aligned face (`align_photo`, the converters' and serving's `--align`):
  EXIF orientation, `detection` (MTCNN), `alignment` onto the ArcFace template; `pasted_photos`
  makes test photos from face crops.
- `cli`: the command line, `python -m face_data --help`.

Underneath: `images` (checks and normalises encoded images), `image_folder`, `mxnet_recordio`,
`verification_bin` (the safe unpickler), `lfw_pairs` (format readers, run in worker processes),
`convert` (the loop writing worker outcomes), `shards` (atomic sharded output), `parallel`,
`progress`, `summary` and `outcomes`.
"""
