import keras
from keras import ops


@keras.saving.register_keras_serializable(package="arcface_module")
class ArcFaceLayer(keras.layers.Layer):
    """Cosine similarity between embeddings and one learned center per class (or K per class).

    The classification layer of ArcFace-family models: both the embeddings and the class centers
    are L2-normalised, so the output is `cos(theta)` for every class, in [-1, 1]. Put it last in
    a model and train with a margin loss (`ArcFaceLoss`, or `MarginLoss("cosface")` and the
    other margins by name), which adds the margin and the scale: the plug-and-play convenience.
    `MarginHead`, the recommended training API, holds this layer and applies the same margin
    softmax, with the labels inside the model (Partial FC, AdaFace). With `sub_centers=K` each class has K centers and its cosine is the
    largest of the K (sub-center ArcFace, Deng et al., ECCV 2020).

    Normalisation always runs in float32 (the squared norm of an fp16 embedding can overflow);
    under `mixed_float16` the matrix product runs in float16, as InsightFace's, and the output
    is float32.

    Args:
        num_classes: number of classes (identities).
        sub_centers: centers per class, K.
        centers_initializer: initializer of the `(num_classes, sub_centers, dim)` centers;
            None means InsightFace's normal(0, 0.01).
        centers_regularizer: optional regularizer of the centers.

    Call arguments:
        embeddings: `(batch, dim)` embeddings, not necessarily normalised.
        class_indices: optional 1-D integer tensor; when given, only these classes' cosines are
            computed, in this order (Partial FC uses it).

    Example:

    >>> backbone = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4)])
    >>> model = keras.Sequential([backbone, ArcFaceLayer(num_classes=3)])
    >>> model.compile(optimizer="adam", loss=arcface_module.ArcFaceLoss())
    >>> model.predict(np.zeros((2, 8)), verbose=0).shape
    (2, 3)
    """

    def __init__(
        self,
        num_classes,
        sub_centers=1,
        centers_initializer=None,
        centers_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not (isinstance(num_classes, int) and num_classes >= 1):
            raise ValueError(f"`num_classes` must be an int >= 1; received {num_classes!r}.")
        if not (isinstance(sub_centers, int) and sub_centers >= 1):
            raise ValueError(f"`sub_centers` must be an int >= 1; received {sub_centers!r}.")
        self.num_classes = num_classes
        self.sub_centers = sub_centers
        if centers_initializer is None:
            centers_initializer = keras.initializers.RandomNormal(stddev=0.01)
        self.centers_initializer = keras.initializers.get(centers_initializer)
        self.centers_regularizer = keras.regularizers.get(centers_regularizer)

    def build(self, input_shape):
        dim = input_shape[-1]
        if dim is None:
            raise ValueError(
                f"ArcFaceLayer needs a known embedding size; received input shape {input_shape}."
            )
        self.centers = self.add_weight(
            shape=(self.num_classes, self.sub_centers, dim),
            initializer=self.centers_initializer,
            regularizer=self.centers_regularizer,
            autocast=False,  # normalised in float32, see the class docstring
            name="centers",
        )

    def call(self, embeddings, class_indices=None):
        centers = self.centers
        if class_indices is not None:
            centers = ops.take(centers, class_indices, axis=0)
        num_centers = ops.shape(centers)[0]
        embeddings = ops.normalize(ops.cast(embeddings, "float32"), axis=-1, epsilon=1e-12)
        centers = ops.normalize(centers, axis=-1, epsilon=1e-12)
        centers = ops.reshape(centers, (-1, ops.shape(centers)[-1]))
        cosine = ops.matmul(
            ops.cast(embeddings, self.compute_dtype),
            ops.transpose(ops.cast(centers, self.compute_dtype)),
        )
        cosine = ops.reshape(cosine, (-1, num_centers, self.sub_centers))
        cosine = ops.max(ops.cast(cosine, "float32"), axis=-1)
        return ops.clip(cosine, -1.0, 1.0)  # rounding can step just outside

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "sub_centers": self.sub_centers,
            "centers_initializer": keras.initializers.serialize(self.centers_initializer),
            "centers_regularizer": keras.regularizers.serialize(self.centers_regularizer),
        }
