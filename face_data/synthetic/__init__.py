"""Synthetic and test data: `face_set.write_synthetic_faces` (the demo's and the tests' faces, drawn
by `face_drawing`), `pasted_photos` (test photos made by pasting face crops into scenes) and
`ijb_release` (a small set in IJB-C's released layout made from face crops). Import the modules
directly; this package imports nothing.
"""
