"""The exported SavedModel's contract: its signature names and output key; imports nothing.

Written by the Trainer's export (`trainer/export.py`), read by the EmbeddingEvaluator, the
Pusher's serving check and `serving` (through `serving_default`, TF Serving's default):

- `serving_default`: `images`, encoded image bytes `[None]` -> `embedding` `[None, D]`;
- `embed_examples`: `examples`, serialized tf.Examples `[None]` -> `embedding` `[None, D]`;
- `embed_pixels`: `pixels`, Transform's image output `[None, S, S, 3]` -> `embedding` `[None, D]`:
  the model without its preprocessing, which the Pusher converts to ONNX and TFLite.

Example:

    model = tf.saved_model.load(export_dir)
    model.signatures[SERVING_SIGNATURE](images=tf.constant([jpeg_bytes]))[EMBEDDING_KEY]  # [1, D]
"""

SERVING_SIGNATURE = "serving_default"  # TF Serving's default (tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY)
EXAMPLES_SIGNATURE = "embed_examples"
PIXELS_SIGNATURE = "embed_pixels"
PIXELS_INPUT = "pixels"
EMBEDDING_KEY = "embedding"
