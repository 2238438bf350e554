"""Every model scored on the same pairs: drawn from the eval faces, and each named pairs set.

The EmbeddingEvaluator's arithmetic after Beam has embedded (executor.py): pairs, metrics
(model_metrics.py), the operating point to ship, on NumPy arrays of embeddings.

Example:
    >>> evaluation = evaluate(faces, {}, [CANDIDATE], max_positive_pairs=3000, seed=0,
    ...                       eval_source="eval split", set_sources={}, point={"far": 1e-3})
    >>> sorted(evaluation.pairs), sorted(evaluation.results[CANDIDATE])[:2]
    (['eval'], ['auc', 'best_threshold'])
"""

import dataclasses
from typing import Dict, List, Optional, Tuple

import numpy as np

from components.embedding_evaluator import catalog, embedding, ijb_sets, model_metrics, report
from components.embedding_evaluator.every_pair import EveryPair
from verification import metrics, operating_point

CANDIDATE, BASELINE = "candidate", "baseline"


@dataclasses.dataclass(frozen=True)
class ScoredPairs:
    """One set of pairs scored by every model, and where each pair's two images are recorded.

    `record_keys` [N, 2] are the `embedding.record_key`s of the records holding image a and image
    b: two face records for pairs drawn from the eval split, one pair record twice for a pairs set;
    None for an IJB set's template pairs, which no single record holds.
    """

    scores: Dict[str, np.ndarray]  # model name -> [N] cosine similarities
    is_same: np.ndarray
    record_keys: Optional[np.ndarray]
    folds: Optional[np.ndarray] = None


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """Every model's metrics on the same pairs, and what the figures and failure cases need."""

    results: Dict[str, dict]  # model name -> model_metrics dict, with pair_sets and operating_point
    context: dict  # sizes and sources of the pairs, shared by all models; each set's under "pair_sets"
    pairs: Dict[str, ScoredPairs]  # "eval" and each named set
    eval_embeddings: np.ndarray
    eval_labels: np.ndarray
    every_pair: Optional[EveryPair] = None  # the candidate's eval faces scored all-vs-all, if asked for

    @property
    def candidate_scores(self) -> np.ndarray:
        return self.pairs[catalog.EVAL_PAIRS].scores[CANDIDATE]

    @property
    def is_same(self) -> np.ndarray:
        return self.pairs[catalog.EVAL_PAIRS].is_same


def _eval_pairs(faces: Dict[str, np.ndarray], model_names: List[str], max_positive_pairs: int, seed: int,
                source: str) -> ScoredPairs:
    labels = faces[embedding.LABEL_FEATURE]
    try:
        index_a, index_b, is_same = metrics.make_pairs(labels, max_positive_pairs=max_positive_pairs, seed=seed)
    except ValueError as error:
        # Too few people to verify anyone (one identity, or one image each): no model can be
        # judged, so none is blessed; say which data and what would fix it.
        identities = len(np.unique(labels))
        raise ValueError(
            f"{source} cannot score a model, so none is blessed or pushed: it holds {len(labels)} images "
            f"of {identities} identit{'y' if identities == 1 else 'ies'} ({error}). Give the eval split more "
            "people: more identities in the data, or a larger data.eval_buckets"
        ) from error
    scores = {}
    for name in model_names:
        face_embeddings = faces[embedding.embedding_feature(name)]
        scores[name] = metrics.cosine_similarities(face_embeddings[index_a], face_embeddings[index_b])
    keys = faces[embedding.KEY_FEATURE]
    return ScoredPairs(scores, is_same, np.stack([keys[index_a], keys[index_b]], axis=1))


def _set_pairs(columns: Dict[str, np.ndarray], model_names: List[str]) -> ScoredPairs:
    scores = {name: metrics.cosine_similarities(columns[embedding.embedding_feature(name, "a")],
                                                columns[embedding.embedding_feature(name, "b")])
              for name in model_names}
    keys = columns[embedding.KEY_FEATURE]
    return ScoredPairs(scores, columns[embedding.IS_SAME_FEATURE].astype(bool), np.stack([keys, keys], axis=1),
                       columns.get(embedding.FOLD_FEATURE))


def _context(pairs: ScoredPairs, source: str) -> dict:
    return {
        report.PAIRS_SOURCE: source,
        report.NUM_PAIRS: int(len(pairs.is_same)),
        "num_positive_pairs": int(pairs.is_same.sum()),
        "num_negative_pairs": int((~pairs.is_same).sum()),
        "folds": (f"{len(np.unique(pairs.folds))} from the pairs file" if pairs.folds is not None
                  else "10 dealt at random"),
    }


def _operating_point(pairs: ScoredPairs, name: str, far: Optional[float], where: str) -> dict:
    """The model's operating point on `pairs`, or {"refused": why} when they cannot resolve `far`."""
    try:
        return {**operating_point.choose(pairs.scores[name], pairs.is_same, far).as_dict(), "pairs": where}
    except operating_point.UnresolvableFar as error:
        return {"refused": f"{where}: {error}", "target_far": far, "pairs": where}


def _ijb_pairs(ijb_set: ijb_sets.IjbSet, model_names: List[str]) -> Tuple[ScoredPairs, Dict[str, dict]]:
    """The set's template pairs scored by every model, and each model's 1:N figures."""
    scored = {name: ijb_sets.score(ijb_set, name) for name in model_names}
    pairs = ScoredPairs({name: scores for name, (scores, _) in scored.items()}, ijb_set.is_same, None)
    return pairs, {name: searches for name, (_, searches) in scored.items()}


def _set_faces(columns: Dict[str, np.ndarray]) -> Optional[tuple]:
    """The distinct faces of a pairs set whose records name both identities: (embeddings, labels), or None."""
    if embedding.LABEL_A_FEATURE not in columns:
        return None
    keys = np.concatenate([columns[embedding.IMAGE_KEY_A_FEATURE], columns[embedding.IMAGE_KEY_B_FEATURE]])
    labels = np.concatenate([columns[embedding.LABEL_A_FEATURE], columns[embedding.LABEL_B_FEATURE]])
    embeddings = np.concatenate([columns[embedding.embedding_feature(CANDIDATE, "a")],
                                 columns[embedding.embedding_feature(CANDIDATE, "b")]])
    _, first = np.unique(keys, return_index=True)  # a face in several pairs counts once
    return embeddings[first], labels[first]


def _every_pair(evaluation_results: dict, faces: Dict[str, np.ndarray], far: Optional[float], where: str,
                every_pair: dict, seed: int, set_columns: Dict[str, Dict[str, np.ndarray]]) -> EveryPair:
    """Scores the candidate's eval faces all-vs-all: its TARs down to 1e-6, the operating point over
    all pairs when chosen on the eval split for a FAR, and its group rates at the shipped threshold;
    and the distinct faces of each pairs set whose records name their identities (its TARs)."""
    scored = EveryPair(faces[embedding.embedding_feature(CANDIDATE)], faces[embedding.LABEL_FEATURE], far,
                       every_pair["replicates"], seed)
    candidate = evaluation_results[CANDIDATE]
    candidate[catalog.ALL_PAIRS] = scored.metrics()
    if where == catalog.EVAL_PAIRS and far is not None:
        candidate[catalog.OPERATING_POINT] = scored.operating_point(far)
    attributes = {name[len(embedding.ATTRIBUTE_PREFIX):]: values for name, values in faces.items()
                  if name.startswith(embedding.ATTRIBUTE_PREFIX)}
    if attributes:
        candidate[catalog.GROUPS] = scored.groups(attributes, marked_threshold(candidate).value)
    for name, columns in set_columns.items():
        found = _set_faces(columns)
        if found is not None:
            try:
                set_scored = EveryPair(*found, None, every_pair["replicates"], seed)
            except ValueError as error:  # e.g. one face per identity: no genuine pair among its faces
                candidate[catalog.PAIR_SETS][name][catalog.ALL_PAIRS] = {"refused": str(error)}
                continue
            candidate[catalog.PAIR_SETS][name][catalog.ALL_PAIRS] = set_scored.metrics()
    return scored


def evaluate(faces: Dict[str, np.ndarray], set_columns: Dict[str, Dict[str, np.ndarray]], model_names: List[str],
             max_positive_pairs: int, seed: int, eval_source: str, set_sources: Dict[str, str],
             point: dict, ijb: Optional[Dict[str, ijb_sets.IjbSet]] = None,
             every_pair: Optional[dict] = None) -> Evaluation:
    """Scores each model on the same pairs: pairs drawn from the eval faces, every named pairs set,
    and every IJB set's template pairs (with its 1:N figures under `catalog.IDENTIFICATION`).

    `point` is {"far": target FAR or None for the best accuracy, "pairs": the set it is chosen on
    ("eval" by default)}. `every_pair` ({"replicates": N}, or None) scores the candidate on every
    pair of the eval faces too (every_pair.py); the operating point on "eval" is then chosen there.
    """
    ijb = ijb or {}
    pairs = {catalog.EVAL_PAIRS: _eval_pairs(faces, model_names, max_positive_pairs, seed, eval_source)}
    pairs.update({name: _set_pairs(columns, model_names) for name, columns in set_columns.items()})
    searches = {}
    for name, ijb_set in ijb.items():
        pairs[name], searches[name] = _ijb_pairs(ijb_set, model_names)
    where = point.get("pairs") or catalog.EVAL_PAIRS
    if where not in pairs:
        raise ValueError(f"operating_point.pairs: expected '{catalog.EVAL_PAIRS}' or a configured pairs set "
                         f"({sorted(set_columns) + sorted(ijb)}), got {where!r}")
    labels = faces[embedding.LABEL_FEATURE]
    results = {}
    for name in model_names:
        eval_pairs = pairs[catalog.EVAL_PAIRS]
        results[name] = {
            **model_metrics.verification_metrics(eval_pairs.scores[name], eval_pairs.is_same, seed),
            **model_metrics.identification_metrics(faces[embedding.embedding_feature(name)], labels, seed),
            catalog.OPERATING_POINT: _operating_point(pairs[where], name, point.get("far"), where),
            catalog.PAIR_SETS: {
                set_name: model_metrics.verification_metrics(
                    pairs[set_name].scores[name], pairs[set_name].is_same, seed, pairs[set_name].folds,
                    catalog.ALL_PAIRS_FARS if set_name in ijb else catalog.FARS)
                for set_name in [*set_columns, *ijb]
            },
        }
        for set_name, found in searches.items():
            results[name][catalog.PAIR_SETS][set_name][catalog.IDENTIFICATION] = found[name]
    context = {
        **_context(pairs[catalog.EVAL_PAIRS], eval_source),
        report.NUM_IMAGES: int(len(labels)),
        report.NUM_IDENTITIES: int(len(np.unique(labels))),
        catalog.PAIR_SETS: {
            **{name: _context(pairs[name], source) for name, source in set_sources.items()},
            **{name: {**_context(pairs[name], ijb_set.source), **ijb_set.context()} for name, ijb_set in ijb.items()},
        },
    }
    scored = None
    if every_pair is not None:
        scored = _every_pair(results, faces, point.get("far"), where, every_pair, seed, set_columns)
    return Evaluation(results, context, pairs, faces[embedding.embedding_feature(CANDIDATE)], labels, scored)


@dataclasses.dataclass(frozen=True)
class MarkedThreshold:
    """The threshold figures and failure cases are drawn at, and what they call it (catalog's names)."""

    value: float
    name: str


def marked_threshold(candidate: dict) -> MarkedThreshold:
    """The operating point's threshold, shipped; the most accurate one, not shipped, when the FAR asked
    for was refused."""
    point = candidate[catalog.OPERATING_POINT]
    if "threshold" in point:
        return MarkedThreshold(point["threshold"], catalog.SHIPPED_THRESHOLD)
    return MarkedThreshold(candidate["best_threshold"], catalog.UNSHIPPED_THRESHOLD)
