"""EmbeddingEvaluator: face-verification metrics on people the model never saw, and the blessing.

A custom component rather than TFX's Evaluator with TFMA metrics: TFMA computes metrics example by
example (predictions against labels, sliced), whereas every number here compares examples with
each other (pairs, a gallery against probes), and a face model has no label to predict. The
component embeds the eval split (and any named pairs sets: LFW, CFP-FP, AgeDB-30...) with the
trained model, and with the latest blessed model when the Resolver found one, in Beam; scores both
on the same pairs; chooses the operating point (the threshold for a target FAR, or the most
accurate one); writes a ModelEvaluation (`metrics.json`, figures, failure cases, see executor.py)
and a ModelBlessing that the stock Pusher, `LatestBlessedModelStrategy` and the VersionedPusher
understand.

Example:
    evaluator = EmbeddingEvaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        baseline_model=latest_blessed.outputs["model"],
        blessing_policy=BlessingPolicy(min_verification_accuracy=0.7),
    )
"""

import dataclasses
import json
from typing import Mapping, Optional, Sequence

from tfx import types
from tfx.dsl.components.base import base_beam_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter
from tfx.utils import json_utils

from components.embedding_evaluator import catalog, executor
from components.embedding_evaluator.blessing import BlessingPolicy
from face_data.records import features


class EmbeddingEvaluatorSpec(types.ComponentSpec):
    """Inputs, outputs and parameters of the EmbeddingEvaluator; keys are in executor.py."""

    PARAMETERS = {
        executor.SPLIT_KEY: ExecutionParameter(type=str),
        executor.IMAGE_FEATURE_KEY: ExecutionParameter(type=str),
        executor.LABEL_FEATURE_KEY: ExecutionParameter(type=str),
        executor.PAIR_SETS_KEY: ExecutionParameter(type=str),
        executor.IJB_SETS_KEY: ExecutionParameter(type=str, optional=True),
        executor.OPERATING_POINT_KEY: ExecutionParameter(type=str),
        executor.MAX_POSITIVE_PAIRS_KEY: ExecutionParameter(type=int),
        executor.SEED_KEY: ExecutionParameter(type=int),
        # JSON of a BlessingPolicy: execution parameters hold primitives, as TFX's custom_config does.
        executor.BLESSING_POLICY_KEY: ExecutionParameter(type=str),
        executor.EVERY_PAIR_KEY: ExecutionParameter(type=str, optional=True),
    }
    INPUTS = {
        executor.EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
        executor.MODEL_KEY: ChannelParameter(type=standard_artifacts.Model),
        executor.BASELINE_MODEL_KEY: ChannelParameter(type=standard_artifacts.Model, optional=True),
        executor.PAIRS_KEY: ChannelParameter(type=standard_artifacts.Examples, optional=True),
    }
    OUTPUTS = {
        executor.EVALUATION_KEY: ChannelParameter(type=standard_artifacts.ModelEvaluation),
        executor.BLESSING_KEY: ChannelParameter(type=standard_artifacts.ModelBlessing),
    }


class EmbeddingEvaluator(base_beam_component.BaseBeamComponent):
    """Embeds unseen faces with the trained model, measures verification and identification, blesses."""

    SPEC_CLASS = EmbeddingEvaluatorSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

    def __init__(
        self,
        examples: types.BaseChannel,
        model: types.BaseChannel,
        blessing_policy: BlessingPolicy,
        baseline_model: Optional[types.BaseChannel] = None,
        pairs: Optional[types.BaseChannel] = None,
        pair_sets: Sequence[str] = (),
        ijb_sets: Optional[Mapping[str, dict]] = None,
        operating_point_far: Optional[float] = None,
        operating_point_pairs: str = "eval",
        split: str = "eval",
        image_feature: str = features.IMAGE_FEATURE,
        label_feature: str = features.LABEL_FEATURE,
        max_positive_pairs: int = catalog.MAX_POSITIVE_PAIRS,
        seed: int = 0,
        every_pair_replicates: Optional[int] = 200,
    ):
        """Builds the component.

        Args:
          examples: face records (image + label); `split` of them holds identities never trained on.
          model: the trained model (a SavedModel with `embed_examples` and `serving_default`).
          blessing_policy: the thresholds the model must meet to be blessed.
          baseline_model: the latest blessed model, from a Resolver with LatestBlessedModelStrategy;
            scored on the same pairs for the policy's change thresholds.
          pairs: verification-pair records (an ImportExampleGen's output), one split per named set.
          pair_sets: the names of those splits; each set is scored and reported on its own,
            besides the pairs drawn from `split`.
          ijb_sets: IJB-B / IJB-C sets, {name: {"input_base", "file_pattern", "detector_scores", "flip"}}:
            template-face records and their protocol (`python -m face_data ijb`), read from their
            folder; scored 1:1 on template pairs as the pairs sets are, and 1:N per gallery.
          operating_point_far: the false-accept rate the shipped threshold is chosen for; None
            chooses the most accurate threshold.
          operating_point_pairs: the pairs it is chosen on: "eval" (drawn from `split`) or a set.
          max_positive_pairs, seed: how pairs are drawn from `split` (metrics.make_pairs), and the
            seed of the 10 folds, of the identification gallery and of the identity bootstrap.
          every_pair_replicates: score every pair of `split` too (all-vs-all: TAR down to a FAR of
            1e-6, the operating point on "eval" chosen there, per-group rates), with intervals from
            this many identity-bootstrap draws; None scores the drawn pairs only.
        """
        spec = EmbeddingEvaluatorSpec(
            examples=examples,
            model=model,
            baseline_model=baseline_model,
            pairs=pairs,
            split=split,
            pair_sets=json.dumps(list(pair_sets)),
            ijb_sets=json.dumps(dict(ijb_sets or {})),
            operating_point=json.dumps({"far": operating_point_far, "pairs": operating_point_pairs}),
            image_feature=image_feature,
            label_feature=label_feature,
            max_positive_pairs=max_positive_pairs,
            seed=seed,
            blessing_policy=json_utils.dumps(dataclasses.asdict(blessing_policy)),
            every_pair=json.dumps(None if every_pair_replicates is None else {"replicates": every_pair_replicates}),
            evaluation=types.Channel(type=standard_artifacts.ModelEvaluation),
            blessing=types.Channel(type=standard_artifacts.ModelBlessing),
        )
        super().__init__(spec=spec)
