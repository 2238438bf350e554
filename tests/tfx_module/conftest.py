"""Fixtures of the trainer tests: one small transformed face set and one model trained on it."""

import pytest

from tests.tfx_module.trainer_fixtures import STEPS, make_fn_args, run_logged, transformed_synthetic_faces


@pytest.fixture(scope="session")
def transformed_faces(tmp_path_factory):
    """8 training and 4 eval identities of synthetic faces, 6 images each, transformed to 32x32."""
    return transformed_synthetic_faces(tmp_path_factory.mktemp("faces"))


@pytest.fixture(scope="session")
def trained(transformed_faces, tmp_path_factory):
    """`run_fn` for STEPS steps with trainer_fixtures.TRAINER: (fn_args, its log lines)."""
    fn_args = make_fn_args(transformed_faces, tmp_path_factory.mktemp("trained"), {"train_steps": STEPS})
    return fn_args, run_logged(fn_args)
