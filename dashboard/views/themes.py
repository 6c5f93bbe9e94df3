"""The Themes view: theme timelines, heatmap and small multiples, what surged and why, what a theme is matched as."""

from __future__ import annotations

import streamlit as st

from analysis.panels import Panel
from dashboard import charts
from dashboard import filters as fl
from dashboard.queries import Queries
from dashboard.views.common import (
    downloads,
    events_path,
    show_chart,
    show_empty,
    timeline_events,
    timeline_notes,
)
from dashboard.views.compare import compare
from dashboard.views.markup import escape_md
from dashboard.views.selection import kept_selections

__all__ = ["SECTIONS", "SECTION_KEY", "TAB_THEMES", "themes"]

TAB_THEMES = 8
# The sections below the timeline, one open at a time (st.tabs keeps the open one in SECTION_KEY).
SECTIONS = ("What surged", "Explain a surge", "Heatmap", "Small multiples", "What a theme is matched as",
            "Compare sources")
SECTION_KEY = "themes_section"


def themes(corpus: Queries, view: fl.View, colors) -> None:
    timeline = dict(filters=view.filters, granularity=view.granularity, measure=view.measure)
    panel = corpus.panel(name="theme-timeline", top=TAB_THEMES, **timeline)
    df = panel.table
    if df.empty:
        show_empty(corpus, view, kind="theme", granularity=view.granularity)
        return
    style = st.radio("Draw as", ["lines", "area"], key="themes_style", horizontal=True,
                     format_func=lambda s: "Lines" if s == "lines" else "Stacked areas",
                     help="Stacked areas add the themes up; lines compare them.")
    found = corpus.panel(name="theme-surges", filters=view.filters, granularity=view.granularity,
                         events_file=events_path(corpus), events=view.events)
    band = view.measure == "share" and style == "lines" and st.toggle(
        "95 % intervals", value=df["key"].nunique() <= 3, key="themes_band",
        help="The share's Wilson 95 % interval: how far the share could move by chance with so few documents. "
             "On by default when three themes or fewer are drawn (more bands hide each other).")
    fig = charts.timeline_figure(df, view.measure, kind="theme", style=style, colors=colors["theme"],
                                 granularity=view.granularity, band=band, surges=found.table,
                                 events=timeline_events(corpus, view, df))
    show_chart(fig, panel, f"theme-timeline {view.granularity} {view.measure}", "themes_timeline", corpus, view)
    timeline_notes(panel)
    # Below the timeline, one section at a time: only the open one runs (on_change="rerun"), so a filter
    # change draws the timeline and one section, not six.
    sections = st.tabs(list(SECTIONS), key=SECTION_KEY, on_change="rerun")
    draws = (
        lambda: _what_surged(corpus, view, found),
        lambda: _explain_surge(corpus, view, found),
        lambda: _heatmap(corpus, view, timeline),
        lambda: _small_multiples(corpus, view, timeline, colors),
        lambda: _surfaces(corpus, view, timeline),
        lambda: compare(corpus, view),
    )
    for section, draw in zip(sections, draws, strict=True):
        if section.open is False:
            continue
        with section:
            draw()


def _heatmap(corpus: Queries, view: fl.View, timeline: dict) -> None:
    heatmap = corpus.panel(name="theme-heatmap", **timeline)
    fig = charts.heatmap_figure(heatmap.table, view.measure, kind="theme", granularity=view.granularity)
    show_chart(fig, heatmap, f"theme-heatmap {view.granularity} {view.measure}", "themes_heatmap", corpus, view)


def _small_multiples(corpus: Queries, view: fl.View, timeline: dict, colors) -> None:
    small = corpus.panel(name="theme-small-multiples", **timeline)
    fig = charts.small_multiples_figure(small.table, view.measure, kind="theme", colors=colors["theme"],
                                        granularity=view.granularity, columns=3)
    show_chart(fig, small, f"theme-small-multiples {view.granularity} {view.measure}", "themes_small", corpus, view)


def _surge_choice(row) -> str:
    how = "burst" if row.method == "burst" else "change point"
    return (f"{row.label}: {row.start:%Y-%m-%d} to {row.end:%Y-%m-%d} ({how}, ×{row.lift:.1f}, "
            f"{int(row.documents):,} documents)")


def _show_surge_documents(target: fl.Target) -> None:
    kept_selections()["themes_surges"] = [target]


def _what_surged(corpus: Queries, view: fl.View, found: Panel) -> None:
    """The tested surges of every theme, strongest first."""
    st.caption(escape_md(found.table.attrs.get("help", "")))
    if found.table.empty:
        st.info(f"No theme surged by {view.granularity} in these documents: no rise passes the test above. "
                "A longer period (a quarter or a year) gathers more documents per period.")
        return
    table = found.table
    shown = ["label", "method", "start", "end", "peak_label", "share_before", "share_during", "lift", "documents",
             "strength", "events", "peak_events"]
    st.dataframe(
        table[shown], key="themes_surges_table", hide_index=True, width="stretch",
        column_config={
            "label": "Theme", "method": "Found by", "peak_label": "Peak", "start": st.column_config.DateColumn("From"),
            "end": st.column_config.DateColumn("To"),
            "share_before": st.column_config.NumberColumn("Share before (%)", format="%.2f"),
            "share_during": st.column_config.NumberColumn("Share during (%)", format="%.2f"),
            "lift": st.column_config.NumberColumn("Lift (×)", format="%.2f"),
            "strength": st.column_config.NumberColumn("Strength (G)", format="%.1f",
                                                      help="The likelihood-ratio statistic of during against before."),
            "events": st.column_config.NumberColumn("Events", help="Events of the calendar overlapping the surge."),
            "peak_events": "Events in the peak period",
        },
    )
    downloads(found, f"theme-surges {view.granularity}", "themes_surges", view)


def _explain_surge(corpus: Queries, view: fl.View, found: Panel) -> None:
    """For a chosen surge: its distinctive words, its passages, its documents and the events it overlapped."""
    table = found.table
    if table.empty:
        st.info(f"No theme surged by {view.granularity} in these documents, so there is no surge to explain "
                "(the What surged section says when a rise counts as one).")
        return
    rows = list(table.itertuples(index=False))
    pick = st.selectbox("Explain a surge", range(len(rows)), key="themes_surge_pick",
                        format_func=lambda i: _surge_choice(rows[i]),
                        help="The words that set its documents apart and its most representative passages.")
    row = rows[pick]
    surge = dict(filters=view.filters, key=row.key, start=row.start.date(), end=row.end.date())
    with st.spinner("Counting the words of the surge's window…"):
        words_panel = corpus.panel(name="surge-words", **surge)
        passages_panel = corpus.panel(name="surge-passages", **surge)
    target = fl.Target(kind="theme", key=row.key, start=row.start.date(), end=row.end.date())
    st.button(f"Show its {words_panel.notes['documents']:,} documents in the Documents tab", key="themes_surge_docs",
              on_click=_show_surge_documents, args=(target,), icon=":material/filter_alt:")
    words = words_panel.table
    left, right = st.columns(2)
    with left:
        st.markdown("**Words of the surge** (against the same window's other documents)")
        surge_words = words[words["side"] == "surge"]
        st.dataframe(surge_words[["term", "z", "count_in", "count_out"]], key="themes_surge_words",
                     hide_index=True, width="stretch")
    with right:
        st.markdown("**Words of the rest**")
        st.dataframe(words[words["side"] == "rest"][["term", "z", "count_in", "count_out"]],
                     key="themes_surge_rest", hide_index=True, width="stretch")
    downloads(words_panel, f"theme-surge-words {row.key} {row.start:%Y-%m-%d} {row.end:%Y-%m-%d}",
               "themes_surge_words", view)
    passages = passages_panel.table
    st.markdown("**Representative passages**")
    if passages.empty:
        st.caption("No passage to show.")
    else:
        st.dataframe(passages[["left", "match", "right", "date", "title", "doc_id", "score"]],
                     key="themes_surge_passages", hide_index=True, width="stretch")
        downloads(passages_panel, f"theme-surge-passages {row.key} {row.start:%Y-%m-%d}", "themes_surge_passages", view)
    events = corpus.panel(name="surge-events", filters=view.filters, start=row.start.date(), end=row.end.date(),
                          events_file=events_path(corpus))
    overlapping = events.table
    st.markdown(f"**Events during the surge** ({len(overlapping)})")
    if not overlapping.empty:
        st.dataframe(overlapping[["label", "start", "end", "kind", "place", "source"]], key="themes_surge_events",
                     hide_index=True, width="stretch",
                     column_config={"source": st.column_config.LinkColumn("Source")})
        downloads(events, f"events {row.start:%Y-%m-%d} {row.end:%Y-%m-%d}", "themes_surge_events", view)


def _surfaces(corpus: Queries, view: fl.View, timeline: dict) -> None:
    """What a theme is matched as: its top surfaces with counts, a sample of contexts, how to exclude one."""
    # Every theme the filtered documents mention (the heatmap's rows), not only the timeline's top ones.
    keys = list(corpus.panel(name="theme-heatmap", **timeline).table["key"].drop_duplicates())
    if not keys:
        return
    labels = corpus.entity_labels(kind="theme")
    key = st.selectbox("Theme", keys, key="surfaces_theme", format_func=lambda k: labels.get(k, k),
                       help="Its matches in the filtered documents, grouped by the words matched.")
    top_panel = corpus.panel(name="theme-surfaces", filters=view.filters, key=key)
    top = top_panel.table
    if top.empty:
        st.info("No matches of this theme in the filtered documents.")
        return
    fig = charts.surfaces_figure(top, labels.get(key, key))
    show_chart(fig, top_panel, f"theme-surfaces {key}", "themes_surfaces", corpus, view, selectable=False)
    surface = st.selectbox("Sample contexts of", list(top["surface"]), key="surfaces_surface",
                           help="Ten matches of this surface drawn at random (fixed seed), with their context.")
    sample = corpus.panel(name="surface-samples", filters=view.filters, key=key, surface=surface)
    st.dataframe(sample.table[["left", "match", "right", "date", "doc_id"]], key="surfaces_samples", hide_index=True,
                 width="stretch")
    downloads(sample, f"theme-surface-samples {key}", "surfaces_samples", view)
    st.caption(
        "If a surface is mostly wrong here (\"East and West\" under Criticism of the West), exclude it: copy "
        "data/themes.toml, add the phrase to that theme's `exclude = [...]` list (or make the word count only "
        "near cue words with a `[[theme.context]]` table, as described at the top of the file), and rebuild "
        "with `python -m analysis build INPUT --out DIR --themes mythemes.toml`."
    )
