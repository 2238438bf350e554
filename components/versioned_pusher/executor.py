"""VersionedPusher executor: TFX's Pusher checks, then an atomic, numbered, pruned publish.

Like the stock Pusher it pushes only a blessed model, archives the pushed model in the PushedModel
artifact and marks it `pushed`, `pushed_destination` and `pushed_version`. Unlike it, the model goes
to `<base_directory>/<model_name>/<version>/` (TF Serving's model base path per model), appears
there atomically, only the newest `keep_versions` are kept, and the blessing's `verification.json`
(the EmbeddingEvaluator's threshold) is copied beside it. Before the copy becomes a version it is
loaded as a user would load it and must embed a probe image as a finite unit vector
(`check_serves`): a copy that is damaged, or a model that yields NaN, is never served.
"""

import io
import os
from typing import Any, Dict, List

import numpy as np
from PIL import Image

from tfx import types
from tfx.components.pusher import executor as pusher_executor
from tfx.proto import pusher_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import io_utils, json_utils, proto_utils

from serving import verification_file
from serving.pushed_model import SavedModelEmbedder
from components.versioned_pusher import versions

MODEL_NAME_KEY = "model_name"
KEEP_VERSIONS_KEY = "keep_versions"
PROBE_SIZE = 112  # pixels; the model's own preprocessing resizes it
MAX_NORM_ERROR = 1e-3


def _probe_image() -> bytes:
    # Noise rather than a flat image: a flat one can legitimately embed to ~0 before normalising.
    pixels = np.random.default_rng(0).integers(0, 256, (PROBE_SIZE, PROBE_SIZE, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def check_serves(folder: str) -> None:
    """Raises ValueError unless the SavedModel in `folder` embeds a probe image as a finite unit vector."""
    (embedding,) = SavedModelEmbedder(folder).embed([_probe_image()])
    norm = float(np.linalg.norm(embedding))
    if not np.all(np.isfinite(embedding)) or abs(norm - 1) > MAX_NORM_ERROR:
        raise ValueError(f"{folder}: not pushed: serving_default embeds a probe image as a vector of norm {norm} "
                         f"(first values {embedding[:4].tolist()}); expected a finite L2-normalised embedding")


class Executor(pusher_executor.Executor):
    """Pushes a blessed model to `<base_directory>/<model_name>/<version>/` with its threshold."""

    def Do(self, input_dict: Dict[str, List[types.Artifact]], output_dict: Dict[str, List[types.Artifact]],
           exec_properties: Dict[str, Any]) -> None:
        self._log_startup(input_dict, output_dict, exec_properties)
        pushed_model = artifact_utils.get_single_instance(output_dict[standard_component_specs.PUSHED_MODEL_KEY])
        if not self.CheckBlessing(input_dict):
            self._MarkNotPushed(pushed_model)
            return
        destination = proto_utils.json_to_proto(
            exec_properties[standard_component_specs.PUSH_DESTINATION_KEY], pusher_pb2.PushDestination())
        if destination.WhichOneof("destination") != "filesystem":
            raise ValueError(f"push_destination: expected a filesystem destination, got {destination}")
        custom_config = json_utils.loads(exec_properties[standard_component_specs.CUSTOM_CONFIG_KEY])
        model_blessing = artifact_utils.get_single_instance(input_dict[standard_component_specs.MODEL_BLESSING_KEY])
        extra_files = {verification_file.FILE_NAME: verification_file.read_text(model_blessing.uri)}

        version_dir = versions.publish(
            self.GetModelPath(input_dict),
            os.path.join(destination.filesystem.base_directory, custom_config[MODEL_NAME_KEY]),
            extra_files,
            keep=custom_config[KEEP_VERSIONS_KEY],
            check=check_serves,
        )
        io_utils.copy_dir(version_dir, pushed_model.uri)  # the archive TFX's Pusher keeps too
        self._MarkPushed(pushed_model, pushed_destination=version_dir, pushed_version=os.path.basename(version_dir))
