import inspect

from arcface_module.layers.adaface_margin import AdaFaceMargin
from arcface_module.layers.combined_margin import CombinedMargin


def _arcface(margin=0.5, easy_margin=False):
    return CombinedMargin(m2=margin, easy_margin=easy_margin)


def _cosface(margin=0.4):
    return CombinedMargin(m3=margin)


def _sphereface(margin=1.35):
    return CombinedMargin(m1=margin)


def _combined(m1=1.0, m2=0.3, m3=0.2, easy_margin=False):
    return CombinedMargin(m1=m1, m2=m2, m3=m3, easy_margin=easy_margin)


def _adaface(margin=0.4, concentration=0.333, momentum=0.99):
    return AdaFaceMargin(margin=margin, concentration=concentration, momentum=momentum)


# Defaults: ArcFace m=0.5, CosFace m=0.4 (InsightFace's), SphereFace m=1.35 and the combined
# (1.0, 0.3, 0.2) as in the ArcFace paper's comparisons, AdaFace's paper values.
_MARGINS = {
    "arcface": _arcface,
    "cosface": _cosface,
    "sphereface": _sphereface,
    "combined": _combined,
    "adaface": _adaface,
}


def get_margin(name, **params):
    """Builds a margin layer by name: "arcface", "cosface", "sphereface", "combined", "adaface".

    Parameters by name (defaults in brackets):
    - "arcface": `margin` [0.5] (m2 in radians), `easy_margin` [False];
    - "cosface": `margin` [0.4] (m3);
    - "sphereface": `margin` [1.35] (m1);
    - "combined": `m1` [1.0], `m2` [0.3], `m3` [0.2], `easy_margin` [False];
    - "adaface": `margin` [0.4], `concentration` [0.333], `momentum` [0.99].

    Example:

    >>> get_margin("combined", m1=0.9, m2=0.4, m3=0.15).get_config()["m3"]
    0.15
    """
    if name not in _MARGINS:
        raise ValueError(f"Unknown margin {name!r}; expected one of {sorted(_MARGINS)}.")
    accepted = inspect.signature(_MARGINS[name]).parameters
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(
            f"Unknown parameter(s) {unknown} for margin {name!r}; "
            f"expected some of {list(accepted)}."
        )
    return _MARGINS[name](**params)
