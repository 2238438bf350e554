"""Command line of a pushed model: embed a folder of images, or compare faces.

    python -m serving embed FOLDER OUTPUT.npz --model MODEL [--align]
    python -m serving compare IMAGE_A IMAGE_B --model MODEL [--align]
    python -m serving compare --pairs PAIRS.tsv --model MODEL [--align]

MODEL is a pushed version folder (`<serving_dir>/<model_name>/<version>`) or the model folder
above it, whose newest version is used, as TF Serving does. `--runtime` picks what embeds: by
default ONNX Runtime when the version holds model.onnx (no TensorFlow is imported), else the
SavedModel; `--runtime saved_model` forces the SavedModel, `tflite` etc. a TFLite file.

`embed` writes an .npz holding `embeddings` [N, dim] (float32, L2-normalised), `paths` [N] (relative
to FOLDER, sorted) and `model` (the version folder used). Every file under FOLDER is tried;
those that are not images (or cannot be read: a dangling link, a pipe) are skipped and listed on
stderr. An OUTPUT that cannot be written is refused before anything is embedded.

`compare` prints one tab-separated line per pair: `same` or `different` (same person iff the
similarity >= the threshold shipped with the model), the cosine similarity, the threshold, and
the two paths. A pairs file has two image paths per line, tab-separated (or space-separated
when they hold no spaces).

With `--align` the images are raw photos: each is turned upright by its EXIF orientation, its face
found and aligned exactly as `python -m face_data folder --align` stores it for training (so a
photo embeds like its aligned crop); a photo without a face is skipped (`embed`) or refused
(`compare`), one with several keeps the largest, most central face and says so on stderr.
Without it the images should be face crops; they are still turned upright. The face detector
(MTCNN) runs on TensorFlow, so `--align` imports it whatever the runtime.

Exit status: 0 on success, 1 when an input cannot be used (the message says which and why).
"""

import argparse
import contextlib
import os
import sys
from typing import List, Optional, Tuple

import numpy as np

from console import quiet
from face_data.conversion.files import not_a_file
from face_data.conversion.images import ImageRejected, check_image
from face_data.alignment.photos import SEVERAL_FACES, add_align_arguments, align_photo
from serving.pushed_model import AUTO, RUNTIMES, PushedModel

IMAGES_PER_CHUNK = 1024


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _face(path: str, aligned_size: Optional[int]) -> bytes:
    """The image file as the model gets it: checked, or its face aligned; raises ImageRejected."""
    data = _read(path)
    if not aligned_size:
        return check_image(data).data
    aligned = align_photo(data, aligned_size)
    if aligned.faces_found > 1:
        print(f"{path}: {SEVERAL_FACES} ({aligned.faces_found} faces)", file=sys.stderr)
    return aligned.data


def _folder_files(folder: str) -> List[str]:
    if not os.path.isdir(folder):
        raise ValueError(f"{folder}: expected a folder of images, but it is not a folder")
    return sorted(os.path.relpath(os.path.join(root, name), folder)
                  for root, _, names in os.walk(folder) for name in names)


def _images(folder: str, aligned_size: Optional[int] = None):
    """Yields (path relative to `folder`, the bytes the model gets: checked, or the aligned face) of
    each image; says on stderr why any other file is skipped."""
    for path in _folder_files(folder):
        full = os.path.join(folder, path)
        why = not_a_file(full)  # a FIFO would block the read for ever, a dangling link fail it
        if why is None:
            try:
                yield path, _face(full, aligned_size)  # here a failure names the file
                continue
            except ImageRejected as error:
                why = str(error)
            except OSError as error:
                why = f"unreadable: {error.strerror}"
        print(f"skipped {path}: {why}", file=sys.stderr)


@contextlib.contextmanager
def _output_file(output: str):
    """A file open for writing beside `output`, renamed to it if the block succeeds, else removed.

    Opened before any image is embedded, so an output that cannot be written fails at once.
    """
    if not output.endswith(".npz"):
        raise ValueError(f"{output}: expected an output file name ending in .npz")
    if os.path.isdir(output):
        raise ValueError(f"{output}: expected an .npz file name, but it is a folder")
    partial = output + ".partial"
    try:
        file = open(partial, "wb")
    except OSError as error:
        raise ValueError(f"{output}: cannot write the output there: {error.strerror}; nothing was embedded") from None
    try:
        with file:
            yield file
        os.replace(partial, output)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def embed_folder(model: PushedModel, folder: str, output: str, aligned_size: Optional[int] = None) -> str:
    """Embeds every image under `folder` (their aligned faces, given `aligned_size`) into `output` (.npz);
    returns a one-line summary."""
    with _output_file(output) as file:
        paths, embeddings, chunk = [], [], []
        for path, data in _images(folder, aligned_size):
            paths.append(path)
            chunk.append(data)
            if len(chunk) == IMAGES_PER_CHUNK:  # bounded memory, however big the folder
                embeddings.append(model.embed(chunk))
                chunk = []
        if chunk:
            embeddings.append(model.embed(chunk))
        if not paths:
            raise ValueError(f"{folder}: expected images, found none that decode")
        embeddings = np.concatenate(embeddings)
        np.savez(file, embeddings=embeddings, paths=np.array(paths), model=np.array(model.path))
    return f"{len(paths)} images embedded ({embeddings.shape[1]} dimensions) into {output}"


def _pairs_file(path: str) -> List[Tuple[str, str]]:
    pairs = []
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            fields = line.rstrip("\r\n").split("\t") if "\t" in line else line.split()
            if len(fields) != 2:
                raise ValueError(f"{path} line {number}: expected two image paths, got {len(fields)} fields")
            pairs.append((fields[0], fields[1]))
    if not pairs:
        raise ValueError(f"{path}: expected lines of two image paths, found none")
    return pairs


def compare_pairs(model: PushedModel, pairs: List[Tuple[str, str]], aligned_size: Optional[int] = None) -> List[str]:
    """One line per pair: decision, similarity, threshold, the two paths (tab-separated); the photos'
    aligned faces are compared, given `aligned_size`."""
    paths = sorted({path for pair in pairs for path in pair})
    images = []
    for path in paths:
        try:
            images.append(_face(path, aligned_size))
        except ImageRejected as error:
            raise ValueError(f"{path}: {error}") from error
    embedding_of = dict(zip(paths, model.embed(images)))  # each image once, however many pairs hold it
    lines = []
    for path_a, path_b in pairs:
        similarity = float(embedding_of[path_a] @ embedding_of[path_b])
        decision = "same" if similarity >= model.threshold else "different"
        lines.append(f"{decision}\t{similarity:.4f}\t{model.threshold:.4f}\t{path_a}\t{path_b}")
    return lines


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m serving", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    embed = commands.add_parser("embed", help="embed every image under a folder into an .npz file")
    embed.add_argument("folder")
    embed.add_argument("output", help="the .npz file to write")
    compare = commands.add_parser("compare", help="same person or not, for two images or a file of pairs")
    compare.add_argument("images", nargs="*", metavar="IMAGE", help="two images (or none with --pairs)")
    compare.add_argument("--pairs", help="a file of image pairs, two paths per line")
    for command in (embed, compare):
        command.add_argument("--model", required=True,
                             help="a pushed version folder, or the model folder above it (newest version)")
        command.add_argument("--runtime", choices=RUNTIMES, default=AUTO,
                             help="what embeds: auto (default) is ONNX Runtime when the version holds model.onnx, "
                                  "without TensorFlow, else the SavedModel; or force one")
        add_align_arguments(command)
    quiet.add_flag(parser)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "compare" and (len(args.images) != 2) == (args.pairs is None):
        parser.error(f"compare: expected two images or --pairs FILE, got {len(args.images)} images"
                     f"{' and --pairs' if args.pairs else ''}")
    try:
        model = PushedModel(args.model, args.runtime)
        aligned_size = args.aligned_size if args.align else None
        if args.command == "embed":
            print(embed_folder(model, args.folder, args.output, aligned_size))
        else:
            pairs = _pairs_file(args.pairs) if args.pairs else [tuple(args.images)]
            print("\n".join(compare_pairs(model, pairs, aligned_size)))
    except (ValueError, OSError) as error:  # FileNotFoundError is an OSError
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
