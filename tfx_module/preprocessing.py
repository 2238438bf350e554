"""TFX Transform module: raw face records -> compact model-ready images and contiguous class ids.

Transform decodes, crops and resizes each face and stores it as a PNG of its 8-bit pixels (about
a sixth of float32 pixels, lossless); `model_images` is the one step after it, decoding those and
normalising `(x/255 - mean) / std` where the model reads them, in training (trainer/inputs.py) and
inside the exported SavedModel (trainer/export.py), which also holds the Transform graph. So an
image is preprocessed identically in both places.

Example (what the pipeline's Transform does with the `transform` and `data` config sections):

    transform = TransformConfig(image_size=112)
    data = DataConfig(input_base="faces/", image_feature="image", label_feature="label")
    outputs = preprocessing_fn({"image": [[png_bytes]], "label": [[7]]},
                               {"transform": transform.model_dump(mode="json"), "data": data.model_dump(mode="json")})
    outputs["image"]  # string [1]: a 112x112 RGB PNG
    outputs["label"]  # int64 [1]: the identity's class id, or UNSEEN_IDENTITY
    model_images(outputs["image"], transform)  # float32 [1, 112, 112, 3], in [-1, 1]
"""

import tensorflow as tf
import tensorflow_transform as tft

from configs.data import DataConfig
from configs.model import TransformConfig

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
    do (face_data/conversion/images.py); a GIF gives its first frame. JPEGs use the accurate integer DCT,
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


def preprocess_image(image_bytes, image_size, crop=None):
    """One encoded image -> uint8 [image_size, image_size, 3]: decoded, cropped, resized.

    Args:
        image_bytes: a scalar string tensor, the encoded file.
        image_size: side of the square output, in pixels.
        crop: None, or a dict with `top`, `left`, `height`, `width` (see `crop_fraction`).
    """
    image = decode_image(image_bytes)
    if crop is not None:
        image = crop_fraction(image, **crop)
    # Antialiasing keeps downscaled faces free of aliasing artefacts; it can overshoot [0, 255].
    image = tf.image.resize(image, [image_size, image_size], antialias=True)
    return tf.cast(tf.round(tf.clip_by_value(image, 0.0, 255.0)), tf.uint8)


def decode_pixels(encoded, image_size):
    """Transform's images, PNGs `[batch]` -> uint8 `[batch, image_size, image_size, 3]`."""
    shape = [image_size, image_size, 3]
    return tf.map_fn(
        lambda png: tf.ensure_shape(tf.io.decode_png(png, channels=3), shape),
        encoded,
        fn_output_signature=tf.TensorSpec(shape, tf.uint8),
    )


def normalize(pixels, mean, std):
    """8-bit pixels -> float32 `(x/255 - mean) / std`, with the config's `transform.normalize_mean` and
    `normalize_std` (configs/model.py defines them once; its defaults map [0, 255] to [-1, 1])."""
    return (tf.cast(pixels, tf.float32) / 255.0 - mean) / std


def model_images(encoded, transform):
    """What the model reads: Transform's images `[batch]` -> normalised float32 `[batch, size, size, 3]`.

    `transform` is the pipeline config's `transform` section (a `TransformConfig`). The one step between
    Transform and the backbone, in training and in the exported model alike.
    """
    pixels = decode_pixels(encoded, transform.image_size)
    return normalize(pixels, transform.normalize_mean, transform.normalize_std)


def _one_per_example(values: tf.Tensor, name: str) -> tf.Tensor:
    """[batch, 1] feature values (the schema's shape for records' single values) -> [batch]."""
    if isinstance(values, tf.SparseTensor) or values.shape.rank != 2 or values.shape[1] != 1:
        raise ValueError(
            f"feature '{name}': expected one value per example, a dense [batch, 1] tensor; "
            f"received {values!r}"
        )
    return tf.reshape(values, [-1])


def preprocessing_fn(inputs, custom_config):
    """`custom_config` holds the pipeline config's `transform` and `data` sections (as model_dump(mode="json") wrote them)."""
    transform = TransformConfig.model_validate(custom_config["transform"])
    data = DataConfig.model_validate(custom_config["data"])
    images = _one_per_example(inputs[data.image_feature], data.image_feature)
    size, crop = transform.image_size, transform.crop and transform.crop.model_dump()
    # Stored as PNGs of 8-bit pixels: lossless, and a fraction of the float32 pixels' bytes.
    pngs = tf.map_fn(
        lambda image_bytes: tf.io.encode_png(preprocess_image(image_bytes, size, crop)),
        images,
        fn_output_signature=tf.TensorSpec([], tf.string),
    )
    labels = _one_per_example(inputs[data.label_feature], data.label_feature)
    if labels.dtype != tf.string:
        labels = tf.strings.as_string(labels)
    # Analyzed on the train split only (the pipeline's splits_config), so eval people get the sentinel.
    class_ids = tft.compute_and_apply_vocabulary(
        labels, default_value=UNSEEN_IDENTITY, vocab_filename=IDENTITY_VOCABULARY
    )
    tft.vocabulary(labels, vocab_filename=IDENTITY_COUNTS, store_frequency=True)
    return {IMAGE_KEY: pngs, LABEL_KEY: class_ids}
