from arcface_module.catalog import MARGIN_DEFAULTS, MARGINS
from arcface_module.layers.adaface_margin import AdaFaceMargin
from arcface_module.layers.combined_margin import CombinedMargin


def _build(name, params):
    """The margin layer `name` with every one of its parameters given."""
    if name == "arcface":
        return CombinedMargin(m2=params["margin"], easy_margin=params["easy_margin"])
    if name == "cosface":
        return CombinedMargin(m3=params["margin"])
    if name == "sphereface":
        return CombinedMargin(m1=params["margin"])
    if name == "combined":
        return CombinedMargin(**params)
    return AdaFaceMargin(**params)


def get_margin(name, **params):
    """Builds a margin layer by name, one of `arcface_module.catalog.MARGINS`.

    Parameters by name (their defaults: `arcface_module.catalog.MARGIN_DEFAULTS`):
    - "arcface": `margin` (m2 in radians), `easy_margin`;
    - "cosface": `margin` (m3);
    - "sphereface": `margin` (m1);
    - "combined": `m1`, `m2`, `m3`, `easy_margin`;
    - "adaface": `margin`, `concentration`, `momentum`.

    Example:

    >>> get_margin("combined", m1=0.9, m2=0.4, m3=0.15).get_config()["m3"]
    0.15
    """
    if name not in MARGIN_DEFAULTS:
        raise ValueError(f"Unknown margin {name!r}; expected one of {sorted(MARGINS)}.")
    accepted = MARGIN_DEFAULTS[name]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(
            f"Unknown parameter(s) {unknown} for margin {name!r}; "
            f"expected some of {list(accepted)}."
        )
    return _build(name, {**accepted, **params})
