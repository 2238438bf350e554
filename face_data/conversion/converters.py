"""The converters' Python API: each format in, sharded face or pair records out, a summary back.

Every converter checks and normalises images (`images.check_image`), runs on every core for big
inputs, writes shards atomically, is deterministic (same input, same bytes) and returns a
`ConversionSummary` of what was written and what was skipped and why. Input that cannot be read
at all raises ValueError naming the file (and line or record), before anything is written. The
image folder and LFW pairs converters take raw photos too: with `aligned_size` they store the
aligned face of each (`photos.align_photo`), skip photos without one and name those with several.

Example:
    >>> summary = convert_image_folder("/work/shared/faces/orl", OutputOptions("data/orl"))
    >>> print(summary.format())
    faces: 400 written of 40 identities to 1 shard(s), 0 skipped, 0.6 s
      re-encoded PPM L 8-bit as PNG L: 400
      labels: 0=s1, 1=s2, 2=s3, 3=s4, 4=s5, ... (40 in all)
    >>> convert_verification_bin("lfw.bin", OutputOptions("data/lfw_pairs"))
    >>> convert_image_folder("photos", OutputOptions("data/photos"), aligned_size=112)
    >>> convert_ijb("/data/IJB_release/IJBC", OutputOptions("data/ijbc"))   # + data/ijbc/protocol.npz
"""

import dataclasses
import functools
import os
from typing import Optional

import numpy as np

from face_data.conversion import ijb, image_folder, lfw_pairs, mxnet_recordio, verification_bin
from face_data.conversion.writing import PARALLEL_FROM_INPUTS, OutputOptions, write_outcomes
from face_data.conversion.images import MAX_PIXELS
from face_data.conversion.parallel import chunked
from face_data.conversion.summary import ConversionSummary

TASK_SIZE = 64  # inputs per worker task: enough to amortise the hand-off, few enough for steady progress
# Detecting faces costs 0.05-0.5 s a photo, so a worker pool (each worker loads TensorFlow and
# MTCNN, a few seconds) pays off from far fewer inputs; smaller tasks keep every worker busy.
ALIGN_PARALLEL_FROM_INPUTS = 200
ALIGN_TASK_SIZE = 8


def _pooling(aligned_size: Optional[int]):
    """(task size, inputs from which a worker pool is used) for plain or aligning conversions."""
    return (ALIGN_TASK_SIZE, ALIGN_PARALLEL_FROM_INPUTS) if aligned_size else (TASK_SIZE, PARALLEL_FROM_INPUTS)


def convert_image_folder(root: str, output: OutputOptions, label_scheme: str = "index",
                         max_pixels: int = MAX_PIXELS, aligned_size: Optional[int] = None) -> ConversionSummary:
    """`root/<identity>/<image>` -> face records; labels by `label_scheme` ("index" or "name");
    the aligned `aligned_size`x`aligned_size` face of each photo, if given."""
    images, skipped, names = image_folder.list_image_folder(root, label_scheme)
    worker = functools.partial(image_folder.read_folder_images, max_pixels=max_pixels, aligned_size=aligned_size)
    task_size, parallel_from = _pooling(aligned_size)
    summary = write_outcomes(chunked(images, task_size), worker, len(images), "faces", output, skipped,
                             parallel_from)
    if label_scheme == "index":
        summary.label_names = names
    return summary


def convert_recordio(rec_path: str, output: OutputOptions, idx_path: Optional[str] = None,
                     max_pixels: int = MAX_PIXELS) -> ConversionSummary:
    """insightface `train.rec` (+ `train.idx`, by default next to it) -> face records with int labels."""
    idx_path = idx_path or os.path.splitext(rec_path)[0] + ".idx"
    for path in (rec_path, idx_path):
        if not os.path.isfile(path):
            raise ValueError(f"{path}: no such file (a RecordIO set is a .rec file and its .idx index)")
    index = mxnet_recordio.read_index(idx_path)
    keys, missing = mxnet_recordio.image_keys(rec_path, index)
    entries = [(key, index[key]) for key in keys]
    worker = functools.partial(mxnet_recordio.read_recordio_images, rec_path=rec_path, max_pixels=max_pixels)
    return write_outcomes(chunked(entries, TASK_SIZE), worker, len(entries), "faces", output, missing)


def convert_verification_bin(bin_path: str, output: OutputOptions, max_pixels: int = MAX_PIXELS,
                             folds: Optional[int] = None) -> ConversionSummary:
    """insightface `.bin` verification set -> pair records (no labels: the files have none).

    `folds` gives each pair the fold insightface's evaluation puts it in: `folds` consecutive
    blocks of pairs (its unshuffled KFold), which for lfw.bin are LFW's own 10 folds.
    """
    images, is_same = verification_bin.load_verification_bin(bin_path)
    name = os.path.basename(bin_path)
    fold_of = [None] * len(is_same)
    if folds is not None:
        if not 2 <= folds <= len(is_same):
            raise ValueError(f"--folds: expected 2 to {len(is_same)} (the pairs in {bin_path}), got {folds}")
        for fold, block in enumerate(np.array_split(np.arange(len(is_same)), folds)):
            for index in block:
                fold_of[index] = fold
    pairs = [(f"{name} pair {index}", images[2 * index], images[2 * index + 1], same, fold_of[index])
             for index, same in enumerate(is_same)]
    worker = functools.partial(verification_bin.check_pairs, max_pixels=max_pixels)
    return write_outcomes(chunked(pairs, TASK_SIZE), worker, len(pairs), "pairs", output)


def convert_lfw_pairs(pairs_path: str, image_root: str, output: OutputOptions,
                      image_pattern: str = lfw_pairs.DEFAULT_IMAGE_PATTERN,
                      max_pixels: int = MAX_PIXELS, aligned_size: Optional[int] = None) -> ConversionSummary:
    """LFW-style `pairs.txt` + image folder -> pair records labelled with the identity names; the
    aligned `aligned_size`x`aligned_size` faces of the photos, if given."""
    if not os.path.isdir(image_root):
        raise ValueError(f"{image_root}: expected the image folder the pairs file refers to, but it is not a folder")
    pairs = lfw_pairs.parse_pairs_file(pairs_path)
    name = os.path.basename(pairs_path)
    items = [(f"{name} line {pair.line}", *lfw_pairs.pair_paths(image_root, pair, image_pattern), pair)
             for pair in pairs]
    worker = functools.partial(lfw_pairs.read_lfw_pairs, root=image_root, max_pixels=max_pixels,
                               aligned_size=aligned_size)
    task_size, parallel_from = _pooling(aligned_size)
    return write_outcomes(chunked(items, task_size), worker, len(items), "pairs", output,
                          parallel_from=parallel_from)


def convert_ijb(root: str, output: OutputOptions, name: Optional[str] = None,
                max_pixels: int = MAX_PIXELS) -> ConversionSummary:
    """IJB-B / IJB-C as insightface releases it (`ijb.read_layout`) -> template-face records of the faces
    aligned by their landmarks, and the protocol beside them (`ijb.PROTOCOL_FILE`), written last.

    A template whose faces were all skipped leaves the protocol with its comparisons (counted in the summary).
    """
    layout = ijb.read_layout(root, name)
    protocol_path = os.path.join(output.output_dir, ijb.PROTOCOL_FILE)
    if os.path.exists(protocol_path) and not output.overwrite:
        raise FileExistsError(f"{protocol_path} already exists; expected an empty destination, or pass "
                              "overwrite=True (--overwrite)")
    output = dataclasses.replace(output, prefix=output.prefix or "faces")
    worker = functools.partial(ijb.align_ijb_faces, root=root, max_pixels=max_pixels)
    summary = write_outcomes(chunked(layout.faces, TASK_SIZE), worker, len(layout.faces), "template faces", output)
    skipped = {item.source for item in summary.skipped}
    kept = np.unique([face.template for face in layout.faces if face.source not in skipped])
    protocol, lost = layout.protocol.keeping(kept)
    for part, count in lost.items():
        summary.note(f"{part} dropped: a template without a readable face", count)
    protocol.save(protocol_path)
    summary.note(f"{layout.name} protocol in {ijb.PROTOCOL_FILE}: {len(protocol.pairs)} pairs, {len(kept)} templates, "
                 f"galleries {sorted(protocol.galleries) or 'none'}, probes", len(protocol.probes))
    return summary
