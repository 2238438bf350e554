"""Each recipe of configs/recipes/ trains, scaled down, and its rate fits its optimizer.

Scaled down: the tiny backbone on 16x16 images, 100 identities of 8 synthetic images each (a class
prototype plus noise, written in identity order and put in ExampleGen's shuffled order), a global
batch of 32, float32 (no float16 kernels on CPU) and STEPS steps; the recipe's own optimizer,
learning rate, momentum, weight decay, schedule shape (warmup, decay to 0 at the last step),
margin, scale and Partial FC rate. Each must bring its loss down by FALL without a non-finite step.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from components.checked_example_gen import shuffle
from configs import ConfigError, load_config
from configs.model import RECIPES, TrainerConfig, recipe
from tfx_module.trainer.loop import train
from tfx_module.trainer.model import build_training_model
from tfx_module.trainer.optimization import build_optimizer

CLASSES, IMAGES_PER_CLASS, SIZE, STEPS = 100, 8, 16, 200
SCALED_DOWN = {"backbone": "tiny", "embedding_size": 32, "batch_size": 32, "precision": "float32",
               "train_steps": STEPS}
# The last 20 steps' mean loss at most a fifth of the first 20 steps' (measured: from 41-51 down to 0.5-2.5
# at 200 steps).
FALL = 0.8


def shuffled_identity_ordered_set():
    """(images, labels) of prototype-plus-noise faces, identity-ordered, then in ExampleGen's order."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(CLASSES), IMAGES_PER_CLASS)
    prototypes = rng.normal(size=(CLASSES, SIZE, SIZE, 3))
    images = (prototypes[labels] + 0.7 * rng.normal(size=(len(labels), SIZE, SIZE, 3))).astype("float32")
    records = [str(index).encode() for index in range(len(labels))]
    files = shuffle.shuffled_files(records, seed=0, num_files=shuffle.files_for(len(records)))
    order = [int(record) for index in sorted(files) for record in files[index]]
    return images[order], labels[order]


class Losses(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.values = []

    def on_train_batch_end(self, batch, logs=None):
        self.values.append(float(logs["loss"]))


@pytest.fixture(scope="module")
def dataset():
    images, labels = shuffled_identity_ordered_set()
    return (tf.data.Dataset.from_tensor_slices((images, labels))
            .shuffle(len(labels), seed=0).repeat().batch(SCALED_DOWN["batch_size"], drop_remainder=True))


def scaled_down(name):
    """Recipe `name`'s trainer config, scaled down; the recipe's other keys are kept as they are."""
    trainer = TrainerConfig.model_validate({"recipe": name, **SCALED_DOWN}).model_dump(mode="json")
    kept = {key: value for key, value in recipe(name).items() if key not in SCALED_DOWN and key != "epochs"}
    assert {key: trainer[key] for key in kept} == kept
    return trainer


# Recipes that differ only in what scaling down replaces (backbone, batch) train alike: once each.
SCALED_DOWN_RUNS = {}
for _name in RECIPES:
    _trainer = {key: value for key, value in scaled_down(_name).items() if key != "recipe"}
    SCALED_DOWN_RUNS.setdefault(repr(sorted(_trainer.items())), []).append(_name)


@pytest.mark.parametrize("names", list(SCALED_DOWN_RUNS.values()), ids="+".join)
def test_each_recipe_scaled_down_brings_its_loss_down(names, dataset):
    keras.utils.set_random_seed(0)
    trainer = TrainerConfig.model_validate(scaled_down(names[0]))
    model = build_training_model(trainer, SIZE, CLASSES)
    model.compile(optimizer=build_optimizer(trainer, STEPS))
    losses = Losses()
    train(model, lambda _: dataset, tf.distribute.get_strategy(), 0, STEPS, [losses])
    first, last = np.mean(losses.values[:20]), np.mean(losses.values[-20:])
    print(f"\n{', '.join(names)}: loss {first:.3f} -> {last:.3f}")
    assert np.all(np.isfinite(losses.values))
    assert last <= (1 - FALL) * first


@pytest.mark.parametrize("optimizer, rate", [("adamw", 0.1), ("sgd", 1e-4)])
def test_a_learning_rate_that_does_not_fit_the_optimizer_is_refused(optimizer, rate, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(f"pipeline_name: x\nrun_root: runs\ndata: {{input_base: data}}\npusher: {{serving_dir: s}}\n"
                    f"trainer: {{optimizer: {optimizer}, learning_rate: {rate}}}\n")
    with pytest.raises(ConfigError, match=rf"trainer: Value error, learning_rate {rate:g} does not fit optimizer "
                                          rf"{optimizer}: expected \S+ to \S+ \("):
        load_config(path)


def test_explicit_keys_win_over_the_recipe_and_the_cluster_config_uses_one():
    trainer = TrainerConfig.model_validate({"recipe": "glint360k_r100_pfc", "batch_size": 512, "train_steps": 10})
    assert (trainer.batch_size, trainer.train_steps, trainer.epochs, trainer.partial_fc_rate) == (512, 10, None, 0.1)
    assert load_config("configs/kubeflow.yaml").trainer.recipe in RECIPES
