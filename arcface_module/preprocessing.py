"""TFX Transform module: raw face records -> model-ready images and contiguous class ids.

The same graph runs at training (Transform) and at serving (it is embedded in the exported
SavedModel), so an image is decoded, resized and normalised identically in both places.
"""

import tensorflow as tf
import tensorflow_transform as tft

# Name of the identity vocabulary; the Trainer reads its size as the number of classes.
IDENTITY_VOCABULARY = "identity"
# Class id of identities absent from the training split (eval people): never a real class.
UNSEEN_IDENTITY = -1
IMAGE_KEY = "image"
LABEL_KEY = "label"


def decode_image(image_bytes: tf.Tensor, image_size: int, mean: float, std: float) -> tf.Tensor:
    """One encoded image (JPEG/PNG/BMP/GIF, any channel count) -> float32 [size, size, 3]."""
    # channels=3 turns grayscale and RGBA into RGB; expand_animations=False keeps a GIF's first frame.
    image = tf.io.decode_image(image_bytes, channels=3, expand_animations=False)
    image = tf.image.resize(tf.cast(image, tf.float32), [image_size, image_size])
    return (image / 255.0 - mean) / std


def preprocessing_fn(inputs, custom_config):
    """`custom_config` holds the pipeline config's `transform` and `data` sections (as dicts)."""
    transform, data = custom_config["transform"], custom_config["data"]
    images = tf.reshape(inputs[data["image_feature"]], [-1])
    size = transform["image_size"]
    decoded = tf.map_fn(
        lambda b: decode_image(b, size, transform["normalize_mean"], transform["normalize_std"]),
        images,
        fn_output_signature=tf.TensorSpec([size, size, 3], tf.float32),
    )
    labels = tf.reshape(inputs[data["label_feature"]], [-1])
    if labels.dtype != tf.string:
        labels = tf.strings.as_string(labels)
    # Analyzed on the train split only (the pipeline's splits_config), so eval people get the sentinel.
    class_ids = tft.compute_and_apply_vocabulary(
        labels, default_value=UNSEEN_IDENTITY, vocab_filename=IDENTITY_VOCABULARY
    )
    return {IMAGE_KEY: decoded, LABEL_KEY: class_ids}
