"""An IJB-B / IJB-C set scored as insightface's eval_ijbc.py scores it: templates, 1:1 pairs, 1:N search.

The faces of the set come embedded (with their mirror images, when the set flips) as columns of
`embedding.read_embeddings`; `verification/templates.py` builds each model's template embeddings,
the protocol (`face_data.conversion.ijb.Protocol`, written by `python -m face_data ijb`) says which template
pairs to score and, for 1:N, which templates form each gallery and which are searched in all of them.

Example:
    >>> ijb_set = IjbSet(columns, Protocol.load("data/ijbc/protocol.npz"), detector_scores=True, flip=True,
    ...                  source="ijb set 'ijbc': data/ijbc")
    >>> scores, found = score(ijb_set, "candidate")
    >>> found["G1"]["rank_1"], found["G1"]["tpir_at_fpir_1e-2"]
    (0.93, 0.81)
"""

import dataclasses
from typing import Dict, Tuple

import numpy as np

from components.embedding_evaluator import embedding, report
from components.embedding_evaluator.catalog import FPIRS, RANKS, fpir_threshold_key, rank_key, tpir_key
from face_data.conversion.ijb import Protocol
from verification import identification, templates


@dataclasses.dataclass(frozen=True)
class IjbSet:
    """The embedded faces of an IJB set, its protocol, and how its templates are built."""

    columns: Dict[str, np.ndarray]
    protocol: Protocol
    detector_scores: bool  # weigh each face by its detector score (eval_ijbc.py's default)
    flip: bool  # the faces' mirror images were embedded too, and are added to theirs
    source: str

    @property
    def is_same(self) -> np.ndarray:
        return self.protocol.pairs[:, 2].astype(bool)

    def context(self) -> dict:
        """Sizes of the set, the same for every model."""
        return {
            report.FACES: int(len(self.columns[embedding.TEMPLATE_FEATURE])),
            report.TEMPLATES: int(len(np.unique(self.columns[embedding.TEMPLATE_FEATURE]))),
            report.FLIP: self.flip,
            report.DETECTOR_SCORES: self.detector_scores,
            report.GALLERIES: {name: int(len(rows)) for name, rows in sorted(self.protocol.galleries.items())},
            report.PROBES: int(len(self.protocol.probes)),
        }


def template_embeddings(ijb_set: IjbSet, model: str) -> Tuple[np.ndarray, np.ndarray]:
    """(template ids, unit template embeddings) of `model`'s face embeddings."""
    columns = ijb_set.columns
    return templates.template_embeddings(
        columns[embedding.embedding_feature(model)], columns[embedding.TEMPLATE_FEATURE],
        columns[embedding.MEDIA_FEATURE], columns.get(embedding.embedding_feature(model, embedding.FLIPPED)),
        columns[embedding.DETECTOR_SCORE_FEATURE].ravel() if ijb_set.detector_scores else None)


def _searches(ids, units, protocol: Protocol) -> Dict[str, dict]:
    probes = units[templates.rows_of(ids, protocol.probes[:, 0], "probes")]
    found = {}
    for name, rows in sorted(protocol.galleries.items()):
        gallery = units[templates.rows_of(ids, rows[:, 0], f"gallery {name}")]
        result = identification.open_set_identification(probes, protocol.probes[:, 1], gallery, rows[:, 1],
                                                        ks=RANKS, fpirs=tuple(FPIRS.values()))
        found[name] = {
            **{rank_key(k): result["rank"][k] for k in RANKS},
            **{tpir_key(key): result["tpir"][fpir] for key, fpir in FPIRS.items()},
            **{fpir_threshold_key(key): result["threshold"][fpir] for key, fpir in FPIRS.items()},
            report.NUM_MATED_SEARCHES: result["num_mated_searches"],
            report.NUM_NONMATED_SEARCHES: result["num_nonmated_searches"],
            report.GALLERY_SIZE: result["gallery_size"],
        }
    return found


def score(ijb_set: IjbSet, model: str) -> Tuple[np.ndarray, Dict[str, dict]]:
    """`model`'s similarity of every 1:1 template pair, and its 1:N figures per gallery ({} without 1:N)."""
    ids, units = template_embeddings(ijb_set, model)
    pairs = ijb_set.protocol.pairs
    return templates.pair_similarities(ids, units, pairs[:, 0], pairs[:, 1]), _searches(ids, units, ijb_set.protocol)
