"""Tests for dashboard.charts: figure data equals the frame's, inputs untouched, colours stable, text escaped."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from analysis import timeline as tl
from dashboard import charts


def _timeline_frame() -> pd.DataFrame:
    periods = pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"])
    ends = pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31"])
    rows = []
    for key, shares in (("SCO", [50.0, 0.0, 25.0]), ("<b>NATO</b>", [10.0, 20.0, 30.0])):
        for i, (p, e) in enumerate(zip(periods, ends, strict=True)):
            rows.append({
                "period": p, "period_end": e, "period_label": p.strftime("%B %Y"), "key": key,
                "mentions": i + 1, "documents_mentioning": i, "documents_total": 4, "words_total": 100,
                "share_pct": shares[i], "per_10k_words": (i + 1) * 100.0, "partial": i == 2,
            })
    return pd.DataFrame(rows)


def _ranking_frame() -> pd.DataFrame:
    return pd.DataFrame({"key": ["SCO", "BRICS", "<img src=x>"], "mentions": [9, 5, 1],
                         "documents_mentioning": [4, 3, 1], "share_pct": [80.0, 60.0, 20.0]})


def _crosstab_frame() -> pd.DataFrame:
    return pd.DataFrame({"row_key": ["SCO", "SCO", "BRICS", "BRICS"], "col_key": ["ngos", "multipolarity"] * 2,
                         "documents": [1, 2, 0, 3], "row_documents": [3, 3, 3, 3],
                         "share_pct": [33.3, 66.7, 0.0, 100.0]})


@pytest.mark.parametrize("measure,column", [
    ("mentions", "mentions"), ("documents", "documents_mentioning"), ("share", "share_pct"),
    ("per_10k", "per_10k_words"),
])
@pytest.mark.parametrize("style", ["lines", "area"])
def test_timeline_figure_values_equal_the_frame(measure, column, style):
    df = _timeline_frame()
    fig = charts.timeline_figure(df, measure, kind="organisation", style=style, granularity="month")
    data = fig.to_dict()["data"]
    assert len(data) == 2
    for trace, key in zip(data, ["SCO", "<b>NATO</b>"], strict=True):
        rows = df[df["key"] == key]
        assert list(trace["y"]) == rows[column].tolist()
        assert [pd.Timestamp(x) for x in trace["x"]] == rows["period"].tolist()
        assert [c[1] for c in trace["customdata"]] == [key] * 3
        assert "markers" in trace["mode"]
    if style == "area":
        assert all(t["stackgroup"] == "one" for t in data)


def test_timeline_figure_title_names_measure_and_unit():
    fig = charts.timeline_figure(_timeline_frame(), "share", kind="theme", granularity="month")
    assert fig.layout.title.text == "Share of documents mentioning each theme, by month (%)"
    assert fig.layout.template.layout.paper_bgcolor is not None  # plotly_white applied
    assert fig.layout.xaxis.tickformat == "%b %Y"


def test_timeline_customdata_maps_back_to_key_and_period():
    fig = charts.timeline_figure(_timeline_frame(), "share", kind="organisation")
    custom = fig.to_dict()["data"][0]["customdata"][1]
    assert dict(zip(charts.TARGET_FIELDS, custom, strict=True)) == {
        "kind": "organisation", "key": "SCO", "start": "2024-02-01", "end": "2024-02-29",
        "doc_id": "", "col_kind": "", "col_key": "",
    }


def test_partial_periods_have_open_markers():
    fig = charts.timeline_figure(_timeline_frame(), "share", kind="theme")
    assert list(fig.data[0].marker.symbol) == ["circle", "circle", "circle-open"]


def test_hover_text_and_names_are_escaped():
    fig = charts.timeline_figure(_timeline_frame(), "share", kind="organisation")
    trace = fig.to_dict()["data"][1]
    assert trace["name"] == "&lt;b&gt;NATO&lt;/b&gt;"
    assert all("<b>" not in t for t in trace["text"])
    assert "&lt;b&gt;NATO" in trace["text"][0]
    bar = charts.ranking_figure(_ranking_frame(), "documents", kind="organisation").to_dict()["data"][0]
    assert "&lt;img src=x&gt;" in bar["y"]
    assert bar["customdata"][2][1] == "<img src=x>"  # the raw key, for mapping a selection back


def test_document_map_escapes_titles_and_labels(tiny):
    fig = charts.document_map_figure(tiny["documents"], tiny["clusters"])
    dumped = str(fig.to_dict()["data"])
    assert "<script>" not in dumped and "<i>" not in dumped
    assert "NATO &lt;script&gt;x&lt;/script&gt;" in dumped
    names = [t.name for t in fig.data]
    assert names == ["brics · sco", "nato · &lt;i&gt;security&lt;/i&gt;", "No cluster"]
    doc_ids = [c[4] for t in fig.data for c in t.customdata]
    assert sorted(doc_ids) == ["d1", "d2", "d3", "d4", "d5"]


@pytest.mark.parametrize("make", [
    lambda df: charts.timeline_figure(df, "share", kind="theme"),
    lambda df: charts.timeline_figure(df, "mentions", kind="theme", style="area"),
    lambda df: charts.heatmap_figure(df, "share", kind="theme"),
    lambda df: charts.small_multiples_figure(df, "share", kind="theme"),
    lambda df: charts.cluster_timeline_figure(df, "share"),
])
def test_timeline_charts_do_not_mutate_input(make):
    df = _timeline_frame()
    before = df.copy()
    make(df)
    pd.testing.assert_frame_equal(df, before)


def test_other_charts_do_not_mutate_input(tiny):
    ranking, cross = _ranking_frame(), _crosstab_frame()
    docs, clusters = tiny["documents"], tiny["clusters"]
    copies = [f.copy() for f in (ranking, cross, docs, clusters)]
    charts.ranking_figure(ranking, "share", kind="organisation", top=2)
    charts.crosstab_figure(cross, "share_pct")
    charts.document_map_figure(docs, clusters)
    for original, copy in zip((ranking, cross, docs, clusters), copies, strict=True):
        pd.testing.assert_frame_equal(original, copy)


def test_heatmap_values_equal_the_frame():
    df = _timeline_frame()
    trace = charts.heatmap_figure(df, "share", kind="organisation").to_dict()["data"][0]
    assert [pd.Timestamp(x) for x in trace["x"]] == list(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]))
    assert [c[2] for c in trace["customdata"][0]] == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert list(trace["y"]) == ["&lt;b&gt;NATO&lt;/b&gt;", "SCO"]  # sorted raw keys, escaped
    assert [list(r) for r in trace["z"]] == [[10.0, 20.0, 30.0], [50.0, 0.0, 25.0]]


def test_small_multiples_one_panel_per_key():
    fig = charts.small_multiples_figure(_timeline_frame(), "mentions", kind="theme", columns=1)
    assert len(fig.data) == 2
    assert [a.text for a in fig.layout.annotations] == ["&lt;b&gt;NATO&lt;/b&gt;", "SCO"]
    assert fig.layout.title.text.endswith(": one panel per theme")
    assert fig.data[1].yaxis == "y2"


@pytest.mark.parametrize("measure,column", [
    ("mentions", "mentions"), ("documents", "documents_mentioning"), ("share", "share_pct"),
])
def test_ranking_values_equal_the_frame(measure, column):
    df = _ranking_frame()
    trace = charts.ranking_figure(df, measure, kind="organisation").to_dict()["data"][0]
    assert list(trace["x"]) == df[column].tolist()
    assert [c[1] for c in trace["customdata"]] == df["key"].tolist()


def test_ranking_top_keeps_first_rows():
    trace = charts.ranking_figure(_ranking_frame(), "mentions", kind="organisation", top=2).data[0]
    assert list(trace.x) == [9, 5]


def test_crosstab_values_and_customdata():
    trace = charts.crosstab_figure(_crosstab_frame(), "documents").to_dict()["data"][0]
    assert list(trace["y"]) == ["BRICS", "SCO"] and list(trace["x"]) == ["multipolarity", "ngos"]
    assert [list(r) for r in trace["z"]] == [[3.0, 0.0], [2.0, 1.0]]
    assert trace["customdata"][1][0] == ["organisation", "SCO", "", "", "", "theme", "multipolarity"]


def test_comention_title():
    fig = charts.comention_figure(_crosstab_frame().assign(col_key=["SCO", "BRICS"] * 2))
    assert fig.layout.title.text == "Organisations mentioned together in the same document (documents)"


def test_color_map_is_deterministic_and_independent_of_order():
    a = charts.color_map(["SCO", "BRICS", "NATO"], "organisation")
    b = charts.color_map(["NATO", "SCO", "BRICS", "SCO"], "organisation")
    assert a == b
    assert len(set(a.values())) == 3
    assert a["BRICS"] == charts._PALETTES["organisation"][0]


def test_color_map_ordered_keeps_the_given_order():
    colors = charts.color_map(["SCO", "BRICS", "SCO", "NATO"], "organisation", ordered=True)
    assert list(colors) == ["SCO", "BRICS", "NATO"]
    assert colors["SCO"] == charts._PALETTES["organisation"][0]


def test_the_same_key_has_the_same_colour_in_every_chart():
    colors = charts.color_map(["SCO", "<b>NATO</b>", "BRICS"], "organisation")
    line = charts.timeline_figure(_timeline_frame(), "share", kind="organisation", colors=colors)
    bars = charts.ranking_figure(_ranking_frame().assign(key=["SCO", "BRICS", "<b>NATO</b>"]), "share",
                                 kind="organisation", colors=colors)
    small = charts.small_multiples_figure(_timeline_frame(), "share", kind="organisation", colors=colors)
    sco = colors["SCO"]
    assert line.data[0].line.color == sco
    assert bars.data[0].marker.color[0] == sco
    assert [t.line.color for t in small.data if t.name == "SCO"] == [sco]


def test_color_map_cycles_palette_for_many_keys():
    keys = [f"K{i:02d}" for i in range(35)]
    colors = charts.color_map(keys, "theme")
    assert colors["K00"] == colors["K30"]
    assert len({colors[k] for k in keys[:30]}) == 30


def test_timeline_from_analysis_is_drawn_as_is(tiny):
    df = tl.timeline(tiny["documents"], tiny["mentions"], kind="theme", granularity="month")
    fig = charts.timeline_figure(df, "share", kind="theme", granularity="month")
    drawn = {t.name: list(t.y) for t in fig.data}
    for key, rows in df.groupby("key"):
        assert drawn[key] == rows.sort_values("period")["share_pct"].tolist()


def test_measure_labels_match_analysis_measures():
    assert {m: c for m, (c, *_rest) in charts.MEASURE_LABELS.items()} == {
        m: c for m, (c, _expl) in tl.MEASURES.items()
    }


@pytest.mark.parametrize("call,match", [
    (lambda: charts.timeline_figure(_timeline_frame(), "fortnight"),
     r"The 'measure' parameter must be one of \['mentions', 'documents', 'share', 'per_10k'\]; got 'fortnight'"),
    (lambda: charts.timeline_figure(_timeline_frame(), "share", kind="country"),
     r"The 'kind' parameter must be one of \['theme', 'organisation', 'cluster'\]; got 'country'"),
    (lambda: charts.timeline_figure(_timeline_frame(), "share", style="bars"),
     r"The 'style' parameter must be one of \['lines', 'area'\]; got 'bars'"),
    (lambda: charts.timeline_figure(_timeline_frame().drop(columns="share_pct"), "share"),
     r"The timeline table must have the columns \['share_pct'\]"),
    (lambda: charts.ranking_figure(_ranking_frame(), "per_10k"),
     r"The 'measure' parameter must be one of \['mentions', 'documents', 'share'\]; got 'per_10k'"),
    (lambda: charts.crosstab_figure(_crosstab_frame(), "mentions"),
     r"The 'value' parameter must be one of \['share_pct', 'documents'\]; got 'mentions'"),
    (lambda: charts.small_multiples_figure(_timeline_frame(), columns=0),
     r"The 'columns' parameter must be an int >= 1; got 0"),
])
def test_errors_name_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_empty_frames_give_empty_figures():
    empty = _timeline_frame().iloc[0:0]
    assert charts.timeline_figure(empty, "share").data == ()
    assert charts.ranking_figure(_ranking_frame().iloc[0:0], "share").data[0].x == ()


# ------------------------------------------------------------------------------------------- labels
def _with_labels(df: pd.DataFrame, names: dict[str, str], key_col: str = "key", label_col: str = "label"):
    out = df.copy()
    out.insert(list(out.columns).index(key_col) + 1, label_col, out[key_col].map(names))
    return out


LABELS = {"SCO": "Shanghai <Cooperation>", "<b>NATO</b>": "North Atlantic"}


@pytest.mark.parametrize("make", [
    lambda df: charts.timeline_figure(df, "share", kind="organisation"),
    lambda df: charts.small_multiples_figure(df, "share", kind="organisation"),
])
def test_timelines_draw_the_label_and_keep_the_key_in_customdata(make):
    df = _with_labels(_timeline_frame(), LABELS)
    data = make(df).to_dict()["data"]
    assert sorted(t["name"] for t in data) == ["North Atlantic", "Shanghai &lt;Cooperation&gt;"]
    for trace in data:
        key = trace["customdata"][0][1]
        assert trace["name"] == charts._esc(LABELS[key])
        assert all(text.startswith(charts._esc(LABELS[key]) + "<br>") for text in trace["text"])


def test_heatmap_rows_are_labels_in_alphabetical_order():
    df = _with_labels(_timeline_frame(), LABELS)
    trace = charts.heatmap_figure(df, "share", kind="organisation").to_dict()["data"][0]
    assert list(trace["y"]) == ["North Atlantic", "Shanghai &lt;Cooperation&gt;"]
    assert [row[0][1] for row in trace["customdata"]] == ["<b>NATO</b>", "SCO"]


def test_ranking_and_crosstab_draw_labels():
    rank = _with_labels(_ranking_frame(), {"SCO": "Shanghai", "BRICS": "BRICS", "<img src=x>": "Image"})
    bar = charts.ranking_figure(rank, "documents").to_dict()["data"][0]
    assert list(bar["y"]) == ["Shanghai", "BRICS", "Image"]
    assert [c[1] for c in bar["customdata"]] == ["SCO", "BRICS", "<img src=x>"]
    cross = _with_labels(_crosstab_frame(), {"SCO": "Shanghai", "BRICS": "Brics"}, "row_key", "row_label")
    cross = _with_labels(cross, {"ngos": "NGOs", "multipolarity": "Multipolarity"}, "col_key", "col_label")
    heat = charts.crosstab_figure(cross, "documents").to_dict()["data"][0]
    assert list(heat["y"]) == ["Brics", "Shanghai"] and list(heat["x"]) == ["Multipolarity", "NGOs"]
    assert heat["customdata"][0][1] == ["organisation", "BRICS", "", "", "", "theme", "ngos"]
    assert list(heat["z"][0]) == [3.0, 0.0]


def test_every_figure_is_valid_plotly(tiny):
    # The charts skip plotly's validation for speed: every kind of figure is validated here instead.
    import plotly.graph_objects as go

    from analysis.timeline import cluster_mentions

    docs, mentions, clusters = tiny["documents"], tiny["mentions"], tiny["clusters"]
    line = _with_labels(_timeline_frame(), LABELS)
    cluster_df = tl.timeline(docs, pd.concat([mentions, cluster_mentions(docs, clusters)]), kind="cluster")
    cross = tl.crosstab(docs, mentions)
    figures = [
        charts.timeline_figure(line, "share", kind="organisation", granularity="month"),
        charts.timeline_figure(line, "per_10k", kind="organisation", style="area", granularity="year"),
        charts.cluster_timeline_figure(cluster_df, "share", granularity="month"),
        charts.heatmap_figure(line, "mentions", kind="organisation", granularity="quarter"),
        charts.small_multiples_figure(line, "documents", kind="organisation", granularity="week", columns=3),
        charts.ranking_figure(_ranking_frame(), "share"),
        charts.crosstab_figure(cross, "share_pct"),
        charts.comention_figure(tl.crosstab(docs, mentions, col_kind="organisation")),
        charts.document_map_figure(docs, clusters),
        charts.timeline_figure(line.iloc[0:0], "share"),
    ]
    for fig in figures:
        go.Figure(fig.to_dict())  # raises ValueError on any invalid property


def test_iso_days_handles_missing_dates():
    values = pd.Series(pd.to_datetime(["2024-05-01", None, "1946-12-31"]))
    assert charts._iso_days(values).tolist() == ["2024-05-01", "", "1946-12-31"]


def test_unvalidated_figures_draw_what_validated_ones_would(tiny):
    # plotly's validation also rewrites some values (named colour scales, for one); the figures skip it,
    # so they must hold nothing it would rewrite.
    import json

    import plotly.graph_objects as go
    import plotly.io as pio

    docs, mentions, clusters = tiny["documents"], tiny["mentions"], tiny["clusters"]
    line = _with_labels(_timeline_frame(), LABELS)
    figures = [
        charts.timeline_figure(line, "share", kind="organisation", style="area", granularity="month"),
        charts.heatmap_figure(line, "mentions", kind="organisation", granularity="quarter"),
        charts.small_multiples_figure(line, "documents", kind="organisation", columns=2),
        charts.ranking_figure(_ranking_frame(), "share"),
        charts.crosstab_figure(tl.crosstab(docs, mentions), "share_pct"),
        charts.document_map_figure(docs, clusters),
    ]
    for fig in figures:
        validated = json.loads(pio.to_json(go.Figure(fig.to_dict()), validate=False))
        assert validated == json.loads(pio.to_json(fig, validate=False))


def test_timeline_figure_one_line_per_source():
    df = pd.DataFrame({
        "period": pd.to_datetime(["2024-01-01", "2024-02-01"] * 2),
        "period_end": pd.to_datetime(["2024-01-31", "2024-02-29"] * 2),
        "period_label": ["January 2024", "February 2024"] * 2,
        "key": ["SCO"] * 4,
        "source": ["a.txt", "a.txt", "<b>.txt", "<b>.txt"],
        "mentions": [1, 0, 2, 3], "documents_mentioning": [1, 0, 1, 1], "documents_total": [2, 1, 1, 1],
        "words_total": [10, 10, 10, 10], "share_pct": [50.0, 0.0, 100.0, 100.0],
        "per_10k_words": [1000.0, 0.0, 2000.0, 3000.0], "partial": [False] * 4,
    })
    before = df.copy()
    fig = charts.timeline_figure(df, "share", kind="organisation", series="source").to_dict()
    assert [t["name"] for t in fig["data"]] == ["a.txt", "&lt;b&gt;.txt"]
    assert [list(t["y"]) for t in fig["data"]] == [[50.0, 0.0], [100.0, 100.0]]
    pd.testing.assert_frame_equal(df, before)


def test_timeline_band_surges_and_events():
    df = _timeline_frame()
    df["share_low"], df["share_high"] = df["share_pct"] - 5, df["share_pct"] + 5
    surges = pd.DataFrame({"key": ["SCO", "absent"], "method": ["burst", "burst"],
                           "start": pd.to_datetime(["2024-01-01", "2024-01-01"]),
                           "end": pd.to_datetime(["2024-01-31", "2024-03-31"]),
                           "peak": pd.to_datetime(["2024-01-01", "2024-02-01"]), "lift": [3.25, 2.0],
                           "documents": [12, 7]})  # fmt: skip
    events = pd.DataFrame({"label": ["<i>Summit</i>", "Long ago"], "start": pd.to_datetime(["2024-02-10", "1990-01-01"]),
                           "end": pd.to_datetime(["2024-02-11", "1990-01-02"])})  # fmt: skip
    before = df.copy()
    fig = charts.timeline_figure(df, "share", band=True, surges=surges, events=events).to_dict()
    pd.testing.assert_frame_equal(df, before)
    names = [t["name"] for t in fig["data"]]
    bands = [t for t in fig["data"] if t.get("fill") == "toself"]
    # One polygon per line: the upper edge forward, the lower edge back.
    assert len(bands) == 2 and list(bands[0]["y"]) == [55.0, 5.0, 30.0, 20.0, -5.0, 45.0]
    star = next(t for t in fig["data"] if t["name"] == "Surge (peak)")
    # Only the drawn key's surge, on its line at the peak.
    assert list(star["y"]) == [50.0] and "×3.2 the share before, 12 documents" in star["text"][0]
    assert list(star["customdata"][0][:4]) == ["theme", "SCO", "2024-01-01", "2024-01-31"]
    event = next(t for t in fig["data"] if t["name"] == "Event")
    assert len(event["x"]) == 1 and "&lt;i&gt;Summit&lt;/i&gt;" in event["text"][0]
    assert [(s["x0"], s["x1"]) for s in fig["layout"]["shapes"]] == [("2024-02-10", "2024-02-12")]
    assert "Event" not in names[:4]


def test_timeline_band_only_for_share_lines():
    df = _timeline_frame()
    df["share_low"], df["share_high"] = df["share_pct"] - 5, df["share_pct"] + 5
    for measure, style in (("mentions", "lines"), ("share", "area")):
        fig = charts.timeline_figure(df, measure, style=style, band=True).to_dict()
        assert not [t for t in fig["data"] if t.get("fill") == "toself"]


def test_the_band_does_not_bridge_a_period_without_documents():
    df = _timeline_frame()
    df["share_low"], df["share_high"] = df["share_pct"] - 5, df["share_pct"] + 5
    df.loc[df["period"] == pd.Timestamp("2024-02-01"), ["share_pct", "share_low", "share_high"]] = float("nan")
    fig = charts.timeline_figure(df[df["key"] == "SCO"], "share", band=True).to_dict()
    (band,) = [t for t in fig["data"] if t.get("fill") == "toself"]
    # Two runs (January, March), each its own polygon, apart by a gap.
    assert list(band["y"]) == [55.0, 45.0, None, 30.0, 20.0]


def test_what_streamlit_is_handed_is_the_figures_own_dictionary_and_leaves_it_unchanged(tiny):
    import plotly.io as pio

    docs, mentions, clusters = tiny["documents"], tiny["mentions"], tiny["clusters"]
    line = _with_labels(_timeline_frame(), LABELS)
    figures = [
        charts.timeline_figure(line, "share", kind="organisation", granularity="month"),
        charts.heatmap_figure(line, "mentions", kind="organisation", granularity="quarter"),
        charts.small_multiples_figure(line, "documents", kind="organisation", granularity="week", columns=3),
        charts.crosstab_figure(tl.crosstab(docs, mentions), "share_pct"),
        charts.document_map_figure(docs, clusters),
        charts.timeline_figure(line.iloc[0:0], "share"),
    ]
    for fig in figures:
        before = pio.to_json(fig.to_dict(), validate=False)
        drawn = charts.for_streamlit(fig)
        assert isinstance(drawn, go.Figure)  # what st.plotly_chart takes as validated
        assert pio.to_json(drawn.to_dict(), validate=False) == before
        assert pio.to_json(fig.to_dict(), validate=False) == before  # the figure was not touched


def _yearly_frame(first: int = 1946, last: int = 2024) -> pd.DataFrame:
    starts = pd.to_datetime([f"{y}-01-01" for y in range(first, last + 1)])
    return pd.DataFrame({"period": starts, "period_end": starts + pd.offsets.YearEnd(0),
                         "period_label": [str(y) for y in range(first, last + 1)], "key": "SCO",
                         "share_pct": 50.0, "partial": False})


@pytest.mark.parametrize("draw", [
    lambda df: charts.timeline_figure(df, "share", granularity="year").layout.xaxis.range,
    lambda df: charts.small_multiples_figure(df, "share", granularity="year").layout.xaxis.range,
])
def test_the_time_axis_ends_with_the_data_not_years_past_it(draw):
    # Plotly's own range padded 5 %: a chart of speeches up to 2024 ran to 2030.
    low, high = draw(_yearly_frame())
    assert "1944-10-01" < low < "1946-01-01" and "2024-01-01" < high < "2025-03-31"


def test_the_time_axis_reaches_the_last_event_band_drawn():
    events = pd.DataFrame({"label": ["Summit"], "start": pd.to_datetime(["2024-11-20"]),
                           "end": pd.to_datetime(["2024-11-28"])})
    low, high = charts.timeline_figure(_yearly_frame(), "share", granularity="year", events=events).layout.xaxis.range
    assert high > "2024-11-29"
