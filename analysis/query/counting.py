"""What a Corpus counts, held as numpy arrays: the document-key pairs and the few numbers of each document
that timelines, rankings, cross-tabs and summaries add up, and those sums over a selection of documents.

A DuckDB query costs a few milliseconds however small the answer (its Python layer binds, plans and
converts each one) and 20–110 ms over the pairs of a million posts; the same sums as numpy bincounts over
the selected pairs cost a fraction of that. The arrays are read once from a Corpus's query tables (about
70 MB at a million posts: three 32-bit integers per pair, a dozen bytes per document). Which documents a
filter state keeps is a boolean mask over the documents' rows (:meth:`Counting.where`, the rules of
analysis.timeline.filter_documents); the documents tables and passages are still read through DuckDB.

Every answer is the same as the SQL it replaces: integer counts and sums (bincount weights are float64,
exact below 2**53), dates as ``datetime.date``, groups as ``CAST(column AS VARCHAR)`` sorted as numpy
sorts strings.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.timeline import Filters

__all__ = ["Counting", "DateSpans", "as_date"]

_EPOCH = dt.date(1970, 1, 1)


def as_date(day) -> dt.date:
    """A day number (days since 1970-01-01) as the date DuckDB gives for it."""
    return _EPOCH + dt.timedelta(days=int(day))


def _ints(table: pa.Table, name: str, dtype, missing=0) -> np.ndarray:
    column = table.column(name)
    if column.null_count:
        column = pc.fill_null(column, missing)
    return column.to_numpy().astype(dtype, copy=False)


@dataclass(frozen=True)
class DateSpans:
    """Of the selected documents: how many have no date, and per date-precision rank (0 day, 1 month,
    2 year) how many are dated and their first and last day (days since 1970-01-01)."""

    undated: int
    count: dict[int, int]
    first: dict[int, int]
    last: dict[int, int]


@dataclass
class Counting:
    """The arrays of one Corpus (read with :meth:`load`) and the sums over a selection mask."""

    n_docs: int
    pair_row: np.ndarray  # int32: the document row of each pair; pairs sorted by key id, then row
    pair_key: np.ndarray  # int32: the key id
    pair_n: np.ndarray  # int32: mentions of the key in the document
    key_start: np.ndarray  # pairs of key id k are pair_*[key_start[k]:key_start[k + 1]]
    rank: np.ndarray  # int8 date-precision rank per document row
    dated: np.ndarray  # bool
    day: np.ndarray  # int32 days since 1970-01-01 (0 when undated)
    n_words: np.ndarray  # int64, 0 when missing
    body: np.ndarray  # bool: date_method = 'body'
    inferred: np.ndarray  # bool: date_method = 'inferred'
    duplicate: np.ndarray  # bool: duplicate_of is set
    hinted: np.ndarray  # bool: undated with a date_hint
    _db: duckdb.DuckDBPyConnection
    _periods: dict[str, np.ndarray] = field(default_factory=dict)
    _codes: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, db: duckdb.DuckDBPyConnection, doc_columns: dict[str, str], n_keys: int) -> Counting:
        """Read the arrays from a Corpus's ``docs`` and ``pairs`` tables (``db``: a cursor of its own, kept
        for the columns read later on demand)."""
        hint = "date IS NULL AND date_hint IS NOT NULL" if "date_hint" in doc_columns else "FALSE"
        docs = db.sql(f"""SELECT _row, _rank, (date - DATE '1970-01-01')::INTEGER AS day,
                                 coalesce(n_words, 0)::BIGINT AS n_words,
                                 coalesce(date_method = 'body', FALSE) AS body,
                                 coalesce(date_method = 'inferred', FALSE) AS inferred,
                                 duplicate_of IS NOT NULL AS duplicate, coalesce({hint}, FALSE) AS hinted
                          FROM docs""").to_arrow_table()
        rows = docs.column("_row").to_numpy()
        n_docs = int(rows.max()) + 1 if len(rows) else 0
        order = np.empty(n_docs, dtype=np.int64)
        order[:] = -1
        order[rows] = np.arange(len(rows))
        if (order < 0).any():
            raise ValueError("the documents' rows are not 0 .. n-1")

        def by_row(values: np.ndarray) -> np.ndarray:
            return values[order]

        def flag(name: str) -> np.ndarray:
            return docs.column(name).to_numpy(zero_copy_only=False).astype(bool)

        day = docs.column("day")
        pairs = db.sql("SELECT _row, key_id, n FROM pairs").to_arrow_table()
        key = pairs.column("key_id").to_numpy().astype(np.int32, copy=False)
        row = pairs.column("_row").to_numpy().astype(np.int32, copy=False)
        n = pairs.column("n").to_numpy().astype(np.int32, copy=False)
        if len(key) > 1:
            step_key, step_row = np.diff(key), np.diff(row)
            if not ((step_key > 0) | ((step_key == 0) & (step_row > 0))).all():  # by key, then row
                by_key = np.lexsort((row, key))
                key, row, n = key[by_key], row[by_key], n[by_key]
        return cls(
            n_docs=n_docs,
            pair_row=row,
            pair_key=key,
            pair_n=n,
            key_start=np.searchsorted(key, np.arange(n_keys + 1)),
            rank=by_row(_ints(docs, "_rank", np.int8)),
            dated=by_row(~np.asarray(day.is_null().to_numpy(zero_copy_only=False))),
            day=by_row(_ints(docs, "day", np.int32)),
            n_words=by_row(_ints(docs, "n_words", np.int64)),
            body=by_row(flag("body")),
            inferred=by_row(flag("inferred")),
            duplicate=by_row(flag("duplicate")),
            hinted=by_row(flag("hinted")),
            _db=db,
        )

    # ----------------------------------------------------------------------------------------- helpers
    def mask(self, rows: np.ndarray) -> np.ndarray:
        """The selection's rows as a boolean mask over the documents."""
        out = np.zeros(self.n_docs, dtype=bool)
        out[rows] = True
        return out

    def _slice(self, lo: int, hi: int) -> slice:
        return slice(int(self.key_start[lo]), int(self.key_start[hi]))

    def periods(self, freq: str) -> np.ndarray:
        """Each dated document's period ordinal (pandas ``Period.ordinal``) at ``freq``; 0 when undated."""
        with self._lock:
            found = self._periods.get(freq)
        if found is None:
            found = np.zeros(self.n_docs, dtype=np.int64)
            days = self.day[self.dated].astype("datetime64[D]")
            found[self.dated] = pd.DatetimeIndex(days).to_period(freq).asi8
            with self._lock:
                self._periods[freq] = found
        return found

    def codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """(each document's code, -1 for NULL; the values ``CAST(column AS VARCHAR)`` the codes stand for, in
        no particular order) of a documents column, read once."""
        with self._lock:
            found = self._codes.get(column)
        if found is None:
            table = self._db.sql(f'SELECT CAST("{column}" AS VARCHAR) AS v FROM docs ORDER BY _row').to_arrow_table()
            encoded = pc.dictionary_encode(table.column("v")).combine_chunks()
            indices = encoded.indices
            codes = (pc.fill_null(indices, -1) if indices.null_count else indices).to_numpy().astype(np.int32)
            values = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
            found = (codes, values)
            with self._lock:
                self._codes[column] = found
        return found

    def distinct(self, column: str, mask: np.ndarray) -> np.ndarray:
        """The values (object array, unsorted) of a documents column among the selected documents, NULL left
        out."""
        codes, values = self.codes(column)
        present = np.bincount(codes[mask] + 1, minlength=len(values) + 1)[1:]  # a bincount, not a sort
        return values[np.flatnonzero(present)]

    def _among(self, column: str, wanted) -> np.ndarray:
        """The documents whose ``column`` is one of ``wanted`` (NULL never is)."""
        codes, values = self.codes(column)
        hit = np.append(np.isin(values.astype(str), np.asarray([str(v) for v in wanted], dtype=str)), False)
        return hit[codes]  # code -1 (NULL) reads the last entry, False

    def _mentioning(self, ids: Sequence[int]) -> np.ndarray:
        out = np.zeros(self.n_docs, dtype=bool)
        for key_id in ids:
            out[self.pair_row[self._slice(key_id, key_id + 1)]] = True
        return out

    def where(self, filters: Filters, *, key_ids: Callable[[str, Sequence[str]], list[int]],
              doc_rows: Callable[[Sequence[str]], np.ndarray], has_publisher: bool) -> np.ndarray:
        """The documents that pass ``filters`` as a mask: the rules of analysis.timeline.filter_documents
        (duplicates dropped unless included, inferred and body dates dropped when excluded, a date bound keeps
        only dated documents in the range, organisations any/all, themes any). ``key_ids(kind, keys)`` gives
        the ids of the keys the build knows; ``doc_rows(doc_ids)`` the rows of those documents.

        Raises:
            ValueError: publishers are filtered on a build without a ``publisher`` column.
        """
        keep = np.ones(self.n_docs, dtype=bool)
        if filters.sources:
            keep &= self._among("source", filters.sources)
        if filters.publishers:
            if not has_publisher:
                raise ValueError(
                    "The documents have no 'publisher' column, so they cannot be filtered by publisher; "
                    "rebuild the corpus with this version (python -m analysis build ...)."
                )
            keep &= self._among("publisher", filters.publishers)
        if filters.languages:
            keep &= self._among("language", filters.languages)
        if not filters.include_duplicates:
            keep &= ~self.duplicate
        if not filters.include_inferred:
            keep &= ~self.inferred
        if not filters.include_body_dates:
            keep &= ~self.body
        if filters.start is not None or filters.end is not None:
            keep &= self.dated
            if filters.start is not None:
                keep &= self.day >= (filters.start - _EPOCH).days
            if filters.end is not None:
                keep &= self.day <= (filters.end - _EPOCH).days
        if filters.doc_ids is not None:
            chosen = np.zeros(self.n_docs, dtype=bool)
            chosen[doc_rows(filters.doc_ids)] = True
            keep &= chosen
        if filters.organisations and filters.org_mode == "all":
            for key in dict.fromkeys(filters.organisations):
                keep &= self._mentioning(key_ids("organisation", (key,)))
        elif filters.organisations:
            keep &= self._mentioning(key_ids("organisation", filters.organisations))
        if filters.themes:
            keep &= self._mentioning(key_ids("theme", filters.themes))
        return keep

    # --------------------------------------------------------------------------------------- the counts
    def spans(self, mask: np.ndarray) -> DateSpans:
        """Undated documents, and per precision rank the dated ones and their first and last day."""
        dated = mask & self.dated
        ranks, days = self.rank[dated], self.day[dated]
        count, first, last = {}, {}, {}
        for rank in np.flatnonzero(np.bincount(ranks, minlength=1)):
            of_rank = days[ranks == rank]
            count[int(rank)], first[int(rank)], last[int(rank)] = len(of_rank), int(of_rank.min()), int(of_rank.max())
        return DateSpans(int(np.count_nonzero(mask)) - len(days), count, first, last)

    def per_key(self, lo: int, hi: int, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(key ids mentioned by the selected documents, ascending; the documents mentioning each; their
        mentions) among key ids ``lo`` to ``hi - 1``."""
        part = self._slice(lo, hi)
        keep = mask[self.pair_row[part]]
        keys = self.pair_key[part][keep] - lo
        docs = np.bincount(keys, minlength=hi - lo)
        mentions = np.rint(np.bincount(keys, weights=self.pair_n[part][keep], minlength=hi - lo)).astype(np.int64)
        found = np.flatnonzero(docs)
        return found + lo, docs[found].astype(np.int64), mentions[found]

    def mentions(self, mask: np.ndarray, *, skip: tuple[int, int] = (0, 0)) -> int:
        """Mentions in the selected documents of every key outside ids ``skip[0]`` to ``skip[1] - 1``."""
        lo, hi = skip
        total = 0
        for part in (self._slice(0, lo), self._slice(hi, len(self.key_start) - 1)) if hi > lo else (slice(None),):
            total += int(self.pair_n[part][mask[self.pair_row[part]]].sum(dtype=np.int64))
        return total

    def mentions_per_row(self, key_ids: Iterable[int], mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the selected documents' rows that mention any of these key ids, ascending; how many mentions of
        them each holds)."""
        rows, counts = [], []
        for key_id in key_ids:
            part = self._slice(key_id, key_id + 1)
            found = self.pair_row[part]
            keep = mask[found]
            rows.append(found[keep])
            counts.append(self.pair_n[part][keep])
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        total = np.bincount(np.concatenate(rows), weights=np.concatenate(counts), minlength=self.n_docs)
        found = np.flatnonzero(total)
        return found, np.rint(total[found]).astype(np.int64)

    def keys_of(self, rows: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """(document row, key id) of the pairs of these document rows whose key id is in ``lo .. hi - 1``,
        by key id, then row: for a few rows, a binary search in each key's pairs."""
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        found_rows, found_keys = [], []
        for key_id in range(lo, hi) if len(rows) else ():
            pairs = self.pair_row[self._slice(key_id, key_id + 1)]
            if not len(pairs):
                continue
            at = np.minimum(np.searchsorted(pairs, rows), len(pairs) - 1)
            hit = rows[pairs[at] == rows]
            if len(hit):
                found_rows.append(hit)
                found_keys.append(np.full(len(hit), key_id, dtype=np.int64))
        if not found_rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(found_rows), np.concatenate(found_keys)

    def first_by_date(self, rows: np.ndarray, weights: np.ndarray, limit: int) -> np.ndarray:
        """Of document rows holding ``weights`` items each, those that can hold any of the first ``limit``
        items of a listing by date, undated last: the rows dated on or before the date at which the items add
        up to ``limit`` (every row of that date, whatever else orders them); all the rows when they hold fewer."""
        if int(weights.sum()) <= limit:
            return rows
        key = np.where(self.dated[rows], self.day[rows].astype(np.int64), np.iinfo(np.int64).max)
        order = np.argsort(key, kind="stable")
        boundary = key[order][int(np.searchsorted(np.cumsum(weights[order]), limit))]
        return rows[key <= boundary]

    def co_occurrence(self, rows: tuple[int, int], cols: tuple[int, int], row_ids: np.ndarray,
                      col_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The selected documents mentioning both keys, for every (row key, column key) of ``row_ids`` x
        ``col_ids`` (ascending ids of the two ranges, as :meth:`per_key` finds them), row-major."""
        import scipy.sparse as sparse

        def matrix(bounds: tuple[int, int], ids: np.ndarray):
            part = self._slice(*bounds)
            keep = mask[self.pair_row[part]]
            doc_rows = self.pair_row[part][keep]
            cols = np.searchsorted(ids, self.pair_key[part][keep])
            return sparse.csr_matrix((np.ones(len(doc_rows), dtype=np.int64), (doc_rows, cols)),
                                     shape=(self.n_docs, len(ids)))

        left = matrix(rows, row_ids)
        right = left if rows == cols else matrix(cols, col_ids)
        return np.asarray((left.T @ right).toarray(), dtype=np.int64).ravel()

    def timeline_cells(self, key_ids: Sequence[int], placed: np.ndarray, period: np.ndarray, group: np.ndarray,
                       n_periods: int, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
        """(mentions, documents) of the placed documents' pairs of each key per (period, key position,
        group), at index ``(period * len(key_ids) + position) * n_groups + group``: ``key_ids[position]`` is
        a key's id (-1: a key the build never mentions, all zeros), ``period[row]`` and ``group[row]`` a
        document's."""
        n_keys = len(key_ids)
        index, weights = [], []
        for position, key_id in enumerate(key_ids):
            if key_id < 0:
                continue
            part = self._slice(key_id, key_id + 1)
            rows = self.pair_row[part]
            keep = placed[rows]
            rows = rows[keep]
            index.append((period[rows] * n_keys + position) * n_groups + group[rows])
            weights.append(self.pair_n[part][keep])
        size = n_periods * n_keys * n_groups
        if not index:
            return np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)
        index, weights = np.concatenate(index), np.concatenate(weights)
        docs = np.bincount(index, minlength=size).astype(np.int64)
        mentions = np.rint(np.bincount(index, weights=weights, minlength=size))
        return mentions.astype(np.int64), docs

    def period_cells(self, placed: np.ndarray, period: np.ndarray, group: np.ndarray, n_periods: int,
                     n_groups: int) -> tuple[np.ndarray, np.ndarray]:
        """(documents, words) of the placed documents per (period, group), at ``period * n_groups + group``."""
        index = period[placed] * n_groups + group[placed]
        size = n_periods * n_groups
        docs = np.bincount(index, minlength=size).astype(np.int64)
        words = np.rint(np.bincount(index, weights=self.n_words[placed], minlength=size)).astype(np.int64)
        return docs, words
