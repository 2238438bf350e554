"""Face backbones by name: images -> unnormalised `num_features`-d embeddings."""

import functools

from arcface_module.backbones.iresnet import iresnet
from arcface_module.backbones.mobilefacenet import mobilefacenet
from arcface_module.backbones.tiny import tiny
from arcface_module.catalog import BACKBONES, FACE_SIZE, IRESNET_BLOCKS


def _builder(name):
    """The function that builds backbone `name`, one of `catalog.BACKBONES`."""
    if name == "mbf":
        return mobilefacenet
    if name in IRESNET_BLOCKS:
        return functools.partial(iresnet, name)
    return functools.partial(tiny, flatten=name == "tiny_flat")


def get_backbone(name, num_features=512, input_shape=(FACE_SIZE, FACE_SIZE, 3)):
    """Builds a face backbone by name: a Keras model from images to embeddings.

    "mbf" (MobileFaceNet), "r18", "r34", "r50", "r100" (IResNets) are InsightFace
    arcface_torch's architectures, with the same trainable parameter counts; "tiny" is a small
    CNN for tests and demos, "tiny_flat" the same with its last feature map flattened, not
    pooled. The output is the unnormalised embedding (InsightFace's `features`), float32 even
    under a mixed-precision policy; `embedding_model` adds the L2 normalisation.

    Args:
        name: one of `arcface_module.catalog.BACKBONES`.
        num_features: embedding size.
        input_shape: `(height, width, channels)` of the images, channels last.

    Example:

    >>> backbone = get_backbone("tiny", num_features=64, input_shape=(32, 32, 3))
    >>> backbone.output_shape
    (None, 64)
    """
    if name not in BACKBONES:
        raise ValueError(f"Unknown backbone {name!r}; expected one of {sorted(BACKBONES)}.")
    if not (isinstance(num_features, int) and num_features >= 1):
        raise ValueError(f"`num_features` must be an int >= 1; received {num_features!r}.")
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or not all(isinstance(d, int) and d >= 1 for d in input_shape):
        raise ValueError(
            "`input_shape` must be (height, width, channels) positive ints; "
            f"received {input_shape!r}."
        )
    return _builder(name)(num_features=num_features, input_shape=input_shape)
