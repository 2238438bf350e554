"""A gallery of enrolled people: their photos' embeddings, one template each, and the index that searches them.

A gallery is a folder the user names, built with one model: the embeddings of another model mean
nothing to it, so the gallery records the model's version and fingerprint (a hash of its
SavedModel files: `model_folder.fingerprint`) and refuses any other model in one line.

    <gallery>/gallery.json             what is enrolled: the model, the people (name -> key), the
                                       files below; replaced atomically (os.replace) by every change
    <gallery>/photos-<id>.npz          one enrolment's photos: person, photo path, embedding
    <gallery>/index-<id>.usearch       the approximate index, once there are APPROXIMATE_FROM people

An approximate index is checked on the gallery's own photos when it is built, and again by
`python -m serving check`: its recall@1 against exact search, with enrolled photos as probes, and
the smallest search list reaching gallery_index.TARGET_RECALL, which its searches then use
(`check_index`; the manifest's "index_check" keeps the figures).

A person's template is the mean of their photos' normalised embeddings, normalised again
(insightface's template averaging): enrolling more photos of someone refines their template,
removing them drops it. Every photo's embedding and path is kept, so a gallery can be rebuilt
with a new model from the same photos (`python -m serving enrol` again, or the pipeline's
Pusher with `gallery:` in the config) and its templates recomputed at any time.

A change writes its new files first and then replaces gallery.json: a process killed midway
leaves the previous gallery.json, which names only complete files; the next change removes the
files nothing names. Changes to one gallery take turns (flock on the folder).

Example:
    >>> gallery = Gallery.create("staff", model_version="1760000000", fingerprint="3f2a...", dimensions=512)
    >>> gallery.enrol(["ann", "ann", "bob"], ["ann/1.jpg", "ann/2.jpg", "bob/1.jpg"], embeddings)
    >>> gallery.search(probe_embeddings, k=1)
    ([[('ann', 0.81)], [('bob', 0.77)]])
"""

import contextlib
import fcntl
import json
import os
import uuid
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from serving import gallery_index
from verification.metrics import unit_rows

MANIFEST = "gallery.json"
FORMAT_VERSION = 1
PHOTOS_PREFIX, INDEX_PREFIX = "photos-", "index-"


class ModelMismatch(ValueError):
    """The gallery was built with another model than the one given."""


def describe(model: dict) -> str:
    """`version 1760000000 (fingerprint 3f2a...)`; a gallery the Pusher built lives in its version's folder."""
    version = f"version {model['version']}" if model.get("version") else "the version it was pushed in"
    return f"{version} (fingerprint {model['fingerprint'][:12]})"


def _write_atomically(path: str, write) -> None:
    """`write(file)` into a temporary name beside `path`, flushed to disk, then renamed to `path`."""
    partial = f"{path}.partial-{uuid.uuid4().hex}"
    try:
        with open(partial, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


class Gallery:
    """The enrolled people of a gallery folder, their templates, and search among them."""

    def __init__(self, folder: str, manifest: dict):
        self.folder, self.manifest = folder, manifest
        self._templates = None  # (keys, templates), computed on first use
        self._index = self._name_of = None

    # ---- opening and creating ------------------------------------------------------------
    @classmethod
    def open(cls, folder: str) -> "Gallery":
        path = os.path.join(folder, MANIFEST)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{folder}: expected a gallery folder holding {MANIFEST} "
                                    "(made by `python -m serving enrol`), found none")
        with open(path, encoding="utf-8") as file:
            manifest = json.load(file)
        if manifest.get("format") != FORMAT_VERSION:
            raise ValueError(f"{path}: expected gallery format {FORMAT_VERSION}, got {manifest.get('format')!r}")
        return cls(folder, manifest)

    @classmethod
    def create(cls, folder: str, model_version: Optional[str], fingerprint: str, dimensions: int) -> "Gallery":
        """An empty gallery for a model, written to `folder` (made if missing; must hold no gallery)."""
        if os.path.exists(os.path.join(folder, MANIFEST)):
            raise ValueError(f"{folder}: already holds a gallery; open it instead")
        os.makedirs(folder, exist_ok=True)
        gallery = cls(folder, {"format": FORMAT_VERSION,
                               "model": {"version": model_version, "fingerprint": fingerprint},
                               "dimensions": int(dimensions), "people": {}, "next_key": 0,
                               "photo_files": [], "index_file": None, "index_check": None})
        gallery._commit()
        return gallery

    @classmethod
    def open_or_create(cls, folder: str, model_version: Optional[str], fingerprint: str,
                       dimensions: int) -> "Gallery":
        """The gallery in `folder`, checked to be of this model, or a new one."""
        if os.path.exists(os.path.join(folder, MANIFEST)):
            gallery = cls.open(folder)
            gallery.check_model(fingerprint, model_version)
            return gallery
        return cls.create(folder, model_version, fingerprint, dimensions)

    def check_model(self, fingerprint: str, model_version: Optional[str] = None) -> None:
        """Raises ModelMismatch, in one line, unless the gallery was built with this model."""
        built_with = self.manifest["model"]
        if built_with["fingerprint"] != fingerprint:
            given = describe({"version": model_version, "fingerprint": fingerprint})
            raise ModelMismatch(f"{self.folder}: this gallery was built with model {describe(built_with)}, not "
                                f"with the model given, {given}: enrol its people again with that model "
                                "(docs/gallery.md, 'A new model')")

    # ---- what is enrolled ----------------------------------------------------------------
    @property
    def people(self) -> Dict[str, int]:
        """Enrolled name -> its key in the index."""
        return self.manifest["people"]

    @property
    def model(self) -> dict:
        return self.manifest["model"]

    def photos(self, embeddings: bool = True) -> Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
        """(person [N], photo path [N], embedding [N, dim]) of every photo of the enrolled people; without
        `embeddings` the third is None and no embedding is read (a million of them are 2 GB)."""
        people, paths, vectors = [], [], []
        for name in self.manifest["photo_files"]:
            with np.load(os.path.join(self.folder, name)) as photos:  # an .npz reads an array when asked for it
                people.append(photos["people"])
                paths.append(photos["photos"])
                if embeddings:
                    vectors.append(photos["embeddings"])
        if not people:
            return np.zeros(0, str), np.zeros(0, str), \
                np.zeros((0, self.manifest["dimensions"]), np.float32) if embeddings else None
        return np.concatenate(people), np.concatenate(paths), np.concatenate(vectors) if embeddings else None

    def templates(self) -> Tuple[np.ndarray, np.ndarray]:
        """(key [P], template [P, dim]) of every enrolled person: their photos' unit embeddings averaged,
        normalised."""
        if self._templates is None:
            self._templates = self._templates_of(None)
        return self._templates

    def _templates_of(self, names: Optional[Sequence[str]]) -> Tuple[np.ndarray, np.ndarray]:
        """(key, template) of the people `names` (None: everyone), from the photo files that hold their photos:
        a change to a few people of a large gallery reads only those files' embeddings."""
        people, embeddings = [], []
        for name in self.manifest["photo_files"]:
            with np.load(os.path.join(self.folder, name)) as photos:
                rows = slice(None) if names is None else np.isin(photos["people"], names)
                if names is None or rows.any():
                    people.append(photos["people"][rows])
                    embeddings.append(photos["embeddings"][rows])
        if not people:
            return np.zeros(0, np.int64), np.zeros((0, self.manifest["dimensions"]), np.float32)
        people = np.concatenate(people)
        order = np.argsort(people, kind="stable")
        names, starts = np.unique(people[order], return_index=True)
        embeddings = unit_rows(np.concatenate(embeddings)[order])  # one copy at a time: a million photos are GBs
        sums = np.add.reduceat(embeddings, starts, axis=0)
        del embeddings
        return np.array([self.people[name] for name in names], np.int64), unit_rows(sums)

    def index(self):
        """The index of the templates: exact, or the saved approximate one."""
        if self._index is None:
            if self.manifest["index_file"] is None:
                self._index = gallery_index.ExactIndex(self.manifest["dimensions"])
                self._index.add(*self.templates())
            else:
                self._index = self._approximate_index()
            if len(self._index) != len(self.people):
                raise ValueError(f"{self.folder}: the index holds {len(self._index)} templates, expected one per "
                                 f"enrolled person ({len(self.people)})")
        return self._index

    def _approximate_index(self) -> gallery_index.ApproximateIndex:
        """The saved approximate index, searching with the list its last check chose."""
        index = gallery_index.ApproximateIndex(self.manifest["dimensions"],
                                               os.path.join(self.folder, self.manifest["index_file"]))
        index.search_list = (self.manifest.get("index_check") or {}).get("search_list",
                                                                         gallery_index.EXPANSION_SEARCH)
        return index

    def index_summary(self) -> str:
        """How the gallery is searched, and what its index's last check measured."""
        check = self.manifest.get("index_check")
        if self.manifest["index_file"] is None:
            return f"{gallery_index.EXACT} search"
        if check is None:  # a gallery built before the checks were
            return (f"{gallery_index.APPROXIMATE} search, search list {gallery_index.EXPANSION_SEARCH}; not checked: "
                    "`python -m serving check` measures it")
        if not check["probes"]:
            return (f"{gallery_index.APPROXIMATE} search, search list {check['search_list']}; not checked: no "
                    "person has two photos (a person's only photo is their template, which any index finds)")
        recall = check["recall_at_1"][str(check["search_list"])]
        below = "" if recall >= gallery_index.TARGET_RECALL else f", below the {gallery_index.TARGET_RECALL} aimed at"
        return (f"{gallery_index.APPROXIMATE} search, search list {check['search_list']}: recall@1 {recall:.4f} "
                f"against exact search on {check['probes']} enrolled photos{below} (checked at "
                f"{check['people']} people)")

    def search(self, probes: np.ndarray, k: int) -> List[List[Tuple[str, float]]]:
        """Each probe's k most similar enrolled people, best first: [(name, cosine similarity), ...]."""
        if not self.people:
            raise ValueError(f"{self.folder}: the gallery is empty; enrol people first")
        keys, scores = self.index().search(unit_rows(probes), k)
        if self._name_of is None:
            self._name_of = {key: name for name, key in self.people.items()}
        return [[(self._name_of[int(key)], float(score)) for key, score in zip(row_keys, row_scores)]
                for row_keys, row_scores in zip(keys, scores)]

    # ---- changes ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def changing(self):
        """Holds the gallery's lock, with the manifest re-read: another process may have changed it."""
        folder = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(folder, fcntl.LOCK_EX)
            self.manifest = Gallery.open(self.folder).manifest
            self._templates = self._index = self._name_of = None
            yield
        finally:
            os.close(folder)  # releases the lock

    def check_index(self) -> None:
        """Measures the approximate index on the gallery's own photos and keeps the search list that reaches
        gallery_index.TARGET_RECALL (commits); an exact gallery has nothing to check."""
        with self.changing():
            if self.manifest["index_file"] is not None:
                self._check(self._approximate_index())
                self._commit()

    def _check(self, index: gallery_index.ApproximateIndex) -> None:
        """The manifest's "index_check": recall@1 of `index` against exact search on up to CHECK_PROBES
        enrolled photos of people with two or more, for each search list tried, and the one chosen."""
        probes = self._check_probes()
        search_list, recalls = gallery_index.EXPANSION_SEARCH, {}
        if len(probes):
            exact = gallery_index.ExactIndex(self.manifest["dimensions"])
            exact.add(*self.templates())
            search_list, recalls = gallery_index.choose_search_list(index, exact, probes)
        index.search_list = search_list
        self.manifest["index_check"] = {"probes": len(probes), "people": len(self.people), "search_list": search_list,
                                        "recall_at_1": {str(size): recall for size, recall in recalls.items()}}

    def _check_probes(self) -> np.ndarray:
        """Up to CHECK_PROBES unit embeddings of enrolled photos, drawn with a fixed seed from the people enrolled
        with two or more (a person's only photo is their template itself)."""
        people, _, _ = self.photos(embeddings=False)
        _, person, counts = np.unique(people, return_inverse=True, return_counts=True)
        eligible = np.flatnonzero(counts[person] >= 2)
        rows = np.sort(np.random.default_rng(0).choice(eligible, min(gallery_index.CHECK_PROBES, len(eligible)),
                                                       replace=False))
        probes, start = [], 0
        for name in self.manifest["photo_files"]:
            with np.load(os.path.join(self.folder, name)) as photos:
                end = start + len(photos["people"])
                mine = rows[(rows >= start) & (rows < end)] - start
                if len(mine):
                    probes.append(photos["embeddings"][mine])
                start = end
        return unit_rows(np.concatenate(probes)) if probes else np.zeros((0, self.manifest["dimensions"]), np.float32)

    def enrolled_photos(self) -> set:
        """{(person, photo path)} already enrolled: enrolling one again changes nothing."""
        people, paths, _ = self.photos(embeddings=False)
        return set(zip(people.tolist(), paths.tolist()))

    def enrol(self, people: Sequence[str], paths: Sequence[str], embeddings: np.ndarray) -> int:
        """Adds photos (person, path, embedding each) and commits; returns how many were new."""
        embeddings = np.asarray(embeddings, np.float32)
        if embeddings.shape != (len(people), self.manifest["dimensions"]) or len(paths) != len(people):
            raise ValueError(f"expected {len(people)} people, paths and [{len(people)}, "
                             f"{self.manifest['dimensions']}] embeddings, got {len(paths)} paths and "
                             f"{list(embeddings.shape)}")
        with self.changing():
            known = self.enrolled_photos()
            new = [row for row, pair in enumerate(zip(people, paths)) if pair not in known]
            if not new:
                return 0
            self.manifest["photo_files"].append(
                self._write_photos(np.array(people)[new], np.array(paths)[new], embeddings[new]))
            changed = sorted({people[row] for row in new})
            for person in changed:
                if person not in self.people:
                    self.people[person] = self.manifest["next_key"]
                    self.manifest["next_key"] += 1
            self._update_index(changed, [])
            self._commit()
        return len(new)

    def remove(self, names: Sequence[str]) -> None:
        """Removes people (all their photos) and commits; ValueError naming one not enrolled."""
        with self.changing():
            missing = [name for name in names if name not in self.people]
            if missing:
                raise ValueError(f"{self.folder}: {missing[0]!r} is not enrolled ({len(self.people)} people are: "
                                 "`python -m serving list` names them)")
            removed = [self.people.pop(name) for name in names]
            self.manifest["photo_files"] = [self._without(name, names) for name in self.manifest["photo_files"]]
            self.manifest["photo_files"] = [name for name in self.manifest["photo_files"] if name]
            self._update_index([], removed)
            self._commit()

    def _write_photos(self, people: np.ndarray, paths: np.ndarray, embeddings: np.ndarray) -> str:
        """A new photos file (written atomically); returns its name."""
        name = f"{PHOTOS_PREFIX}{uuid.uuid4().hex}.npz"
        _write_atomically(os.path.join(self.folder, name),
                          lambda file: np.savez(file, people=people, photos=paths, embeddings=embeddings))
        return name

    def _without(self, name: str, removed: Sequence[str]) -> Optional[str]:
        """The photos file `name`, or a new one without the `removed` people's photos (None if none is left)."""
        with np.load(os.path.join(self.folder, name)) as photos:
            kept = ~np.isin(photos["people"], list(removed))
            if kept.all():
                return name
            if not kept.any():
                return None
            return self._write_photos(photos["people"][kept], photos["photos"][kept], photos["embeddings"][kept])

    def _update_index(self, changed: List[str], removed_keys: List[int]) -> None:
        """The approximate index made to match the manifest's people, saved to a new file; none if few."""
        self._templates = self._name_of = None
        if len(self.people) < gallery_index.APPROXIMATE_FROM:
            self.manifest["index_file"] = self.manifest["index_check"] = None
            self._index = None
            return
        if self.manifest["index_file"] is None:  # the gallery has just grown past exact search
            index = gallery_index.ApproximateIndex(self.manifest["dimensions"])
            index.add(*self.templates())
            self._check(index)
        else:
            index = self._approximate_index()
            index.remove(np.array(removed_keys, np.int64))
            if changed:
                index.add(*self._templates_of(changed))
        name = f"{INDEX_PREFIX}{uuid.uuid4().hex}.usearch"
        partial = os.path.join(self.folder, name + ".partial")
        index.save(partial)
        os.replace(partial, os.path.join(self.folder, name))
        self.manifest["index_file"], self._index = name, index

    def _commit(self) -> None:
        """Replaces gallery.json with the manifest, then removes the files it no longer names."""
        _write_atomically(os.path.join(self.folder, MANIFEST),
                          lambda file: file.write(json.dumps(self.manifest, indent=1).encode()))
        named = {MANIFEST, self.manifest["index_file"], *self.manifest["photo_files"]}
        for name in os.listdir(self.folder):
            if name not in named and name.startswith((PHOTOS_PREFIX, INDEX_PREFIX, MANIFEST)):
                os.remove(os.path.join(self.folder, name))
