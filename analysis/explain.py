"""What surged when, and why: the surges of a filtered corpus with the events they overlap, and one surge's
distinctive words and passages. The tables the Themes view draws and ``export --what surges|distinctive|events``
writes, built from :mod:`analysis.timeline`, :mod:`analysis.surges` and :mod:`analysis.events`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import events as ev
from analysis import surges as sg
from analysis import timeline as tl
from analysis.timeline import Filters

__all__ = [
    "DEFAULT_EVENTS",
    "EXPLAIN_COLUMNS",
    "PASSAGE_COLUMNS",
    "SURGE_TABLE_COLUMNS",
    "events_table",
    "surge_explanation",
    "surge_table",
    "surges_with_events",
]

# The surges table as the page and the CSV show it: the analysis columns, then how many events overlap the
# surge and which overlap its peak period (a surge of years overlaps dozens of summits; its peak, a few).
SURGE_TABLE_COLUMNS = (*sg.SURGE_COLUMNS, "events", "peak_events")
EXPLAIN_COLUMNS = sg.DISTINCTIVE_COLUMNS
PASSAGE_COLUMNS = (*tl.CONCORDANCE_COLUMNS, "score")
# A surge's words are told apart from the same window's other documents when there are this many of them;
# with fewer, from a fixed-seed sample of the filtered documents outside the window.
_MIN_REFERENCE = 10
_OUTSIDE_SAMPLE = 2000
_SEED = 0
# Documents already filtered: nothing more left out.
_EVERY = Filters(include_duplicates=True, include_inferred=True, include_body_dates=True)
DEFAULT_EVENTS = ev.DEFAULT_EVENTS


@lru_cache(maxsize=8)
def _events_cached(path: str, mtime_ns: int) -> pd.DataFrame:
    return ev.load_events(path)


def _events(events_file) -> pd.DataFrame:
    """The events of a calendar file (cached per file and modification time); the bundled one for None."""
    path = Path(events_file) if events_file else ev.DEFAULT_EVENTS
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = -1  # load_events says what is wrong with the path
    return _events_cached(str(path), mtime).copy()


def events_table(events_file=None, *, start=None, end=None) -> pd.DataFrame:
    """The events of a calendar, those overlapping ``start``..``end`` when given (both inclusive).

    Arguments:
        events_file: an events TOML file (format in ``data/events.toml``); the bundled calendar for None.
        start, end: dates bounding the window (either may be None: open on that side).

    Returns:
        The rows of :func:`analysis.events.load_events` (``line`` dropped), sorted by start.
    """
    events = _events(events_file)
    keep = np.ones(len(events), dtype=bool)
    if start is not None:
        keep &= (events["end"] >= pd.Timestamp(start)).to_numpy(dtype=bool)
    if end is not None:
        keep &= (events["start"] <= pd.Timestamp(end)).to_numpy(dtype=bool)
    events = events[keep]
    return events.drop(columns=["line"]).reset_index(drop=True)


def surge_table(
    documents: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    kind: str = "theme",
    keys=None,
    granularity: str = "year",
    filters: Filters | None = None,
    events_file=None,
    with_events: bool = True,
) -> pd.DataFrame:
    """The tested surges of every key of a kind in the filtered documents, with the events they overlap.

    Arguments:
        documents, mentions: the build's tables.
        kind: ``theme``, ``organisation`` or ``cluster``.
        keys: the keys to test (None: every key mentioned).
        granularity: the period length of the series tested (``year``, ``quarter``, ``month``, ``week``).
        filters: which documents count (the sidebar's; None: all).
        events_file: the calendar whose events are listed beside each surge (None: the bundled one).
        with_events: False leaves the ``events`` column empty (no calendar read).

    Returns:
        One row per reported surge with the columns of ``SURGE_TABLE_COLUMNS``, strongest first;
        ``events`` counts the calendar's events overlapping the surge, ``peak_events`` joins with "; " the
        labels of those overlapping its peak period. ``attrs["help"]`` states when a surge is reported.
    """
    filters = filters if filters is not None else Filters()
    series = tl.timeline(documents, mentions, kind=kind, keys=keys, granularity=granularity, filters=filters)
    return surges_with_events(series, events_file=events_file, with_events=with_events)


def surges_with_events(series: pd.DataFrame, *, events_file=None, with_events: bool = True) -> pd.DataFrame:
    """The tested surges of a timeline (analysis.timeline.timeline's table, from any engine) with the events
    they overlap: what :func:`surge_table` returns for the documents that made ``series``.

    Arguments:
        series: a timeline table (period, period_end, period_label, key, documents_mentioning, documents_total).
        events_file, with_events: as for :func:`surge_table`.
    """
    found = sg.surges(series)
    out = found.copy()
    out["events"] = np.zeros(len(out), dtype=np.int64)
    out["peak_events"] = pd.array([""] * len(out), dtype="str")
    if with_events and not out.empty:
        calendar = _events(events_file)
        spans = ev.match_surges(found, calendar)
        counts = spans.groupby(["key", "method", "start", "end"], sort=False).size()
        index = pd.MultiIndex.from_frame(out[["key", "method", "start", "end"]])
        out["events"] = counts.reindex(index).fillna(0).to_numpy(dtype=np.int64)
        peak_end = _period_ends(series, found)
        peaks = ev.match_surges(found.assign(start=found["peak"], end=peak_end), calendar)
        labels = peaks.groupby(["key", "method", "start"], sort=False)["event_label"].agg("; ".join)
        at = pd.MultiIndex.from_arrays([out["key"], out["method"], out["peak"]])
        out["peak_events"] = pd.array(labels.reindex(at).fillna("").to_numpy(dtype=object), dtype="str")
    out.attrs.update(found.attrs)
    return out[list(SURGE_TABLE_COLUMNS)]


def _period_ends(series: pd.DataFrame, found: pd.DataFrame) -> pd.Series:
    """The last day of each surge's peak period, read off the timeline it was found in."""
    ends = series.drop_duplicates("period").set_index("period")["period_end"]
    return pd.Series(ends.reindex(found["peak"]).to_numpy(), index=found.index, dtype="datetime64[ns]")


def _as_day(name: str, value) -> dt.date:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise ValueError(f"The '{name}' of a surge must be a date (YYYY-MM-DD); got {value!r} instead.")
    return stamp.date()


def surge_explanation(
    documents: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    kind: str = "theme",
    key: str,
    start,
    end,
    filters: Filters | None = None,
    top: int = 15,
    passages: int = 5,
    texts: Callable[[Sequence[str]], Mapping[str, str]] | None = None,
    term_counts: Callable[[Sequence[str]], sg.TermCounts | None] | None = None,
    window_counts: Callable[[Sequence[str], Sequence[str]], sg.WindowCounts | None] | None = None,
    select: Callable[[Filters], np.ndarray] | None = None,
    key_mentions: Callable[[Filters], pd.DataFrame] | None = None,
) -> dict:
    """Why a key surged from ``start`` to ``end``: the words that tell its documents of that window apart,
    its most representative passages, and the documents behind it.

    The words are Fightin' Words log-odds (:func:`analysis.surges.distinctive_words`) over the word counts
    of the window's documents: the documents mentioning ``key`` against the same window's other documents
    (so the words say *why this key then*, not *what that period was about*), or, when fewer than 10 such
    documents exist, against a fixed-seed sample of the filtered documents outside the window. Only the
    documents compared are counted, so the cost follows the window, not the build.

    Arguments:
        documents, mentions: the build's tables (``text`` needed).
        kind, key: the series that surged.
        start, end: the surge's first and last day (inclusive), e.g. a row of :func:`surge_table`.
        filters: the sidebar's filters (the window replaces their dates).
        top: distinctive words on each side.
        passages: representative passages returned.
        texts: doc_ids -> {doc_id: text}, to read only the texts compared when ``documents`` has no ``text``
            column (a query layer that keeps the texts on disk); None: ``documents["text"]``.
        term_counts: doc_ids -> the :func:`analysis.surges.term_counts` of those documents, read off the
            build's stored counts (``analysis.term_store.TermStore.counts``), or None when it cannot; then
            (and when not given) the texts compared are counted. Either way the words are the same.
        window_counts: (the surge's doc_ids, the others') -> their :class:`analysis.surges.WindowCounts`,
            summed off the build's stored counts without copying the window's rows
            (``analysis.term_store.TermStore.window``), or None when it cannot; asked before ``term_counts``,
            with the same words and scores.
        select: filters -> the positions in ``documents`` (ascending) of the documents that pass them, as a
            query layer finds them (``analysis.query.Corpus.rows``, whose positions are those of the build's
            documents table); None: :func:`analysis.timeline.filter_documents` over ``documents`` and
            ``mentions``. Either way the same documents.
        key_mentions: filters -> the mentions of ``key`` in the documents that pass them, in the mentions
            table's order (``analysis.query.Corpus.key_mentions``); None: looked up in ``mentions``.

    Returns:
        ``{"words": DataFrame (EXPLAIN_COLUMNS), "passages": DataFrame (PASSAGE_COLUMNS), "doc_ids": tuple}``;
        words and passages are empty when the window holds no document mentioning ``key``, or nothing to
        compare them with.
    """
    filters = filters if filters is not None else Filters()
    first, last = _as_day("start", start), _as_day("end", end)
    if last < first:
        raise ValueError(f"The surge's end ({last}) must be on or after its start ({first}); swap them.")
    if not isinstance(key, str) or not key:
        raise ValueError(f"The 'key' parameter must name a {kind}; got {key!r} instead.")
    window = dataclasses.replace(filters, start=first, end=last)

    def passing(chosen: Filters) -> pd.DataFrame:
        if select is None:
            return tl.filter_documents(documents, mentions, chosen)
        return documents.iloc[np.asarray(select(chosen), dtype=np.int64)]

    in_window = passing(window)
    if key_mentions is None:
        of_key = mentions[((mentions["kind"] == kind) & (mentions["key"] == key)).to_numpy(dtype=bool)]
    else:
        of_key = key_mentions(window)  # only the window's: the same documents and passages
    hits = of_key["doc_id"].astype(str)
    ids = in_window["doc_id"].astype(str)
    in_surge = _among(ids, hits)
    surge_ids = tuple(ids[in_surge].tolist())  # tolist: read in one go, not value by value
    empty = {"words": pd.DataFrame({c: [] for c in EXPLAIN_COLUMNS}),
             "passages": pd.DataFrame({c: [] for c in PASSAGE_COLUMNS}), "doc_ids": surge_ids}  # fmt: skip
    if not surge_ids:
        return empty
    others = in_window[~in_surge]
    if len(others) < _MIN_REFERENCE:
        # The window's documents whatever the doc_ids narrowing: none of them is "outside" the window.
        window_ids = passing(dataclasses.replace(window, doc_ids=None))["doc_id"]
        outside = passing(dataclasses.replace(filters, start=None, end=None))
        outside = outside[~_among(outside["doc_id"], window_ids)]
        if len(outside) > _OUTSIDE_SAMPLE:
            outside = outside.sample(n=_OUTSIDE_SAMPLE, random_state=_SEED)
        others = pd.concat([others, outside])
    if others.empty:
        return empty
    surge_docs = in_window[in_surge]
    on_disk = texts is not None and "text" not in documents.columns
    surge_list, other_list = surge_docs["doc_id"].astype(str).tolist(), others["doc_id"].astype(str).tolist()
    window = window_counts(surge_list, other_list) if window_counts is not None else None
    if window is not None:  # summed off the stored counts: a long surge's rows are not copied
        if len(window.terms) == 0:
            return empty
        words = window.words(top=top)
        scores = window.scores(words)
    else:
        compared_ids = surge_list + other_list
        counts = term_counts(compared_ids) if term_counts is not None else None
        if counts is None:
            compared = pd.concat([surge_docs, others])
            if on_disk:
                # Only the texts of the documents compared are read: the window's, and the sample outside it.
                found = texts(compared_ids)
                compared = compared.assign(text=[found.get(d, "") for d in compared_ids])
            counts = sg.term_counts(compared)
        if len(counts.terms) == 0:
            return empty
        mask = counts.mask(surge_ids)
        words = sg.distinctive_words(counts.matrix, counts.terms, mask, reference=~mask, corpus=counts.totals,
                                     top=top)  # fmt: skip
        scores = sg.document_scores(counts, words, doc_ids=surge_ids)
    lines = _surge_lines(of_key, surge_docs, scores, kind=kind, key=key,
                         passages=passages, texts=texts if on_disk else None)
    best = sg.representative_passages(lines, scores, top=passages) if not lines.empty else empty["passages"]
    return {"words": words.reset_index(drop=True), "passages": best.reset_index(drop=True), "doc_ids": surge_ids}


def _among(values: pd.Series, of: pd.Series) -> np.ndarray:
    """Boolean mask: which of ``values`` (doc_ids) are among ``of``, in Arrow (timeline's columnar helpers;
    the documents of a theme run to tens of thousands: a Python set of them cost more than the rest)."""
    return tl._isin(values, tl._arrow_str(of).unique())


def _surge_lines(of_key, surge_docs, scores: pd.Series, *, kind, key, passages: int, texts) -> pd.DataFrame:
    """The concordance lines :func:`analysis.surges.representative_passages` chooses from: those of the
    ``passages`` best-scoring documents of the surge (ties included) when each of them has a line, which
    gives the passages that the lines of all its documents give (a document's first line comes before any
    document scoring lower, and repeats after every first line); otherwise those of all its documents.
    ``of_key`` holds the key's mentions; ``surge_docs`` are already the window's filtered documents."""

    def lines_of(docs: pd.DataFrame) -> pd.DataFrame:
        if texts is not None:
            found = texts(list(docs["doc_id"].astype(str)))
            docs = docs.assign(text=[found.get(d, "") for d in docs["doc_id"].astype(str)])
        rows = of_key[_among(of_key["doc_id"], docs["doc_id"])]
        return tl.concordance(docs, rows, kind=kind, key=key, filters=_EVERY)

    if len(scores) > passages:
        threshold = np.sort(scores.to_numpy())[::-1][passages - 1]
        best_ids = set(scores.index[scores.to_numpy() >= threshold].astype(str))
        lines = lines_of(surge_docs[surge_docs["doc_id"].astype(str).isin(best_ids)])
        if lines["doc_id"].astype(str).nunique() >= passages:
            return lines
    return lines_of(surge_docs)
