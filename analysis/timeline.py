"""Filters, period tables, rankings, cross-tabs and concordance over the documents and mentions tables."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.surges import wilson_interval

# The shared vocabulary lives in analysis.vocabulary; its names stay importable from here.
from analysis.vocabulary import ENTITY_KINDS as _ENTITY_KINDS
from analysis.vocabulary import GRANULARITIES, KINDS, MEASURES, ORG_MODES, cluster_keys, measure_column
from analysis.vocabulary import check_choice as _check_choice

__all__ = [
    "DATING_GAP_COLUMNS",
    "EMPTY_CODES",
    "GRANULARITIES",
    "KINDS",
    "MEASURES",
    "TIMELINE_COLUMNS",
    "EmptyReason",
    "Filters",
    "add_labels",
    "auto_granularity",
    "choose_granularity",
    "cluster_mentions",
    "common_precision",
    "concordance",
    "crosstab",
    "dating_gaps",
    "documents_table",
    "entity_labels",
    "empty_reason",
    "filter_documents",
    "measure_column",
    "ranking",
    "summary",
    "timeline",
]

TIMELINE_COLUMNS = (
    "period",
    "period_end",
    "period_label",
    "key",
    "mentions",
    "documents_mentioning",
    "documents_total",
    "words_total",
    "share_pct",
    "share_low",
    "share_high",
    "per_10k_words",
    "partial",
)
RANKING_COLUMNS = ("key", "mentions", "documents_mentioning", "share_pct")
CROSSTAB_COLUMNS = ("row_key", "col_key", "documents", "row_documents", "share_pct")
CONCORDANCE_COLUMNS = (
    "doc_id", "title", "date", "date_precision", "source", "kind", "key",
    "left", "match", "right", "start", "end",
)  # fmt: skip
DOCUMENTS_TABLE_COLUMNS = (
    "doc_id", "title", "date", "date_label", "date_precision", "date_method", "source", "language",
    "n_words", "themes", "organisations", "cluster_id", "duplicate_of",
)  # fmt: skip
MENTION_COLUMNS = ("doc_id", "kind", "key", "surface", "start", "end")

_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q-DEC", "year": "Y-DEC"}
# The finest date precision a document needs to be placed in a period of each granularity.
_NEEDED_PRECISION = {"day": 0, "week": 0, "month": 1, "quarter": 1, "year": 2}
_PRECISION_RANK = {"day": 0, "month": 1, "year": 2}
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_NO_GROUP = "(unknown)"
_REQUIRED_DOC_COLUMNS = (
    "doc_id",
    "source",
    "date",
    "date_precision",
    "date_method",
    "language",
    "n_words",
    "duplicate_of",
)


# --------------------------------------------------------------------------------------------- validation
def _as_tuple(name: str, value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    try:
        return tuple(str(v) for v in value)
    except TypeError:
        raise TypeError(
            f"The {name!r} filter must be a sequence of strings; got {type(value).__name__} instead."
        ) from None


def _as_date(name: str, value) -> dt.date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):  # includes pandas.Timestamp
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(
        f"The {name!r} filter must be a datetime.date (or an ISO date string such as '2024-05-16'); "
        f"got {value!r} instead."
    )


# ------------------------------------------------------------------------------------------------ filters
@dataclass(frozen=True)
class Filters:
    """Which documents to look at. Hashable (usable as a cache key); lists given are stored as tuples.

    ``start``/``end`` are inclusive dates; when either is set, undated documents are left out.
    ``organisations`` keeps documents that mention any (``org_mode="any"``) or all (``"all"``) of them;
    ``themes`` keeps documents that mention any of them. ``doc_ids`` narrows to those documents (None: no
    restriction; an empty tuple keeps nothing).
    """

    start: dt.date | None = None
    end: dt.date | None = None
    organisations: tuple[str, ...] = ()
    org_mode: str = "any"
    themes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    include_duplicates: bool = False
    include_inferred: bool = True
    include_body_dates: bool = True
    doc_ids: tuple[str, ...] | None = None
    publishers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("organisations", "themes", "sources", "languages", "publishers"):
            object.__setattr__(self, name, _as_tuple(name, getattr(self, name)))
        if self.doc_ids is not None:
            object.__setattr__(self, "doc_ids", _as_tuple("doc_ids", self.doc_ids))
        object.__setattr__(self, "start", _as_date("start", self.start))
        object.__setattr__(self, "end", _as_date("end", self.end))
        _check_choice("org_mode", self.org_mode, ORG_MODES)
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(
                f"The 'start' date must be on or before the 'end' date; got start={self.start.isoformat()} "
                f"and end={self.end.isoformat()} instead. Swap them."
            )

    def is_default(self) -> bool:
        """True when no filter is set (every field has its default)."""
        return self == Filters()


def _check_documents(documents) -> pd.DataFrame:
    """The documents table with ``date`` as datetime64 (a table read straight from parquet holds
    ``datetime.date`` objects)."""
    if not isinstance(documents, pd.DataFrame):
        raise TypeError(
            f"The 'documents' argument must be a pandas DataFrame; got {type(documents).__name__} instead."
        )
    missing = [c for c in _REQUIRED_DOC_COLUMNS if c not in documents.columns]
    if missing:
        raise ValueError(
            f"The documents table lacks the columns {missing}; expected the table from "
            "analysis.store.read_build (see docs/ARCHITECTURE.md)."
        )
    if not pd.api.types.is_datetime64_any_dtype(documents["date"]):
        documents = documents.assign(date=pd.to_datetime(documents["date"]))
    return documents


def _check_filters(filters) -> Filters:
    if filters is None:
        return Filters()
    if not isinstance(filters, Filters):
        raise TypeError(
            f"The 'filters' parameter must be an analysis.timeline.Filters; got {type(filters).__name__} "
            "instead. Build one with Filters(start=..., organisations=(...))."
        )
    return filters


# Columnar helpers: string columns go through pyarrow compute kernels (hash joins in C++), because
# pandas' isin/get_indexer on arrow-backed strings convert to Python objects and cost tens of ms on
# several hundred thousand mentions.
def _arrow_str(values) -> pa.Array:
    """A column or sequence of strings as a pyarrow large_string array (nulls kept)."""
    if isinstance(values, pd.Series):
        values = values.array
    if isinstance(values, pd.api.extensions.ExtensionArray):
        try:
            arr = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            arr = pa.array(np.asarray(values, dtype=object), from_pandas=True)
    else:
        values = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
        arr = pa.array(values, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    return arr


def _value_set(values) -> pa.Array:
    if isinstance(values, pa.Array):
        return values.cast(pa.large_string()) if values.type != pa.large_string() else values
    return pa.array([str(v) for v in values], type=pa.large_string())


def _isin(values, wanted) -> np.ndarray:
    """Boolean mask: which of ``values`` are in ``wanted`` (nulls never are)."""
    arr = values if isinstance(values, pa.Array) else _arrow_str(values)
    if len(arr) == 0:
        return np.zeros(0, dtype=bool)
    hit = pc.is_in(arr, value_set=_value_set(wanted), skip_nulls=True)
    return hit.fill_null(False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _index_in(values, lookup) -> np.ndarray:
    """Position of each of ``values`` in ``lookup`` (unique strings), -1 when absent."""
    arr = values if isinstance(values, pa.Array) else _arrow_str(values)
    if len(arr) == 0:
        return np.zeros(0, dtype=np.int64)
    pos = pc.index_in(arr, value_set=_value_set(lookup), skip_nulls=True)
    return pos.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _unique_ints(values: np.ndarray, bound: int) -> np.ndarray:
    """Sorted unique values of non-negative ints below ``bound`` (a bitmap when that is cheaper)."""
    if bound > 50_000_000:
        return np.unique(values)
    seen = np.zeros(bound, dtype=bool)
    seen[values] = True
    return np.flatnonzero(seen)


def _codes_in(values: pa.Array, lookup) -> np.ndarray:
    """Like ``_index_in`` for a column with few distinct values (keys): hashes once, maps the dictionary."""
    if len(values) == 0 or not lookup:
        return np.full(len(values), -1, dtype=np.int64)
    encoded = values.dictionary_encode()
    dictionary_pos = _index_in(encoded.dictionary, lookup)
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return np.where(codes >= 0, dictionary_pos[np.maximum(codes, 0)], -1)


def _kind_arrays(documents: pd.DataFrame, mentions: pd.DataFrame, kind: str) -> tuple[pa.Array, pa.Array]:
    """(doc_id, key) arrays of the mentions of one kind."""
    kinds = _arrow_str(mentions["kind"])
    if len(kinds):
        chosen = pc.equal(kinds, pa.scalar(kind, pa.large_string())).fill_null(False)
        doc_ids = pc.filter(_arrow_str(mentions["doc_id"]), chosen)
        keys = pc.filter(_arrow_str(mentions["key"]), chosen)
    else:
        doc_ids = keys = pa.array([], type=pa.large_string())
    if kind == "cluster" and len(doc_ids) == 0 and "cluster_id" in documents.columns:
        # No cluster pseudo-mentions were given: fall back to the bare cluster ids.
        rows = cluster_mentions(documents, None)
        doc_ids, keys = _arrow_str(rows["doc_id"]), _arrow_str(rows["key"])
    return doc_ids, keys


def _docs_mentioning(mentions: pd.DataFrame, kind: str, key: str | tuple[str, ...]) -> pa.Array:
    """Unique doc_ids of the documents that mention ``key`` (or any of several keys) of ``kind``."""
    doc_ids, keys = _kind_arrays(pd.DataFrame(), mentions, kind)
    wanted = (key,) if isinstance(key, str) else key
    hit = pc.is_in(keys, value_set=_value_set(wanted), skip_nulls=True).fill_null(False)
    return pc.unique(pc.filter(doc_ids, hit))


def _filter_mask(documents: pd.DataFrame, mentions: pd.DataFrame, filters: Filters) -> np.ndarray:
    """Boolean mask over ``documents``' rows: which pass the filters."""
    mask = np.ones(len(documents), dtype=bool)
    if filters.sources:
        mask &= _isin(documents["source"], filters.sources)
    if filters.publishers:
        if "publisher" not in documents:
            raise ValueError(
                "The documents have no 'publisher' column, so they cannot be filtered by publisher; "
                "rebuild the corpus with this version (python -m analysis build ...)."
            )
        mask &= _isin(documents["publisher"], filters.publishers)
    if filters.languages:
        mask &= _isin(documents["language"], filters.languages)
    if not filters.include_duplicates:
        mask &= documents["duplicate_of"].isna().to_numpy(dtype=bool)
    if not filters.include_inferred:
        mask &= ~_isin(documents["date_method"], ("inferred",))
    if not filters.include_body_dates:
        mask &= ~_isin(documents["date_method"], ("body",))
    if filters.start is not None or filters.end is not None:
        dates = documents["date"]
        keep = dates.notna()
        if filters.start is not None:
            keep &= dates >= pd.Timestamp(filters.start)
        if filters.end is not None:
            keep &= dates < pd.Timestamp(filters.end) + pd.Timedelta(days=1)
        mask &= keep.to_numpy(dtype=bool)
    if filters.doc_ids is not None:
        mask &= _isin(documents["doc_id"], filters.doc_ids)
    if filters.organisations or filters.themes:
        doc_ids = _arrow_str(documents["doc_id"])
        if filters.organisations and filters.org_mode == "all":
            for key in dict.fromkeys(filters.organisations):
                mask &= _isin(doc_ids, _docs_mentioning(mentions, "organisation", key))
        elif filters.organisations:
            mask &= _isin(doc_ids, _docs_mentioning(mentions, "organisation", filters.organisations))
        if filters.themes:
            mask &= _isin(doc_ids, _docs_mentioning(mentions, "theme", filters.themes))
    return mask


def filter_documents(
    documents: pd.DataFrame, mentions: pd.DataFrame, filters: Filters = Filters()
) -> pd.DataFrame:
    """The documents that pass the filters.

    Arguments:
        documents: the documents table.
        mentions: the mentions table (used by the organisation and theme filters).
        filters: a ``Filters``.

    Returns:
        A subset of ``documents``' rows with the same columns and index. Duplicates (``duplicate_of`` set)
        are dropped unless ``include_duplicates``; inferred dates unless ``include_inferred``; dates a text
        merely mentions (``date_method="body"``, built with ``--body-dates``) unless ``include_body_dates``. With
        ``start`` or ``end`` set only dated documents in the range are kept; with neither, undated ones
        are kept too.
    """
    filters = _check_filters(filters)
    documents = _check_documents(documents)
    return documents[_filter_mask(documents, mentions, filters)]


def _filtered_columns(documents, mentions, filters, columns) -> pd.DataFrame:
    """Only ``columns`` of the filtered documents: avoids copying the (large) text column."""
    present = [c for c in dict.fromkeys(columns) if c in documents.columns]
    return documents[present][_filter_mask(documents, mentions, filters)]


# ----------------------------------------------------------------------------------------------- timeline
def _period_labels(periods: pd.PeriodIndex, granularity: str) -> list[str]:
    starts = periods.start_time
    if granularity == "year":
        return [str(y) for y in starts.year]
    if granularity == "quarter":
        return [f"{y} Q{q}" for y, q in zip(starts.year, starts.quarter, strict=True)]
    if granularity == "month":
        return [f"{_MONTHS[m - 1]} {y}" for y, m in zip(starts.year, starts.month, strict=True)]
    days = [
        f"{d} {_MONTHS[m - 1]} {y}" for y, m, d in zip(starts.year, starts.month, starts.day, strict=True)
    ]
    return [f"Week of {d}" for d in days] if granularity == "week" else days


def _empty_timeline(by: str | None) -> pd.DataFrame:
    columns = list(TIMELINE_COLUMNS)
    if by is not None:
        columns.insert(columns.index("key") + 1, by)
    frame = pd.DataFrame(
        {
            "period": pd.Series([], dtype="datetime64[ns]"),
            "period_end": pd.Series([], dtype="datetime64[ns]"),
            "period_label": pd.Series([], dtype="str"),
            "key": pd.Series([], dtype="str"),
            **({by: pd.Series([], dtype="str")} if by is not None else {}),
            **{c: pd.Series([], dtype="int64") for c in ("mentions", "documents_mentioning")},
            **{c: pd.Series([], dtype="int64") for c in ("documents_total", "words_total")},
            **{c: pd.Series([], dtype="float64") for c in ("share_pct", "share_low", "share_high")},
            "per_10k_words": pd.Series([], dtype="float64"),
            "partial": pd.Series([], dtype="bool"),
        }
    )
    return frame[columns]


def _coverage_end(dated: pd.DataFrame, precision_rank: np.ndarray) -> pd.Timestamp:
    """The last day the dated documents cover: a month-precision document covers its whole month."""
    ends = []
    for rank, freq in ((0, None), (1, "M"), (2, "Y-DEC")):
        chosen = dated["date"][precision_rank == rank]
        if chosen.empty:
            continue
        last = chosen.max()
        ends.append(last if freq is None else pd.Period(last, freq).end_time.normalize())
    return max(ends)


def timeline(
    documents: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    kind: str = "theme",
    keys=None,
    granularity: str = "month",
    filters: Filters = Filters(),
    by: str | None = None,
) -> pd.DataFrame:
    """Mentions of themes, organisations or clusters per calendar period.

    Arguments:
        documents: the documents table.
        mentions: the mentions table (for ``kind="cluster"``, concatenated with ``cluster_mentions``;
            without cluster rows the bare cluster ids are used as keys).
        kind: ``theme``, ``organisation`` or ``cluster``.
        keys: the keys to report, in that order (zeros when never mentioned); None for every key of that
            kind mentioned in the filtered, dated documents (sorted).
        granularity: ``day``, ``week`` (starting on Monday), ``month``, ``quarter`` or ``year``.
        filters: a ``Filters``.
        by: optional documents column (e.g. ``source``, ``language``) to split every period by.

    Returns:
        One row per (period, key[, by]) for every calendar period from the first to the last (the
        filter's start/end when set, else the span of the filtered dated documents), zeros included.
        Columns: ``period`` (period start), ``period_end`` (its last day), ``period_label`` (``May 2024``),
        ``key``, [``by``], ``mentions``, ``documents_mentioning``, ``documents_total`` (dated filtered
        documents in the period [and by-group]), ``words_total``, ``share_pct`` (0–100;
        NaN for a period without documents), ``share_low``/``share_high`` (its 95 % Wilson interval, same
        unit), ``per_10k_words`` (NaN without words), ``partial`` (the first/last period only partly covered by the data or the date
        filter). Undated documents and documents whose date is coarser than the granularity (a year-only
        date in a monthly timeline) cannot be placed: their numbers are in ``attrs["undated"]`` and
        ``attrs["excluded_coarse"]``. A filter that matches nothing gives an empty frame with these
        columns.
    """
    _check_choice("kind", kind, KINDS)
    _check_choice("granularity", granularity, GRANULARITIES)
    filters = _check_filters(filters)
    documents = _check_documents(documents)
    if by is not None and (by not in documents.columns or by in TIMELINE_COLUMNS):
        allowed = [c for c in ("source", "language", "format", "date_method") if c in documents.columns]
        raise ValueError(
            f"The 'by' parameter must be None or a documents column such as {allowed}; got {by!r} instead."
        )
    if keys is not None:
        keys = tuple(dict.fromkeys(_as_tuple("keys", keys)))

    docs = _filtered_columns(
        documents, mentions, filters, ["doc_id", "date", "date_precision", "n_words", by]
    )
    has_date = docs["date"].notna().to_numpy()
    rank = docs["date_precision"].map(_PRECISION_RANK).fillna(0).to_numpy(dtype=np.int64)
    placeable = has_date & (rank <= _NEEDED_PRECISION[granularity])
    attrs = {
        "undated": int((~has_date).sum()),
        "excluded_coarse": int((has_date & ~placeable).sum()),
        "kind": kind,
        "granularity": granularity,
    }
    dated = docs[placeable]
    rank = rank[placeable]
    if dated.empty:
        out = _empty_timeline(by)
        out.attrs.update(attrs)
        return out

    freq = _FREQ[granularity]
    data_start = dated["date"].min()
    data_end = _coverage_end(dated, rank)
    cover_start = pd.Timestamp(filters.start) if filters.start is not None else data_start
    cover_end = pd.Timestamp(filters.end) if filters.end is not None else data_end
    periods = pd.period_range(pd.Period(cover_start, freq), pd.Period(cover_end, freq), freq=freq)
    n_periods = len(periods)
    doc_period = dated["date"].dt.to_period(freq).array.asi8 - periods[0].ordinal

    if by is not None:
        group_values = dated[by].astype("str").fillna(_NO_GROUP).to_numpy(dtype=object)
        groups, doc_group = np.unique(group_values.astype(str), return_inverse=True)
    else:
        groups, doc_group = np.array([""]), np.zeros(len(dated), dtype=np.int64)
    n_groups = len(groups)
    doc_cell = doc_period * n_groups + doc_group  # (period, group) of each document
    n_cells = n_periods * n_groups
    docs_total = np.bincount(doc_cell, minlength=n_cells)
    words_total = (
        np.bincount(
            doc_cell, weights=dated["n_words"].fillna(0).to_numpy(dtype=np.float64), minlength=n_cells
        )
        .round()
        .astype(np.int64)
    )

    mention_docs, mention_keys = _kind_arrays(documents, mentions, kind)
    doc_pos = _index_in(mention_docs, _arrow_str(dated["doc_id"]))
    inside = doc_pos >= 0
    doc_pos, mention_keys = doc_pos[inside], mention_keys.filter(pa.array(inside))
    if keys is None:
        keys = tuple(sorted(pc.unique(mention_keys).drop_null().to_pylist()))
    key_pos = _codes_in(mention_keys, keys)
    doc_pos, key_pos = doc_pos[key_pos >= 0], key_pos[key_pos >= 0]
    n_keys = len(keys)
    if n_keys == 0:
        out = _empty_timeline(by)
        out.attrs.update(attrs)
        return out

    # Row order: period, then key, then group.
    mention_row = (doc_period[doc_pos] * n_keys + key_pos) * n_groups + doc_group[doc_pos]
    n_rows = n_periods * n_keys * n_groups
    mention_counts = np.bincount(mention_row, minlength=n_rows)
    doc_key = _unique_ints(doc_pos * n_keys + key_pos, len(dated) * n_keys)
    first_doc, first_key = doc_key // n_keys, doc_key % n_keys
    doc_rows = (doc_period[first_doc] * n_keys + first_key) * n_groups + doc_group[first_doc]
    docs_mentioning = np.bincount(doc_rows, minlength=n_rows)

    return timeline_rows(periods, granularity, keys, groups, by, mention_counts, docs_mentioning, docs_total,
                         words_total, cover_start, cover_end, attrs)


def timeline_rows(periods: pd.PeriodIndex, granularity: str, keys, groups: np.ndarray, by: str | None,
                  mention_counts: np.ndarray, docs_mentioning: np.ndarray, docs_total: np.ndarray,
                  words_total: np.ndarray, cover_start, cover_end, attrs: dict) -> pd.DataFrame:
    """The timeline table from its counts (shared by :func:`timeline` and ``analysis.query.Corpus``).

    ``mention_counts`` and ``docs_mentioning`` hold one value per (period, key, group) row in that order;
    ``docs_total`` and ``words_total`` one per (period, group) cell; ``cover_start``/``cover_end`` the
    dated coverage, which marks the first and last periods ``partial`` when they reach beyond it."""
    n_periods, n_keys, n_groups = len(periods), len(keys), len(groups)
    row_period = np.repeat(np.arange(n_periods), n_keys * n_groups)
    row_key = np.tile(np.repeat(np.arange(n_keys), n_groups), n_periods)
    row_group = np.tile(np.arange(n_groups), n_periods * n_keys)
    row_cell = row_period * n_groups + row_group
    total = docs_total[row_cell]
    words = words_total[row_cell]
    # A period without documents has no share and no rate: NaN (an empty CSV cell, a gap in a line),
    # not a 0 that would read as "documents that never mention it".
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, docs_mentioning / np.maximum(total, 1) * 100.0, np.nan)
        per_10k = np.where(words > 0, mention_counts / np.maximum(words, 1) * 10_000.0, np.nan)
    # The share's 95 % Wilson interval (a band around the line; NaN where the period has no documents).
    share_low, share_high = wilson_interval(docs_mentioning, total)

    starts = periods.start_time.as_unit("ns")
    ends = periods.end_time.normalize().as_unit("ns")
    partial = np.zeros(n_periods, dtype=bool)
    partial[0] |= cover_start > starts[0]
    partial[-1] |= cover_end < ends[-1]
    labels = np.array(_period_labels(periods, granularity), dtype=object)

    data = {
        "period": starts[row_period],
        "period_end": ends[row_period],
        "period_label": pd.array(labels[row_period], dtype="str"),
        "key": pd.array(np.array(keys, dtype=object)[row_key], dtype="str"),
    }
    if by is not None:
        data[by] = pd.array(groups.astype(object)[row_group], dtype="str")
    data.update(
        mentions=mention_counts.astype(np.int64),
        documents_mentioning=docs_mentioning.astype(np.int64),
        documents_total=total.astype(np.int64),
        words_total=words.astype(np.int64),
        share_pct=share.astype(np.float64),
        share_low=share_low * 100.0,
        share_high=share_high * 100.0,
        per_10k_words=per_10k.astype(np.float64),
        partial=partial[row_period],
    )
    out = pd.DataFrame(data)
    out.attrs.update(attrs)
    return out


# ------------------------------------------------------------------------------------ rankings, cross-tabs
def _doc_key_pairs(documents, mentions, kind, doc_ids: pa.Array) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(document position, key position) of each mention of ``kind`` in the documents ``doc_ids``, and
    the sorted keys."""
    mention_docs, mention_keys = _kind_arrays(documents, mentions, kind)
    doc_pos = _index_in(mention_docs, doc_ids)
    inside = doc_pos >= 0
    doc_pos, mention_keys = doc_pos[inside], mention_keys.filter(pa.array(inside))
    keys = sorted(pc.unique(mention_keys).drop_null().to_pylist())
    key_pos = _codes_in(mention_keys, keys)
    valid = key_pos >= 0
    return doc_pos[valid], key_pos[valid], keys


def _incidence(doc_pos: np.ndarray, key_pos: np.ndarray, n_docs: int, n_keys: int) -> np.ndarray:
    """Boolean documents × keys matrix: which document mentions which key."""
    matrix = np.zeros((n_docs, n_keys), dtype=bool)
    matrix[doc_pos, key_pos] = True
    return matrix


def ranking(
    documents: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    kind: str = "organisation",
    filters: Filters = Filters(),
) -> pd.DataFrame:
    """How often each key of a kind is mentioned in the filtered documents (dated or not).

    Returns:
        Columns ``key``, ``mentions``, ``documents_mentioning``, ``share_pct`` (of the filtered documents),
        sorted by ``documents_mentioning`` descending, then ``key``.
    """
    _check_choice("kind", kind, KINDS)
    filters = _check_filters(filters)
    documents = _check_documents(documents)
    docs = _filtered_columns(documents, mentions, filters, ["doc_id"])
    doc_pos, key_pos, keys = _doc_key_pairs(documents, mentions, kind, _arrow_str(docs["doc_id"]))
    n_keys = len(keys)
    counts = np.bincount(key_pos, minlength=n_keys).astype(np.int64)
    doc_key = _unique_ints(doc_pos * n_keys + key_pos, len(docs) * n_keys)
    documents_mentioning = np.bincount(doc_key % max(n_keys, 1), minlength=n_keys).astype(np.int64)
    out = pd.DataFrame(
        {
            "key": pd.array(keys, dtype="str"),
            "mentions": counts,
            "documents_mentioning": documents_mentioning,
            "share_pct": (documents_mentioning / max(len(docs), 1) * 100.0).astype(np.float64),
        }
    )
    out = out.sort_values(["documents_mentioning", "key"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


def crosstab(
    documents: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    row_kind: str = "organisation",
    col_kind: str = "theme",
    filters: Filters = Filters(),
) -> pd.DataFrame:
    """Co-occurrence of two kinds of keys in the filtered documents, as a tidy table.

    With ``row_kind == col_kind`` (e.g. organisation × organisation) the diagonal holds the number of
    documents mentioning that key.

    Returns:
        Every (row key, column key) pair of keys mentioned in the filtered documents, zeros included,
        sorted by ``row_key`` then ``col_key``. Columns ``row_key``, ``col_key``, ``documents`` (filtered
        documents mentioning both), ``row_documents`` (filtered documents mentioning the row key),
        ``share_pct`` (``documents`` as a percentage of ``row_documents``).
    """
    _check_choice("row_kind", row_kind, KINDS)
    _check_choice("col_kind", col_kind, KINDS)
    filters = _check_filters(filters)
    documents = _check_documents(documents)
    docs = _filtered_columns(documents, mentions, filters, ["doc_id"])
    doc_ids = _arrow_str(docs["doc_id"])
    n_docs = len(docs)
    row_doc, row_key, row_keys = _doc_key_pairs(documents, mentions, row_kind, doc_ids)
    col_doc, col_key, col_keys = _doc_key_pairs(documents, mentions, col_kind, doc_ids)
    row_matrix = _incidence(row_doc, row_key, n_docs, len(row_keys))
    col_matrix = _incidence(col_doc, col_key, n_docs, len(col_keys))
    both = row_matrix.T.astype(np.float64) @ col_matrix.astype(np.float64)  # BLAS; exact for counts
    row_docs = row_matrix.sum(axis=0).astype(np.int64)
    n_rows, n_cols = len(row_keys), len(col_keys)
    row_idx = np.repeat(np.arange(n_rows), n_cols)
    col_idx = np.tile(np.arange(n_cols), n_rows)
    documents_both = np.rint(both.reshape(-1)).astype(np.int64)
    row_total = row_docs[row_idx]
    share = np.where(row_total > 0, documents_both / np.maximum(row_total, 1) * 100.0, 0.0)
    return pd.DataFrame(
        {
            "row_key": pd.array(np.asarray(row_keys, dtype=object)[row_idx], dtype="str"),
            "col_key": pd.array(np.asarray(col_keys, dtype=object)[col_idx], dtype="str"),
            "documents": documents_both,
            "row_documents": row_total,
            "share_pct": share.astype(np.float64),
        }
    )


# ------------------------------------------------------------------------------------------- concordance
_SENTENCE_END = re.compile(r"[.!?…。](?:[\"'»”’)\]]*)(?=\s)|\n\s*\n")
_SPACES = re.compile(r"\s+")


def _left_context(text: str, start: int, width: int) -> str:
    lo = max(0, start - width)
    window = text[lo:start]
    ends = list(_SENTENCE_END.finditer(window))
    if ends:
        return window[ends[-1].end() :]  # from the start of the sentence holding the match
    if lo == 0:
        return window
    cut = re.search(r"\s", window)  # do not begin inside a word
    return "…" + (window[cut.start() :] if cut else window)


def _right_context(text: str, end: int, width: int) -> str:
    hi = min(len(text), end + width)
    window = text[end:hi]
    # A sentence end right at the match (e.g. "…the UN. ") still belongs to the match's sentence.
    first = _SENTENCE_END.search(window)
    if first:
        return window[: first.end()]
    if hi == len(text):
        return window
    cut = max(window.rfind(" "), window.rfind("\n"), window.rfind("\t"))
    return (window[:cut] if cut > 0 else window) + "…"


def _collapse(text: str) -> str:
    return _SPACES.sub(" ", text)


def concordance(
    documents: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    kind: str | None = None,
    key=None,
    filters: Filters = Filters(),
    width: int = 120,
    limit: int | None = None,
) -> pd.DataFrame:
    """The passage around each mention in the filtered documents (keyword in context).

    The context is sentence-aware: the left context starts at the beginning of the sentence that holds
    the match when that lies within ``width`` characters, and the right context stops at the end of that
    sentence when it lies within ``width`` characters (a blank line also ends a sentence). When the
    sentence is longer than the window, the context is cut at ``width`` characters on a word boundary and
    marked with ``…``. Runs of whitespace are collapsed to one space.

    Arguments:
        kind: only mentions of this kind (None: all).
        key: only mentions of this key, or of any of these keys (None: all).
        width: the most characters of context on each side.
        limit: keep only the first ``limit`` rows (after sorting), to bound the work.

    Returns:
        Columns ``doc_id``, ``title``, ``date``, ``date_precision``, ``source``, ``kind``, ``key``,
        ``left``, ``match``, ``right``, ``start``, ``end``, sorted by date (undated last), document and
        start.
    """
    if kind is not None:
        _check_choice("kind", kind, KINDS)
    if not isinstance(width, (int, np.integer)) or isinstance(width, bool) or width < 0:
        raise ValueError(f"The 'width' parameter must be a non-negative integer; got {width!r} instead.")
    filters = _check_filters(filters)
    documents = _check_documents(documents)
    doc_rows = np.flatnonzero(_filter_mask(documents, mentions, filters))
    docs = documents[["doc_id", "title", "date", "date_precision", "source"]].iloc[doc_rows]
    # Cluster pseudo-mentions have no passage.
    keep = ~_isin(mentions["kind"], ("cluster",)) if kind is None else _isin(mentions["kind"], (kind,))
    if key is not None:
        keep &= _isin(mentions["key"], _as_tuple("key", key))
    doc_pos = _index_in(mentions["doc_id"], _arrow_str(docs["doc_id"]))
    keep &= doc_pos >= 0
    rows = mentions[["kind", "key", "start", "end"]][keep].reset_index(drop=True)
    doc_pos = doc_pos[keep]
    doc_part = docs.iloc[doc_pos].reset_index(drop=True)
    merged = pd.concat([doc_part, rows], axis=1).assign(_pos=doc_pos)
    merged = merged.sort_values(["date", "doc_id", "start"], na_position="last", kind="stable")
    if limit is not None:
        merged = merged.head(int(limit))
    # Only the texts of the rows shown are read (the text column can be hundreds of megabytes).
    wanted = np.unique(merged["_pos"].to_numpy())
    texts = dict(zip(wanted, documents["text"].iloc[doc_rows[wanted]], strict=True))
    left, match, right = [], [], []
    for pos, start, end in zip(merged["_pos"], merged["start"], merged["end"], strict=True):
        text = texts[pos] if isinstance(texts[pos], str) else ""
        start, end = int(start), int(end)
        left.append(_collapse(_left_context(text, start, width)).lstrip())
        match.append(_collapse(text[start:end]))
        right.append(_collapse(_right_context(text, end, width)).rstrip())
    out = merged.drop(columns="_pos").assign(
        left=pd.array(left, dtype="str"),
        match=pd.array(match, dtype="str"),
        right=pd.array(right, dtype="str"),
    )
    return out.reset_index(drop=True)[list(CONCORDANCE_COLUMNS)]


# ---------------------------------------------------------------------------------- summaries and tables
def summary(documents: pd.DataFrame, mentions: pd.DataFrame, filters: Filters = Filters()) -> dict:
    """Counts describing the filtered documents.

    Returns:
        ``{"documents", "dated", "undated", "undated_with_hint" (undated, but the text mentions a date),
        "body_dated" (dated only by a date the text mentions, ``date_method="body"``), "first_date",
        "last_date" (datetime.date or None), "sources", "languages" (sorted list), "mentions"}``.
    """
    filters = _check_filters(filters)
    documents = _check_documents(documents)
    docs = _filtered_columns(documents, mentions, filters,
                             ["doc_id", "date", "source", "language", "date_method", "date_hint"])
    dates = docs["date"].dropna()
    hinted = docs["date"].isna() & docs["date_hint"].notna() if "date_hint" in docs else pd.Series(False, docs.index)
    return {
        "documents": len(docs),
        "dated": len(dates),
        "undated": len(docs) - len(dates),
        "undated_with_hint": int(hinted.sum()),
        "body_dated": int((docs["date_method"] == "body").sum()),
        "first_date": dates.min().date() if len(dates) else None,
        "last_date": dates.max().date() if len(dates) else None,
        "sources": int(docs["source"].nunique()),
        "languages": sorted(str(v) for v in docs["language"].dropna().unique()),
        "mentions": int(_isin(mentions["doc_id"], _arrow_str(docs["doc_id"])).sum()),
    }


DATING_GAP_COLUMNS = ("doc_id", "title", "source", "seq", "date", "date_method", "date_evidence", "date_hint",
                      "date_hint_surface")


def dating_gaps(documents: pd.DataFrame, mentions: pd.DataFrame, filters: Filters = Filters()) -> pd.DataFrame:
    """The filtered documents a timeline cannot trust: undated ones and those dated only by a date their
    text mentions (``date_method="body"``, with ``--body-dates``), undated first, then by source and seq.

    Returns:
        Columns ``DATING_GAP_COLUMNS``; ``date_hint``/``date_hint_surface`` hold the date an undated text
        mentions (None when none, or in builds made before hints were kept).
    """
    filters = _check_filters(filters)
    documents = _check_documents(documents)
    docs = _filtered_columns(documents, mentions, filters, list(DATING_GAP_COLUMNS))
    docs = docs[docs["date"].isna() | (docs["date_method"] == "body")].copy()
    for column in DATING_GAP_COLUMNS:
        if column not in docs:
            docs[column] = None
    for column in ("title", "date_method", "date_evidence", "date_hint", "date_hint_surface"):
        docs[column] = docs[column].astype(object).where(docs[column].notna(), None)
    docs["_dated"] = docs["date"].notna()
    docs = docs.sort_values(["_dated", "source", "seq"], kind="stable")
    return docs[list(DATING_GAP_COLUMNS)].reset_index(drop=True)


def _keys_per_doc(documents, mentions, kind: str, doc_ids: pa.Array) -> list[str]:
    """For each of ``doc_ids``, the sorted keys of ``kind`` it mentions joined by ", " ("" when none)."""
    n_docs = len(doc_ids)
    doc_pos, key_pos, keys = _doc_key_pairs(documents, mentions, kind, doc_ids)
    out = [""] * n_docs
    n_keys = len(keys)
    if n_keys == 0:
        return out
    pairs = _unique_ints(doc_pos * n_keys + key_pos, n_docs * n_keys)  # sorted by document, then key
    pair_doc, pair_key = pairs // n_keys, pairs % n_keys
    bounds = np.searchsorted(pair_doc, np.arange(n_docs + 1))
    for doc in np.unique(pair_doc):
        out[doc] = ", ".join(keys[k] for k in pair_key[bounds[doc] : bounds[doc + 1]])
    return out


_DATE_FORMATS = {"day": "%-d %b %Y", "month": "%b %Y", "year": "%Y"}


def date_labels(dates: pd.Series, precisions: pd.Series) -> pd.Series:
    """Dates written for people as precisely as they are known: "16 May 2024", "May 2024", "1970"; "" when
    undated (a year-only date is not "1 Jan 1970")."""
    dates = pd.to_datetime(dates)
    out = pd.Series("", index=dates.index, dtype="str")
    for precision, fmt in _DATE_FORMATS.items():
        mask = (precisions == precision).to_numpy() & dates.notna().to_numpy()
        if mask.any():
            out[mask] = dates[mask].dt.strftime(fmt)
    return out


def top_groups(
    documents: pd.DataFrame, mentions: pd.DataFrame, *, by: str = "source", filters: Filters = Filters(), n: int = 8
) -> list[str]:
    """The ``n`` values of a documents column (``source``, ``publisher`` or ``language``) with the most dated
    filtered documents, most first (ties by value): the series worth comparing in ``timeline(..., by=by)``."""
    allowed = sorted(c for c in ("source", "publisher", "language") if c in documents)
    if by not in allowed:
        raise ValueError(f"The 'by' parameter must be one of {allowed}; got {by!r} instead.")
    docs = filter_documents(documents, mentions, filters)
    values = docs.loc[docs["date"].notna(), by].dropna().astype(str)
    counts = values.value_counts()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [value for value, _ in ranked[:n]]


def documents_table(
    documents: pd.DataFrame, mentions: pd.DataFrame, filters: Filters = Filters()
) -> pd.DataFrame:
    """One row per filtered document with the themes and organisations it mentions.

    Returns:
        Columns ``doc_id``, ``title``, ``date``, ``date_label`` (the date as precisely as it is known, see
        :func:`date_labels`), ``date_precision``, ``date_method``, ``source``,
        ``language``, ``n_words``, ``themes`` and ``organisations`` (sorted keys joined by ``", "``; empty
        when none), ``cluster_id``, ``duplicate_of``, sorted by date (undated last), source and seq.
    """
    filters = _check_filters(filters)
    documents = _check_documents(documents)
    columns = [c for c in DOCUMENTS_TABLE_COLUMNS if c not in ("themes", "organisations", "date_label")] + ["seq"]
    out = _filtered_columns(documents, mentions, filters, columns)
    out = out.sort_values(["date", "source", "seq"], na_position="last", kind="stable").reset_index(drop=True)
    out["date_label"] = date_labels(out["date"], out["date_precision"])
    doc_ids = _arrow_str(out["doc_id"])
    out["themes"] = pd.array(_keys_per_doc(documents, mentions, "theme", doc_ids), dtype="str")
    out["organisations"] = pd.array(_keys_per_doc(documents, mentions, "organisation", doc_ids), dtype="str")
    if "cluster_id" not in out.columns:
        out["cluster_id"] = -1
    return out[list(DOCUMENTS_TABLE_COLUMNS)]


def cluster_mentions(documents: pd.DataFrame, clusters: pd.DataFrame | None) -> pd.DataFrame:
    """Cluster membership as mentions, so ``timeline(kind="cluster")`` gives cluster shares over time.

    Arguments:
        documents: the documents table (``doc_id``, ``cluster_id``).
        clusters: the clusters table (``cluster_id``, ``label``); None to use ``"Cluster N"`` as keys.

    Returns:
        A mentions-shaped frame: one row per document in a cluster (``cluster_id`` -1 skipped) with
        ``kind="cluster"``, ``key`` = the cluster's label (made unique with `` (#N)`` when two clusters
        share one), ``surface=""``, ``start=end=0``.
    """
    ids = pd.to_numeric(documents["cluster_id"], errors="coerce")
    keep = ids.notna() & (ids >= 0)
    docs, ids = documents[keep], ids[keep].astype(np.int64)
    pairs = zip(clusters["cluster_id"], clusters["label"], strict=True) if clusters is not None else ()
    key_of = cluster_keys(pairs, ids.unique())
    n = len(docs)
    return pd.DataFrame(
        {
            "doc_id": pd.array(docs["doc_id"].to_numpy(dtype=object), dtype="str"),
            "kind": pd.array(["cluster"] * n, dtype="str"),
            "key": pd.array([key_of[c] for c in ids], dtype="str"),
            "surface": pd.array([""] * n, dtype="str"),
            "start": np.zeros(n, dtype=np.int64),
            "end": np.zeros(n, dtype=np.int64),
        }
    )


# -------------------------------------------------------------------------------------------- empty cases
# Why a table is empty, as codes (the dashboard's wording module turns them into sentences).
EMPTY_CODES = (
    "empty_build",  # the build has no documents
    "no_documents",  # no document passes the filters
    "no_mentions",  # documents pass, but none mentions the kind or keys asked about
    "too_coarse",  # the dated documents are dated too coarsely for the granularity
    "undated",  # documents pass, but none has a date
    "other",  # none of the above (the table is empty for another reason)
)


@dataclass(frozen=True)
class EmptyReason:
    """Why a result is empty: a code of ``EMPTY_CODES`` and the facts that explain it.

    ``kind``, ``keys`` and ``granularity`` are what the empty table was about; ``matching`` counts the documents
    that pass the filters, ``dated`` those of them with a date; ``coarser`` is the granularity the dated ones
    need (``"month"`` or ``"year"``) when ``code == "too_coarse"``.
    """

    code: str
    kind: str | None = None
    keys: tuple[str, ...] = ()
    granularity: str | None = None
    matching: int = 0
    dated: int = 0
    coarser: str | None = None


def empty_reason(
    documents: pd.DataFrame,
    mentions: pd.DataFrame,
    filters: Filters = Filters(),
    *,
    kind: str | None = None,
    keys=None,
    granularity: str | None = None,
) -> EmptyReason:
    """The facts behind an empty result: which step leaves nothing, and the counts around it.

    Arguments:
        kind, keys: what the empty table was about (e.g. ``kind="organisation", keys=("NATO",)``).
        granularity: the timeline's granularity, to tell documents whose dates are too coarse.

    Returns:
        An EmptyReason (``code`` one of ``EMPTY_CODES``).
    """
    filters = _check_filters(filters)
    documents = _check_documents(documents)
    if kind is not None:
        _check_choice("kind", kind, KINDS)
    if granularity is not None:
        _check_choice("granularity", granularity, GRANULARITIES)
    keys = _as_tuple("keys", keys)
    about = {"kind": kind, "keys": keys, "granularity": granularity}
    if len(documents) == 0:
        return EmptyReason("empty_build", **about)
    docs = _filtered_columns(documents, mentions, filters, ["doc_id", "date", "date_precision"])
    if docs.empty:
        return EmptyReason("no_documents", **about)
    dated = docs[docs["date"].notna()]
    counts = {"matching": len(docs), "dated": len(dated)}
    if granularity is not None and not dated.empty:
        rank = dated["date_precision"].map(_PRECISION_RANK).fillna(0).to_numpy(dtype=np.int64)
        if int((rank <= _NEEDED_PRECISION[granularity]).sum()) == 0:
            return EmptyReason("too_coarse", **about, **counts, coarser="month" if rank.min() == 1 else "year")
    if keys or kind is not None:
        if kind is not None:
            mention_docs, mention_keys = _kind_arrays(documents, mentions, kind)
        else:
            mention_docs, mention_keys = _arrow_str(mentions["doc_id"]), _arrow_str(mentions["key"])
        found = _isin(mention_docs, _arrow_str(docs["doc_id"]))
        if keys:
            found &= _isin(mention_keys, keys)
        if not found.any():
            return EmptyReason("no_mentions", **about, **counts)
    if dated.empty:
        return EmptyReason("undated", **about, **counts)
    return EmptyReason("other", **about, **counts)


# ------------------------------------------------------------------------------------ labels and defaults
def _is_acronym(key: str) -> bool:
    """True for a key written in capitals ("SCO", "G7", "SCO RATS"): the common name of the organisation."""
    return key.upper() == key and any(ch.isalpha() for ch in key)


def entity_labels(entities: pd.DataFrame | None, kind: str) -> dict[str, str]:
    """The human label of every key of one kind, as charts and widgets show it.

    Themes show their label ("Middle East" for ``middle_east``); organisations show their key when it is an
    acronym in capitals (``SCO``, ``G7``), else their label (``Interpol`` -> its label). A missing or empty
    label falls back to the key; two keys with the same label get `` (key)`` appended, so labels are unique.

    Arguments:
        entities: the build's entities table (``kind``, ``key``, ``label``); None or empty gives ``{}``.
        kind: ``theme``, ``organisation`` or ``cluster`` (clusters have no entities: ``{}``).

    Returns:
        dict key -> label for the keys of ``kind`` in ``entities``.
    """
    _check_choice("kind", kind, KINDS)
    if entities is None or len(entities) == 0 or kind not in _ENTITY_KINDS:
        return {}
    missing = [c for c in ("kind", "key", "label") if c not in entities.columns]
    if missing:
        raise ValueError(
            f"The entities table must have the columns {missing}; got columns {list(entities.columns)} "
            "instead. Pass the build's entities table (analysis.store.read_build(...).entities)."
        )
    rows = entities[entities["kind"].astype("str") == kind]
    out: dict[str, str] = {}
    for key, label in zip(rows["key"], rows["label"], strict=True):
        key = str(key)
        text = label if isinstance(label, str) and label.strip() else key
        out[key] = key if kind == "organisation" and _is_acronym(key) else text.strip()
    seen: dict[str, int] = {}
    for label in out.values():
        seen[label] = seen.get(label, 0) + 1
    return {key: (f"{label} ({key})" if seen[label] > 1 and label != key else label) for key, label in out.items()}


def add_labels(
    df: pd.DataFrame,
    entities: pd.DataFrame | None,
    *,
    kind: str,
    key_col: str = "key",
    label_col: str = "label",
) -> pd.DataFrame:
    """A copy of a tidy table with the human label of each key in a new column right after the key.

    Arguments:
        df: any table with a key column (a timeline, ranking or cross-tab table).
        entities: the build's entities table (``kind``, ``key``, ``label``).
        kind: what the keys are: ``theme``, ``organisation`` or ``cluster`` (cluster keys are labels already).
        key_col: the column holding the keys (``key``, ``row_key``, ``col_key``).
        label_col: the name of the new column (replaced when it exists).

    Returns:
        A new DataFrame (``df`` is not modified, ``attrs`` are kept) with ``label_col`` (str) inserted after
        ``key_col``: entity_labels(entities, kind)[key], or the key itself when the key has no entity.
    """
    if key_col not in df.columns:
        raise ValueError(
            f"The 'key_col' parameter must name a column of the table; got {key_col!r} instead, and the "
            f"table has the columns {list(df.columns)}."
        )
    labels = entity_labels(entities, kind)
    keys = df[key_col].astype("str")
    values = [labels.get(k, k) if isinstance(k, str) else k for k in keys.tolist()]
    out = df.drop(columns=[label_col]) if label_col in df.columns and label_col != key_col else df.copy()
    out.insert(list(out.columns).index(key_col) + 1, label_col, pd.array(values, dtype="str"))
    out.attrs.update(df.attrs)
    return out


# The longest span (in days) shown at each granularity when it is chosen automatically.
_AUTO_SPANS = (("day", 60), ("week", 366), ("month", 4 * 366), ("quarter", 12 * 366))
# The finest granularity a date precision supports.
_FINEST_FOR_PRECISION = {"day": "day", "month": "month", "year": "year"}


def auto_granularity(start, end, *, precision: str | None = None, documents: int | None = None) -> str:
    """A sensible period length for a date span: about 10 to 60 periods, never finer than the dates, and
    not many more periods than documents.

    ``day`` for a span up to 60 days, ``week`` up to a year (366 days), ``month`` up to 4 years, ``quarter``
    up to 12 years, else ``year``; then made coarser when the dates are coarser (``precision="year"`` gives
    ``year``, ``"month"`` at least ``month``), and, when ``documents`` is given, until the span has no more
    periods than there are documents (8 documents over 8 years: years, not 33 mostly empty quarters).

    Arguments:
        start, end: the first and last date (``datetime.date``, ``Timestamp`` or ISO string); either None
            (no dated documents) gives ``month`` (or the precision's granularity when coarser).
        precision: the finest date precision most documents have (``day``, ``month``, ``year`` or None
            for day), e.g. from common_precision.
        documents: how many dated documents the span holds (None: not taken into account).

    Returns:
        One of GRANULARITIES.
    """
    if precision is not None:
        _check_choice("precision", precision, _FINEST_FOR_PRECISION)
    if documents is not None and (not isinstance(documents, (int, np.integer)) or documents < 0):
        raise ValueError(f"The 'documents' parameter must be None or an int >= 0; got {documents!r} instead.")
    first, last = _as_date("start", start), _as_date("end", end)
    floor = _FINEST_FOR_PRECISION[precision or "day"]
    if first is None or last is None:
        return max("month", floor, key=GRANULARITIES.index)
    days = abs((last - first).days)
    chosen = next((name for name, longest in _AUTO_SPANS if days <= longest), "year")
    chosen = max(chosen, floor, key=GRANULARITIES.index)
    if documents is not None:
        while chosen != "year" and _count_periods(first, last, chosen) > max(documents, 1):
            chosen = GRANULARITIES[GRANULARITIES.index(chosen) + 1]
    return chosen


def _count_periods(first: dt.date, last: dt.date, granularity: str) -> int:
    """How many calendar periods of ``granularity`` the days from ``first`` to ``last`` touch."""
    freq = _FREQ[granularity]
    low, high = sorted((first, last))
    return pd.Period(high, freq).ordinal - pd.Period(low, freq).ordinal + 1


def common_precision(precisions, *, share: float = 0.5) -> str | None:
    """The finest date precision that at least ``share`` of the dated documents have.

    Arguments:
        precisions: the ``date_precision`` values of the dated documents (``day``/``month``/``year``;
            None or unknown values count as ``day``).
        share: the fraction of documents (0 < share <= 1) that must be placeable at that precision.

    Returns:
        ``day``, ``month`` or ``year``; None when there are no documents.
    """
    if not 0 < share <= 1:
        raise ValueError(f"The 'share' parameter must be in (0, 1]; got {share!r} instead.")
    ranks = pd.Series(list(precisions), dtype="object").map(_PRECISION_RANK).fillna(0).to_numpy(np.int64)
    if len(ranks) == 0:
        return None
    for name, rank in _PRECISION_RANK.items():
        if (ranks <= rank).mean() >= share:
            return name
    return "year"


def choose_granularity(documents: pd.DataFrame, mentions: pd.DataFrame, filters: Filters = Filters()) -> str:
    """The automatic period length for the filtered documents: auto_granularity over their date span, the
    precision common to at least half of them and their number.

    Returns:
        One of GRANULARITIES (``month`` when no filtered document has a date).
    """
    filters = _check_filters(filters)
    documents = _check_documents(documents)
    docs = _filtered_columns(documents, mentions, filters, ["date", "date_precision"])
    dated = docs[docs["date"].notna()]
    if dated.empty:
        return auto_granularity(None, None)
    return auto_granularity(
        dated["date"].min(), dated["date"].max(), precision=common_precision(dated["date_precision"]),
        documents=len(dated),
    )
