import keras
from keras import ops

from arcface_module.catalog import SCALE
from arcface_module.layers.adaface_margin import AdaFaceMargin
from arcface_module.layers.arcface_layer import ArcFaceLayer
from arcface_module.layers.combined_margin import CombinedMargin
from arcface_module.layers.margins import get_margin
from arcface_module.layers.partial_fc import sample_classes
from arcface_module.margin_softmax import margin_softmax_cross_entropy


@keras.saving.register_keras_serializable(package="arcface_module")
class MarginHead(keras.layers.Layer):
    """A margin softmax head that takes `[embeddings, labels]` and adds its loss itself.

    The library's recommended way to train (the pipeline's Trainer uses it; `training_model`
    wraps a backbone and a head for `fit`): every margin, including AdaFace (which needs the
    embedding norms), Partial FC (the labels choose which class centers to compute) and custom
    `train_step`s. `ArcFaceLayer` + `MarginLoss` is the plug-and-play convenience for the
    margins that need only the cosines. The head holds an `ArcFaceLayer` of class centers (`sub_centers` per class),
    applies the margin to each sample's target class, scales by `scale` and returns the
    per-sample softmax cross-entropy in float32; their mean is also registered with
    `add_loss`, so `model.compile(optimizer)` without a loss trains on it.

    With `sample_rate < 1` each call uses Partial FC (An et al., CVPR 2022): all classes
    present in the batch plus random others, `max(int(sample_rate * num_classes), batch size)`
    centers in all. Only these centers enter the matrix product and get a gradient: plain SGD
    leaves the others unchanged, while optimizers with momentum keep moving centers sampled in
    earlier steps (as in InsightFace's Partial FC v2) and weight decay shrinks every center.
    With `sample_rate < 1` the loss is over the sampled classes, in evaluation too.

    Args:
        num_classes: number of classes.
        margin: a margin name ("arcface", "cosface", "sphereface", "combined", "adaface", with
            default parameters; see `get_margin`) or a margin layer (`CombinedMargin`,
            `AdaFaceMargin`).
        scale: the softmax scale s, > 0.
        sub_centers: class centers per class, K (sub-center ArcFace).
        sample_rate: fraction of the classes each step uses, in (0, 1]; 1 is the full head.
        seed: seed of the Partial FC sampling.

    Call arguments:
        inputs: `[embeddings, labels]`: `(batch, dim)` embeddings (not normalised) and
            `(batch,)` or `(batch, 1)` integer class indices.
        return_cosine: also return the cosines the loss was computed from, without margin, and
            each label's column among them: `(loss, cosine, columns)`. The columns are the
            classes this call scored: every class, or under Partial FC the sampled ones, so an
            accuracy from them costs no further product with every class center.

    Example:

    >>> head = MarginHead(num_classes=10, margin="adaface", sub_centers=3, sample_rate=0.5)
    >>> embeddings = np.random.normal(size=(4, 8)).astype("float32")
    >>> per_sample_loss = head([embeddings, np.array([0, 3, 3, 9])], training=True)
    >>> tuple(per_sample_loss.shape)
    (4,)
    >>> _, cosine, columns = head([embeddings, np.array([0, 3, 3, 9])], return_cosine=True)
    >>> tuple(cosine.shape), tuple(columns.shape)  # the 5 sampled classes of 10
    ((4, 5), (4,))
    """

    def __init__(
        self,
        num_classes,
        margin="arcface",
        scale=SCALE,
        sub_centers=1,
        sample_rate=1.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(margin, str):
            margin = get_margin(margin)
        if not isinstance(margin, (CombinedMargin, AdaFaceMargin)):
            raise ValueError(
                f"`margin` must be a margin name or a margin layer; received {margin!r}."
            )
        if not scale > 0:
            raise ValueError(f"`scale` must be > 0; received scale={scale}.")
        if not 0 < sample_rate <= 1:
            raise ValueError(
                f"`sample_rate` must be in (0, 1]; received sample_rate={sample_rate}."
            )
        self.classifier = ArcFaceLayer(num_classes, sub_centers=sub_centers, name="classifier")
        self.margin = margin
        self.num_classes = num_classes
        self.scale = float(scale)
        self.sub_centers = sub_centers
        self.sample_rate = float(sample_rate)
        self.num_sampled = max(1, int(self.sample_rate * num_classes))
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        embeddings_shape, _ = input_shape
        self.classifier.build(embeddings_shape)
        if not self.margin.built:  # a deserialized or shared margin may come built
            self.margin.build(embeddings_shape[:1])

    def call(self, inputs, training=None, return_cosine=False):
        # `training` reaches the margin (AdaFace's statistics) through Keras' call context.
        embeddings, labels = inputs
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        if self.num_sampled < self.num_classes:
            class_indices, labels = sample_classes(
                labels, self.num_classes, self._sample_size(labels), self.seed_generator
            )
            cosine = self.classifier(embeddings, class_indices=class_indices)
        else:
            cosine = self.classifier(embeddings)
        targets = ops.one_hot(labels, ops.shape(cosine)[-1], dtype="float32")
        norms = ops.norm(ops.cast(embeddings, "float32"), axis=-1)
        loss = margin_softmax_cross_entropy(cosine, targets, self.margin, self.scale, norms)
        self.add_loss(ops.mean(loss))
        if return_cosine:
            return loss, cosine, labels
        return loss

    def _sample_size(self, labels):
        # The batch's positives are always kept: never fewer centers than samples.
        batch_size = ops.shape(labels)[0]
        if isinstance(batch_size, int):
            return min(self.num_classes, max(self.num_sampled, batch_size))
        return ops.minimum(self.num_classes, ops.maximum(self.num_sampled, batch_size))

    def compute_output_spec(self, inputs, training=None, return_cosine=False):
        embeddings, _ = inputs
        loss = keras.KerasTensor(embeddings.shape[:1], dtype="float32")
        if not return_cosine:
            return loss
        scored = self.num_classes if self.num_sampled == self.num_classes else None
        return (loss, keras.KerasTensor((embeddings.shape[0], scored), dtype="float32"),
                keras.KerasTensor(embeddings.shape[:1], dtype="int32"))

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "margin": keras.layers.serialize(self.margin),
            "scale": self.scale,
            "sub_centers": self.sub_centers,
            "sample_rate": self.sample_rate,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["margin"] = keras.layers.deserialize(config["margin"])
        return cls(**config)
