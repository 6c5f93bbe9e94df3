"""The word counts of every document of a build, saved beside it (``term_counts.npz``), so that a surge's
distinctive words are read off stored counts instead of re-tokenising thousands of texts on every question.

The counts are those :func:`analysis.topics.count_terms` makes (the topic model's tokens, lower-cased),
stop words left out, every other term kept: choosing the terms of a question (``min_df``, ``max_df``,
``max_features`` over the documents compared) happens when it is asked (:meth:`TermStore.counts`), so the
stored rows give exactly what counting those documents' texts gives. The build makes them from the topic
model's own tokenising pass (no second pass over the texts). The Dask engine makes them on its workers;
``analysis update`` keeps the stored rows and counts the new documents. A build of an earlier version (and
its updates) has no such file; the dashboard then counts the texts it compares, as before.

Like ``topic_model.npz``, the file is a NumPy ``.npz`` of plain arrays read with ``allow_pickle=False`` and
checked on load (a :class:`TermStoreError` names what is wrong; nothing in a build folder is unpickled).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from .npz import lines_array, read_arrays, split_lines
from .surges import TermCounts as SurgeCounts
from .surges import WindowCounts, select_terms, window_counts

if TYPE_CHECKING:
    from .topics import TermCounts

__all__ = ["FILE_NAME", "FORMAT", "TermStore", "TermStoreBuilder", "TermStoreError"]

FILE_NAME = "term_counts.npz"
FORMAT = 1  # bumped when the arrays or their meaning change; another version is refused (and counted afresh)
_MAX_BYTES = 4_000_000_000  # the largest uncompressed size accepted
_ARRAYS = ("format", "doc_ids", "terms", "indptr", "indices", "data")


def _as_texts(doc_ids) -> list[str]:
    """doc_ids as a list of str, read in one go from a pandas or numpy column (not value by value)."""
    values = doc_ids.tolist() if hasattr(doc_ids, "tolist") else list(doc_ids)
    return values if all(type(v) is str for v in values) else [str(v) for v in values]


class TermStoreError(ValueError):
    """A term counts file that cannot be used; the message says what is wrong with it."""


@dataclass(frozen=True)
class TermStore:
    """Documents x terms counts of a whole build.

    Attributes:
        doc_ids: the document of each row (array of str).
        terms: the term of each column, in alphabetical order, no stop words (array of str).
        matrix: int32 CSR counts (rows x terms), indices sorted.
    """

    doc_ids: np.ndarray
    terms: np.ndarray
    matrix: sparse.csr_matrix
    _row: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.matrix.shape != (len(self.doc_ids), len(self.terms)):
            raise ValueError(
                f"The term counts must have one row per document and one column per term; got shape "
                f"{self.matrix.shape} for {len(self.doc_ids)} documents and {len(self.terms)} terms."
            )
        object.__setattr__(self, "_row", {str(d): i for i, d in enumerate(self.doc_ids)})
        if len(self._row) != len(self.doc_ids):
            raise ValueError("The term counts name a document twice; each doc_id must have one row.")

    # ------------------------------------------------------------------------------------------ making
    @classmethod
    def from_batches(cls, doc_ids: Sequence[str], batches: Iterable[tuple[np.ndarray, TermCounts]]) -> TermStore:
        """The store of ``doc_ids`` from ``(rows, counts)`` batches (see :class:`TermStoreBuilder`)."""
        builder = TermStoreBuilder(doc_ids)
        for rows, counts in batches:
            builder.add(rows, counts)
        return builder.finish()

    @cached_property
    def clean(self) -> bool:
        """Whether the terms are in alphabetical order without stop words and no zero count is stored, as a
        build writes them (checked once): then a question's terms are chosen without looking any of that up
        again (``analysis.surges.select_terms``)."""
        from .topics import stop_words

        terms = self.terms
        ordered = bool(len(terms) < 2 or (terms[:-1].astype(str) < terms[1:].astype(str)).all())
        stop = stop_words()
        return ordered and bool((self.matrix.data > 0).all()) and not any(t in stop for t in terms)

    # ---------------------------------------------------------------------------------------- questions
    def counts(self, doc_ids: Sequence[str], *, min_df: int = 2, max_df: float = 0.95,
               max_features: int = 50_000) -> SurgeCounts | None:
        """:func:`analysis.surges.term_counts` of these documents (rows in this order), from the stored
        counts; None when one of them is not in the store (a caller then counts the texts)."""
        ids = _as_texts(doc_ids)
        rows = self.rows(ids)
        if rows is None:
            return None
        ids = np.asarray(ids, dtype=object)
        return select_terms(ids, self.terms, rows, min_df=min_df, max_df=max_df, max_features=max_features,
                            clean=self.clean)

    def window(self, surge_ids: Sequence[str], other_ids: Sequence[str], *, min_df: int = 2, max_df: float = 0.95,
               max_features: int = 50_000) -> WindowCounts | None:
        """The :class:`analysis.surges.WindowCounts` of a surge's documents against others, summed off the
        stored counts without copying the others' rows; None when a document is not in the store, the two
        sets share one, or the store is not clean (then :meth:`counts` is asked)."""
        surge, others = _as_texts(surge_ids), _as_texts(other_ids)
        surge_rows, other_rows = list(map(self._row.get, surge)), list(map(self._row.get, others))
        if None in surge_rows or None in other_rows or not self.clean:
            return None
        return window_counts(self.matrix, self.terms, np.asarray(surge_rows, dtype=np.int64),
                             np.asarray(other_rows, dtype=np.int64), surge, min_df=min_df, max_df=max_df,
                             max_features=max_features)

    def rows(self, doc_ids: Sequence[str]) -> sparse.csr_matrix | None:
        """The stored counts of these documents (rows in this order, every term's column); None when one of
        them is not in the store."""
        rows = list(map(self._row.get, _as_texts(doc_ids)))  # looked up in C: hundreds of thousands for a long surge
        if None in rows:
            return None
        return self.matrix[np.asarray(rows, dtype=np.int64)]

    # ------------------------------------------------------------------------------------------ the file
    def save(self, target) -> None:
        """Write the ``.npz`` file (what the build holds as ``term_counts.npz``) to ``target``, a path or a
        binary file, straight from the arrays (no copy of them, nor of the file, in memory)."""
        np.savez(target, format=np.array(FORMAT, dtype=np.int64), doc_ids=lines_array(list(self.doc_ids)),
                 terms=lines_array(list(self.terms)), indptr=self.matrix.indptr.astype(np.int64, copy=False),
                 indices=self.matrix.indices.astype(np.int32, copy=False),
                 data=self.matrix.data.astype(np.int32, copy=False))

    def to_bytes(self) -> bytes:
        """The ``.npz`` file's bytes (see :meth:`save`)."""
        buffer = io.BytesIO()
        self.save(buffer)
        return buffer.getvalue()

    @classmethod
    def load(cls, path: str | Path) -> TermStore:
        """Read and check a file written from :meth:`to_bytes`.

        Raises:
            TermStoreError: the file is unreadable, too large, of another format version, or an array is
                missing or inconsistent; the message names it.
        """
        path = Path(path)
        arrays = read_arrays(path, what="term counts", error=TermStoreError, max_bytes=_MAX_BYTES)
        if sorted(arrays) != sorted(_ARRAYS):
            raise TermStoreError(
                f"'{path}' holds the arrays {sorted(arrays)}; expected {sorted(_ARRAYS)}. Rebuild to remake it."
            )
        version = arrays["format"].tolist()
        if version != FORMAT:
            raise TermStoreError(f"'{path}' is of format {version!r}; this version reads format {FORMAT}.")
        try:
            doc_ids, terms = (np.array(split_lines(arrays[n]), dtype=object) for n in ("doc_ids", "terms"))
        except ValueError:
            raise TermStoreError(f"'{path}': 'doc_ids' and 'terms' must be UTF-8 text.") from None
        indptr, indices, data = arrays["indptr"], arrays["indices"], arrays["data"]
        if (indptr.ndim != 1 or len(indptr) != len(doc_ids) + 1 or indptr[0] != 0 or (np.diff(indptr) < 0).any()
                or indptr[-1] != len(indices) or len(indices) != len(data)
                or (len(indices) and (indices.min() < 0 or indices.max() >= len(terms))) or (data < 0).any()):
            raise TermStoreError(f"'{path}': the counts matrix is inconsistent with its documents and terms.")
        try:
            return cls(doc_ids, terms, sparse.csr_matrix((data, indices, indptr), shape=(len(doc_ids), len(terms))))
        except ValueError as error:
            raise TermStoreError(f"'{path}': {error}") from None


class TermStoreBuilder:
    """Collects the :func:`analysis.topics.count_terms` batches of a build as they are counted (each batch's
    terms turned into ids of one vocabulary at once, so only integer arrays are kept) into a
    :class:`TermStore`.

    Arguments:
        doc_ids: every document of the build, in the order that the batches' ``rows`` index.
    """

    def __init__(self, doc_ids: Sequence[str]) -> None:
        self.doc_ids = np.asarray([str(d) for d in doc_ids], dtype=object)
        self._index: dict[str, int] = {}
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, rows, counts: TermCounts) -> None:
        """Keep the counts of the texts of ``rows`` (positions in ``doc_ids``; ``counts`` in that order)."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) != len(counts.indptr) - 1:
            raise ValueError(f"A batch of {len(counts.indptr) - 1} counted texts was given {len(rows)} rows.")
        index = self._index
        ids = np.fromiter((index.setdefault(t, len(index)) for t in counts.terms), dtype=np.int32,
                          count=len(counts.terms))
        columns = ids[counts.indices] if len(counts.indices) else np.zeros(0, np.int32)
        values = np.rint(counts.values).astype(np.int32)
        self._parts.append((rows, columns, values, np.asarray(counts.indptr, dtype=np.int64)))

    def finish(self) -> TermStore:
        """The store: every document must have been in exactly one batch."""
        from .topics import stop_words

        n_docs = len(self.doc_ids)
        seen = np.zeros(n_docs, dtype=np.int64)
        for rows, *_ in self._parts:
            np.add.at(seen, rows, 1)
        if n_docs and not (seen == 1).all():
            raise ValueError(
                f"Every document must be counted once; {int((seen == 0).sum())} were not counted and "
                f"{int((seen > 1).sum())} more than once."
            )
        names = np.array(list(self._index), dtype=object)
        stop = stop_words()
        keep = np.flatnonzero(np.fromiter((n not in stop for n in names), dtype=bool, count=len(names)))
        keep = keep[np.argsort(names[keep].astype(str), kind="stable")]
        # Each term's column in the store (alphabetical, stop words left out: -1), applied to every batch as it
        # is placed, so that only the kept counts are ever copied and each batch is freed once placed (a
        # matrix of every term, then its kept columns, held about three copies at once: GBs at 950k posts).
        column_of = np.full(len(names), -1, dtype=np.int32)
        column_of[keep] = np.arange(len(keep), dtype=np.int32)

        # (mask of the kept counts, kept counts per text) of a batch: computed again when it is placed rather
        # than held for every batch at once.
        def kept(part) -> tuple[np.ndarray, np.ndarray]:
            rows, columns, _, part_ptr = part
            mask = column_of[columns] >= 0
            text_of = np.repeat(np.arange(len(rows)), np.diff(part_ptr))
            return mask, np.bincount(text_of[mask], minlength=len(rows))

        lengths = np.zeros(n_docs, dtype=np.int64)
        for part in self._parts:
            lengths[part[0]] = kept(part)[1]
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        indices = np.zeros(int(indptr[-1]), dtype=np.int32)
        values = np.zeros(int(indptr[-1]), dtype=np.int32)
        parts, self._parts = self._parts, []
        while parts:
            part = parts.pop()
            rows, columns, counts, _ = part
            mask, per_text = kept(part)
            local = np.concatenate([[0], np.cumsum(per_text)])
            # Each text's kept counts moved to where its row starts in the whole matrix.
            at = np.repeat(indptr[rows] - local[:-1], per_text) + np.arange(int(local[-1]))
            indices[at] = column_of[columns[mask]]
            values[at] = counts[mask]
            del part, columns, counts, mask
        matrix = sparse.csr_matrix((values, indices, indptr), shape=(n_docs, len(keep)))
        matrix.sort_indices()
        return TermStore(self.doc_ids, names[keep], matrix)
