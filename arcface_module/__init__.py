"""ArcFace for Keras 3: margin heads and losses, Partial FC, face backbones.

Imports only keras, tensorflow and numpy, and those only when a name below is first used
(PEP 562): `arcface_module.catalog`, the names and defaults, loads no TensorFlow. The pipeline's
TFX module functions are in `tfx_module/`, outside the library. Loading a saved `.keras` model
needs the library's layers registered: use any name below first, or `import arcface_module.layers`.
"""

import importlib

# Public name -> the module that defines it.
_EXPORTS = {
    "AdaFaceMargin": "arcface_module.layers",
    "ArcFaceLayer": "arcface_module.layers",
    "CombinedMargin": "arcface_module.layers",
    "MarginHead": "arcface_module.layers",
    "get_margin": "arcface_module.layers",
    "ArcFaceLoss": "arcface_module.losses",
    "MarginLoss": "arcface_module.losses",
    "get_backbone": "arcface_module.backbones",
    "embedding_model": "arcface_module.models",
    "training_model": "arcface_module.models",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'arcface_module' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
