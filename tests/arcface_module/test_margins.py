"""CombinedMargin and AdaFaceMargin against the NumPy references, at random angles and edges."""

import math

import keras
import numpy as np
import pytest

import margin_reference as ref
from arcface_module import AdaFaceMargin, CombinedMargin, get_margin

# (name, get_margin parameters, (m1, m2, m3, easy_margin)) covering every named margin.
MARGINS = [
    ("arcface", {}, (1.0, 0.5, 0.0, False)),
    ("arcface", {"margin": 0.5, "easy_margin": True}, (1.0, 0.5, 0.0, True)),
    ("cosface", {}, (1.0, 0.0, 0.4, False)),
    ("sphereface", {}, (1.35, 0.0, 0.0, False)),
    ("combined", {}, (1.0, 0.3, 0.2, False)),
    ("combined", {"m1": 0.9, "m2": 0.4, "m3": 0.15}, (0.9, 0.4, 0.15, False)),
]


def _angles(theta_max, seed=0):
    """Random angles plus the edges: 0, near 0, pi/2, near and at pi, and both sides of the
    fallback angle theta_max (at a distance: at theta_max itself the rule is discontinuous by
    design and float32 rounding of cos(theta) picks the branch)."""
    edges = [0.0, 1e-4, math.pi / 2, math.pi - 1e-4, math.pi]
    if theta_max < math.pi:
        edges += [theta_max - 1e-3, theta_max + 1e-3, (theta_max + math.pi) / 2]
    random = np.random.default_rng(seed).uniform(0, math.pi, 2000)
    return np.concatenate([edges, random])


def _run(layer, cosine, **kwargs):
    return keras.ops.convert_to_numpy(layer(cosine, **kwargs)).astype(np.float64)


@pytest.mark.parametrize("name, params, combined", MARGINS)
def test_combined_margin_matches_reference(name, params, combined):
    m1, m2, m3, easy_margin = combined
    cosine = np.cos(_angles((math.pi - m2) / m1)).astype("float32")
    got = _run(get_margin(name, **params), cosine)
    want = ref.combined_margin(cosine.astype(np.float64), m1, m2, m3, easy_margin)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


@pytest.mark.parametrize("easy_margin", [False, True])
@pytest.mark.parametrize("margin", [0.3, 0.5])
def test_arcface_matches_insightface_formula(margin, easy_margin):
    cosine = np.cos(_angles(math.pi - margin, seed=1)).astype("float32")
    got = _run(CombinedMargin(m2=margin, easy_margin=easy_margin), cosine)
    want = ref.insightface_arcface(cosine.astype(np.float64), margin, easy_margin)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


def test_arcface_fallback_past_pi_minus_m_is_insightface_th_mm():
    # theta + m > pi: cos(theta + m) would rise again; InsightFace uses cos(theta) - m sin(m).
    theta = np.array([math.pi - 0.4, math.pi - 0.1], "float64")
    got = _run(CombinedMargin(m2=0.5), np.cos(theta).astype("float32"))
    np.testing.assert_allclose(got, np.cos(theta) - 0.5 * math.sin(0.5), atol=1e-6)
    assert got[1] < got[0]  # still decreasing with theta


def test_margins_without_fallback_region_use_the_formula_up_to_pi():
    # CosFace: theta_max = pi, so the formula holds on all of [0, pi].
    theta = np.linspace(0, math.pi, 50)
    got = _run(CombinedMargin(m3=0.35), np.cos(theta).astype("float32"))
    np.testing.assert_allclose(got, np.cos(theta) - 0.35, atol=1e-6)


@pytest.mark.parametrize("name, params, combined", MARGINS)
def test_gradient_is_finite_at_cos_plus_minus_one(name, params, combined, value_and_gradient):
    margin = get_margin(name, **params)
    cosine = np.array([1.0, -1.0, 0.999999, -0.999999, 0.0, 0.5], "float32")
    _, gradient = value_and_gradient(lambda c: keras.ops.sum(margin(c)), cosine)
    assert np.all(np.isfinite(gradient)), gradient


def _adaface_inputs(seed, batch=64):
    rng = np.random.default_rng(seed)
    cosine = np.cos(rng.uniform(0, math.pi, batch))
    cosine[:4] = [1.0, -1.0, 0.9995, -0.9995]  # inside AdaFace's 1e-3 clamp
    norms = rng.uniform(1.0, 60.0, batch)
    norms[:2] = [0.0, 500.0]  # outside AdaFace's [0.001, 100] clip
    return cosine.astype("float32"), norms.astype("float32")


def test_adaface_matches_reference_over_training_and_inference_steps():
    layer = AdaFaceMargin(margin=0.4, concentration=0.333, momentum=0.99)
    mean, std = 20.0, 100.0  # the reference's initial statistics
    for step, training in enumerate([True, True, False, True]):
        cosine, norms = _adaface_inputs(step)
        got = _run(layer, cosine, feature_norms=norms, training=training)
        want, mean, std = ref.adaface(
            cosine.astype(np.float64), norms.astype(np.float64), mean, std, training=training
        )
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
        np.testing.assert_allclose(float(layer.norm_mean), mean, rtol=1e-5)
        np.testing.assert_allclose(float(layer.norm_std), std, rtol=1e-5)


def test_adaface_gradient_is_finite_and_ignores_the_norms(value_and_gradient):
    layer = AdaFaceMargin()
    cosine, norms = _adaface_inputs(0)
    _, gradient = value_and_gradient(
        lambda c: keras.ops.sum(layer(c, feature_norms=norms, training=True)), cosine
    )
    assert np.all(np.isfinite(gradient))
    _, norm_gradient = value_and_gradient(
        lambda n: keras.ops.sum(layer(cosine, feature_norms=n, training=True)), norms
    )
    np.testing.assert_array_equal(norm_gradient, 0.0)


def test_adaface_without_norms_says_what_it_needs():
    with pytest.raises(ValueError, match="feature_norms"):
        AdaFaceMargin()(np.zeros(3, "float32"))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"m1": 0.0}, "`m1` must be > 0; received m1=0.0"),
        ({"m2": -0.1}, r"`m2` must be in \[0, pi\); received m2=-0.1"),
        ({"m3": -0.2}, "`m3` must be >= 0; received m3=-0.2"),
        ({"m1": 2.5, "easy_margin": True}, "easy_margin=True.*received m1=2.5, m2=0.0"),
    ],
)
def test_combined_margin_rejects_bad_margins(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CombinedMargin(**kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"margin": 0.0}, "`margin` must be > 0"),
        ({"concentration": -1.0}, "`concentration` must be > 0"),
        ({"momentum": 1.0}, r"`momentum` must be in \[0, 1\)"),
    ],
)
def test_adaface_margin_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AdaFaceMargin(**kwargs)


def test_get_margin_names_the_unknown_margin_or_parameter():
    with pytest.raises(ValueError, match=r"Unknown margin 'magface'; expected one of \['adaface'"):
        get_margin("magface")
    with pytest.raises(ValueError, match=r"Unknown parameter\(s\) \['m2'\] for margin 'cosface'"):
        get_margin("cosface", m2=0.5)


def test_get_margin_defaults():
    assert get_margin("arcface").get_config()["m2"] == 0.5
    assert get_margin("cosface").get_config()["m3"] == 0.4
    assert get_margin("sphereface").get_config()["m1"] == 1.35
    combined = get_margin("combined").get_config()
    assert (combined["m1"], combined["m2"], combined["m3"]) == (1.0, 0.3, 0.2)
    adaface = get_margin("adaface").get_config()
    assert (adaface["margin"], adaface["concentration"], adaface["momentum"]) == (0.4, 0.333, 0.99)
