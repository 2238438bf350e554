"""TFX Transform module: raw face records -> model-ready images and contiguous class ids.

The same graph runs at training (Transform) and at serving (it is embedded in the exported
SavedModel), so an image is decoded, cropped, resized and normalised identically in both places.

Example (what the pipeline's Transform does with the `transform` and `data` config sections):

    outputs = preprocessing_fn(
        {"image": [[png_bytes]], "label": [[7]]},
        {"transform": {"image_size": 112, "crop": None, "normalize_mean": 0.5, "normalize_std": 0.5},
         "data": {"image_feature": "image", "label_feature": "label"}},
    )
    outputs["image"]  # float32 [1, 112, 112, 3], in [-1, 1]
    outputs["label"]  # int64 [1]: the identity's class id, or UNSEEN_IDENTITY
"""

import tensorflow as tf
import tensorflow_transform as tft

# Vocabulary of the training identities: a label's line number is its class id.
IDENTITY_VOCABULARY = "identity"
# The same identities with their image counts ("count label" lines): the size of an epoch.
IDENTITY_COUNTS = "identity_counts"
# Class id of identities absent from the training split (eval people): never a real class.
UNSEEN_IDENTITY = -1
IMAGE_KEY = "image"
LABEL_KEY = "label"


def decode_image(image_bytes: tf.Tensor) -> tf.Tensor:
    """One encoded JPEG, PNG, BMP or GIF (grayscale, RGB or RGBA) -> uint8 [height, width, 3].

    Grayscale is repeated into the three channels and alpha is dropped, as the data converters
    do (face_data/images.py); a GIF gives its first frame. JPEGs use the accurate integer DCT,
    as Pillow and OpenCV do: TensorFlow's default fast DCT differs from them by up to 5 levels,
    and the TF-free serving path (serving/preprocessing.py) decodes with Pillow.
    """
    return tf.cond(
        tf.io.is_jpeg(image_bytes),
        lambda: tf.io.decode_jpeg(image_bytes, channels=3, dct_method="INTEGER_ACCURATE"),
        lambda: tf.io.decode_image(image_bytes, channels=3, expand_animations=False),
    )


def crop_fraction(image: tf.Tensor, top: float, left: float, height: float, width: float) -> tf.Tensor:
    """Crops a box given in fractions of the image's height and width (at least one pixel).

    Example:
        crop_fraction(image_100x80, top=0.1, left=0.25, height=0.5, width=0.5)  # rows 10-59, columns 20-59
    """
    size = tf.cast(tf.shape(image)[:2], tf.float32)
    first = tf.cast(tf.round(size * [top, left]), tf.int32)
    extent = tf.maximum(tf.cast(tf.round(size * [height, width]), tf.int32), 1)
    last = tf.minimum(first + extent, tf.shape(image)[:2])
    return image[first[0] : last[0], first[1] : last[1]]


def preprocess_image(image_bytes, image_size, crop=None, normalize_mean=0.5, normalize_std=0.5):
    """One encoded image -> float32 [image_size, image_size, 3], normalised `(x/255 - mean) / std`.

    Args:
        image_bytes: a scalar string tensor, the encoded file.
        image_size: side of the square output, in pixels.
        crop: None, or a dict with `top`, `left`, `height`, `width` (see `crop_fraction`).
        normalize_mean, normalize_std: the normalisation; the defaults map [0, 255] to [-1, 1].
    """
    image = decode_image(image_bytes)
    if crop is not None:
        image = crop_fraction(image, **crop)
    # Antialiasing keeps downscaled faces free of aliasing artefacts.
    image = tf.image.resize(image, [image_size, image_size], antialias=True)
    return (image / 255.0 - normalize_mean) / normalize_std


def _one_per_example(values: tf.Tensor, name: str) -> tf.Tensor:
    """[batch, 1] feature values (the schema's shape for records' single values) -> [batch]."""
    if isinstance(values, tf.SparseTensor) or values.shape.rank != 2 or values.shape[1] != 1:
        raise ValueError(
            f"feature '{name}': expected one value per example, a dense [batch, 1] tensor; "
            f"received {values!r}"
        )
    return tf.reshape(values, [-1])


def preprocessing_fn(inputs, custom_config):
    """`custom_config` holds the pipeline config's `transform` and `data` sections (as dicts)."""
    transform, data = custom_config["transform"], custom_config["data"]
    images = _one_per_example(inputs[data["image_feature"]], data["image_feature"])
    size = transform["image_size"]
    pixels = tf.map_fn(
        lambda image_bytes: preprocess_image(
            image_bytes,
            size,
            transform["crop"],
            transform["normalize_mean"],
            transform["normalize_std"],
        ),
        images,
        fn_output_signature=tf.TensorSpec([size, size, 3], tf.float32),
    )
    labels = _one_per_example(inputs[data["label_feature"]], data["label_feature"])
    if labels.dtype != tf.string:
        labels = tf.strings.as_string(labels)
    # Analyzed on the train split only (the pipeline's splits_config), so eval people get the sentinel.
    class_ids = tft.compute_and_apply_vocabulary(
        labels, default_value=UNSEEN_IDENTITY, vocab_filename=IDENTITY_VOCABULARY
    )
    tft.vocabulary(labels, vocab_filename=IDENTITY_COUNTS, store_frequency=True)
    return {IMAGE_KEY: pixels, LABEL_KEY: class_ids}
