"""Small, fast CNNs for tests and demos on CPUs."""

import keras

from arcface_module.backbones.blocks import batch_norm, conv, prelu


def tiny(num_features, input_shape, flatten=False):
    """Builds "tiny": four stride-2 Conv-BN-PReLU blocks (16 to 128 filters), global average
    pooling, then a float32 fully connected layer and BatchNorm like the IResNet embedding.

    Any input of at least 16x16 pixels works; 32x32 trains a toy problem in seconds on 2 CPUs.

    `flatten=True` builds "tiny_flat": IResNet's output layer (BatchNorm, flatten) instead of the
    pooling, so the fully connected layer sees where on the face each feature is, as face
    geometry (eye spacing, feature heights) needs. Its fully connected layer grows with the
    input: `128 * ceil(height / 16) * ceil(width / 16) * num_features` weights.
    """
    if min(input_shape[:2]) < 16:
        raise ValueError(
            "tiny needs inputs of at least 16x16 pixels; "
            f"received input_shape={tuple(input_shape)}."
        )
    images = keras.Input(input_shape, name="images")
    x = images
    for block, filters in enumerate((16, 32, 64, 128)):
        x = conv(x, filters, 3, f"block{block}_conv", strides=2)
        x = batch_norm(f"block{block}_bn")(x)
        x = prelu(f"block{block}_prelu")(x)
    if flatten:
        x = batch_norm("output_bn")(x)
        x = keras.layers.Flatten(name="flatten")(x)
    else:
        x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dense(num_features, dtype="float32", name="fc")(x)
    embeddings = batch_norm("features", "float32")(x)
    return keras.Model(images, embeddings, name="tiny_flat" if flatten else "tiny")
