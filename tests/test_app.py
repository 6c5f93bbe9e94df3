"""AppTest tests of dashboard/app.py on the sample build and on a tiny build with known documents."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis import timeline as tl
from analysis.store import read_build
from dashboard import app as dash
from dashboard import cache, data
from dashboard.filters import WIDGET_KEYS as K
from dashboard.views import themes as themes_view

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")


def _run(build: Path, monkeypatch, query: dict | None = None) -> AppTest:
    monkeypatch.setenv("DT_DATA", str(build))
    at = AppTest.from_file(APP, default_timeout=60)
    if query:
        for k, v in query.items():
            at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open_tab(at: AppTest, name: str) -> AppTest:
    """Switch to a tab (only the open tab is drawn) and rerun."""
    at.session_state["view_tab"] = name
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open_section(at: AppTest, name: str) -> AppTest:
    """Open a section of the Themes tab (only the open one is drawn) and rerun."""
    at.session_state[themes_view.SECTION_KEY] = name
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _figure(at: AppTest, title_start: str) -> dict:
    found = [f for f in _figures(at) if f["layout"]["title"]["text"].startswith(title_start)]
    assert found, f"no chart titled {title_start!r}: {[f['layout']['title']['text'] for f in _figures(at)]}"
    return found[0]


def _lines(fig: dict) -> list[dict]:
    """A timeline's lines, without the trace of the calendar's event markers."""
    return [t for t in fig["data"] if t.get("name") != "Event"]


# st.dataframe without on_select keeps no key in AppTest: tables are told apart by their columns.
_TABLE_COLUMNS = {"documents_table": {"doc_id", "n_words", "themes"}, "report_files": {"path", "status"}}


def _table(at: AppTest, key: str) -> pd.DataFrame:
    found = [df.value for df in at.dataframe if _TABLE_COLUMNS[key] <= set(df.value.columns)]
    assert len(found) == 1, f"{len(found)} tables like {key!r}"
    return found[0]


# ------------------------------------------------------------------------------------------ sample


def test_app_loads_on_the_sample_build(sample_build, monkeypatch):
    at = _run(sample_build, monkeypatch)
    build = read_build(sample_build)
    assert [m.label for m in at.metric][:4] == ["Documents", "Date span", "Undated documents", "Sources"]
    assert at.metric[0].value == f"{len(build.documents[build.documents['duplicate_of'].isna()]):,}"
    titles = [f["layout"]["title"]["text"] for f in _figures(at)]
    # The sample: 17 dated documents over 2017-2025: the automatic period is the year, not 33 quarters.
    assert titles == ["Share of documents mentioning each theme, by year (%)",
                      "Top organisations (documents mentioning each)"]
    assert at.selectbox(key=K["granularity"]).options[0] == "Auto (year)"
    assert len(at.tabs) == 6
    labels = [b.label for b in at.download_button]
    assert labels == ["Download the list (CSV)", "Download CSV", "Download CSV", "Download manifest (JSON)"]
    _open_tab(at, "Topics")
    titles = [f["layout"]["title"]["text"] for f in _figures(at)]
    assert any(t.startswith("Map of documents") for t in titles)
    assert all(f["data"] for f in _figures(at)), "a chart without data"


@pytest.mark.parametrize("tab", dash.TABS)
def test_every_tab_renders_on_the_sample_build(sample_build, monkeypatch, tab):
    at = _open_tab(_run(sample_build, monkeypatch), tab)
    assert [b.label for b in at.download_button][-1] == "Download manifest (JSON)"
    assert all(f["data"] for f in _figures(at)), "a chart without data"


def test_a_filter_change_changes_the_chart(sample_build, monkeypatch):
    at = _run(sample_build, monkeypatch)
    before = _figure(at, "Share of documents mentioning each theme")
    at.selectbox(key=K["measure"]).set_value("mentions").run()
    after = _figure(at, "Mentions of each theme")
    assert [t["y"] for t in before["data"]] != [t["y"] for t in after["data"]]
    build = read_build(sample_build)
    keys = tuple(tl.ranking(build.documents, build.mentions, kind="theme")["key"].head(dash._OVERVIEW_THEMES))
    expected = tl.timeline(build.documents, build.mentions, kind="theme", keys=keys, granularity="year")
    labels = tl.entity_labels(build.entities, "theme")
    # Legends show the themes' labels; the keys stay in customdata for click-through; the calendar's events
    # (the sample spans 2017-2025) are one more trace of markers.
    lines = _lines(after)
    assert len(lines) == len(after["data"]) - 1
    assert [t["name"] for t in lines] == [labels[k] for k in keys]
    for trace, key in zip(lines, keys, strict=True):
        assert {c[1] for c in trace["customdata"]} == {key}
        rows = expected[expected["key"] == key].sort_values("period")
        assert trace["y"] == rows["mentions"].tolist()


def test_granularity_and_organisation_filters(sample_build, monkeypatch):
    build = read_build(sample_build)
    top = tl.ranking(build.documents, build.mentions, kind="organisation")["key"].iloc[0]
    at = _run(sample_build, monkeypatch)
    at.selectbox(key=K["granularity"]).set_value("year").run()
    at.multiselect(key=K["organisations"]).set_value([top]).run()
    assert not at.exception
    fig = _figure(at, "Share of documents mentioning each theme, by year")
    filters = tl.Filters(organisations=(top,))
    ranked = tl.ranking(build.documents, build.mentions, kind="theme", filters=filters)["key"]
    keys = tuple(ranked.head(dash._OVERVIEW_THEMES))
    lines = _lines(fig)
    assert [t["customdata"][0][1] for t in lines] == list(keys)
    expected = tl.timeline(build.documents, build.mentions, kind="theme", keys=keys, granularity="year",
                           filters=filters)
    for trace, key in zip(lines, keys, strict=True):
        shares = expected[expected["key"] == key].sort_values("period")["share_pct"]
        assert trace["y"] == [None if pd.isna(v) else v for v in shares]  # no documents: a gap, not 0%
    assert at.query_params["org"] == top and at.query_params["by"] == "year"


def test_download_data_equals_chart_data(sample_build):
    build = read_build(sample_build)
    df = tl.timeline(build.documents, build.mentions, kind="theme", granularity="month")
    payload = dash.chart_csv(df)
    assert payload.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(payload), encoding="utf-8-sig")
    assert list(back.columns) == list(df.columns)
    assert back["share_pct"].round(9).fillna(-1).tolist() == df["share_pct"].round(9).fillna(-1).tolist()
    assert back["key"].tolist() == df["key"].tolist()


def test_query_params_open_a_shared_view(sample_build, monkeypatch):
    build = read_build(sample_build)
    top = tl.ranking(build.documents, build.mentions, kind="organisation")["key"].iloc[0]
    at = _run(sample_build, monkeypatch, {"org": top, "by": "quarter", "measure": "per_10k", "org_mode": "all"})
    assert at.multiselect(key=K["organisations"]).value == [top]
    assert at.selectbox(key=K["granularity"]).value == "quarter"
    assert at.selectbox(key=K["measure"]).value == "per_10k"
    assert at.radio(key=K["org_mode"]).value == "all"
    assert dict(at.query_params) == {"org": top, "by": "quarter", "measure": "per_10k", "org_mode": "all"}
    at.selectbox(key=K["measure"]).set_value("share").run()
    assert "measure" not in at.query_params


def test_garbage_query_params_fall_back_to_defaults(sample_build, monkeypatch):
    at = _run(sample_build, monkeypatch, {"org": "<script>", "by": "fortnight", "from": "not-a-date",
                                          "inferred": "perhaps"})
    assert at.multiselect(key=K["organisations"]).value == []
    assert at.selectbox(key=K["granularity"]).value == "auto"
    assert dict(at.query_params) == {}


# --------------------------------------------------------------------------------------------- big


def test_a_large_build_opens_on_years_and_caps_what_it_draws(big_build, monkeypatch):
    at = _run(big_build, monkeypatch)
    assert at.selectbox(key=K["granularity"]).options[0] == "Auto (year)"
    assert _figures(at)[0]["layout"]["title"]["text"] == "Share of documents mentioning each theme, by year (%)"
    assert [t["customdata"][0][1] for t in _lines(_figures(at)[0])] == ["eurasian_security", "multipolarity",
                                                                         "ngos"]
    assert [t["name"] for t in _lines(_figures(at)[0])] == ["Eurasian security", "Multipolarity", "NGOs"]

    _open_tab(at, "Topics")
    points = sum(len(t["x"]) for t in _figure(at, "Map of documents")["data"])
    assert points == dash.MAP_POINTS
    assert any(f"a fixed random sample of {dash.MAP_POINTS:,} of the 3,500" in c.value for c in at.caption)

    _open_tab(at, "Documents")
    assert len(_table(at, "documents_table")) == dash.DOCUMENT_ROWS
    assert "Download all 3,500 (CSV)" in [b.label for b in at.download_button]
    assert len(at.selectbox(key="reader_doc").options) == dash.READER_CHOICES
    at.text_input(key="reader_query").input("Speech 3499 ").run()
    assert at.selectbox(key="reader_doc").options == ["Speech 3499 (1995) — b03499"]
    assert at.selectbox(key="reader_doc").value == "b03499"
    html_blocks = [e.proto.body for e in at.get("html")]
    assert 'title="organisation: SCO">SCO</mark>' in html_blocks[0]
    conc = [df.value for df in at.dataframe if "match" in df.value.columns][0]
    assert len(conc) == dash.PASSAGES
    assert any(c.value.startswith(f"Showing the first {dash.PASSAGES} of ") for c in at.caption)

    # Below the Themes timeline one section runs at a time: the first (What surged) draws no other chart.
    _open_tab(at, "Themes")
    assert len(_figures(at)) == 1
    for section in themes_view.SECTIONS:
        _open_section(_open_tab(at, "Themes"), section)
        assert all(f["data"] for f in _figures(at)), f"a chart without data in Themes / {section}"
    for tab in ("Themes", "Organisations", "Report"):
        _open_tab(at, tab)
        assert all(f["data"] for f in _figures(at)), f"a chart without data in {tab}"
    assert any("more (download the manifest)" in str(j.proto.body) for j in at.json)


# -------------------------------------------------------------------------------------------- tiny


def test_empty_filter_shows_an_explanation(tiny_build, monkeypatch):
    at = _run(tiny_build, monkeypatch)
    at.date_input(key=K["dates"]).set_value((dt.date(2024, 2, 10), dt.date(2024, 2, 20))).run()
    assert not at.exception
    messages = [i.value for i in at.info]
    assert any(m.startswith("No documents match the filters between 10 February 2024 and 20 February 2024")
               for m in messages), messages
    assert at.metric[0].value == "0"


@pytest.mark.parametrize("chart,custom,expected", [
    ("topics_map", ["document", "", "", "", "d2", "", ""], ["d2"]),
    ("overview_ranking", ["organisation", "SCO", "", "", "", "", ""], ["d1", "d4"]),
    ("overview_timeline", ["theme", "multipolarity", "2024-03-01", "2024-03-31", "", "", ""], ["d3"]),
    ("orgs_crosstab", ["organisation", "SCO", "", "", "", "theme", "multipolarity"], ["d1"]),
])
def test_an_injected_chart_selection_narrows_the_documents(tiny_build, monkeypatch, chart, custom, expected):
    at = _open_tab(_run(tiny_build, monkeypatch), "Documents")
    assert sorted(_table(at, "documents_table")["doc_id"]) == ["d1", "d2", "d3", "d4"]
    at.session_state[dash.chart_key(chart)] = {
        "selection": {"points": [{"curve_number": 0, "point_index": 0, "customdata": custom}],
                      "point_indices": [0], "box": [], "lasso": []},
    }
    at.run()
    assert not at.exception
    assert sorted(_table(at, "documents_table")["doc_id"]) == expected
    assert any(i.value.startswith("Narrowed by chart selection") for i in at.info)
    at.button(key="clear_selection").click().run()
    assert sorted(_table(at, "documents_table")["doc_id"]) == ["d1", "d2", "d3", "d4"]


def test_reader_escapes_the_text_and_marks_mentions(tiny_build, monkeypatch):
    at = _open_tab(_run(tiny_build, monkeypatch), "Documents")
    at.selectbox(key="reader_doc").set_value("d4").run()
    html_blocks = [e.proto.body for e in at.get("html")]
    assert len(html_blocks) == 1
    body = html_blocks[0]
    assert "&lt;b&gt;bold&lt;/b&gt;" in body and "<b>" not in body
    assert 'title="organisation: SCO">SCO</mark>' in body


@pytest.mark.parametrize("text,spans,expected", [
    ("a <b> SCO", [(6, 9, "organisation: SCO")], 'a &lt;b&gt; <mark title="organisation: SCO">SCO</mark>'),
    ("x<y", [], "x&lt;y"),
    ("SCO BRICS", [(0, 3, "t"), (1, 2, "overlap"), (4, 9, '"q"')],
     '<mark title="t">SCO</mark> <mark title="&quot;q&quot;">BRICS</mark>'),
    ("abc", [(2, 9, "out of range")], "abc"),
])
def test_highlight_html(text, spans, expected):
    out = dash.highlight_html(text, spans).replace(f' style="{dash.MARK_STYLE}"', "")
    assert out.endswith(expected + "</div>")


def test_report_tab_lists_skipped_files(tiny_build, monkeypatch):
    at = _open_tab(_run(tiny_build, monkeypatch), "Report")
    files = _table(at, "report_files")
    assert files[["path", "status", "reason"]].fillna("").values.tolist() == [
        ["a.txt", "parsed", ""], ["e.bin", "skipped", "binary file"],
    ]


def test_a_missing_build_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.setenv("DT_DATA", str(tmp_path / "nowhere"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "python -m analysis build" in at.error[0].value


@pytest.mark.parametrize("argv,env,expected", [
    (["--data", "/x/b"], {}, Path("/x/b")),
    (["--data=/x/b", "--other"], {"DT_DATA": "/y"}, Path("/x/b")),
    ([], {"DT_DATA": "/y"}, Path("/y")),
    ([], {}, data.DEFAULT_BUILD),
    (["--data"], {}, data.DEFAULT_BUILD),
])
def test_resolve_data_dir(argv, env, expected):
    assert data.resolve_data_dir(argv, env) == expected


def test_uploads_over_the_cap_are_refused(tmp_path):
    with pytest.raises(data.UploadTooLarge, match=r"total 2\.0 MB, over the 1 MB limit"):
        data.build_uploads([("a.txt", b"x" * 1024 * 1024), ("b.txt", b"y" * 1024 * 1024)], max_mb=1,
                           root=tmp_path)


def test_uploads_are_built(tmp_path):
    text = "Moscow, 16 May 2024. The SCO summit discussed multipolarity and the BRICS agenda.\n"
    build = data.build_uploads([("../../etc/note.txt", text.encode())], root=tmp_path)
    assert len(build.documents) == 1
    assert build.documents["source"].iloc[0] == "note.txt"
    assert Path(build.path).is_relative_to(tmp_path)


def test_a_missing_default_build_is_built_from_the_sample(tmp_path, monkeypatch):
    monkeypatch.delenv("DT_DATA", raising=False)
    monkeypatch.setattr(data, "DEFAULT_BUILD", tmp_path / "build" / "sample")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert (tmp_path / "build" / "sample" / "manifest.json").exists()
    labels = [getattr(child, "label", None) for child in at.main.children.values()]
    assert "Sample corpus built" in labels, labels
    assert int(at.metric[0].value) > 0


def test_compare_sources_draws_one_line_per_source(sample_build, monkeypatch):
    at = _open_section(_open_tab(_run(sample_build, monkeypatch), "Themes"), "Compare sources")
    assert not [f for f in _figures(at) if f["layout"]["title"]["text"].startswith("SCO: ")]
    at.toggle(key="compare_on").set_value(True).run()
    at.selectbox(key="compare_target").set_value("organisation:SCO").run()
    assert not at.exception
    fig = _figure(at, "SCO: ")
    build = read_build(sample_build)
    expected = tl.timeline(build.documents, build.mentions, kind="organisation", keys=("SCO",), granularity="year",
                           filters=tl.Filters(sources=tuple(tl.top_groups(build.documents, build.mentions, n=6))),
                           by="source")
    assert sorted(t["name"] for t in _lines(fig)) == sorted(expected["source"].unique())
    dump = [t for t in fig["data"] if t["name"] == "003_8822cdba48cf6688.txt"][0]
    assert dump["y"] == [None if pd.isna(v) else v
                         for v in expected[expected["source"] == "003_8822cdba48cf6688.txt"]["share_pct"]]
    at.radio(key="compare_by").set_value("language").run()
    assert [t["name"] for t in _lines(_figure(at, "SCO: "))] == ["en"]


# ------------------------------------------------------------------------------------------ dates


def test_overview_shows_the_undated_share_and_lists_those_documents(sample_build, monkeypatch):
    at = _run(sample_build, monkeypatch)
    docs = read_build(sample_build).documents
    shown = docs[docs["duplicate_of"].isna()]
    undated = shown[shown["date"].isna()]
    assert at.metric[2].value == f"{len(undated):,} ({len(undated) / len(shown):.0%})"
    [expander] = [e for e in at.expander if "undated" in e.label]
    assert expander.label.startswith(f"{len(undated):,} ({len(undated) / len(shown):.0%}) of the documents")
    [gaps] = [df.value for df in at.dataframe if "date_hint_surface" in df.value.columns]
    assert list(gaps.columns) == list(tl.DATING_GAP_COLUMNS)
    assert sorted(gaps["doc_id"]) == sorted(undated["doc_id"])


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"date": pd.NaT, "date_hint_surface": "1 September 2000"}, "No date found; the text mentions 1 September 2000."),
        ({"date": pd.NaT, "date_hint_surface": None}, "No date found."),
        ({"date": pd.NaT}, "No date found."),  # a build made before hints were kept
        ({"date": pd.Timestamp("2025-05-06"), "date_evidence": "publication-line", "date_surface": "6 мая 2025"},
         "Dated by its publication line: “6 мая 2025”."),
        ({"date": pd.Timestamp("2000-09-01"), "date_evidence": "body", "date_surface": "1 September 2000"},
         "Dated by a date its text merely mentions (--body-dates): “1 September 2000”."),
        ({"date": pd.Timestamp("1970-01-01"), "date_method": "path", "date_surface": None}, "Dated by path."),
    ],
)
def test_reader_says_why_a_document_has_its_date(row, expected):
    assert dash.date_evidence_text(pd.Series(row)) == expected


def test_reader_shows_the_date_evidence(sample_build, monkeypatch):
    at = _open_tab(_run(sample_build, monkeypatch), "Documents")
    texts = [t.value for t in at.text]
    assert any("Dated by " in t or "No date found" in t for t in texts), texts


# ------------------------------------------------------------------------------------------ surfaces


def test_themes_view_shows_a_themes_top_surfaces_and_their_contexts(sample_build, monkeypatch):
    from analysis.surfaces import surface_samples, top_surfaces

    at = _open_section(_open_tab(_run(sample_build, monkeypatch), "Themes"), "What a theme is matched as")
    at.selectbox(key="surfaces_theme").set_value("eurasian_security").run()
    assert not at.exception
    build = read_build(sample_build)
    expected = top_surfaces(build.documents, build.mentions, kind="theme", key="eurasian_security", top=20)
    fig = _figure(at, "Matched as: ")
    assert fig["data"][0]["x"] == expected["mentions"].tolist()
    assert fig["data"][0]["y"] == expected["surface"].tolist()
    surface = expected["surface"].iloc[0]
    at.selectbox(key="surfaces_surface").set_value(surface).run()
    [shown] = [df.value for df in at.dataframe if {"left", "match", "right"} <= set(df.value.columns)]
    sample = surface_samples(build.documents, build.mentions, kind="theme", key="eurasian_security", surface=surface,
                             n=10)  # fmt: skip
    assert shown["match"].tolist() == sample["match"].tolist()
    assert shown["doc_id"].tolist() == sample["doc_id"].tolist()
    assert any("exclude" in c.value for c in at.caption)
    # The CSV behind the chart is the same frame (the download's bytes are built by chart_csv).
    assert dash.chart_csv(expected) == dash.chart_csv(
        cache.open_queries(sample_build).panel(name="theme-surfaces", filters=tl.Filters(), key="eurasian_security",
                                               top=20).table
    )


@pytest.fixture(scope="module")
def body_dated_build(tmp_path_factory) -> Path:
    from analysis.pipeline import run_build

    root = tmp_path_factory.mktemp("body")
    (root / "in").mkdir()
    (root / "in" / "a.txt").write_text("Statement (Astana, May 21, 2024)\n\nThe SCO met in Astana.\n", encoding="utf-8")
    (root / "in" / "b.txt").write_text("Remarks\n\nThe sides discussed trade at length and in detail. " * 3
                                       + "The treaty was signed on 12 June 1990 in Moscow.\n", encoding="utf-8")
    run_build([root / "in"], root / "build", body_dates=True)
    return root / "build"


def test_body_dates_get_a_toggle_and_a_share(body_dated_build, sample_build, monkeypatch):
    at = _run(body_dated_build, monkeypatch)
    assert at.metric[0].value == "2"
    [expander] = [e for e in at.expander if "dated only by a date their text mentions" in e.label]
    assert "1 (50%) are dated only by" in expander.label
    at.toggle(key=K["include_body_dates"]).set_value(False).run()
    assert at.metric[0].value == "1"
    assert at.query_params["body_dates"] == "0"
    assert not [t for t in _run(sample_build, monkeypatch).toggle if t.key == K["include_body_dates"]]


def test_themes_view_shows_what_surged_and_explains_a_surge(surge_build, monkeypatch):
    at = _open_tab(_run(surge_build, monkeypatch, {"by": "year"}), "Themes")
    assert at.toggle(key="themes_band").value is True  # one theme drawn: its band is on
    fig = _figure(at, "Share of documents mentioning each theme")
    names = [t.get("name") for t in fig["data"]]
    assert "Surge (peak)" in names and "Event" in names
    assert any(t.get("fill") == "toself" for t in fig["data"])  # the 95 % band
    surges = [df.value for df in at.dataframe if {"label", "lift", "peak_events"} <= set(df.value.columns)]
    assert len(surges) == 1
    burst = surges[0][surges[0]["method"] == "burst"].iloc[0]
    assert (burst["label"], burst["peak_events"]) == ("Grain", "Grain summit, Astana")
    # The explanation is its own section, drawn only when opened.
    assert not [df for df in at.dataframe if list(df.value.columns) == ["term", "z", "count_in", "count_out"]]
    at = _open_section(at, "Explain a surge")
    words = [df.value for df in at.dataframe if list(df.value.columns) == ["term", "z", "count_in", "count_out"]]
    assert "wheat" in words[0]["term"].tolist()
    assert any(b.label.startswith("Show its 60 documents") for b in at.button)
    at.button(key="themes_surge_docs").click().run()
    at = _open_tab(at, "Documents")
    table = _table(at, "documents_table")
    assert len(table) == 60 and table["doc_id"].str.match(r"201[67]-").all()
    # Hidden events: no band, no markers; the choice is in the URL.
    at = _open_tab(_run(surge_build, monkeypatch, {"by": "year", "events": "0"}), "Themes")
    names = [t.get("name") for t in _figure(at, "Share of documents mentioning each theme")["data"]]
    assert "Event" not in names and "Surge (peak)" in names
    assert at.toggle(key=K["events"]).value is False


def test_two_sources_side_by_side_with_their_difference_and_lead(two_source_build, monkeypatch):
    at = _open_section(_open_tab(_run(two_source_build, monkeypatch, {"by": "year", "events": "0"}), "Themes"),
                       "Compare sources")
    at.toggle(key="compare_on").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    pair = _figure(at, "Grain: share of each one&#x27;s documents")
    lines = [t for t in pair["data"] if t.get("mode") == "lines+markers"]
    assert [t["name"] for t in lines] == ["a.txt", "b.txt", "a.txt − b.txt"]
    assert lines[0]["y"][2] == pytest.approx(60.0) and lines[2]["y"][2] == pytest.approx(45.0)
    lags = _figure(at, "Correlation of a.txt")
    assert lags["data"][0]["x"] == list(range(-6, 7))
    # Captions are Markdown-escaped ("a\\.txt"): compare their text.
    assert any("lag +1: a.txt leads b.txt by 1 year" in c.value.replace("\\", "") for c in at.caption)
    at.selectbox(key="compare_a").set_value("b.txt").run()
    assert any("lag -1: a.txt leads b.txt by 1 year" in c.value.replace("\\", "") for c in at.caption)


# ------------------------------------------------------------------------------------------ publishers


def test_many_sources_are_offered_a_few_at_a_time_and_found_by_name(sample_build, monkeypatch):
    from dashboard.views import sidebar

    monkeypatch.setattr(sidebar, "CHOICES", 2)
    build = read_build(sample_build)
    docs = build.documents[build.documents["duplicate_of"].isna()]
    names = sorted(build.documents["source"].unique())
    at = _run(sample_build, monkeypatch)
    assert list(at.multiselect(key=K["sources"]).options) == names[:2]
    assert any(c.value.startswith(f"{len(names)} sources in all: the first 2 are offered") for c in at.sidebar.caption)
    publishers = sorted(build.documents["publisher"].unique())
    assert list(at.multiselect(key=K["publishers"]).options) == publishers[:2]
    at.text_input(key=sidebar.PUBLISHERS_QUERY).input("tass").run()
    assert list(at.multiselect(key=K["publishers"]).options) == ["TASS"]
    at.text_input(key=sidebar.SOURCES_QUERY).input(names[-1][:8].upper()).run()  # case does not matter
    assert list(at.multiselect(key=K["sources"]).options) == [names[-1]]
    at.multiselect(key=K["sources"]).set_value([names[-1]]).run()
    assert at.query_params["source"] == names[-1]
    assert {m.label: m.value for m in at.metric}["Documents"] == f"{(docs['source'] == names[-1]).sum():,}"
    at.text_input(key=sidebar.SOURCES_QUERY).input("").run()  # the chosen one stays offered and chosen
    assert list(at.multiselect(key=K["sources"]).options) == [names[-1], *names[:2]]
    assert at.multiselect(key=K["sources"]).value == [names[-1]]
    at.text_input(key=sidebar.SOURCES_QUERY).input("no such file").run()
    assert any(c.value == "No source contains that text." for c in at.sidebar.caption)
    # A shared link names a source beyond the first ones: it is chosen and offered.
    again = _run(sample_build, monkeypatch, {"source": names[3]})
    assert again.multiselect(key=K["sources"]).value == [names[3]]
    assert names[3] in again.multiselect(key=K["sources"]).options


def test_the_publishers_filter_narrows_the_view_and_lives_in_the_url(sample_build, monkeypatch):
    build = read_build(sample_build)
    docs = build.documents[build.documents["duplicate_of"].isna()]
    at = _run(sample_build, monkeypatch)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Publishers"] == f"{docs['publisher'].nunique():,}"
    select = at.multiselect(key=K["publishers"])
    assert list(select.options) == sorted(build.documents["publisher"].unique())
    select.set_value(["TASS"]).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Documents"], metrics["Publishers"]) == (f"{(docs['publisher'] == 'TASS').sum():,}", "1")
    assert at.query_params["publisher"] == "TASS"
    # The link opens the same view; an unknown publisher in it is dropped.
    again = _run(sample_build, monkeypatch, {"publisher": ["Russian MFA", "Nobody"]})
    assert again.multiselect(key=K["publishers"]).value == ["Russian MFA"]
    assert {m.label: m.value for m in again.metric}["Documents"] == f"{(docs['publisher'] == 'Russian MFA').sum():,}"


def test_compare_by_publisher_draws_one_line_per_publisher(sample_build, monkeypatch):
    at = _open_section(_open_tab(_run(sample_build, monkeypatch), "Themes"), "Compare sources")
    at.toggle(key="compare_on").set_value(True).run()
    at.selectbox(key="compare_target").set_value("organisation:SCO").run()
    at.radio(key="compare_by").set_value("publisher").run()
    assert not at.exception
    build = read_build(sample_build)
    groups = tuple(tl.top_groups(build.documents, build.mentions, by="publisher", n=6))
    expected = tl.timeline(build.documents, build.mentions, kind="organisation", keys=("SCO",), granularity="year",
                           filters=tl.Filters(publishers=groups), by="publisher")
    assert sorted(t["name"] for t in _lines(_figure(at, "SCO: "))) == sorted(expected["publisher"].unique())


def test_a_build_without_publishers_offers_no_publisher_filter(tiny_build, monkeypatch):
    at = _run(tiny_build, monkeypatch)
    assert K["publishers"] not in [w.key for w in at.multiselect]
    assert "Publishers" not in [m.label for m in at.metric]


def test_an_updated_build_says_when_and_with_what(tmp_path, monkeypatch):
    from analysis.pipeline import run_build
    from analysis.update import run_update

    corpus = tmp_path / "in"
    corpus.mkdir()
    for i, text in enumerate(["The SCO summit in Astana discussed Eurasian security and BRICS.",
                              "NATO and the OSCE met in Vienna to discuss European security."]):
        (corpus / f"n{i}.txt").write_text(f"Statement {i}\nDate: June {i + 1}, 2024\n\n{text}\n", encoding="utf-8")
    run_build([corpus], tmp_path / "build", workers=1)
    (corpus / "n2.txt").write_text("Statement 2\nDate: June 3, 2024\n\nThe UN debated climate and water.\n")
    run_update(tmp_path / "build", [corpus], workers=1)
    at = _run(tmp_path / "build", monkeypatch)
    captions = [c.value for c in at.caption if c.value.startswith("Last updated ")]
    assert len(captions) == 1 and " with 1 new file: 1 document added; 2 files unchanged;" in captions[0]
    at = _open_tab(at, "Report")
    assert "Updates" in [h.value for h in at.subheader]


def test_overview_says_no_publisher_is_named_when_every_one_is_a_file_name(tmp_path, monkeypatch):
    from analysis.pipeline import run_build

    folder = tmp_path / "speeches"
    folder.mkdir()
    for name in ("ARG_01_1990.txt", "AUS_01_1990.txt", "BEL_01_1991.txt"):
        (folder / name).write_text("Mr. President, the United Nations and its Charter matter to us all. " * 5,
                                   encoding="utf-8")
    build = run_build([folder], tmp_path / "build")
    assert set(build.manifest["counts"]["publisher_methods"]) == {"file"}
    at = _run(tmp_path / "build", monkeypatch)
    publishers = next(m for m in at.metric if m.label == "Publishers")
    assert publishers.value == "none" and "--publisher-map" in publishers.help
