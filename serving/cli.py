"""Command line of a pushed model: embed a folder of images, compare faces, or identify them in a gallery.

    python -m serving embed FOLDER OUTPUT.npz --model MODEL [--align]
    python -m serving compare IMAGE_A IMAGE_B --model MODEL [--align]
    python -m serving compare --pairs PAIRS.tsv --model MODEL [--align]
    python -m serving enrol|identify|remove|list|check ...   (a gallery of people: serving/gallery_commands.py)

MODEL is a pushed version folder (`<serving_dir>/<model_name>/<version>`) or the model folder
above it, whose newest version is used, as TF Serving does. `--runtime` picks what embeds: by
default ONNX Runtime when the version holds model.onnx (no TensorFlow is imported), else the
SavedModel; `--runtime saved_model` forces the SavedModel, `tflite` etc. a TFLite file.

`embed` writes an .npz holding `embeddings` [N, dim] (float32, L2-normalised), `paths` [N] (relative
to FOLDER, sorted) and `model` (the version folder used). Every file under FOLDER is tried;
those that are not images (or cannot be read: a dangling link, a link loop, a pipe) are skipped
and counted, by reason with a few named, in the summary it prints, as the converters do; progress
goes to stderr every few seconds (not with --quiet). An OUTPUT that cannot be written is refused
before anything is embedded.

`compare` prints one tab-separated line per pair: `same` or `different` (same person iff the
similarity >= the threshold shipped with the model), the cosine similarity, the threshold, and
the two paths. A pairs file has two image paths per line, tab-separated (or space-separated
when they hold no spaces).

With `--align` the images are raw photos: each is turned upright by its EXIF orientation, its face
found and aligned exactly as `python -m face_data folder --align` stores it for training (so a
photo embeds like its aligned crop); a photo without a face is skipped (`embed`) or refused
(`compare`), one with several keeps the largest, most central face (counted, with a few named, in
one line). Without it the images should be face crops; they are still turned upright. The face
detector (MTCNN) runs on TensorFlow, so `--align` imports it whatever the runtime; `compare`
checks every image before loading the model or the detector.

Images whose header claims more than --max-pixels pixels are refused (default 8192*4096, which
takes a 24 MP photo; a phone's 48-50 MP photo needs `--max-pixels 50000000`).

Exit status (console/errors.py): 0 on success, 1 when an input cannot be used (one line says which
and why), 2 for a usage error, 130 when interrupted (Ctrl-C; one line).
"""

import argparse
import contextlib
import os
import sys
from typing import Dict, List, Optional, Tuple

import numpy as np

from console import errors, quiet
from face_data.conversion.files import not_a_file
from face_data.conversion.image_folder import FolderImage, read_folder_images
from face_data.conversion.images import MAX_PIXELS, ImageRejected, add_max_pixels_argument, check_image
from face_data.alignment.photos import add_align_arguments, align_photo
from face_data.conversion.progress import Progress
from face_data.conversion.summary import Skipped, noticed_lines, skipped_lines
from serving.pushed_model import AUTO, RUNTIMES, PushedModel

IMAGES_PER_CHUNK = 1024
PROG = "python -m serving"


def _folder_files(folder: str) -> List[str]:
    if not os.path.isdir(folder):
        raise ValueError(f"{folder}: expected a folder of images, but it is not a folder")
    return sorted(os.path.relpath(os.path.join(root, name), folder)
                  for root, _, names in os.walk(folder) for name in names)


def _outcome(folder: str, path: str, max_pixels: int, aligned_size: Optional[int]):
    """What the converters make of one file (`image_folder.read_folder_images`): Converted or Skipped."""
    full = os.path.join(folder, path)
    why = not_a_file(full)  # a FIFO would block the read for ever, a dangling link or a loop fail it
    if why is not None:
        return Skipped(path, "not a regular file", why)
    (outcome,) = read_folder_images([FolderImage(full, path, 0)], max_pixels, aligned_size)
    return outcome


def _check_output(output: str) -> None:
    if not output.endswith(".npz"):
        raise ValueError(f"{output}: expected an output file name ending in .npz")
    if os.path.isdir(output):
        raise ValueError(f"{output}: expected an .npz file name, but it is a folder")


@contextlib.contextmanager
def _output_file(output: str):
    """A file open for writing beside `output`, renamed to it if the block succeeds, else removed.

    Opened before any image is embedded, so an output that cannot be written fails at once.
    """
    _check_output(output)
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


def embed_folder(model: PushedModel, folder: str, output: str, aligned_size: Optional[int] = None,
                 max_pixels: int = MAX_PIXELS, show_progress: bool = True) -> str:
    """Embeds every image under `folder` (their aligned faces, given `aligned_size`) into `output` (.npz);
    returns a summary: one line, then one per kind of file skipped and of photo with several faces."""
    files = _folder_files(folder)
    with _output_file(output) as file:
        paths, embeddings, chunk, skipped, noticed = [], [], [], [], []
        progress = Progress(len(files), "images", enabled=show_progress)
        for path in files:
            outcome = _outcome(folder, path, max_pixels, aligned_size)
            if isinstance(outcome, Skipped):
                skipped.append(outcome)
            else:
                paths.append(path)
                chunk.append(outcome.image)
                noticed += outcome.notices
            if len(chunk) == IMAGES_PER_CHUNK:  # bounded memory, however big the folder
                embeddings.append(model.embed(chunk))
                chunk = []
            progress.advance(1, int(isinstance(outcome, Skipped)))
        if chunk:
            embeddings.append(model.embed(chunk))
        progress.finish()
        if not paths:
            raise ValueError(f"{folder}: expected images, found none that decode"
                             + "".join(f"\n{line}" for line in skipped_lines(skipped)))
        embeddings = np.concatenate(embeddings)
        np.savez(file, embeddings=embeddings, paths=np.array(paths), model=np.array(model.path))
    return "\n".join([f"{len(paths)} images embedded ({embeddings.shape[1]} dimensions) into {output}, "
                      f"{len(skipped)} skipped", *skipped_lines(skipped), *noticed_lines(noticed)])


def _pairs_file(path: str) -> List[Tuple[str, str]]:
    why = not_a_file(path)
    if why is not None:
        raise ValueError(f"{path}: expected a text file of image pairs, got {why}")
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: expected a text file of image pairs (UTF-8), got binary data "
                         f"(byte {error.start}: {error.object[error.start:error.start + 1]!r})") from None
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if "\x00" in line:
            raise ValueError(f"{path} line {number}: expected two image paths, got binary data (a NUL byte)")
        fields = line.split("\t") if "\t" in line else line.split()
        if len(fields) != 2:
            raise ValueError(f"{path} line {number}: expected two image paths, got {len(fields)} fields")
        pairs.append((fields[0], fields[1]))
    if not pairs:
        raise ValueError(f"{path}: expected lines of two image paths, found none")
    return pairs


def checked_images(paths, max_pixels: int = MAX_PIXELS) -> Dict[str, bytes]:
    """Each image file read and checked (upright, decodable, within `max_pixels`); ValueError naming the
    first that cannot be used. Cheap: done before the model or the detector loads."""
    images = {}
    for path in sorted(set(paths)):
        why = not_a_file(path)
        if why is not None:
            raise ValueError(f"{path}: expected an image file, got {why}")
        with open(path, "rb") as file:
            data = file.read()
        try:
            images[path] = check_image(data, max_pixels).data
        except ImageRejected as error:
            raise ValueError(f"{path}: {error}") from None
    return images


def faces(images: Dict[str, bytes], paths: List[str], aligned_size: Optional[int] = None,
          max_pixels: int = MAX_PIXELS) -> List[bytes]:
    """The checked images of `paths` as the model takes them: as they are, or their faces aligned to
    `aligned_size` (ValueError naming a photo without a face; several faces said on stderr)."""
    if not aligned_size:
        return [images[path] for path in paths]
    aligned_faces, noticed = [], []
    for path in paths:
        try:
            aligned = align_photo(images[path], aligned_size, max_pixels)
        except ImageRejected as error:
            raise ValueError(f"{path}: {error}") from None
        aligned_faces.append(aligned.data)
        noticed += aligned.notices(path)
    for line in noticed_lines(noticed):
        print(line.strip(), file=sys.stderr)
    return aligned_faces


def compare_pairs(model: PushedModel, pairs: List[Tuple[str, str]], aligned_size: Optional[int] = None,
                  max_pixels: int = MAX_PIXELS, images: Optional[Dict[str, bytes]] = None) -> List[str]:
    """One line per pair: decision, similarity, threshold, the two paths (tab-separated); the photos'
    aligned faces are compared, given `aligned_size`. `images` are `checked_images` of the pairs', if
    already read."""
    images = images if images is not None else checked_images([path for pair in pairs for path in pair], max_pixels)
    paths = sorted(images)
    embedding_of = dict(zip(paths, model.embed(faces(images, paths, aligned_size, max_pixels))))  # each image once
    lines = []
    for path_a, path_b in pairs:
        similarity = float(embedding_of[path_a] @ embedding_of[path_b])
        decision = "same" if similarity >= model.threshold else "different"
        lines.append(f"{decision}\t{similarity:.4f}\t{model.threshold:.4f}\t{path_a}\t{path_b}")
    return lines


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    embed = commands.add_parser("embed", help="embed every image under a folder into an .npz file")
    embed.add_argument("folder")
    embed.add_argument("output", help="the .npz file to write")
    embed.add_argument("--quiet", action="store_true", help="no progress lines")
    compare = commands.add_parser("compare", help="same person or not, for two images or a file of pairs")
    compare.add_argument("images", nargs="*", metavar="IMAGE", help="two images (or none with --pairs)")
    compare.add_argument("--pairs", help="a file of image pairs, two paths per line")
    enrol = commands.add_parser("enrol", help="add the photos of a folder of <person>/<photos> to a gallery")
    enrol.add_argument("folder")
    identify = commands.add_parser("identify", help="who is this? each photo's most similar enrolled people")
    identify.add_argument("photos", nargs="+", metavar="PHOTO")
    identify.add_argument("-k", type=int, default=5, help="how many of the most similar people to print (default 5)")
    identify.add_argument("--threshold", type=float,
                          help="answer 'unknown' below this similarity (default: the version's identification.json)")
    remove = commands.add_parser("remove", help="remove people (all their photos) from a gallery")
    remove.add_argument("people", nargs="+", metavar="PERSON")
    list_ = commands.add_parser("list", help="the people of a gallery and the model it was built with")
    check = commands.add_parser("check", help="measure a large gallery's index on its own photos (recall@1 against "
                                              "exact search) and keep the search list that reaches the target")
    for command in (enrol, remove, list_, check):
        command.add_argument("--gallery", required=True, help="the gallery folder")
    identify.add_argument("--gallery", help="the gallery folder (default: the one pushed in the model's version)")
    for command in (embed, compare, enrol, identify):
        command.add_argument("--model", required=True,
                             help="a pushed version folder, or the model folder above it (newest version)")
        command.add_argument("--runtime", choices=RUNTIMES, default=AUTO,
                             help="what embeds: auto (default) is ONNX Runtime when the version holds model.onnx, "
                                  "without TensorFlow, else the SavedModel; or force one")
        add_align_arguments(command)
        add_max_pixels_argument(command)
    quiet.add_flag(parser)
    return parser


def _gallery_command(args) -> str:
    from serving import gallery_commands  # it builds on this module's image reading

    aligned_size = args.aligned_size if getattr(args, "align", False) else None
    if args.command == "enrol":
        return gallery_commands.enrol_folder(args.folder, args.gallery, args.model, args.runtime, aligned_size,
                                             args.max_pixels)
    if args.command == "identify":
        return "\n".join(gallery_commands.identify_photos(args.photos, args.model, args.runtime, args.gallery,
                                                          args.k, args.threshold, aligned_size, args.max_pixels))
    if args.command == "remove":
        return gallery_commands.remove_people(args.gallery, args.people)
    if args.command == "check":
        return gallery_commands.check_gallery(args.gallery)
    return "\n".join(gallery_commands.list_gallery(args.gallery))


def _command(args) -> None:
    if args.command in ("enrol", "identify", "remove", "list", "check"):
        print(_gallery_command(args))
        return
    aligned_size = args.aligned_size if args.align else None
    if args.command == "embed":
        _folder_files(args.folder)  # refused before the model loads
        _check_output(args.output)
        model = PushedModel(args.model, args.runtime, args.max_pixels)
        print(embed_folder(model, args.folder, args.output, aligned_size, args.max_pixels, not args.quiet))
        return
    pairs = _pairs_file(args.pairs) if args.pairs else [tuple(args.images)]
    images = checked_images([path for pair in pairs for path in pair], args.max_pixels)  # before any model
    model = PushedModel(args.model, args.runtime, args.max_pixels)
    print("\n".join(compare_pairs(model, pairs, aligned_size, args.max_pixels, images)))


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "compare" and (len(args.images) != 2) == (args.pairs is None):
        parser.error(f"compare: expected two images or --pairs FILE, got {len(args.images)} images"
                     f"{' and --pairs' if args.pairs else ''}")
    return errors.run(PROG, lambda: _command(args))
