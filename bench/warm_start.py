"""Warm start on the demo data: train steps to reach the accuracy of a run from scratch, with and without it.

The demo's synthetic faces (configs/local.yaml: its people, image size, model and schedule) are
split by person into three groups: `base` people train the base model, as last week's run
would; `new` people are this run's training data; `eval` people, whom no run trains on, are
verified (every pair, 10 folds) every `eval_every` steps. One run on `new` starts from scratch,
one from the base model with the fine-tuning schedule (`configs/fine-tune.yaml`'s
`trainer.warm_start`). Both train with the Trainer's model, optimizer, loop and warm start
(`build_training_model`, `build_optimizer`, `train`, `WarmStart`) on the decoded images in memory
(no augmentation, which would only add noise to a comparison of two schedules).
"""

import os
import sys
import time

import keras
import numpy as np
import tensorflow as tf

import arcface_module
from bench import measure, train_data
from bench.results import Result
from components.embedding_evaluator.catalog import MAX_POSITIVE_PAIRS
from configs import load_config
from configs.model import TrainerConfig
from tfx_module.trainer.loop import train
from tfx_module.trainer.model import build_training_model
from tfx_module.trainer.optimization import build_optimizer
from tfx_module.trainer.warm_start import WarmStart, save_starting_model
from verification.metrics import cosine_similarities, make_pairs, verification_accuracy_kfold

NAME = "warm_start"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_CONFIG = os.path.join(REPO, "configs", "local.yaml")
FINE_TUNE_CONFIG = os.path.join(REPO, "configs", "fine-tune.yaml")
TARGET_SHARE = 0.5  # the warm start reaches the cold run's accuracy in half its steps or fewer


def trainer_section(config_file, **overrides):
    """A config file's trainer section, as run_fn validates it back, with `overrides`."""
    trainer = load_config(config_file).trainer.model_dump(mode="json")
    return TrainerConfig.model_validate({**trainer, **overrides})


def demo_data(settings):
    """train_data's settings of the demo's faces (configs/local.yaml), unless the settings give smaller ones."""
    if settings.get("data"):
        return settings["data"]
    demo = load_config(DEMO_CONFIG)
    synthetic = demo.data.synthetic
    return {"identities": synthetic.num_identities, "images_per_identity": synthetic.images_per_identity,
            "source_image_size": synthetic.image_size, "image_size": demo.transform.image_size}


def accuracy(backbone, images, labels):
    embeddings = arcface_module.embedding_model(backbone).predict(images, batch_size=256, verbose=0)
    index_a, index_b, is_same = make_pairs(labels, MAX_POSITIVE_PAIRS, seed=0)
    return verification_accuracy_kfold(cosine_similarities(embeddings[index_a], embeddings[index_b]), is_same,
                                       seed=0)["mean"]


def train_run(trainer, images, labels, evaluation, eval_every, base=None):
    """Trains on (images, labels): [(step, eval accuracy)] every `eval_every` steps, seconds a step of each
    stretch between evaluations, and the backbone."""
    keras.utils.set_random_seed(trainer.seed)
    warm_start = WarmStart(base, trainer.warm_start)
    model = build_training_model(trainer, images.shape[1], int(labels.max()) + 1)
    model.compile(optimizer=build_optimizer(trainer, trainer.train_steps, warm_start.fine_tuning()))
    model.optimizer.build(model.trainable_variables)
    warm_start.load(model.backbone)
    dataset = (tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(len(labels), seed=trainer.seed)
               .repeat().batch(trainer.batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE))
    curve, step_seconds = [(0, accuracy(model.backbone, *evaluation))], []
    for step in range(0, trainer.train_steps, eval_every):
        last = min(step + eval_every, trainer.train_steps)
        began = time.perf_counter()
        train(model, lambda context: dataset, tf.distribute.get_strategy(), step, last,
              warm_start.callbacks(model.backbone))
        step_seconds.append((time.perf_counter() - began) / (last - step))
        curve.append((last, accuracy(model.backbone, *evaluation)))
        print(f"bench: {'warm' if base else 'cold'} step {last}: {curve[-1][1]:.3f}", file=sys.stderr, flush=True)
    return curve, step_seconds, model.backbone


def steps_to_reach(curve, target):
    return next((step for step, value in curve if value >= target), None)


def run(settings, context):
    start = time.perf_counter()
    data_settings = demo_data(settings)
    data = train_data.prepare(os.path.join(context.scratch_dir, NAME), data_settings)
    images, class_ids = data.decoded()
    # Class ids are ranks in the vocabulary, not tied to who a person is: groups of ids are groups of people.
    first_new, first_eval = settings["base_people"], settings["base_people"] + settings["new_people"]
    groups = {"base": class_ids < first_new, "new": (class_ids >= first_new) & (class_ids < first_eval),
              "eval": class_ids >= first_eval}

    def people(name):
        return images[groups[name]], np.unique(class_ids[groups[name]], return_inverse=True)[1].astype(np.int32)

    evaluation, every = people("eval"), settings["eval_every"]
    overrides = settings.get("trainer_overrides", {})  # the smoke run's few steps
    cold_trainer = trainer_section(DEMO_CONFIG, **overrides.get("cold", {}))
    _, _, base_backbone = train_run(cold_trainer, *people("base"), evaluation, cold_trainer.train_steps)
    base = os.path.join(context.scratch_dir, "warm-start-base")
    save_starting_model(base, base_backbone, {"source": "bench"})
    warm_trainer = load_config(FINE_TUNE_CONFIG).trainer.model_dump(mode="json")
    warm_overrides = overrides.get("warm", {})
    warm_start = {**warm_trainer["warm_start"], **warm_overrides.pop("warm_start", {}), "base_model": base}
    warm_trainer = trainer_section(FINE_TUNE_CONFIG, warm_start=warm_start, **warm_overrides)
    runs = {"from scratch": train_run(cold_trainer, *people("new"), evaluation, every),
            "warm-started": train_run(warm_trainer, *people("new"), evaluation, every, base)}
    (cold, _, _), (warm, _, _) = runs.values()
    target = cold[-1][1]
    reached = {name: steps_to_reach(curve, target) for name, (curve, _, _) in runs.items()}
    # Judged against the steps the cold run took to first reach its final accuracy, not all its steps.
    cold_steps, warm_steps = reached["from scratch"], reached["warm-started"]
    met = warm_steps is not None and warm_steps <= TARGET_SHARE * cold_steps
    rows = [{"run": name, "steps": curve[-1][0], "accuracy": round(curve[-1][1], 4),
             "reached": reached[name] if reached[name] is not None else "-",
             "step_seconds": measure.summary(seconds)} for name, (curve, seconds, _) in runs.items()]
    fine_tuning = warm_trainer.warm_start.model_dump(exclude={"base_model"})
    return Result(
        name=NAME,
        title="Warm start on the demo data: eval accuracy by train step, from scratch and from a base model",
        target=f"the warm start reaches the cold run's final accuracy in {TARGET_SHARE:.0%} of the steps the cold run "
               "took to first reach it, or fewer",
        columns=[("run", "run"), ("steps", "steps"), ("accuracy", "eval accuracy at the end"),
                 ("reached", "first step at the cold run's final accuracy"), ("step_seconds", "seconds a step")],
        rows=rows,
        met=met,
        verdict=(f"from scratch {target:.4f} after {cold[-1][0]} steps, first reached at step {cold_steps}; "
                 "warm-started " + (f"reached it at step {warm_steps}" if warm_steps is not None else
                                    f"did not in {warm[-1][0]} steps (best {max(v for _, v in warm):.4f})")),
        notes=[f"Synthetic faces ({data_settings['identities']} people x {data_settings['images_per_identity']} "
               f"images at {data_settings['image_size']}x{data_settings['image_size']}) split by person: "
               f"{settings['base_people']} train the base model ({cold_trainer.train_steps} steps from scratch), "
               f"{settings['new_people']} train both runs, the other {data_settings['identities'] - first_eval} are "
               f"verified (every pair, 10 folds) every {every} steps. From scratch: configs/local.yaml's trainer "
               f"({cold_trainer.train_steps} steps); warm-started: configs/fine-tune.yaml's "
               f"({warm_trainer.train_steps} steps, {fine_tuning}). In-memory images, no augmentation.",
               "Eval accuracy by step: " + "; ".join(
                   f"{name} " + ", ".join(f"{step}: {value:.3f}" for step, value in curve)
                   for name, (curve, _, _) in runs.items())],
        seconds=time.perf_counter() - start,
    )
