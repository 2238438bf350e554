"""A starting model's contract: its files, and the words of `trainer.warm_start.base_model`; imports nothing.

A starting model is a folder holding `BACKBONE_FILE` (the Keras backbone) and `METADATA_FILE`
(JSON: `backbone`, `embedding_size`, `image_size`, `source` and where it came from). The Trainer
writes one into each Model artifact (tfx_module/trainer/warm_start.py) and warm-starts from one;
`python -m pretrained` writes one from an insightface model; the configs and the pipeline name
them.

Example:

    trainer:
      warm_start: {base_model: last_blessed}   # or none, or a starting model's folder
"""

BACKBONE_FILE = "backbone.keras"
METADATA_FILE = "starting_model.json"
# trainer.warm_start.base_model: no base model, or the latest blessed model of the pipeline.
NO_BASE_MODEL = "none"
LAST_BLESSED = "last_blessed"
