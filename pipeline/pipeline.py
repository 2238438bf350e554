"""The ArcFace pipeline: one definition that every runner (local Beam, LocalDagRunner, Kubeflow V2) builds.

ImportExampleGen (identity-disjoint splits; every record checked) -> StatisticsGen -> SchemaGen (inferred, or the reviewed
schema file: ImportSchemaGen) -> ExampleValidator
-> Transform (decode, resize, normalise; identity vocabulary) -> Trainer (backbone + ArcFace head; the
   backbone warm-started from the latest blessed model or an imported one if trainer.warm_start says so)
-> EmbeddingEvaluator (verification on unseen identities and on each named pairs set, against the
   latest blessed model found by a Resolver; operating point; blessing) -> VersionedPusher (blessed only;
   with `pusher.gallery`, the gallery re-embedded by the new model in a Beam job, pushed inside the version).
"""

import posixpath
from typing import Optional, Tuple

from ml_metadata.proto import metadata_store_pb2
from tfx import v1 as tfx

from components.checked_example_gen.component import CheckedImportExampleGen
from components.checked_example_gen.executor import FACES, PAIRS
from components.embedding_evaluator.blessing import BlessingPolicy, SetPolicy
from components.embedding_evaluator.catalog import IJB_SET, PAIRS_SET
from components.embedding_evaluator.component import EmbeddingEvaluator
from components.versioned_pusher.component import VersionedPusher
from configs import PipelineConfig
from pipeline import nodes
from pipeline.cluster import trainer_component
from tfx_module import preprocessing, training
from configs.starting_model import LAST_BLESSED, NO_BASE_MODEL


def _import_path(function) -> str:
    # TFX imports the user functions by dotted name in each component's process; deriving the name
    # from the imported function makes a moved or renamed module fail here, when the pipeline is built.
    return f"{function.__module__}.{function.__qualname__}"


PREPROCESSING_FN = _import_path(preprocessing.preprocessing_fn)
RUN_FN = _import_path(training.run_fn)


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


def _common_base(locations) -> str:
    """The deepest folder holding every location (local paths or URIs of one scheme and bucket)."""
    parts = [str(location).rstrip("/").split("/") for location in locations]
    common = []
    for names in zip(*parts):
        if len(set(names)) > 1:
            break
        common.append(names[0])
    base = "/".join(common)
    if not base.strip("/") or base.endswith(":") or base.endswith(":/"):
        raise ValueError(f"evaluator.pairs: expected the sets' input_base folders to share a root folder "
                         f"(one filesystem, one bucket), got {[str(location) for location in locations]}")
    return base


def _sets_of_type(config: PipelineConfig, kind: str) -> dict:
    return {name: pairs for name, pairs in config.evaluator.pairs.items() if pairs.type == kind}


def _ijb_sets(config: PipelineConfig) -> dict:
    """What the evaluator reads of each IJB set, from its folder: the records, the protocol beside them
    (an ExampleGen checks face and pair records; these are neither, and come with a protocol file)."""
    return {name: {"input_base": str(pairs.input_base), "file_pattern": pairs.file_pattern,
                   "detector_scores": pairs.detector_scores, "flip": pairs.flip}
            for name, pairs in _sets_of_type(config, IJB_SET).items()}


def _external_pairs(config: PipelineConfig) -> Optional[CheckedImportExampleGen]:
    """One ImportExampleGen of every named pairs set, a split each: in ML Metadata, re-read when they change.

    An ExampleGen reads under one input_base: the sets' folders become patterns under their
    common folder, and each input split is kept as an output split (no hash re-splitting).
    """
    sets = _sets_of_type(config, PAIRS_SET)
    if not sets:
        return None
    base = _common_base([pairs.input_base for pairs in sets.values()])
    splits = [
        tfx.proto.Input.Split(
            name=name,
            pattern=posixpath.join(str(pairs.input_base)[len(base):].lstrip("/"), pairs.file_pattern),
        )
        for name, pairs in sets.items()
    ]
    # Input splits stay output splits, except a single one, which ExampleGen would split 2:1.
    output = (tfx.proto.Output(split_config=tfx.proto.SplitConfig(
        splits=[tfx.proto.SplitConfig.Split(name=splits[0].name, hash_buckets=1)])) if len(splits) == 1 else None)
    return CheckedImportExampleGen(
        input_base=base, input_config=tfx.proto.Input(splits=splits), output_config=output, kind=PAIRS
    ).with_id(nodes.PAIRS_EXAMPLE_GEN)


def _validation(config: PipelineConfig) -> dict:
    """What the Trainer's validation reads: each validation set's files and the FAR to report TAR at.

    Empty without validation, so that the evaluator's settings never make the Trainer run again.
    """
    sets = config.evaluator.pairs
    if not config.trainer.validation.pairs:
        return {}
    return {
        "sets": {name: {"input_base": str(sets[name].input_base), "file_pattern": sets[name].file_pattern}
                 for name in config.trainer.validation.pairs},
        "far": config.evaluator.operating_point.far,
        "seed": config.evaluator.seed,
    }


def _blessing_policy(config: PipelineConfig) -> BlessingPolicy:
    evaluator = config.evaluator
    policy_fields = ("min_verification_accuracy", "min_tar_at_far", "max_regression_from_blessed")
    return BlessingPolicy(
        **{name: getattr(evaluator, name) for name in policy_fields},
        min_tar_at_operating_point=evaluator.min_tar_at_operating_point,
        max_group_rate_factor=evaluator.max_group_rate_factor,
        every_pair_min_tar_at_far=evaluator.every_pair.min_tar_at_far,
        pair_sets={name: SetPolicy(**{field: getattr(pairs, field) for field in policy_fields})
                   for name, pairs in evaluator.pairs.items()},
    )


def _schema_gen(config: PipelineConfig, statistics_gen):
    """The reviewed schema file if configured (drift is then an anomaly), else one inferred from this run."""
    if config.data.schema_file is None:
        return tfx.components.SchemaGen(statistics=statistics_gen.outputs["statistics"]).with_id(nodes.SCHEMA_GEN)
    # The same node id either way: the schema step of every run, for caches, tools and lineage.
    return tfx.components.ImportSchemaGen(schema_file=str(config.data.schema_file)).with_id(nodes.SCHEMA_GEN)


def _base_model(config: PipelineConfig, latest_blessed) -> Tuple[list, Optional[tfx.dsl.Channel]]:
    """The Trainer's base model (trainer.warm_start.base_model): the nodes to add, and its channel or None."""
    base_model = config.trainer.warm_start.base_model
    if base_model == NO_BASE_MODEL:
        return [], None
    if base_model == LAST_BLESSED:
        return [], latest_blessed.outputs["model"]
    importer = tfx.dsl.Importer(source_uri=base_model, artifact_type=tfx.types.standard_artifacts.Model)
    importer = importer.with_id(nodes.BASE_MODEL_IMPORTER)
    return [importer], importer.outputs["result"]


def create_pipeline(
    config: PipelineConfig,
    metadata_connection_config: Optional[metadata_store_pb2.ConnectionConfig] = None,
) -> tfx.dsl.Pipeline:
    """Builds the pipeline from a validated config."""
    data = config.data.model_dump(mode="json")
    transform_config = config.transform.model_dump(mode="json")
    # Every record is checked in ExampleGen's Beam job: a bad one stops the run there, by name.
    example_gen = CheckedImportExampleGen(
        input_base=str(config.data.input_base),
        input_config=tfx.proto.Input(
            splits=[tfx.proto.Input.Split(name="all", pattern=config.data.file_pattern)]
        ),
        output_config=_identity_splits(config),
        kind=FACES,
        image_feature=config.data.image_feature,
        label_feature=config.data.label_feature,
        shuffle_seed=config.data.shuffle_seed,
    ).with_id(nodes.IMPORT_EXAMPLE_GEN)
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"]).with_id(
        nodes.STATISTICS_GEN)
    schema_gen = _schema_gen(config, statistics_gen)
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"]
    ).with_id(nodes.EXAMPLE_VALIDATOR)
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        preprocessing_fn=PREPROCESSING_FN,
        # The identity vocabulary comes from the train split only, so eval people stay unseen.
        splits_config=tfx.proto.SplitsConfig(analyze=["train"], transform=["train", "eval"]),
        custom_config={"transform": transform_config, "data": data},
    ).with_id(nodes.TRANSFORM)
    # The model to beat: the latest blessed one of earlier runs, scored again on this run's pairs;
    # and the Trainer's base model if it warm-starts from it.
    latest_blessed = tfx.dsl.Resolver(
        strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
    ).with_id(nodes.LATEST_BLESSED_MODEL_RESOLVER)
    base_model_nodes, base_model = _base_model(config, latest_blessed)
    trainer = trainer_component(
        config,
        run_fn=RUN_FN,
        # Its input event in ML Metadata records which model the run started from.
        **({"base_model": base_model} if base_model else {}),
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema_gen.outputs["schema"],
        # With epochs, run_fn counts the steps from the training split: no step count to record here.
        train_args=(tfx.proto.TrainArgs(num_steps=config.trainer.train_steps)
                    if config.trainer.epochs is None else tfx.proto.TrainArgs()),
        eval_args=tfx.proto.EvalArgs(num_steps=0),
        # The transform section too: the model decodes and normalises Transform's images itself.
        custom_config={"trainer": config.trainer.model_dump(mode="json"), "transform": transform_config, "data": data,
                       **({"validation": _validation(config)} if config.trainer.validation.pairs else {})},
    ).with_id(nodes.TRAINER)
    pairs_gen = _external_pairs(config)
    evaluator = EmbeddingEvaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        baseline_model=latest_blessed.outputs["model"],
        pairs=pairs_gen.outputs["examples"] if pairs_gen else None,
        pair_sets=list(_sets_of_type(config, PAIRS_SET)),
        ijb_sets=_ijb_sets(config),
        operating_point_far=config.evaluator.operating_point.target_far,
        operating_point_pairs=config.evaluator.operating_point.pairs,
        blessing_policy=_blessing_policy(config),
        image_feature=config.data.image_feature,
        label_feature=config.data.label_feature,
        max_positive_pairs=config.evaluator.max_positive_pairs,
        seed=config.evaluator.seed,
        every_pair_replicates=config.evaluator.every_pair.replicates if config.evaluator.every_pair.enabled else None,
    ).with_id(nodes.EMBEDDING_EVALUATOR)
    pusher = VersionedPusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        base_directory=str(config.pusher.serving_dir),
        model_name=config.pusher.model_name,
        keep_versions=config.pusher.keep_versions,
        examples=example_gen.outputs["examples"],
        formats=config.pusher.formats,
        preprocessing=config.transform.model_dump(mode="json"),
        # The faces and pairs the evaluator scored: each format's accuracy is comparable with its.
        eval_data={"split": "eval", "image_feature": config.data.image_feature,
                   "label_feature": config.data.label_feature,
                   "max_positive_pairs": config.evaluator.max_positive_pairs, "seed": config.evaluator.seed},
        evaluation=evaluator.outputs["evaluation"],
        statistics=statistics_gen.outputs["statistics"],
        # Re-embedded with each blessed model (a Beam job) and pushed inside its version.
        gallery=config.pusher.gallery and config.pusher.gallery.model_dump(mode="json"),
    ).with_id(nodes.PUSHER)  # the pipeline's Pusher node; only its executor is customised
    return tfx.dsl.Pipeline(
        pipeline_name=config.pipeline_name,
        pipeline_root=str(config.pipeline_root),
        components=[
            example_gen,
            # Right after the faces: its check of every pair runs before anything trains.
            *([pairs_gen] if pairs_gen else []),
            statistics_gen,
            schema_gen,
            example_validator,
            transform,
            latest_blessed,
            *base_model_nodes,
            trainer,
            evaluator,
            pusher,
        ],
        enable_cache=True,
        # Local runners pass their store; on Kubeflow / Vertex the cluster supplies it.
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=config.beam.pipeline_args(),
    )
