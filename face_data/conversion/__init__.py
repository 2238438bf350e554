"""Converters of face data sets to face records, and the `python -m face_data` command line (`cli`).

`converters` holds one entry point per format; the readers (`image_folder`, `mxnet_recordio`,
`verification_bin`, `lfw_pairs`, `ijb`) run in worker processes and return `outcomes`; `writing`
is the loop that writes them; `images` checks and normalises encoded images; `attributes` reads
the faces' attributes CSV; `parallel`, `progress`, `summary` and `files` serve the loop. Import
the modules directly; this package imports nothing, so worker processes stay light.
"""
