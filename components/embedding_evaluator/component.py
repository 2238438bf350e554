"""EmbeddingEvaluator: verification metrics on identities the model never saw, and the blessing.

TFX's Evaluator knows classification and regression; a face model is judged instead by whether
embeddings of the same person are closer than those of different people. This component embeds
the eval split with the exported model's `embed_examples` signature (the same graph serving runs),
forms same/different pairs, measures verification accuracy with the LFW 10-fold protocol, and
writes a ModelBlessing that follows the Evaluator's conventions, so the stock Pusher understands it.
"""

import json
import os

import numpy as np
import tensorflow as tf
from tfx import v1 as tfx
from tfx.components.evaluator import constants
from tfx.types import artifact_utils
from tfx.utils import io_utils, path_utils

from arcface_module.training import EMBEDDING_KEY, EXAMPLES_SIGNATURE
from components.embedding_evaluator import metrics

METRICS_FILE = "metrics.json"


def embed_split(model_dir: str, split_dir: str, label_feature: str, batch_size: int = 256):
    """Embeds every example of a split folder: returns (embeddings [N, D], labels [N] as str)."""
    embed = tf.saved_model.load(model_dir).signatures[EXAMPLES_SIGNATURE]
    files = tf.io.gfile.glob(os.path.join(split_dir, "*"))
    if not files:
        raise ValueError(f"no examples in {split_dir}: expected TFRecord files")
    embeddings, labels = [], []
    for batch in tf.data.TFRecordDataset(files, compression_type="GZIP").batch(batch_size):
        embeddings.append(embed(examples=batch)[EMBEDDING_KEY].numpy())
        for record in batch.numpy():
            feature = tf.train.Example.FromString(record).features.feature.get(label_feature)
            values = feature and (feature.int64_list.value or feature.bytes_list.value)
            if not values:
                raise ValueError(f"{split_dir}: a record has no '{label_feature}' label")
            labels.append(values[0].decode() if isinstance(values[0], bytes) else str(values[0]))
    return np.concatenate(embeddings), np.asarray(labels)


def _write_blessing(blessing, model, blessed: bool, message: str):
    name = constants.BLESSED_FILE_NAME if blessed else constants.NOT_BLESSED_FILE_NAME
    io_utils.write_string_file(os.path.join(blessing.uri, name), message)
    blessing.set_int_custom_property(
        constants.ARTIFACT_PROPERTY_BLESSED_KEY,
        constants.BLESSED_VALUE if blessed else constants.NOT_BLESSED_VALUE,
    )
    blessing.set_string_custom_property(constants.ARTIFACT_PROPERTY_CURRENT_MODEL_URI_KEY, model.uri)
    blessing.set_int_custom_property(constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY, model.id)
    blessing.set_string_custom_property(constants.ARTIFACT_PROPERTY_BLESSING_MESSAGE_KEY, message)


@tfx.dsl.components.component
def EmbeddingEvaluator(
    examples: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.Examples],
    model: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.Model],
    evaluation: tfx.dsl.components.OutputArtifact[tfx.types.standard_artifacts.ModelEvaluation],
    blessing: tfx.dsl.components.OutputArtifact[tfx.types.standard_artifacts.ModelBlessing],
    label_feature: tfx.dsl.components.Parameter[str],
    min_verification_accuracy: tfx.dsl.components.Parameter[float],
    max_positive_pairs: tfx.dsl.components.Parameter[int],
    seed: tfx.dsl.components.Parameter[int],
    split: tfx.dsl.components.Parameter[str] = "eval",
):
    """Embeds the eval split, scores same/different pairs and blesses the model above the bar."""
    split_dir = artifact_utils.get_split_uri([examples], split)
    embeddings, labels = embed_split(path_utils.serving_model_path(model.uri), split_dir, label_feature)
    index_a, index_b, is_same = metrics.make_pairs(labels, max_positive_pairs=max_positive_pairs, seed=seed)
    scores = metrics.cosine_similarities(embeddings[index_a], embeddings[index_b])
    accuracy = metrics.verification_accuracy_kfold(scores, is_same, seed=seed)
    results = {
        "num_images": int(len(labels)),
        "num_identities": int(len(np.unique(labels))),
        "num_pairs": int(len(is_same)),
        "num_positive_pairs": int(np.sum(is_same)),
        "verification_accuracy": float(accuracy["mean"]),
        "verification_accuracy_std": float(accuracy["std"]),
        "best_threshold": float(accuracy["best_threshold"]),
        "mean_similarity_same": float(np.mean(scores[is_same])),
        "mean_similarity_different": float(np.mean(scores[~is_same])),
    }
    io_utils.write_string_file(
        os.path.join(evaluation.uri, METRICS_FILE), json.dumps(results, indent=2, sort_keys=True)
    )
    for key, value in results.items():
        evaluation.set_float_custom_property(key, value)

    blessed = results["verification_accuracy"] >= min_verification_accuracy
    _write_blessing(
        blessing,
        model,
        blessed,
        f"verification accuracy {results['verification_accuracy']:.4f} "
        f"{'>=' if blessed else '<'} required {min_verification_accuracy:.4f}",
    )
