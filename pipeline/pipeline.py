"""The ArcFace pipeline: one definition that every runner (local Beam, LocalDagRunner, Kubeflow V2) builds.

ImportExampleGen (identity-disjoint splits) -> StatisticsGen -> SchemaGen -> ExampleValidator
-> Transform (decode, resize, normalise; identity vocabulary) -> Trainer (backbone + ArcFace head)
-> EmbeddingEvaluator (verification on unseen identities; blessing) -> Pusher (blessed only).
"""

from typing import Optional

from ml_metadata.proto import metadata_store_pb2
from tfx import v1 as tfx

from components.embedding_evaluator.component import EmbeddingEvaluator
from configs import PipelineConfig

PREPROCESSING_FN = "arcface_module.preprocessing.preprocessing_fn"
RUN_FN = "arcface_module.training.run_fn"


def _identity_splits(config: PipelineConfig) -> tfx.proto.Output:
    # Hashing the label puts all images of a person in one split: eval identities are unseen.
    return tfx.proto.Output(
        split_config=tfx.proto.SplitConfig(
            splits=[
                tfx.proto.SplitConfig.Split(name="train", hash_buckets=config.data.train_buckets),
                tfx.proto.SplitConfig.Split(name="eval", hash_buckets=config.data.eval_buckets),
            ],
            partition_feature_name=config.data.label_feature,
        )
    )


def create_pipeline(
    config: PipelineConfig,
    metadata_connection_config: Optional[metadata_store_pb2.ConnectionConfig] = None,
) -> tfx.dsl.Pipeline:
    """Builds the pipeline from a validated config."""
    data = config.data.model_dump(mode="json")
    example_gen = tfx.components.ImportExampleGen(
        input_base=str(config.data.input_base),
        input_config=tfx.proto.Input(
            splits=[tfx.proto.Input.Split(name="all", pattern=config.data.file_pattern)]
        ),
        output_config=_identity_splits(config),
    )
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = tfx.components.SchemaGen(statistics=statistics_gen.outputs["statistics"])
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"]
    )
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        preprocessing_fn=PREPROCESSING_FN,
        # The identity vocabulary comes from the train split only, so eval people stay unseen.
        splits_config=tfx.proto.SplitsConfig(analyze=["train"], transform=["train", "eval"]),
        custom_config={"transform": config.transform.model_dump(mode="json"), "data": data},
    )
    trainer = tfx.components.Trainer(
        run_fn=RUN_FN,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema_gen.outputs["schema"],
        train_args=tfx.proto.TrainArgs(num_steps=config.trainer.train_steps),
        eval_args=tfx.proto.EvalArgs(num_steps=0),
        custom_config={"trainer": config.trainer.model_dump(mode="json"), "data": data},
    )
    evaluator = EmbeddingEvaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        label_feature=config.data.label_feature,
        min_verification_accuracy=config.evaluator.min_verification_accuracy,
        max_positive_pairs=config.evaluator.max_positive_pairs,
        seed=config.evaluator.seed,
    )
    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(
                base_directory=str(config.pusher.serving_dir)
            )
        ),
    )
    return tfx.dsl.Pipeline(
        pipeline_name=config.pipeline_name,
        pipeline_root=str(config.pipeline_root),
        components=[
            example_gen,
            statistics_gen,
            schema_gen,
            example_validator,
            transform,
            trainer,
            evaluator,
            pusher,
        ],
        enable_cache=True,
        metadata_connection_config=metadata_connection_config
        or tfx.orchestration.metadata.sqlite_metadata_connection_config(str(config.metadata_path)),
        beam_pipeline_args=config.beam.pipeline_args(),
    )
