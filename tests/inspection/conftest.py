"""Fixtures of the inspection tests: `history`, a fake store holding two runs of one pipeline.

Run r1 trains a model, evaluates, blesses and pushes it. Run r2 reuses the examples from cache,
trains a second model, evaluates it against the first (the baseline, read by the evaluator too)
and does not bless it. Pipeline "other-team" has one run whose Trainer is still running.
"""

import pytest

from fake_tfx_store import FakeTfxStore, State


@pytest.fixture
def history(tmp_path):
    """(store, ids): the store and the ids of what the runs wrote, by name; `evaluation_dir` holds
    r1's evaluation folder, with a roc.png."""
    s = FakeTfxStore()
    evaluation_dir = tmp_path / "evaluation"
    evaluation_dir.mkdir()
    (evaluation_dir / "roc.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a picture")

    r1 = s.new_run("arcface", "r1")
    [examples] = s.execute(r1, "ImportExampleGen", writes=[("Examples", "/x/examples/1", {"span": 0})])
    [model] = s.execute(r1, "Trainer", reads=[examples], writes=[("Model", "/x/model/2", {})])
    metrics = {"verification_accuracy": 0.91, "num_pairs": 100.0, "tfx_version": "1.21.0", "is_external": 0}
    verdict = {"blessed": 1, "blessing_message": "0.91 >= 0.9", "current_model_id": model}
    evaluation, blessing = s.execute(
        r1,
        "EmbeddingEvaluator",
        reads=[examples, model],
        writes=[
            ("ModelEvaluation", str(evaluation_dir), metrics),
            ("ModelBlessing", "/x/blessing/3", verdict),
        ],
    )
    [pushed] = s.execute(
        r1,
        "Pusher",
        reads=[model, blessing],
        writes=[("PushedModel", "/x/pushed/4", {"pushed": 1, "pushed_destination": "/serving/1"})],
    )

    r2 = s.new_run("arcface", "r2")
    s.execute(r2, "ImportExampleGen", state=State.CACHED, writes=[examples])
    [model2] = s.execute(r2, "Trainer", reads=[examples], writes=[("Model", "/x/model/6", {})])
    verdict2 = {"blessed": 0, "blessing_message": "0.85 < 0.9", "current_model_id": model2}
    evaluation2, blessing2 = s.execute(
        r2,
        "EmbeddingEvaluator",
        reads=[examples, model2, model],  # the first model is the baseline
        writes=[("ModelEvaluation", "/x/evaluation/7", {"verification_accuracy": 0.85}),
                ("ModelBlessing", "/x/blessing/7", verdict2)],
    )
    [pushed2] = s.execute(
        r2, "Pusher", reads=[model2, blessing2], writes=[("PushedModel", "/x/pushed/8", {"pushed": 0})]
    )

    other = s.new_run("other-team", "o1")
    s.execute(other, "Trainer", state=State.RUNNING, writes=[("Model", "/y/model/1", {})])
    ids = dict(
        examples=examples, model=model, evaluation=evaluation, blessing=blessing, pushed=pushed,
        model2=model2, evaluation2=evaluation2, blessing2=blessing2, pushed2=pushed2,
    )
    return s.store, {**ids, "evaluation_dir": evaluation_dir}
