"""Face data for the ArcFace pipeline, in four rooms. Import the modules directly; no package here
imports anything, so worker processes stay light.

- `records/`: the record contract — `contract` (the face and verification-pair `tf.train.Example`
  layouts), `features` (their names, without TensorFlow), `reading`, `shards` (atomic sharded
  output) and `splits` (identity-disjoint train/eval/holdout splits).
- `conversion/`: image folder, insightface RecordIO, insightface `.bin`, LFW `pairs.txt`, IJB-B / IJB-C -> records
  (`converters`, the format readers, `writing`, `images`, ...) and the command line `cli`
  (`python -m face_data --help`).
- `alignment/`: raw photo -> aligned face (`photos.align_photo`, the converters' and serving's
  `--align`): EXIF orientation, `detection` (MTCNN), `template` (the ArcFace template).
- `synthetic/`: `face_set.write_synthetic_faces`, the deterministic synthetic face set (drawn by
  `face_drawing`); `pasted_photos` and `ijb_release`, test photos and an IJB-C-layout set made
  from face crops.
"""
