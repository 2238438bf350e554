"""The pipeline's TFX module functions: code that TFX's Transform and Trainer load by name.

- `preprocessing.preprocessing_fn`: Transform (decode, resize, normalise; identity vocabulary);
- `training.run_fn`: Trainer (built from `trainer/`: inputs, model, loop, checkpoints, export);
- `signatures`: the exported SavedModel's signature and output names (imports no TensorFlow).

Unlike `arcface_module` (the stand-alone Keras library they train with), these modules import
tfx and tensorflow_transform and read the pipeline config's sections (typed, from `configs`; the
optimizer choices and the starting model's files are the config's, `configs.optimizers` and
`configs.starting_model`). This package imports nothing, so `tfx_module.signatures` stays light.
"""
