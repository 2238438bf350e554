"""The ArcFace pipeline: one definition that every runner (local Beam, LocalDagRunner, Kubeflow V2) builds.

ImportExampleGen (identity-disjoint splits) -> StatisticsGen -> SchemaGen -> ExampleValidator
-> Transform (decode, resize, normalise; identity vocabulary) -> Trainer (backbone + ArcFace head)
-> EmbeddingEvaluator (verification on unseen identities, or on an external pairs set, against the
   latest blessed model found by a Resolver; blessing) -> VersionedPusher (blessed only).
"""

from typing import Optional

from ml_metadata.proto import metadata_store_pb2
from tfx import v1 as tfx

from components.embedding_evaluator.blessing import BlessingPolicy
from components.embedding_evaluator.component import EmbeddingEvaluator
from components.versioned_pusher.component import VersionedPusher
from configs import PipelineConfig

PREPROCESSING_FN = "tfx_module.preprocessing.preprocessing_fn"
RUN_FN = "tfx_module.training.run_fn"


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


def _external_pairs(config: PipelineConfig) -> Optional[tfx.components.ImportExampleGen]:
    """An ImportExampleGen of the configured pair records: in ML Metadata, and re-read when they change."""
    pairs = config.evaluator.pairs
    if pairs is None:
        return None
    return tfx.components.ImportExampleGen(
        input_base=str(pairs.input_base),
        input_config=tfx.proto.Input(splits=[tfx.proto.Input.Split(name="pairs", pattern=pairs.file_pattern)]),
        # One output split holding every pair (ExampleGen would otherwise split them 2:1).
        output_config=tfx.proto.Output(
            split_config=tfx.proto.SplitConfig(splits=[tfx.proto.SplitConfig.Split(name="pairs", hash_buckets=1)])
        ),
    ).with_id("PairsExampleGen")


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
        # With epochs, run_fn counts the steps from the training split: no step count to record here.
        train_args=(tfx.proto.TrainArgs(num_steps=config.trainer.train_steps)
                    if config.trainer.epochs is None else tfx.proto.TrainArgs()),
        eval_args=tfx.proto.EvalArgs(num_steps=0),
        custom_config={"trainer": config.trainer.model_dump(mode="json"), "data": data},
    )
    # The model to beat: the latest blessed one of earlier runs, scored again on this run's pairs.
    latest_blessed = tfx.dsl.Resolver(
        strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
    ).with_id("latest_blessed_model_resolver")
    pairs_gen = _external_pairs(config)
    evaluator = EmbeddingEvaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        baseline_model=latest_blessed.outputs["model"],
        pairs=pairs_gen.outputs["examples"] if pairs_gen else None,
        blessing_policy=BlessingPolicy(
            min_verification_accuracy=config.evaluator.min_verification_accuracy,
            min_tar_at_far=config.evaluator.min_tar_at_far,
            max_regression_from_blessed=config.evaluator.max_regression_from_blessed,
        ),
        image_feature=config.data.image_feature,
        label_feature=config.data.label_feature,
        max_positive_pairs=config.evaluator.max_positive_pairs,
        seed=config.evaluator.seed,
    )
    pusher = VersionedPusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        base_directory=str(config.pusher.serving_dir),
        model_name=config.pusher.model_name,
        keep_versions=config.pusher.keep_versions,
    ).with_id("Pusher")  # the pipeline's Pusher node; only its executor is customised
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
            latest_blessed,
            *([pairs_gen] if pairs_gen else []),
            evaluator,
            pusher,
        ],
        enable_cache=True,
        # Local runners pass their store; on Kubeflow / Vertex the cluster supplies it.
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=config.beam.pipeline_args(),
    )
