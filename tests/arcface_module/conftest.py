import keras
import numpy as np
import pytest


def _value_and_gradient(fn, x):
    """`fn(x)` (a scalar) and its gradient with respect to the array `x`, with Keras' backend."""
    x = np.asarray(x, dtype="float32")
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.Variable(x)
        with tf.GradientTape() as tape:
            y = fn(x)
        gradient = tape.gradient(y, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return float(y), gradient.numpy()
    if backend == "jax":
        import jax

        y, gradient = jax.value_and_grad(fn)(x)
        return float(y), np.asarray(gradient)
    raise NotImplementedError(f"no gradient helper for the {backend!r} backend")


@pytest.fixture
def value_and_gradient():
    """A function `(fn, x) -> (fn(x), d fn / d x)` for the active Keras backend."""
    return _value_and_gradient


@pytest.fixture
def mixed_float16():
    """Runs a test under the mixed_float16 policy, then restores the previous policy."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy(previous)
