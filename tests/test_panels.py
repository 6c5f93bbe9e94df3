"""Tests for analysis.panels: every chart and table of the dashboard is drawn from its panel and downloads its
table, and ``python -m analysis export --panel`` writes the same bytes for the same filters."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis import panels as pn
from analysis import timeline as tl
from analysis.__main__ import main
from analysis.export import to_csv_bytes
from analysis.query import Corpus
from analysis.store import read_build
from dashboard.views import common, compare, documents, organisations, overview, report, themes, topics

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")

# The dashboard's download buttons (their widget key stems) and the panel each one downloads.
DOWNLOADS = {
    "overview_timeline": "overview-timeline", "overview_ranking": "top-organisations", "dating_gaps": "dating-gaps",
    "themes_timeline": "theme-timeline", "themes_heatmap": "theme-heatmap", "themes_small": "theme-small-multiples",
    "themes_surges": "theme-surges", "themes_surge_words": "surge-words", "themes_surge_passages": "surge-passages",
    "themes_surge_events": "surge-events", "themes_surfaces": "theme-surfaces", "surfaces_samples": "surface-samples",
    "compare_timeline": "compare", "compare_two": "compare-two", "compare_lags": "lead-lag",
    "orgs_ranking": "organisation-ranking", "orgs_timeline": "organisation-timeline",
    "orgs_crosstab": "organisation-x-theme", "orgs_comention": "co-mentions", "topics_clusters": "clusters",
    "topics_timeline": "cluster-timeline", "topics_map": "document-map", "documents": "documents",
    "documents_all": "documents", "concordance": "concordance", "report_files": "ingest-report",
}
_VIEWS = (common, compare, documents, organisations, overview, report, themes, topics)


def test_every_panel_is_downloaded_somewhere_on_the_dashboard():
    assert set(DOWNLOADS.values()) == set(pn.PANELS)
    for spec in pn.PANELS.values():
        assert spec.view in ("Overview", "Themes", "Organisations", "Topics", "Documents", "Report"), spec
        assert spec.description and callable(spec.function)


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """Every "Download CSV" of the app run in this test: button key -> (what it downloads, the view)."""
    seen = {}
    original = common.downloads

    def recording(df, what, key, view, **kwargs):
        seen[key] = (df, view)
        original(df, what, key, view, **kwargs)

    for module in _VIEWS:
        if getattr(module, "downloads", None) is original:
            monkeypatch.setattr(module, "downloads", recording)
    return seen


def _app(build: Path, monkeypatch, query: dict) -> AppTest:
    monkeypatch.setenv("DT_DATA", str(build))
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _every_tab(at: AppTest) -> AppTest:
    for tab in ("Overview", "Themes", "Organisations", "Topics", "Documents", "Report"):
        at.session_state["view_tab"] = tab
        # The Themes tab draws one section at a time: each of them, in turn.
        for section in themes.SECTIONS if tab == "Themes" else (None,):
            if section is not None:
                at.session_state[themes.SECTION_KEY] = section
                at.session_state["compare_on"] = True
            at.run()
            assert not at.exception, [e.value for e in at.exception]
    return at


def _filter_flags(f: tl.Filters) -> list[str]:
    """The export flags of a Filters (the dashboard's sidebar)."""
    flags = []
    if f.start:
        flags += ["--start", f.start.isoformat()]
    if f.end:
        flags += ["--end", f.end.isoformat()]
    for flag, values in (("--org", f.organisations), ("--theme", f.themes), ("--source", f.sources),
                         ("--publisher", f.publishers), ("--language", f.languages)):
        for value in values:
            flags += [flag, value]
    flags += ["--org-mode", f.org_mode]
    flags += ["--include-duplicates"] if f.include_duplicates else []
    flags += [] if f.include_inferred else ["--exclude-inferred"]
    flags += [] if f.include_body_dates else ["--exclude-body-dates"]
    assert f.doc_ids is None, "a chart selection has no export flag"
    return flags


def _option_flags(options: dict) -> list[str]:
    """The export flags of a panel's options."""
    flags = []
    for name, value in options.items():
        if name in ("a", "end"):
            continue
        if name == "b":
            flags += ["--pair", options["a"], value]
        elif name == "start":
            flags += ["--window", value.isoformat(), options["end"].isoformat()]
        elif name == "events_file":
            flags += ["--events", value]
        elif name == "events":
            flags += [] if value else ["--hide-events"]
        elif name == "limit":
            flags += ["--limit", "all" if value is None else str(value)]
        else:
            flags += [f"--{name}", str(value)]
    return flags


def _cli_bytes(build: Path, panel: pn.Panel, filters: tl.Filters, tmp_path: Path) -> bytes:
    out = tmp_path / f"{panel.name}.csv"
    args = ["export", str(build), "--panel", panel.name, *_filter_flags(filters), *_option_flags(panel.options),
            "--out", str(out)]
    assert main(args) == 0, args
    return out.read_bytes()


def _check_downloads(build, seen, tmp_path) -> set[str]:
    """Each download of the dashboard is a panel whose bytes the command line reproduces; returns the panels."""
    names = set()
    for key, (df, view) in seen.items():
        panel = df() if callable(df) else df
        assert isinstance(panel, pn.Panel), f"{key} downloads a {type(panel).__name__}, not a panel"
        assert panel.name == DOWNLOADS[key]
        names.add(panel.name)
        dashboard_bytes = common.chart_csv(common._table_of(df))
        assert dashboard_bytes == _cli_bytes(build, panel, view.filters, tmp_path), key
        assert dashboard_bytes.startswith(b"\xef\xbb\xbf")
    return names


@pytest.mark.parametrize("query", [
    {},
    {"by": "quarter", "measure": "mentions", "org": "SCO"},
    {"from": "2018-01-01", "theme": "multipolarity", "duplicates": "1", "inferred": "0"},
    {"measure": "per_10k", "lang": "en", "org": "SCO,BRICS", "org_mode": "all", "by": "month"},
])  # fmt: skip
def test_the_command_line_writes_the_dashboards_downloads_byte_for_byte(sample_build, monkeypatch, downloads,
                                                                      tmp_path, query):
    _every_tab(_app(sample_build, monkeypatch, query))
    names = _check_downloads(sample_build, downloads, tmp_path)
    assert {"overview-timeline", "theme-timeline", "theme-heatmap", "organisation-ranking", "clusters",
            "documents", "ingest-report"} <= names


def test_surge_panels_on_the_command_line_are_the_dashboards(surge_build, monkeypatch, downloads, tmp_path):
    _every_tab(_app(surge_build, monkeypatch, {"by": "year"}))
    names = _check_downloads(surge_build, downloads, tmp_path)
    assert {"theme-surges", "surge-words", "surge-passages", "surge-events"} <= names


def test_comparison_panels_on_the_command_line_are_the_dashboards(two_source_build, monkeypatch, downloads,
                                                                tmp_path):
    _every_tab(_app(two_source_build, monkeypatch, {"by": "year"}))
    names = _check_downloads(two_source_build, downloads, tmp_path)
    assert {"compare", "compare-two", "lead-lag"} <= names


def test_a_large_builds_capped_panels_and_the_download_of_every_row(big_build, monkeypatch, downloads, tmp_path):
    _every_tab(_app(big_build, monkeypatch, {}))
    assert "documents_all" in downloads and "topics_map" in downloads
    names = _check_downloads(big_build, downloads, tmp_path)
    assert {"documents", "document-map"} <= names
    shown, everything = downloads["documents"][0], downloads["documents_all"][0]()
    assert len(shown.table) == pn.DOCUMENT_ROWS and shown.notes == {"total": 3500, "rows_left_out": 2500}
    assert len(everything.table) == 3500 and everything.notes["rows_left_out"] == 0
    points = downloads["topics_map"][0]
    assert len(points.table) == pn.MAP_POINTS and points.notes == {"total": 3500, "rows_left_out": 500}


# ------------------------------------------------------------------------ the charts drawn from panels
def _figures(at: AppTest) -> dict[str, dict]:
    return {json.loads(c.proto.spec)["layout"]["title"]["text"]: json.loads(c.proto.spec)
            for c in at.get("plotly_chart")}


def test_the_overview_charts_draw_their_panels_tables(sample_build, monkeypatch, downloads):
    at = _app(sample_build, monkeypatch, {"measure": "mentions"})
    figures = _figures(at)
    timeline = downloads["overview_timeline"][0].table
    [fig] = [f for t, f in figures.items() if t.startswith("Mentions of each theme")]
    lines = [t for t in fig["data"] if t.get("name") != "Event"]
    assert [t["name"] for t in lines] == list(timeline["label"].drop_duplicates())
    for trace, (_, rows) in zip(lines, timeline.groupby("label", sort=False), strict=True):
        assert trace["y"] == rows["mentions"].tolist()
    ranking = downloads["overview_ranking"][0].table
    bars = figures["Top organisations (documents mentioning each)"]["data"][0]
    assert sorted(bars["x"]) == sorted(ranking["documents_mentioning"].tolist())
    assert {c[1] for c in bars["customdata"]} == set(ranking["key"])


def test_the_document_map_draws_its_panels_points(sample_build, monkeypatch, downloads):
    at = _app(sample_build, monkeypatch, {})
    at.session_state["view_tab"] = "Topics"
    at.run()
    points = downloads["topics_map"][0].table
    [fig] = [f for t, f in _figures(at).items() if t.startswith("Map of documents")]
    drawn = sorted(c[4] for trace in fig["data"] for c in trace["customdata"])
    assert drawn == sorted(points["doc_id"])


# ------------------------------------------------------------------------------- the panels themselves
@pytest.fixture(scope="module")
def corpus(tiny_build):
    return Corpus.open(tiny_build)


def test_timeline_panels_state_their_facts_as_data(corpus, tiny_build):
    build = read_build(tiny_build)
    panel = pn.run_panel("theme-heatmap", corpus, tl.Filters(), granularity="month")
    expected = tl.add_labels(tl.timeline(build.documents, build.mentions, kind="theme", granularity="month"),
                             build.entities, kind="theme")
    pd.testing.assert_frame_equal(panel.table, expected)
    assert panel.notes == {"granularity": "month", "measure": "share", "undated": 1, "excluded_coarse": 0,
                           "partial_periods": int(expected.loc[expected["partial"], "period"].nunique())}
    assert panel.options == {"granularity": "month"}
    # "auto" is the period length the dashboard chooses for these documents.
    auto = pn.run_panel("theme-heatmap", corpus, tl.Filters())
    assert auto.notes["granularity"] == corpus.choose_granularity(tl.Filters())


def test_top_n_panels_say_how_their_keys_were_chosen(corpus):
    top = pn.run_panel("theme-timeline", corpus, tl.Filters(), top=1)
    assert top.notes["keys_from"] == "top" and top.notes["top"] == 1 and top.table["key"].nunique() == 1
    chosen = pn.run_panel("theme-timeline", corpus, tl.Filters(themes=("ngos", "multipolarity")), top=1)
    assert chosen.notes["keys_from"] == "filters"
    assert list(chosen.table["key"].drop_duplicates()) == ["ngos", "multipolarity"]
    everything = pn.run_panel("theme-timeline", corpus, tl.Filters())
    assert everything.notes["keys_from"] == "all"
    rank = pn.run_panel("organisation-ranking", corpus, tl.Filters(), top=2)
    assert len(rank.table) == 2 and rank.notes == {"total": 3, "rows_left_out": 1}


def test_a_panel_is_the_same_table_every_time_and_leaves_the_corpus_as_it_was(corpus):
    first = pn.run_panel("co-mentions", corpus, tl.Filters())
    first.table.loc[first.table.index[0], "documents"] = -1
    second = pn.run_panel("co-mentions", corpus, tl.Filters())
    assert (second.table["documents"] >= 0).all()
    heat = pn.run_panel("theme-heatmap", corpus, tl.Filters(), granularity="month")
    heat.table.loc[heat.table.index[0], "mentions"] = -1
    assert (pn.run_panel("theme-small-multiples", corpus, tl.Filters(), granularity="month").table["mentions"]
            >= 0).all()


@pytest.mark.parametrize(("name", "options", "message"), [
    ("nope", {}, r"Unknown panel 'nope'; the panels are: overview-timeline, top-organisations, .*ingest-report"),
    ("clusters", {"top": 3}, r"Panel 'clusters' takes no options; got 'top'\."),
    ("theme-surfaces", {"by": "source", "key": "ngos"}, r"Panel 'theme-surfaces' takes key, kind, top; got 'by'\."),
    ("theme-surfaces", {}, r"Panel 'theme-surfaces' needs key; got none for it\."),
    ("compare-two", {"key": "ngos"}, r"Panel 'compare-two' needs a, b; got none for them\."),
    ("theme-timeline", {"granularity": "fortnight"},
     r"option 'granularity' must be one of \['auto', 'day', 'week', 'month', 'quarter', 'year'\]; got 'fortnight'"),
    ("theme-timeline", {"top": 0}, r"Panel 'theme-timeline': option 'top' must be 1 or more; got 0\."),
    ("theme-timeline", {"top": "many"}, r"option 'top' must be a whole number; got 'many'\."),
    ("surge-words", {"key": "ngos", "start": "2024-13-01", "end": "2024-12-31"},
     r"option 'start' must be a date as YYYY-MM-DD; got '2024-13-01'\."),
    ("surge-words", {"key": "ngos", "start": "2024-12-31", "end": "2024-01-01"},
     r"The surge's window must start on or before its end; got 2024-12-31 to 2024-01-01\. Swap them\."),
    ("theme-surges", {"events": "no"}, r"option 'events' must be true or false; got 'no'\."),
    ("concordance", {"key": "SCO", "kind": "cluster"}, r"option 'kind' must be one of \['theme', 'organisation'\]"),
])  # fmt: skip
def test_bad_panels_and_options_are_refused_naming_the_choices(corpus, name, options, message):
    with pytest.raises(ValueError, match=message):
        pn.run_panel(name, corpus, tl.Filters(), **options)


def test_the_documents_and_concordance_panels_count_what_they_leave_out(corpus):
    docs = pn.run_panel("documents", corpus, tl.Filters(include_duplicates=True), limit=2)
    assert len(docs.table) == 2 and docs.notes == {"total": 5, "rows_left_out": 3}
    every = pn.run_panel("documents", corpus, tl.Filters(include_duplicates=True), limit=None)
    assert len(every.table) == 5 and every.options == {"limit": None}
    conc = pn.run_panel("concordance", corpus, tl.Filters(), key="SCO", kind="organisation", limit=1)
    # SCO: twice in d1, once in the undated d4 (d5, d1's duplicate, is left out).
    every_passage = corpus.concordance(kind="organisation", key="SCO", filters=tl.Filters())
    assert len(every_passage) == 3
    assert len(conc.table) == 1 and conc.notes == {"total": 3, "rows_left_out": 2}
    assert set(conc.table["label"]) == {"SCO"}


def test_surge_events_are_the_calendar_in_the_window(surge_build):
    with closing(Corpus.open(surge_build)) as c:
        found = pn.run_panel("surge-events", c, tl.Filters(), start=dt.date(2016, 1, 1), end=dt.date(2016, 12, 31))
        assert found.table["key"].tolist() == ["summit-2016"]
        assert pn.events_file_of(c) == str(surge_build / "events.toml")


def test_panel_csv_is_the_formula_safe_writer(corpus):
    panel = pn.run_panel("clusters", corpus, tl.Filters())
    assert to_csv_bytes(panel.table).startswith(b"\xef\xbb\xbfcluster_id,label,top_terms,size\r\n")
    assert panel.table["top_terms"].tolist() == ["brics, sco", "nato, security"]


# ------------------------------------------- the panels equal the analysis functions on the build's tables
# (moved from tests/test_queries.py, whose Queries methods for these tables were used by no view: the views
# draw these panels)
def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
    assert got.attrs == expected.attrs


@pytest.mark.parametrize("filters", [tl.Filters(), tl.Filters(start=dt.date(2014, 1, 1))])
@pytest.mark.parametrize("with_events", [True, False])
def test_the_surges_panel_is_the_surge_table(surge_build, filters, with_events):
    from analysis import explain as ex

    build = read_build(surge_build)
    events = str(surge_build / "events.toml")
    with closing(Corpus.open(surge_build)) as c:
        got = pn.run_panel("theme-surges", c, filters, granularity="year", events_file=events, events=with_events)
    expected = ex.surge_table(build.documents, build.mentions, kind="theme", granularity="year", filters=filters,
                              events_file=events, with_events=with_events)
    _same(got.table, tl.add_labels(expected, build.entities, kind="theme"))
    assert not got.table.empty and got.notes == {"granularity": "year", "surges": len(expected)}


_SOME_SURGE_DOCUMENTS = tuple(f"{year}-{i:02d}" for year in (2015, 2016, 2017) for i in range(0, 40, 3))


@pytest.mark.parametrize(("start", "end"), [(dt.date(2016, 1, 1), dt.date(2017, 12, 31)),
                                            (dt.date(2016, 1, 1), dt.date(2016, 12, 31))])
@pytest.mark.parametrize("filters", [tl.Filters(), tl.Filters(themes=("grain",)),
                                     tl.Filters(doc_ids=_SOME_SURGE_DOCUMENTS, start=dt.date(2012, 1, 1))])
def test_the_surge_words_and_passages_panels_are_the_surges_explanation(surge_build, start, end, filters):
    # The panels find the window's documents and the key's mentions through the Corpus (DuckDB), the
    # explanation of the whole tables with pandas: the same words, passages and documents.
    from analysis import explain as ex

    build = read_build(surge_build)
    expected = ex.surge_explanation(build.documents, build.mentions, kind="theme", key="grain", start=start, end=end,
                                    filters=filters)
    with closing(Corpus.open(surge_build)) as c:
        words = pn.run_panel("surge-words", c, filters, key="grain", start=start, end=end)
        passages = pn.run_panel("surge-passages", c, filters, key="grain", start=start, end=end)
        why = pn.side_tables(c).surge_explanation(kind="theme", key="grain", start=start, end=end,
                                                  filters=filters)
    _same(words.table, expected["words"])
    _same(passages.table, expected["passages"])
    assert why["doc_ids"] == expected["doc_ids"] and not words.table.empty
    assert words.notes == passages.notes == {"documents": len(expected["doc_ids"])}


@pytest.mark.parametrize(("by", "a", "b"), [("source", "a.txt", "b.txt"), ("source", "b.txt", "a.txt")])
def test_the_compare_two_panel_is_the_comparison(two_source_build, by, a, b):
    from analysis import compare as cmp

    build = read_build(two_source_build)
    with closing(Corpus.open(two_source_build)) as c:
        got = pn.run_panel("compare-two", c, tl.Filters(), key="grain", by=by, a=a, b=b, granularity="year")
    expected = cmp.compare_two(build.documents, build.mentions, kind="theme", key="grain", by=by, a=a, b=b,
                               granularity="year")
    _same(got.table, expected)


@pytest.mark.parametrize("filters", [tl.Filters(), tl.Filters(languages=("ru",)), tl.Filters(sources=("zz",))])
@pytest.mark.parametrize(("kind", "key"), [("organisation", "SCO"), ("theme", "multipolarity")])
def test_the_surface_panels_are_the_surfaces_and_their_samples(corpus, tiny_build, filters, kind, key):
    from analysis import surfaces as sf

    build = read_build(tiny_build)
    top = pn.run_panel("theme-surfaces", corpus, filters, kind=kind, key=key, top=20).table
    _same(top, sf.top_surfaces(build.documents, build.mentions, kind=kind, key=key, filters=filters, top=20))
    for surface in [*top["surface"], "absent"]:
        got = pn.run_panel("surface-samples", corpus, filters, kind=kind, key=key, surface=surface, limit=2).table
        expected = sf.surface_samples(build.documents, build.mentions, kind=kind, key=key, surface=surface,
                                      filters=filters, n=2)
        _same(got, expected)


@pytest.mark.parametrize(("filters", "limit"), [(tl.Filters(), 3000), (tl.Filters(), 10_000),
                                                (tl.Filters(start=dt.date(2000, 1, 1)), 100)])
def test_the_document_map_is_a_fixed_sample_of_the_filtered_documents(big_build, filters, limit):
    import numpy as np

    build = read_build(big_build)
    with closing(Corpus.open(big_build)) as c:
        points = pn.run_panel("document-map", c, filters, limit=limit)
    docs = tl.filter_documents(build.documents, build.mentions, filters)
    total = len(docs)
    assert points.notes == {"total": total, "rows_left_out": max(0, total - limit)}
    assert list(points.table.columns) == pn.MAP_COLUMNS and len(points.table) == min(limit, total)
    expected = docs[pn.MAP_COLUMNS].reset_index(drop=True)
    if total > limit:
        expected = expected.iloc[np.sort(np.random.default_rng(0).choice(total, size=limit, replace=False))]
    _same(points.table, expected)


def _first_surge(corpus) -> dict:
    row = pn.run_panel("theme-surges", corpus, granularity="year").table.iloc[0]
    return {"key": row["key"], "start": row["start"].date(), "end": row["end"].date()}


def test_warm_reads_the_side_tables_on_a_thread_and_the_panels_answer_the_same(surge_build):
    with closing(Corpus.open(surge_build)) as cold_corpus:
        surge = _first_surge(cold_corpus)
        cold = pn.run_panel("surge-passages", cold_corpus, **surge)
    with closing(Corpus.open(surge_build)) as corpus:
        side = pn.side_tables(corpus)
        assert side._tables is None and side._store is None
        thread = pn.warm(corpus)
        assert thread.daemon
        thread.join(timeout=60)
        assert not thread.is_alive()
        assert side._tables is not None and side._store is not None  # read before any panel asked
        warm = pn.run_panel("surge-passages", corpus, **surge)
    assert not cold.table.empty
    pd.testing.assert_frame_equal(warm.table, cold.table)


def test_warm_leaves_a_broken_build_to_the_panel_that_reads_it(surge_build, tmp_path):
    import shutil

    broken = tmp_path / "build"
    shutil.copytree(surge_build, broken)
    with closing(Corpus.open(broken)) as corpus:
        surge = _first_surge(corpus)
        (broken / "mentions.parquet").write_bytes(b"not parquet")
        thread = pn.warm(corpus)
        thread.join(timeout=60)
        assert not thread.is_alive()  # it stopped quietly: no exception escaped the thread
        with pytest.raises(Exception, match="(?i)parquet|mentions"):
            pn.run_panel("surge-words", corpus, **surge)


def test_a_panel_does_not_wait_while_the_side_tables_are_read(sample_build):
    """panels.warm reads the tables and term_counts.npz on a thread (seconds for a million documents); the
    first view's panels, remembered by the same SideTables, must not wait for it (a 950k build's first load
    waited 7 s)."""
    import threading

    from analysis.query import Corpus

    with closing(Corpus.open(sample_build)) as corpus:
        side = pn.side_tables(corpus)
        drawn = []
        with side._frames_lock, side._store_lock:  # as warm() holds them while it reads
            thread = threading.Thread(target=lambda: drawn.append(pn.run_panel(
                "overview-timeline", corpus, filters=tl.Filters(), granularity="year", measure="share")))
            thread.start()
            thread.join(timeout=60)
            assert not thread.is_alive() and len(drawn) == 1 and not drawn[0].table.empty
