"""VersionedPusher: TFX's Pusher with an executor that publishes TF Serving versions atomically.

The component is the stock Pusher (same spec, same `pushed_model` output, same blessing check);
only the executor differs, the way TFX's own Cloud pushers customise it. The blessing is required:
it decides whether to push, and it carries the threshold shipped beside the model.

Example:
    pusher = VersionedPusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        base_directory="/srv/models",
        model_name="arcface",
        keep_versions=3,
    )  # -> /srv/models/arcface/<version>/{saved_model.pb, variables/, verification.json}
"""

from tfx import types
from tfx.components import Pusher
from tfx.dsl.components.base import executor_spec
from tfx.proto import pusher_pb2

from components.versioned_pusher import executor


class VersionedPusher(Pusher):
    """Pushes a blessed model to `<base_directory>/<model_name>/<version>/`, keeping `keep_versions`."""

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, model: types.BaseChannel, model_blessing: types.BaseChannel, base_directory: str,
                 model_name: str, keep_versions: int):
        super().__init__(
            model=model,
            model_blessing=model_blessing,
            push_destination=pusher_pb2.PushDestination(
                filesystem=pusher_pb2.PushDestination.Filesystem(base_directory=base_directory)
            ),
            custom_config={executor.MODEL_NAME_KEY: model_name, executor.KEEP_VERSIONS_KEY: keep_versions},
        )
