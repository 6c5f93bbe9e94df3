"""A fitted topic model's state, saved in a build (``topic_model.npz``) so that new documents can be assigned
to its clusters and placed on its map without refitting (``python -m analysis update``).

The file is a NumPy ``.npz`` of plain numeric arrays, read with ``allow_pickle=False``: a build folder can
come from anyone, and nothing in it is ever unpickled. Every array is checked on load (names, types, shapes,
finite values), so a damaged or forged file gives a :class:`TopicStateError`, never a wrong assignment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .npz import lines_array, read_arrays, split_lines
from .topics import _CHUNK, _MIN_TERMS, TopicModel, _fixed_counts

__all__ = ["FILE_NAME", "FORMAT", "TopicState", "TopicStateError"]

FILE_NAME = "topic_model.npz"
FORMAT = 1  # bumped when the arrays or their meaning change; an older or newer file is refused
# The largest uncompressed size accepted (a 50,000-term vocabulary in 100 dimensions is about 45 MB).
_MAX_BYTES = 1_000_000_000
_FLOAT_ARRAYS = ("idf", "components", "centroids", "map_mean", "map_axes")


class TopicStateError(ValueError):
    """A topic model file that cannot be used; the message says what is wrong with it."""


@dataclass(frozen=True)
class TopicState:
    """What assigning a new text to a fitted :class:`~analysis.topics.TopicModel` needs.

    Attributes:
        terms: the vocabulary (tuple of str, in the column order of ``idf`` and ``components``).
        idf: (n_terms,) IDF weights (sublinear TF-IDF, L2-normalised rows).
        components: (n_terms, d) SVD components of the reduced space, or None (the TF-IDF space itself).
        centroids: (n_clusters, d) KMeans centroids in ``cluster_id`` order, or None (0 or 1 cluster).
        map_mean, map_axes: the map's origin (d,) and axes (d, 1 or 2), or None (every point at 0, 0).
        n_clusters: the number of clusters (0 when the model found none).
    """

    terms: tuple[str, ...]
    idf: np.ndarray | None
    components: np.ndarray | None
    centroids: np.ndarray | None
    map_mean: np.ndarray | None
    map_axes: np.ndarray | None
    n_clusters: int

    @classmethod
    def from_model(cls, model: TopicModel) -> TopicState:
        """The state of a fitted ``model`` (``TopicModel.fit`` must have run)."""
        if not hasattr(model, "n_clusters_"):
            raise TypeError("TopicState.from_model expects a fitted TopicModel; call fit(documents) first.")
        terms = tuple(str(t) for t in getattr(model, "terms_", ()))
        state = cls(terms, model.idf_, model.components_, model.centroids_, model.map_mean_, model.map_axes_,
                     int(model.n_clusters_))
        state._check()
        return state

    # ------------------------------------------------------------------------------------------- the file
    def save(self, path: str | Path) -> Path:
        """Write the state to ``path`` (an ``.npz``); returns the path."""
        arrays = {"format": np.array(FORMAT, dtype=np.int64), "n_clusters": np.array(self.n_clusters, np.int64),
                  "terms": lines_array(self.terms)}  # tokens never hold a line break
        for name in _FLOAT_ARRAYS:
            value = getattr(self, name)
            if value is not None:
                arrays[name] = np.asarray(value)
        path = Path(path)
        with open(path, "wb") as handle:
            np.savez_compressed(handle, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> TopicState:
        """Read and check a state written by :meth:`save`.

        Raises:
            TopicStateError: the file is unreadable, too large, of another format version, or an array is
                missing, of the wrong type or shape, or not finite; the message names it.
        """
        path = Path(path)
        arrays = read_arrays(path, what="topic model", error=TopicStateError, max_bytes=_MAX_BYTES)
        for name in ("format", "n_clusters", "terms"):
            if name not in arrays:
                raise TopicStateError(f"'{path}' has no '{name}' array; it was not written by this tool.")
        version = _scalar(arrays["format"], "format", path)
        if version != FORMAT:
            raise TopicStateError(
                f"'{path}' is a topic model of format {version}; this version reads format {FORMAT}."
            )
        try:
            terms = tuple(split_lines(arrays["terms"]))
        except ValueError as problem:
            raise TopicStateError(f"'{path}': 'terms' {problem}.") from None
        unknown = sorted(set(arrays) - {"format", "n_clusters", "terms", *_FLOAT_ARRAYS})
        if unknown:
            raise TopicStateError(f"'{path}' holds unknown arrays {unknown}; it was not written by this tool.")
        floats = {}
        for name in _FLOAT_ARRAYS:
            value = arrays.get(name)
            if value is not None:
                if value.dtype.kind != "f":
                    raise TopicStateError(f"'{path}': '{name}' must hold floats; got {value.dtype}.")
                if not np.isfinite(value).all():
                    raise TopicStateError(f"'{path}': '{name}' holds values that are not finite numbers.")
            floats[name] = value
        state = cls(terms, n_clusters=_scalar(arrays["n_clusters"], "n_clusters",
                    path), **floats)
        try:
            state._check()
        except ValueError as error:
            raise TopicStateError(f"'{path}': {error}") from None
        return state

    def _check(self) -> None:
        """Raise ValueError when the arrays do not fit together."""
        n_terms, k = len(self.terms), self.n_clusters
        if k < 0:
            raise ValueError(f"n_clusters must be 0 or more; got {k}.")
        if k == 0:
            return
        if self.idf is None or self.idf.shape != (n_terms,):
            raise ValueError(f"idf must have one weight per term ({n_terms}); got "
                             f"{None if self.idf is None else self.idf.shape}.")
        if len(set(self.terms)) != n_terms:
            raise ValueError("the vocabulary holds a term twice.")
        dims = n_terms
        if self.components is not None:
            if self.components.ndim != 2 or self.components.shape[0] != n_terms:
                raise ValueError(f"components must be ({n_terms}, d); got {self.components.shape}.")
            dims = self.components.shape[1]
        if self.centroids is not None:
            if self.centroids.shape != (k, dims):
                raise ValueError(f"centroids must be ({k}, {dims}); got {self.centroids.shape}.")
        elif k != 1:
            raise ValueError(f"{k} clusters need their centroids; there are none.")
        if self.map_mean is None or self.map_mean.shape != (dims,):
            raise ValueError(f"map_mean must be ({dims},); got {None if self.map_mean is None else self.map_mean.shape}.")
        if self.map_axes is not None and (self.map_axes.ndim != 2 or self.map_axes.shape[0] != dims
                                          or not 1 <= self.map_axes.shape[1] <= 2):
            raise ValueError(f"map_axes must be ({dims}, 1 or 2); got {self.map_axes.shape}.")

    # ------------------------------------------------------------------------------------------ assigning
    def assign(self, documents: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """The cluster and map coordinates of each document, as ``TopicModel.fit`` gives the documents it
        was not fitted on: counted over the vocabulary, weighted by the IDF, reduced, normalised, given the
        nearest centroid and projected on the map's axes. A text with fewer than two known terms is in no
        cluster (``-1``, coordinates NaN).

        Arguments:
            documents: a DataFrame with a ``text`` column.

        Returns:
            (labels, coords): an int64 array of cluster ids and an (n, 2) float array.
        """
        if not isinstance(documents, pd.DataFrame) or "text" not in documents:
            raise ValueError("TopicState.assign expects the documents DataFrame with a 'text' column.")
        n = len(documents)
        labels = np.full(n, -1, dtype=np.int64)
        coords = np.full((n, 2), np.nan)
        if self.n_clusters == 0 or n == 0:
            return labels, coords
        vocabulary = {term: i for i, term in enumerate(self.terms)}
        column = documents["text"]
        for start in range(0, n, _CHUNK):
            rows = np.arange(start, min(n, start + _CHUNK))
            texts = [t if isinstance(t, str) else "" for t in column.iloc[rows].tolist()]
            counts = _fixed_counts(texts, vocabulary)
            keep = np.flatnonzero(np.diff(counts.indptr) >= _MIN_TERMS)
            if len(keep) == 0:
                continue
            reduced = self._reduce(counts[keep])
            labels[rows[keep]] = self._nearest(reduced)
            coords[rows[keep]] = TopicModel._map(reduced, self.map_mean, self.map_axes)
        return labels, coords

    def _reduce(self, counts) -> np.ndarray:
        # The steps of sklearn's TfidfTransformer(sublinear_tf=True).transform, then the model's reduction.
        tfidf = counts.astype(self.idf.dtype, copy=True)
        np.log(tfidf.data, tfidf.data)
        tfidf.data += 1.0
        tfidf.data *= self.idf[tfidf.indices]
        from sklearn.preprocessing import normalize

        tfidf = normalize(tfidf, norm="l2", copy=False)
        return normalize(np.asarray(tfidf @ self.components) if self.components is not None else tfidf.toarray())

    def _nearest(self, reduced: np.ndarray) -> np.ndarray:
        if self.centroids is None:  # one cluster: every text with terms is in it
            return np.zeros(len(reduced), dtype=np.int64)
        # ||x - c||^2 without the ||x||^2 that every centroid shares.
        distances = (self.centroids**2).sum(axis=1)[None, :] - 2.0 * (reduced @ self.centroids.T)
        return distances.argmin(axis=1).astype(np.int64)


def _scalar(value: np.ndarray, name: str, path: Path) -> int:
    if value.shape != () or value.dtype.kind not in "iu":
        raise TopicStateError(f"'{path}': '{name}' must be one integer; got {value.dtype} of shape {value.shape}.")
    return int(value)
