"""Command line of the face data converters: `python -m face_data FORMAT ...`.

Formats:
  synthetic OUTPUT --identities N --images-per-identity M [--image-size 112] [--seed 0] [--first-identity 0]
  folder    ROOT OUTPUT [--labels index|name] [--align]  root/<identity>/<image> -> face records
  recordio  TRAIN.rec OUTPUT [--idx TRAIN.idx]           insightface RecordIO -> face records
  bin       LFW.bin OUTPUT [--folds 10]                  insightface verification pickle -> pair records
  lfw-pairs PAIRS.txt IMAGE_ROOT OUTPUT [--image-pattern "{name}/{name}_{number:04d}.jpg"] [--align] -> pair records
  ijb       ROOT OUTPUT [--set ijbc|ijbb]               IJB-B / IJB-C as insightface releases it -> template-face
            records aligned by the given landmarks, and the 1:1 / 1:N protocol (OUTPUT/protocol.npz)
  split     INPUT_DIR OUTPUT --eval-fraction F [--holdout-per-identity K] [--seed 0]
            face records -> OUTPUT/train, OUTPUT/eval (identity-disjoint), OUTPUT/holdout

--align stores the face of each raw photo aligned to the ArcFace template (--aligned-size, 112 by
default): photos without a face are skipped, photos with several keep the largest, most central
one, and the summary names both.

Every format takes --prefix, --shards, --workers, --overwrite, --max-pixels, --quiet and
--summary-json PATH. The summary goes to stdout, progress to stderr. Exit status (console/errors.py):
0 when records were written, 1 when the input was refused (one line names the file and record), 2 for
usage, 130 when interrupted (Ctrl-C: one line; the shards of an interrupted conversion are never
renamed into place, so nothing half-written is left). Inputs are checked before TensorFlow loads.

Example:
    python -m face_data folder /work/shared/faces/orl data/orl
    python -m face_data folder photos/ data/photos --align
    python -m face_data synthetic data/synthetic --identities 60 --images-per-identity 10
"""

import argparse
import glob
import json
import os
import sys
import tempfile

from arcface_module.catalog import FACE_SIZE
from console import errors, quiet
from face_data.conversion import ijb as ijb_layout
from face_data.conversion import lfw_pairs
from face_data.records.features import IMAGE_FEATURE, LABEL_FEATURE, FaceFeatures
from face_data.conversion.images import add_max_pixels_argument
from face_data.alignment.photos import add_align_arguments

PROG = "python -m face_data"
# The converters load TensorFlow (to write records), in seconds: `_run` imports them, once the
# arguments are read, so that --help answers at once.


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _common(parser: argparse.ArgumentParser, faces: bool, workers: bool = True) -> None:
    parser.add_argument("--prefix", help="shard file prefix (default: faces or pairs)")
    parser.add_argument("--shards", type=_positive, help="number of shards (default: one per 5000 records)")
    if workers:
        parser.add_argument("--workers", type=_positive, help="worker processes (default: every core for big inputs)")
    parser.add_argument("--overwrite", action="store_true", help="replace shards of the same prefix once done")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--summary-json", metavar="PATH", help="also write the summary as JSON")
    if faces:
        parser.add_argument("--image-feature", default=IMAGE_FEATURE, help="feature name of the image")
        parser.add_argument("--label-feature", default=LABEL_FEATURE, help="feature name of the label")


def _attributes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--attributes", metavar="CSV", help="attributes of each face for per-group rates: a CSV "
                        "whose header is identity,<name>,... or image,<name>,... (face_data/conversion/attributes.py)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m face_data",
                                     description="Convert face data to the pipeline's TFRecords.")
    formats = parser.add_subparsers(dest="format", required=True, metavar="FORMAT")

    synthetic = formats.add_parser("synthetic", help="write the synthetic face set")
    synthetic.add_argument("output_dir")
    synthetic.add_argument("--identities", type=_positive, required=True)
    synthetic.add_argument("--images-per-identity", type=_positive, required=True)
    synthetic.add_argument("--image-size", type=int, default=FACE_SIZE)
    synthetic.add_argument("--seed", type=int, default=0)
    synthetic.add_argument("--first-identity", type=int, default=0)
    _common(synthetic, faces=True)

    folder = formats.add_parser("folder", help="root/<identity>/<image> -> face records")
    folder.add_argument("root")
    folder.add_argument("output_dir")
    folder.add_argument("--labels", choices=("index", "name"), default="index",
                        help="int label by sorted identity folder, or the folder name as bytes")
    add_align_arguments(folder)
    _common(folder, faces=True)
    _attributes(folder)

    recordio = formats.add_parser("recordio", help="insightface train.rec + train.idx -> face records")
    recordio.add_argument("rec")
    recordio.add_argument("output_dir")
    recordio.add_argument("--idx", help="index file (default: the .rec path with .idx)")
    _common(recordio, faces=True)
    _attributes(recordio)

    verification = formats.add_parser("bin", help="insightface .bin verification set -> pair records")
    verification.add_argument("bin")
    verification.add_argument("output_dir")
    verification.add_argument("--folds", type=int, help="keep each pair's fold: N consecutive blocks, as "
                              "insightface's evaluation deals them (10 for lfw.bin, cfp_fp.bin, agedb_30.bin)")
    _common(verification, faces=False)

    pairs = formats.add_parser("lfw-pairs", help="LFW pairs.txt + image folder -> pair records")
    pairs.add_argument("pairs")
    pairs.add_argument("image_root")
    pairs.add_argument("output_dir")
    pairs.add_argument("--image-pattern", default=lfw_pairs.DEFAULT_IMAGE_PATTERN)
    add_align_arguments(pairs)
    _common(pairs, faces=False)

    ijb = formats.add_parser("ijb", help="IJB-B / IJB-C release (meta/, loose_crop/) -> template-face records "
                             "+ protocol")
    ijb.add_argument("root", help="the folder holding meta/ and loose_crop/")
    ijb.add_argument("output_dir")
    ijb.add_argument("--set", choices=ijb_layout.NAMES, help="which set's files to read (default: the one in meta/)")
    _common(ijb, faces=False)

    split = formats.add_parser("split", help="face records -> identity-disjoint train/eval (+ holdout)")
    split.add_argument("input_dir")
    split.add_argument("output_dir")
    split.add_argument("--pattern", default="*.tfrecord*", help="input files in INPUT_DIR (default: *.tfrecord*)")
    split.add_argument("--eval-fraction", type=float, required=True, help="share of identities for eval")
    split.add_argument("--holdout-per-identity", type=int, default=0,
                       help="images of each train identity set aside in holdout/ for closed-set checks")
    split.add_argument("--seed", type=int, default=0)
    _common(split, faces=True, workers=False)  # splitting only copies records: no CPU work to share

    for subparser in formats.choices.values():
        if subparser not in (synthetic, split):
            add_max_pixels_argument(subparser)
    quiet.add_flag(parser)
    return parser


def _run(args) -> dict:
    """{name: summary} of what the command wrote: one entry, or one per split."""
    faces = FaceFeatures(args.image_feature, args.label_feature) if hasattr(args, "image_feature") else FaceFeatures()
    if args.format == "split":
        from face_data.records.splits import split_face_records

        paths = sorted(glob.glob(os.path.join(glob.escape(args.input_dir), args.pattern)))
        if not paths:
            raise ValueError(f"{args.input_dir}: no file matches {args.pattern!r}")
        return split_face_records(paths, args.output_dir, args.eval_fraction, args.holdout_per_identity,
                                  args.seed, faces, args.prefix or "faces", args.shards, args.overwrite,
                                  not args.quiet)
    return {args.format: _convert(args, faces)}


def _convert(args, faces: FaceFeatures):
    from face_data.conversion import converters
    from face_data.conversion.writing import OutputOptions
    from face_data.synthetic.face_set import write_synthetic_faces

    if args.format == "synthetic":
        return write_synthetic_faces(args.output_dir, args.identities, args.images_per_identity, args.image_size,
                                     args.seed, args.shards, args.first_identity, args.workers,
                                     args.prefix or "faces", args.overwrite, faces, not args.quiet)
    from face_data.conversion.attributes import read_attributes

    attributes = read_attributes(args.attributes) if getattr(args, "attributes", None) else None
    output = OutputOptions(args.output_dir, args.prefix, args.shards, args.workers, args.overwrite,
                           not args.quiet, face_features=faces, attributes=attributes)
    aligned_size = args.aligned_size if getattr(args, "align", False) else None
    if args.format == "folder":
        return converters.convert_image_folder(args.root, output, args.labels, args.max_pixels, aligned_size)
    if args.format == "recordio":
        return converters.convert_recordio(args.rec, output, args.idx, args.max_pixels)
    if args.format == "bin":
        return converters.convert_verification_bin(args.bin, output, args.max_pixels, args.folds)
    if args.format == "ijb":
        return converters.convert_ijb(args.root, output, args.set, args.max_pixels)
    return converters.convert_lfw_pairs(args.pairs, args.image_root, output, args.image_pattern, args.max_pixels,
                                        aligned_size)


def _write_json(path: str, content: dict) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile("w", dir=folder, prefix=".summary-", suffix=".partial", delete=False) as file:
        json.dump(content, file, indent=2, default=str)
    os.replace(file.name, path)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    # A refused input (FileExistsError is an OSError, RecordError a ValueError) or Ctrl-C: one line.
    return errors.run(PROG, lambda: _command(args), refusals=(ValueError, OSError))


def _command(args) -> None:
    summaries = _run(args)
    for name, summary in summaries.items():
        print(f"{name}: {summary.format()}" if args.format == "split" else summary.format())
    if args.summary_json:
        _write_json(args.summary_json, {name: summary.to_dict() for name, summary in summaries.items()}
                    if args.format == "split" else summaries[args.format].to_dict())
