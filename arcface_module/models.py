"""Models assembled from a backbone: the serving embedding model and the training model."""

import keras
from keras import ops


def embedding_model(backbone, flip_test=False):
    """The serving model: `backbone` followed by L2 normalisation, with no label input.

    Its output is float32 unit-norm embeddings, whatever the dtype policy; the cosine similarity
    of two faces is the dot product of their embeddings. The backbone's weights are shared,
    not copied: build this after training (or before; it follows the backbone).

    Args:
        backbone: a single-input Keras model from images to (unnormalised) embeddings, e.g.
            from `get_backbone`, or the first layer of a `Sequential([backbone, ArcFaceLayer])`.
        flip_test: embed the sum of the backbone's outputs for the image and its mirror image
            (insightface's "flip test"): the same embedding for both, steadier, twice the compute.

    Example:

    >>> backbone = arcface_module.get_backbone("tiny", num_features=16, input_shape=(32, 32, 3))
    >>> embedder = embedding_model(backbone)
    >>> embeddings = embedder.predict(np.zeros((2, 32, 32, 3)), verbose=0)
    >>> embeddings.shape, embeddings.dtype.name
    ((2, 16), 'float32')
    >>> embedding_model(backbone, flip_test=True).name
    'tiny_flip_embedding'
    """
    images = keras.Input(backbone.input_shape[1:], name="images")
    features = backbone(images)
    if flip_test:
        mirrored = backbone(ops.flip(images, axis=2))
        features = keras.layers.Add(dtype="float32", name="add_mirrored")([features, mirrored])
    embeddings = keras.layers.UnitNormalization(axis=-1, dtype="float32", name="l2_normalize")(features)
    name = f"{backbone.name}_flip_embedding" if flip_test else f"{backbone.name}_embedding"
    return keras.Model(images, embeddings, name=name)


def training_model(backbone, head):
    """The training model: `{"images", "labels"}` -> per-sample loss of a `MarginHead`.

    Compile it without a loss (`model.compile(optimizer)`): the head adds its mean loss itself.
    Labels are integer class indices; they enter the graph only here, never the embedding model.

    Args:
        backbone: a single-input Keras model from images to embeddings.
        head: a `MarginHead`.

    Example:

    >>> backbone = arcface_module.get_backbone("tiny", num_features=16, input_shape=(32, 32, 3))
    >>> model = training_model(backbone, arcface_module.MarginHead(10, sample_rate=0.5))
    >>> model.compile(optimizer="adam")
    >>> history = model.fit({"images": np.zeros((4, 32, 32, 3)), "labels": np.arange(4)}, verbose=0)
    """
    images = keras.Input(backbone.input_shape[1:], name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    loss = head([backbone(images), labels])
    return keras.Model({"images": images, "labels": labels}, loss, name=f"{backbone.name}_training")
