"""The pieces of the TFX Trainer's `run_fn` (tfx_module/training.py).

- `inputs`: transformed examples -> shuffled, augmented, prefetched batches;
- `model`: backbone + margin head from the trainer config, and its distributed train step;
- `optimization`: SGD or AdamW with a warmup-then-decay learning-rate schedule;
- `loop`: the training loop, one distributed step after another, with Keras callbacks;
- `distribution`: the tf.distribute strategy, and which worker writes;
- `checkpoints`: checkpoints in a folder that survives a re-run of the Trainer;
- `monitoring`: progress lines, TensorBoard scalars, the stop on a diverged loss;
- `export`: the SavedModel with the Transform graph and the serving signatures;
- `warm_start`: the backbone started from a base model, and the fine-tuning schedule.
"""
