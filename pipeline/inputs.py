"""Makes sure the pipeline's input data exists before a local run starts."""

import shutil

from components.face_data.records import FaceFeatures
from components.face_data.synthetic import write_synthetic_faces
from configs import PipelineConfig
from configs.base import is_remote


def ensure_input_data(config: PipelineConfig) -> None:
    """Generates the synthetic face set into `data.input_base` when configured and absent.

    It is written beside the target and renamed into place when complete, so an interrupted
    generation is redone on the next run instead of leaving a partial dataset that looks whole.
    """
    data = config.data
    if is_remote(data.input_base) or data.input_base.exists():
        return
    if data.synthetic is None:
        raise FileNotFoundError(
            f"data.input_base: {data.input_base} does not exist; convert your faces there "
            "(README.md, 'Bring your own faces') or configure data.synthetic"
        )
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
