"""Panels: exactly what each chart and table of the dashboard draws, as a table and its notes.

One pure function per chart, ``panel(corpus, filters, **options) -> Panel``: the dashboard draws the chart
from ``Panel.table`` and its "Download CSV" button writes ``to_csv_bytes(Panel.table)``; the command line's
``python -m analysis export DIR --panel NAME`` calls the same function (``run_panel``), so every chart's CSV
can be made without the dashboard, byte for byte. ``Panel.notes`` are the facts a chart states beside it
(rows left out, undated documents, partial periods, how the drawn keys were chosen), as data: the dashboard
words them (dashboard/views/common.py).

    PANELS["theme-timeline"].function(corpus, Filters(), granularity="auto", top=8) -> Panel
    run_panel("theme-timeline", corpus, Filters(), top=8)   # the options checked against PANELS first

The few panels that read single mentions (what a theme is matched as, a surge's words and passages) read the
build's documents and mentions tables without the texts once per Corpus (``side_tables``), with the texts
of the few documents they show.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import threading
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import compare as cmp
from analysis import explain as ex
from analysis import surfaces as sf
from analysis import timeline as tl
from analysis.query import Corpus
from analysis.store import Build, read_build
from analysis.term_store import FILE_NAME as TERM_COUNTS_FILE
from analysis.term_store import TermStore, TermStoreError
from analysis.timeline import Filters
from analysis.vocabulary import AUTO, GRANULARITY_CHOICES, MEASURES, check_choice

__all__ = [
    "COMPARE_BY", "DOCUMENT_ROWS", "MAP_COLUMNS", "MAP_POINTS", "PANELS", "PASSAGES", "Panel", "PanelOption",
    "FIRST_VIEW", "PanelSpec", "SideTables", "check_options", "events_file_of", "first_view", "run_panel",
    "side_tables", "warm",
]

# Caps that keep a large build (tens of thousands of documents) responsive; each is a note of its panel.
MAP_POINTS = 3000  # points drawn on the document map (a fixed random sample beyond that)
DOCUMENT_ROWS = 1000  # rows of the documents table shown (the "all" download holds every one)
PASSAGES = 500  # concordance passages shown
MAP_COLUMNS = ["doc_id", "title", "date", "source", "cluster_id", "x", "y"]
COMPARE_BY = ("source", "publisher", "language")
_MEMO_SIZE = 64  # tables kept per Corpus by SideTables.memo (timelines, rankings, cross-tabs: small)
_COMPARE_SERIES = 6  # lines of the source comparison when the filters choose no sources
_FIELD_OF = {"source": "sources", "publisher": "publishers", "language": "languages"}


@dataclass(frozen=True)
class Panel:
    """What one chart or table draws.

    Attributes:
        name: the panel's name in ``PANELS``.
        table: the exact rows drawn, and the CSV of its download.
        notes: facts about the table (numbers, keys, flags; never sentences), e.g. ``undated`` (documents
            without a date left out), ``excluded_coarse`` (dated only to a coarser period), ``partial_periods``,
            ``total`` and ``rows_left_out`` (a capped table), ``top`` (keys chosen as the top N), ``granularity``
            and ``measure`` drawn.
        options: the options it was made with, checked (``run_panel`` fills them in): with the filters, what
            ``export --panel`` needs to make the same table.
    """

    name: str
    table: pd.DataFrame
    notes: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PanelOption:
    """One option of a panel: its name (a keyword of the panel function), type, default and choices.

    ``type`` is one of ``str``, ``int``, ``bool``, ``date``; ``required`` options have no default;
    ``choices`` (when not None) are the values allowed.
    """

    name: str
    type: str
    help: str
    default: Any = None
    required: bool = False
    choices: tuple | None = None


@dataclass(frozen=True)
class PanelSpec:
    """A panel of ``PANELS``: its name, where the dashboard draws it, what it holds, its function and options."""

    name: str
    view: str
    description: str
    function: Callable[..., Panel]
    options: tuple[PanelOption, ...] = ()

    def option(self, name: str) -> PanelOption | None:
        return next((o for o in self.options if o.name == name), None)


# ------------------------------------------------------------------------- tables beside the Corpus
class SideTables:
    """The documents (without texts) and mentions tables of a Corpus's build, read on first use, with the
    texts of single documents and the stored word counts (term_counts.npz); shared between threads."""

    def __init__(self, corpus: Corpus) -> None:
        self._corpus = weakref.ref(corpus)
        self._path = Path(corpus.path)
        # One lock each: the memo's (held for dictionary steps only) must not wait for a read of the tables
        # or of term_counts.npz (seconds for a million documents) that warm() is doing on its thread.
        self._lock = threading.Lock()
        self._frames_lock = threading.Lock()
        self._store_lock = threading.Lock()
        self._tables: Build | None = None
        self._rows: dict[str, int] | None = None
        self._store: TermStore | bool | None = None  # False: the build has no usable term_counts.npz
        self._memo: OrderedDict = OrderedDict()

    def frames(self) -> Build:
        with self._frames_lock:
            if self._tables is None:
                self._tables = read_build(self._path, text=False)
                self._rows = {str(d): i for i, d in enumerate(self._tables.documents["doc_id"])}
            return self._tables

    def texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """doc_id -> text, read from the build for these documents only."""
        self.frames()
        rows = {self._rows[str(d)]: str(d) for d in doc_ids if str(d) in self._rows}
        return {rows[row]: text for row, text in self._corpus().texts(list(rows)).items()}

    def term_counts(self, doc_ids: Sequence[str]):
        """The stored word counts of these documents (analysis.term_store), or None when the build has none
        (a build of an earlier version, and its updates) or they do not cover them: then the texts are
        counted, with the same result."""
        store = self._term_store()
        return store.counts(doc_ids) if store else None

    def window_counts(self, surge_ids: Sequence[str], other_ids: Sequence[str]):
        """A surge's documents' word counts against others', summed off the stored counts
        (analysis.term_store.TermStore.window), or None (then term_counts, or the texts, are counted)."""
        store = self._term_store()
        return store.window(surge_ids, other_ids) if store else None

    def _term_store(self) -> TermStore | None:
        """The build's term_counts.npz, read on first use; None when it has none or it cannot be read."""
        with self._store_lock:
            if self._store is None:
                path = self._path / TERM_COUNTS_FILE
                try:
                    self._store = TermStore.load(path) if path.is_file() else False
                except TermStoreError as error:
                    warnings.warn(f"{error} Counting the texts instead.", stacklevel=3)
                    self._store = False
        return self._store or None

    def warm(self) -> None:
        """Read now what a first surge explanation reads (the tables, the stored word counts) and import the
        libraries it uses (ruptures, scikit-learn's stop words): what :func:`warm` does on a thread."""
        self.frames()
        store = self._term_store()
        if store:
            store.clean  # noqa: B018 - checked once, here rather than on the first question
        import ruptures  # noqa: F401

        from analysis.topics import stop_words

        stop_words()

    def memo(self, key: tuple, make: Callable[[], Any]):
        """``make()``, kept for the last few keys: a table several panels are drawn from (every theme's
        timeline: the heatmap, the small multiples, the surges) is made once per filter state. Callers never
        change what it returns."""
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        value = make()
        with self._lock:
            self._memo[key] = value
            while len(self._memo) > _MEMO_SIZE:
                self._memo.popitem(last=False)
        return value

    def surge_explanation(self, *, kind: str, key: str, start, end, filters: Filters) -> dict:
        """analysis.explain.surge_explanation on these tables (words and passages are two panels of one)."""
        def make():
            tables = self.frames()
            corpus = self._corpus()
            return ex.surge_explanation(tables.documents, tables.mentions, kind=kind, key=key, start=start, end=end,
                                        filters=filters, texts=self.texts, term_counts=self.term_counts,
                                        window_counts=self.window_counts, select=corpus.rows,
                                        key_mentions=lambda chosen: _key_mentions(corpus, kind, key, chosen))

        return self.memo(("surge-explanation", kind, key, start, end, filters), make)


_SIDE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_SIDE_LOCK = threading.Lock()


def side_tables(corpus: Corpus) -> SideTables:
    """The SideTables of a Corpus (one per Corpus, made on first use)."""
    with _SIDE_LOCK:
        if corpus not in _SIDE:
            _SIDE[corpus] = SideTables(corpus)
        return _SIDE[corpus]


def warm(corpus: Corpus) -> threading.Thread:
    """Start a daemon thread that prepares ``corpus``'s counting arrays and side tables (:meth:`SideTables.warm`),
    so that the first filter change and the first Themes view after a build is opened do not wait a second or
    two for them; returns the thread.
    An error there is left to the panel that needs the tables, which raises it with its message."""

    def run() -> None:
        with contextlib.suppress(Exception):
            corpus.count()  # reads the arrays every count over a filter state uses (analysis.query.counting)
            side_tables(corpus).warm()

    thread = threading.Thread(target=run, name=f"warm {corpus.path}", daemon=True)
    thread.start()
    return thread


def events_file_of(corpus: Corpus, events_file: str | None = None) -> str:
    """The calendar a build's panels use: ``events_file`` when given, else the build's own events.toml
    (written by ``build --events``), else the bundled data/events.toml."""
    if events_file:
        return str(events_file)
    own = Path(corpus.path) / "events.toml"
    return str(own if own.is_file() else ex.DEFAULT_EVENTS)


# ------------------------------------------------------------------------------------------- helpers
def _granularity(corpus: Corpus, filters: Filters, granularity: str) -> str:
    check_choice("granularity", granularity, GRANULARITY_CHOICES)
    return corpus.choose_granularity(filters) if granularity == AUTO else granularity


def _ask(corpus: Corpus, method: str, **arguments):
    """``corpus.<method>(**arguments)`` (timeline, ranking, crosstab), made once per arguments for all the
    panels drawn from it: a ranking chooses the keys of five panels, a change of measure draws the same
    timeline. Panels never change what it returns (labelling and row selection make new frames)."""
    key = (method, tuple(sorted(arguments.items())))
    return side_tables(corpus).memo(key, lambda: getattr(corpus, method)(**arguments))


def _key_mentions(corpus: Corpus, kind: str, key: str, filters: Filters) -> pd.DataFrame:
    """``corpus.key_mentions`` made once per filter state for the panels that read it (what a theme is
    matched as, its sampled contexts, a surge's documents and passages); they never change it."""
    return side_tables(corpus).memo(("key_mentions", kind, key, filters),
                                    lambda: corpus.key_mentions(kind=kind, key=key, filters=filters))


def _labelled(df: pd.DataFrame, corpus: Corpus, kind: str, key_col: str = "key", label_col: str = "label"):
    return tl.add_labels(df, corpus.entities, kind=kind, key_col=key_col, label_col=label_col)


def _timeline_notes(df: pd.DataFrame, granularity: str, measure: str) -> dict:
    partial = int(df.loc[df["partial"].astype(bool), "period"].nunique()) if "partial" in df and len(df) else 0
    return {"granularity": granularity, "measure": measure, "undated": int(df.attrs.get("undated", 0) or 0),
            "excluded_coarse": int(df.attrs.get("excluded_coarse", 0) or 0), "partial_periods": partial}


def _rows_of(table: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """The rows of ``keys`` in a timeline, in the order of ``keys`` (the order of the lines and legend)."""
    order = {k: i for i, k in enumerate(keys)}
    rows = table[table["key"].isin(order)]
    rows = rows.iloc[rows["key"].map(order).argsort(kind="stable")].reset_index(drop=True)
    rows.attrs = dict(table.attrs)
    return rows


def _top_themes(corpus: Corpus, filters: Filters, top: int) -> tuple[tuple[str, ...] | None, dict]:
    """The themes a timeline draws: those chosen in the filters, else the ``top`` mentioned in most documents
    (None: every theme, when there are no more than ``top``)."""
    if filters.themes:
        return tuple(filters.themes), {"keys_from": "filters"}
    rank = _ask(corpus, "ranking", kind="theme", filters=filters)
    if len(rank) <= top:
        return None, {"keys_from": "all"}
    return tuple(rank["key"].head(top)), {"keys_from": "top", "top": top}


def _capped(table: pd.DataFrame, top: int) -> tuple[pd.DataFrame, dict]:
    return table.head(top), {"total": len(table), "rows_left_out": max(len(table) - top, 0)}


# ------------------------------------------------------------------------------------------- panels
def overview_timeline(corpus: Corpus, filters: Filters, *, granularity: str = AUTO, measure: str = "share",
                      top: int = 6) -> Panel:
    """The Overview's theme timeline: the themes chosen in the filters, else the ``top`` most mentioned."""
    check_choice("measure", measure, MEASURES)
    granularity = _granularity(corpus, filters, granularity)
    keys, how = _top_themes(corpus, filters, top)
    df = _ask(corpus, "timeline", kind="theme", keys=keys, granularity=granularity, filters=filters, by=None)
    return Panel("overview-timeline", _labelled(df, corpus, "theme"), {**_timeline_notes(df, granularity, measure), **how})


def top_organisations(corpus: Corpus, filters: Filters, *, top: int = 10) -> Panel:
    """The Overview's top organisations: the ranking's first ``top`` rows (documents mentioning each)."""
    rank, notes = _capped(_ask(corpus, "ranking", kind="organisation", filters=filters), top)
    return Panel("top-organisations", _labelled(rank, corpus, "organisation"), notes)


def dating_gaps(corpus: Corpus, filters: Filters) -> Panel:
    """The Overview's list of undated and body-dated documents."""
    return Panel("dating-gaps", corpus.dating_gaps(filters))


def _theme_timelines(corpus: Corpus, filters: Filters, granularity: str) -> pd.DataFrame:
    """Every theme's timeline (made once per filter state for the four panels drawn from it)."""
    return _ask(corpus, "timeline", kind="theme", keys=None, granularity=granularity, filters=filters, by=None)


def theme_timeline(corpus: Corpus, filters: Filters, *, granularity: str = AUTO, measure: str = "share",
                   top: int = 8) -> Panel:
    """The Themes view's timeline: the themes chosen in the filters, else the ``top`` most mentioned."""
    check_choice("measure", measure, MEASURES)
    granularity = _granularity(corpus, filters, granularity)
    keys, how = _top_themes(corpus, filters, top)
    every = _theme_timelines(corpus, filters, granularity)
    # The lines are the rows of the chosen themes in the table of all themes (one computation, not two);
    # a chosen theme nobody mentions still needs its row of zeros, which only a timeline of its own has.
    df = every if keys is None else (
        _rows_of(every, keys) if set(keys) <= set(every["key"]) else _ask(
            corpus, "timeline", kind="theme", keys=keys, granularity=granularity, filters=filters, by=None))
    return Panel("theme-timeline", _labelled(df, corpus, "theme"), {**_timeline_notes(df, granularity, measure), **how})


def theme_heatmap(corpus: Corpus, filters: Filters, *, granularity: str = AUTO, measure: str = "share") -> Panel:
    """The Themes view's theme × period heatmap: every theme."""
    check_choice("measure", measure, MEASURES)
    granularity = _granularity(corpus, filters, granularity)
    every = _theme_timelines(corpus, filters, granularity)
    return Panel("theme-heatmap", _labelled(every, corpus, "theme"), _timeline_notes(every, granularity, measure))


def theme_small_multiples(corpus: Corpus, filters: Filters, *, granularity: str = AUTO,
                          measure: str = "share") -> Panel:
    """The Themes view's small multiples: one small timeline per theme (the heatmap's table)."""
    panel = theme_heatmap(corpus, filters, granularity=granularity, measure=measure)
    return dataclasses.replace(panel, name="theme-small-multiples")


def theme_surges(corpus: Corpus, filters: Filters, *, granularity: str = AUTO, events_file: str | None = None,
                 events: bool = True) -> Panel:
    """The Themes view's "What surged": every theme's tested surges with the events they overlap."""
    granularity = _granularity(corpus, filters, granularity)
    series = _theme_timelines(corpus, filters, granularity)
    found = ex.surges_with_events(series, events_file=events_file_of(corpus, events_file), with_events=events)
    return Panel("theme-surges", _labelled(found, corpus, "theme"), {"granularity": granularity, "surges": len(found)})


def _window(start, end) -> tuple[dt.date, dt.date]:
    start, end = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    if start > end:
        raise ValueError(f"The surge's window must start on or before its end; got {start} to {end}. Swap them.")
    return start, end


def surge_words(corpus: Corpus, filters: Filters, *, key: str, start, end, kind: str = "theme") -> Panel:
    """One surge's distinctive words, against the same window's other documents (analysis.explain)."""
    start, end = _window(start, end)
    why = side_tables(corpus).surge_explanation(kind=kind, key=key, start=start, end=end, filters=filters)
    return Panel("surge-words", why["words"], {"documents": len(why["doc_ids"])})


def surge_passages(corpus: Corpus, filters: Filters, *, key: str, start, end, kind: str = "theme") -> Panel:
    """One surge's most representative passages (analysis.explain)."""
    start, end = _window(start, end)
    why = side_tables(corpus).surge_explanation(kind=kind, key=key, start=start, end=end, filters=filters)
    return Panel("surge-passages", why["passages"], {"documents": len(why["doc_ids"])})


def surge_events(corpus: Corpus, filters: Filters, *, start, end, events_file: str | None = None) -> Panel:
    """The calendar's events overlapping a surge's window."""
    del filters  # the calendar is not filtered; the window is the surge's
    start, end = _window(start, end)
    return Panel("surge-events", ex.events_table(events_file_of(corpus, events_file), start=start, end=end))


def _surface_counts(corpus: Corpus, kind: str, key: str, filters: Filters) -> pd.DataFrame:
    """``corpus.surface_counts`` made once per filter state (what a theme is matched as, and which surfaces as
    matched a shown surface stands for in its samples)."""
    return side_tables(corpus).memo(("surface_counts", kind, key, filters),
                                    lambda: corpus.surface_counts(kind=kind, key=key, filters=filters))


def theme_surfaces(corpus: Corpus, filters: Filters, *, key: str, kind: str = "theme", top: int = 20) -> Panel:
    """What a theme is matched as: its top surfaces with counts (analysis.surfaces), counted in the engine."""
    def documents_of(groups):
        return corpus.surface_counts(kind=kind, key=key, filters=filters, groups=groups)["documents"].tolist()

    found = sf.top_surfaces_counted(_surface_counts(corpus, kind, key, filters), kind=kind, key=key, top=top,
                                    documents_of=documents_of)
    return Panel("theme-surfaces", found)


def surface_samples(corpus: Corpus, filters: Filters, *, key: str, surface: str, kind: str = "theme",
                    limit: int = 10) -> Panel:
    """Matches of one surface of a theme drawn at random (fixed seed), with their context: drawn from the
    mentions with that surface only (the others are not fetched)."""
    side = side_tables(corpus)
    tables = side.frames()
    matched = sf.surfaces_as_shown(_surface_counts(corpus, kind, key, filters)).get(surface, ())
    found = sf.surface_samples(tables.documents, tables.mentions, kind=kind, key=key, surface=surface,
                               filters=filters, n=limit, texts=side.texts,
                               key_mentions=corpus.key_mentions(kind=kind, key=key, filters=filters, surfaces=matched))
    return Panel("surface-samples", found)


def _compare_groups(corpus: Corpus, filters: Filters, by: str) -> tuple[tuple[str, ...], bool]:
    chosen = getattr(filters, _FIELD_OF[by])
    return (tuple(chosen) or tuple(corpus.top_groups(by=by, filters=filters, n=_COMPARE_SERIES))), bool(chosen)


def compare(corpus: Corpus, filters: Filters, *, key: str, kind: str = "theme", by: str = "source",
            granularity: str = AUTO, measure: str = "share") -> Panel:
    """One theme or organisation over time, a line per source, publisher or language: those chosen in the
    filters, else the six with the most dated documents."""
    check_choice("by", by, COMPARE_BY)
    check_choice("measure", measure, MEASURES)
    granularity = _granularity(corpus, filters, granularity)
    groups, chosen = _compare_groups(corpus, filters, by)
    narrowed = dataclasses.replace(filters, **{_FIELD_OF[by]: groups})
    df = _ask(corpus, "timeline", kind=kind, keys=(key,), granularity=granularity, filters=narrowed, by=by)
    return Panel("compare", df.copy(), {**_timeline_notes(df, granularity, measure), "groups": groups,
                                 "groups_from": "filters" if chosen else "top"})


def _has_publishers(corpus: Corpus) -> bool:
    return "publisher" in corpus.documents(Filters(doc_ids=())).columns


def compare_two(corpus: Corpus, filters: Filters, *, key: str, a: str, b: str, kind: str = "theme",
                by: str = "source", granularity: str = AUTO) -> Panel:
    """Two sources' (publishers', languages') shares of one key side by side, with their difference."""
    check_choice("by", by, COMPARE_BY)
    granularity = _granularity(corpus, filters, granularity)
    narrowed = cmp.comparison_filters(filters, by=by, a=a, b=b, has_publisher=_has_publishers(corpus))
    table = _ask(corpus, "timeline", kind=kind, keys=(key,), granularity=granularity, filters=narrowed, by=by)
    return Panel("compare-two", cmp.comparison(table, kind=kind, by=by, a=a, b=b, granularity=granularity),
                 {"granularity": granularity})


def lead_lag(corpus: Corpus, filters: Filters, *, key: str, a: str, b: str, kind: str = "theme",
             by: str = "source", granularity: str = AUTO) -> Panel:
    """The correlation of two sides' shares at each lag: who leads whom (analysis.compare.lead_lag)."""
    two = compare_two(corpus, filters, key=key, a=a, b=b, kind=kind, by=by, granularity=granularity)
    lags = cmp.lead_lag(two.table)
    notes = {"granularity": two.notes["granularity"],
             **{k: lags.attrs.get(k) for k in ("best_lag", "best_correlation", "best_periods")}}
    return Panel("lead-lag", lags, notes)


def organisation_ranking(corpus: Corpus, filters: Filters, *, top: int = 15) -> Panel:
    """The Organisations view's ranking: the first ``top`` organisations by documents mentioning them."""
    rank, notes = _capped(_ask(corpus, "ranking", kind="organisation", filters=filters), top)
    return Panel("organisation-ranking", _labelled(rank, corpus, "organisation"), notes)


def organisation_timeline(corpus: Corpus, filters: Filters, *, granularity: str = AUTO, measure: str = "share",
                          top: int = 5) -> Panel:
    """The organisations chosen in the filters over time, else the ``top`` most mentioned."""
    check_choice("measure", measure, MEASURES)
    granularity = _granularity(corpus, filters, granularity)
    if filters.organisations:
        keys, how = tuple(filters.organisations), {"keys_from": "filters"}
    else:
        rank = _ask(corpus, "ranking", kind="organisation", filters=filters)
        keys, how = tuple(rank["key"].head(top)), {"keys_from": "top", "top": top}
    df = _ask(corpus, "timeline", kind="organisation", keys=keys, granularity=granularity, filters=filters, by=None)
    return Panel("organisation-timeline", _labelled(df, corpus, "organisation"),
                 {**_timeline_notes(df, granularity, measure), **how, "keys": keys})


def _top_keys(corpus: Corpus, filters: Filters, top: int) -> pd.Series:
    return _ask(corpus, "ranking", kind="organisation", filters=filters)["key"].head(top)


def organisation_x_theme(corpus: Corpus, filters: Filters, *, top: int = 15) -> Panel:
    """The organisation × theme heatmap of the ``top`` organisations (share of each one's documents)."""
    keys = _top_keys(corpus, filters, top)
    cross = _ask(corpus, "crosstab", row_kind="organisation", col_kind="theme", filters=filters)
    cross = cross[cross["row_key"].isin(keys)]
    cross = _labelled(_labelled(cross, corpus, "organisation", "row_key", "row_label"), corpus, "theme",
                      "col_key", "col_label")
    return Panel("organisation-x-theme", cross, {"top": top})


def co_mentions(corpus: Corpus, filters: Filters, *, top: int = 15) -> Panel:
    """The co-mention matrix of the ``top`` organisations (documents mentioning both)."""
    keys = _top_keys(corpus, filters, top)
    co = _ask(corpus, "crosstab", row_kind="organisation", col_kind="organisation", filters=filters)
    co = co[co["row_key"].isin(keys) & co["col_key"].isin(keys)]
    co = _labelled(_labelled(co, corpus, "organisation", "row_key", "row_label"), corpus, "organisation",
                   "col_key", "col_label")
    return Panel("co-mentions", co, {"top": top})


def clusters(corpus: Corpus, filters: Filters) -> Panel:
    """The topic clusters with their labels, top terms (joined by ", ") and sizes in the whole build."""
    del filters  # the clusters are the build's
    table = corpus.clusters.copy()
    table["top_terms"] = table["top_terms"].map(lambda t: ", ".join(map(str, t)))
    return Panel("clusters", table)


def cluster_timeline(corpus: Corpus, filters: Filters, *, granularity: str = AUTO, measure: str = "share") -> Panel:
    """Each cluster's share (or documents) over time; mentions and per-10k measures draw the share."""
    check_choice("measure", measure, MEASURES)
    granularity = _granularity(corpus, filters, granularity)
    measure = measure if measure in ("share", "documents") else "share"
    df = _ask(corpus, "timeline", kind="cluster", keys=None, granularity=granularity, filters=filters, by=None)
    return Panel("cluster-timeline", df.copy(), _timeline_notes(df, granularity, measure))


def document_map(corpus: Corpus, filters: Filters, *, limit: int = MAP_POINTS) -> Panel:
    """The documents drawn on the document map: at most ``limit`` of the filtered ones with map coordinates
    (a fixed random sample beyond that), in the documents' order."""
    if not corpus.has_column("x") or not corpus.has_column("y"):
        return Panel("document-map", pd.DataFrame({c: [] for c in MAP_COLUMNS}), {"total": 0, "rows_left_out": 0})
    rows = corpus.rows(filters, present=("x", "y"))  # the documents with map coordinates
    total = len(rows)
    if total > limit:
        # A fixed seed: the same filters always draw the same points.
        rows = rows[np.sort(np.random.default_rng(0).choice(total, size=limit, replace=False))]
    docs = corpus.documents_at(rows, columns=MAP_COLUMNS)  # only the points drawn are read
    return Panel("document-map", docs[MAP_COLUMNS], {"total": total, "rows_left_out": total - len(docs)})


def documents(corpus: Corpus, filters: Filters, *, limit: int | None = DOCUMENT_ROWS) -> Panel:
    """The documents table (by date): its first ``limit`` rows (None: every one)."""
    total = corpus.count(filters)
    page = corpus.documents_page(filters, limit=max(total, 1) if limit is None else limit)
    return Panel("documents", page.rows, {"total": page.total, "rows_left_out": page.total - len(page.rows)})


def concordance(corpus: Corpus, filters: Filters, *, key: str, kind: str = "theme", limit: int | None = PASSAGES) -> Panel:
    """Every passage (keyword in context) mentioning one theme or organisation, the first ``limit`` by date."""
    check_choice("kind", kind, ("theme", "organisation"))
    rank = _ask(corpus, "ranking", kind=kind, filters=filters)
    total = int(rank.loc[rank["key"].astype(str) == str(key), "mentions"].sum())
    conc = corpus.concordance(kind=kind, key=key, filters=filters, limit=limit)
    return Panel("concordance", _labelled(conc, corpus, kind), {"total": total, "rows_left_out": total - len(conc)})


def ingest_report(corpus: Corpus, filters: Filters) -> Panel:
    """What happened to every input file (the Report view's table): path, status, reason, documents, …"""
    del filters  # the report is the build's
    files = pd.DataFrame((corpus.report or {}).get("files", []))
    if files.empty:
        return Panel("ingest-report", files)
    keep = [c for c in ("path", "status", "reason", "documents", "encoding", "format") if c in files]
    return Panel("ingest-report", files[keep].fillna({"reason": ""}))


# ------------------------------------------------------------------------------------------ registry
def _o(name: str, type_: str, help_: str, default=None, *, required: bool = False, choices=None) -> PanelOption:
    return PanelOption(name, type_, help_, default, required, None if choices is None else tuple(choices))


_GRAN = _o("granularity", "str", "period length (auto: chosen from the filtered documents)", AUTO,
           choices=GRANULARITY_CHOICES)
_MEAS = _o("measure", "str", "what the chart draws per period", "share", choices=tuple(MEASURES))
_KEY = _o("key", "str", "the theme or organisation key", required=True)
_KIND = _o("kind", "str", "what the key names", "theme", choices=("theme", "organisation"))
_BY = _o("by", "str", "one line per source, publisher or language", "source", choices=COMPARE_BY)
_START = _o("start", "date", "the surge's first day (YYYY-MM-DD)", required=True)
_END = _o("end", "date", "the surge's last day (YYYY-MM-DD)", required=True)
_EVENTS_FILE = _o("events_file", "str", "the calendar of events (default: the build's events.toml, else the "
                  "bundled one)")


def _top(default: int) -> PanelOption:
    return _o("top", "int", "how many rows or keys", default)


def _limit(default: int | None) -> PanelOption:
    return _o("limit", "int", "at most this many rows (all: every one)", default)


PANELS: dict[str, PanelSpec] = {spec.name: spec for spec in (
    PanelSpec("overview-timeline", "Overview", "the theme timeline: themes chosen, else the 6 most mentioned",
              overview_timeline, (_GRAN, _MEAS, _top(6))),
    PanelSpec("top-organisations", "Overview", "the 10 organisations mentioned in most documents",
              top_organisations, (_top(10),)),
    PanelSpec("dating-gaps", "Overview", "the undated and body-dated documents", dating_gaps),
    PanelSpec("theme-timeline", "Themes", "the theme timeline: themes chosen, else the 8 most mentioned",
              theme_timeline, (_GRAN, _MEAS, _top(8))),
    PanelSpec("theme-heatmap", "Themes", "theme × period heatmap of every theme", theme_heatmap, (_GRAN, _MEAS)),
    PanelSpec("theme-small-multiples", "Themes", "one small timeline per theme", theme_small_multiples,
              (_GRAN, _MEAS)),
    PanelSpec("theme-surges", "Themes", "every theme's tested surges and the events they overlap", theme_surges,
              (_GRAN, _EVENTS_FILE, _o("events", "bool", "match the surges with the calendar's events", True))),
    PanelSpec("surge-words", "Themes", "one surge's distinctive words (and the rest's)", surge_words,
              (_KEY, _START, _END, _KIND)),
    PanelSpec("surge-passages", "Themes", "one surge's representative passages", surge_passages,
              (_KEY, _START, _END, _KIND)),
    PanelSpec("surge-events", "Themes", "the calendar's events during a surge", surge_events,
              (_START, _END, _EVENTS_FILE)),
    PanelSpec("theme-surfaces", "Themes", "what a theme is matched as: its top surfaces", theme_surfaces,
              (_KEY, _KIND, _top(20))),
    PanelSpec("surface-samples", "Themes", "sampled contexts of one surface of a theme", surface_samples,
              (_KEY, _o("surface", "str", "the surface (as matched)", required=True), _KIND, _limit(10))),
    PanelSpec("compare", "Themes", "one theme or organisation, a line per source, publisher or language",
              compare, (_KEY, _KIND, _BY, _GRAN, _MEAS)),
    PanelSpec("compare-two", "Themes", "two sources' shares of one key side by side", compare_two,
              (_KEY, _o("a", "str", "the first side", required=True), _o("b", "str", "the second side", required=True),
               _KIND, _BY, _GRAN)),
    PanelSpec("lead-lag", "Themes", "who leads whom: correlation of two sides at each lag", lead_lag,
              (_KEY, _o("a", "str", "the first side", required=True), _o("b", "str", "the second side", required=True),
               _KIND, _BY, _GRAN)),
    PanelSpec("organisation-ranking", "Organisations", "the 15 organisations mentioned in most documents",
              organisation_ranking, (_top(15),)),
    PanelSpec("organisation-timeline", "Organisations",
              "organisations chosen, else the 5 most mentioned, over time", organisation_timeline,
              (_GRAN, _MEAS, _top(5))),
    PanelSpec("organisation-x-theme", "Organisations", "organisation × theme heatmap of the top 15",
              organisation_x_theme, (_top(15),)),
    PanelSpec("co-mentions", "Organisations", "co-mention matrix of the top 15 organisations", co_mentions,
              (_top(15),)),
    PanelSpec("clusters", "Topics", "the topic clusters: labels, top terms, sizes", clusters),
    PanelSpec("cluster-timeline", "Topics", "each cluster's share of the documents over time", cluster_timeline,
              (_GRAN, _MEAS)),
    PanelSpec("document-map", "Topics", f"the documents on the map (at most {MAP_POINTS:,}, a fixed sample)",
              document_map, (_limit(MAP_POINTS),)),
    PanelSpec("documents", "Documents", f"the documents table (the first {DOCUMENT_ROWS:,} by date)", documents,
              (_limit(DOCUMENT_ROWS),)),
    PanelSpec("concordance", "Documents", f"passages mentioning one key (the first {PASSAGES} by date)",
              concordance, (_KEY, _KIND, _limit(PASSAGES))),
    PanelSpec("ingest-report", "Report", "what happened to every input file", ingest_report),
)}


def _convert(spec: PanelSpec, option: PanelOption, value):
    where = f"Panel {spec.name!r}: option {option.name!r}"
    if value is None:
        if option.type == "int" and option.name == "limit":
            return None  # every row
        raise ValueError(f"{where} needs a value; got None.")
    if option.type == "int":
        if isinstance(value, bool) or not isinstance(value, (int, np.integer, str)):
            raise ValueError(f"{where} must be a whole number; got {value!r}.")
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"{where} must be a whole number; got {value!r}.") from None
        if number < 1:
            raise ValueError(f"{where} must be 1 or more; got {number}.")
        return number
    if option.type == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{where} must be true or false; got {value!r}.")
        return bool(value)
    if option.type == "date":
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{where} must be a date as YYYY-MM-DD; got {value!r}.") from None
        if isinstance(value, (dt.date, pd.Timestamp)):
            return value
        raise ValueError(f"{where} must be a date as YYYY-MM-DD; got {value!r}.")
    value = str(value)
    if option.choices is not None and value not in option.choices:
        raise ValueError(f"{where} must be one of {list(option.choices)}; got {value!r}.")
    return value


def check_options(name: str, options: dict) -> tuple[PanelSpec, dict]:
    """The panel named and its options checked: unknown panels and options, missing required ones, values of
    the wrong type or not among the choices are refused (ValueError naming the valid ones)."""
    if name not in PANELS:
        raise ValueError(f"Unknown panel {name!r}; the panels are: {', '.join(PANELS)} "
                         "(`python -m analysis export --list-panels` describes them).")
    spec = PANELS[name]
    known = [o.name for o in spec.options]
    unknown = [k for k in options if k not in known]
    if unknown:
        takes = ", ".join(known) if known else "no options"
        raise ValueError(f"Panel {name!r} takes {takes}; got {', '.join(map(repr, unknown))}.")
    missing = [o.name for o in spec.options if o.required and o.name not in options]
    if missing:
        raise ValueError(f"Panel {name!r} needs {', '.join(missing)}; got none for "
                         f"{'it' if len(missing) == 1 else 'them'}.")
    return spec, {k: _convert(spec, spec.option(k), v) for k, v in options.items()}


def run_panel(name: str, corpus: Corpus, filters: Filters | None = None, **options) -> Panel:
    """The panel ``name`` of ``PANELS`` on ``corpus`` under ``filters``, its options checked first.

    Raises:
        ValueError: an unknown panel or option, a missing or malformed option (the message names the choices).
    """
    spec, checked = check_options(name, options)
    panel = spec.function(corpus, filters if filters is not None else Filters(), **checked)
    return dataclasses.replace(panel, options=checked)


# The panels each view draws first, with their defaults: what a first look at a build asks of all of it.
FIRST_VIEW = ("overview-timeline", "top-organisations", "dating-gaps", "theme-timeline", "theme-surges",
              "theme-heatmap", "organisation-ranking", "organisation-timeline", "organisation-x-theme", "co-mentions",
              "clusters", "cluster-timeline")


def first_view(corpus: Corpus) -> None:
    """Ask ``corpus`` what the dashboard's first views ask of the whole build (the sidebar's counts of every
    document, each view's first panels with no filter set), so that a build can store the answers
    (``analysis.query.corpus.write_query_file``)."""
    from analysis.query.answers import WHOLE_BUILD

    corpus.sources(), corpus.publishers(), corpus.languages()
    for filters in WHOLE_BUILD:
        corpus.summary(filters)
        corpus.publisher_count(filters)
        for kind in ("theme", "organisation"):
            corpus.ranking(kind=kind, filters=filters)
    for name in FIRST_VIEW:
        run_panel(name, corpus, Filters(), **({"events": False} if name == "theme-surges" else {}))
