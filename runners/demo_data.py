"""The explicit step before a local run: the demo's synthetic faces, drawn if configured and absent.

    python -m runners.demo_data --config configs/local.yaml

The local runners and the tfx CLI's pipeline file call `prepare` before they check the inputs and
build the pipeline; building the pipeline writes nothing.
"""

import argparse
import shutil

from configs import ConfigError, PipelineConfig, load_config
from configs.base import is_remote
from console import quiet

# TensorFlow loads in seconds (to write records, and in `inputs`): the functions that need it import
# those modules, so that --help answers at once.


def prepare(config: PipelineConfig) -> None:
    """Generates the synthetic face set into `data.input_base` when configured and absent, and the
    gallery's synthetic people into `pusher.gallery.photos` and `.probes` when configured and absent.

    It is written beside the target and renamed into place when complete, so an interrupted
    generation is redone on the next run instead of leaving a partial dataset that looks whole.
    """
    from face_data.records.features import FaceFeatures
    from face_data.synthetic.face_set import write_synthetic_faces
    from runners import inputs

    _prepare_gallery(config)
    data = config.data
    if is_remote(data.input_base) or data.input_base.exists():
        return
    inputs.refuse_missing_input(config)
    partial = data.input_base.with_name(data.input_base.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    write_synthetic_faces(
        str(partial),
        num_identities=data.synthetic.num_identities,
        images_per_identity=data.synthetic.images_per_identity,
        image_size=data.synthetic.image_size,
        seed=data.synthetic.seed,
        features=FaceFeatures(image=data.image_feature, label=data.label_feature),
    )
    partial.rename(data.input_base)


def _prepare_gallery(config: PipelineConfig) -> None:
    """The demo gallery's people: enrolled ones (their first photos in `photos`, the next ones in `probes`) and
    strangers (in `probes` only), of identities no training set holds."""
    from face_data.synthetic.face_set import write_synthetic_photos

    gallery = config.pusher.gallery
    if gallery is None or gallery.synthetic is None:
        return
    people, seed = gallery.synthetic, config.data.synthetic.seed if config.data.synthetic else 0
    size = config.data.synthetic.image_size if config.data.synthetic else config.transform.image_size
    enrolled = {f"enrolled-{number + 1:02d}": people.first_identity + number for number in range(people.people)}
    strangers = {f"stranger-{number + 1:02d}": people.first_identity + people.people + number
                 for number in range(people.strangers)}
    probes = range(people.photos_per_person, people.photos_per_person + people.probes_per_person)
    # Each folder drawn if missing (the drawing is deterministic): a run killed between the two draws the other.
    for folder, who, images in ((gallery.photos, enrolled, range(people.photos_per_person)),
                                (gallery.probes, {**enrolled, **strangers}, probes)):
        if not (is_remote(folder) or folder.exists()):
            write_synthetic_photos(folder, who, images, seed, size)


def main(argv=None):
    quiet.start()  # before TensorFlow loads: its start-up lines are hidden unless --verbose
    parser = argparse.ArgumentParser(prog="python -m runners.demo_data", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/local.yaml", help="pipeline config (YAML)")
    quiet.add_flag(parser)
    args = parser.parse_args(argv)
    from runners import inputs

    try:
        config = load_config(args.config)
        prepare(config)
    except (ConfigError, inputs.InputDataError) as refused:
        parser.exit(1, f"{parser.prog}: error: {refused}\n")
    print(f"input data: {config.data.input_base}")


if __name__ == "__main__":
    main()
