"""The Themes view's comparison: one theme or organisation over time, a line per source, publisher or language."""

from __future__ import annotations

import streamlit as st

from dashboard import charts
from dashboard import filters as fl
from dashboard.queries import Queries
from dashboard.views.common import show_chart, show_empty, timeline_events
from dashboard.views.markup import escape_md

__all__ = ["compare"]

_COMPARE_PHRASES = {
    "share": "share of each {by}'s documents that mention it",
    "documents": "documents of each {by} that mention it",
    "mentions": "mentions in each {by}",
    "per_10k": "mentions per 10,000 words of each {by}",
}


def compare(corpus: Queries, view: fl.View) -> None:
    """One theme or organisation over time, a line per source or language: two channels side by side."""
    if not st.toggle("Compare a theme or organisation across sources or languages", key="compare_on",
                     help="One line per source (or language): two channels side by side."):
        return
    labels = {kind: corpus.entity_labels(kind=kind) for kind in ("theme", "organisation")}
    choices = [f"theme:{k}" for k in labels["theme"]] + [f"organisation:{k}" for k in labels["organisation"]]
    if not choices:
        return
    left, right = st.columns([2, 1])
    target = left.selectbox(
        "Theme or organisation", choices, key="compare_target",
        format_func=lambda c: f"{c.split(':', 1)[0]}: {labels[c.split(':', 1)[0]].get(c.split(':', 1)[1])}",
        help="The theme or organisation whose timeline is split by source or language.")
    by_choices = ["source", "publisher", "language"] if corpus.has_publishers else ["source", "language"]
    by = right.radio("One line per", by_choices, key="compare_by", horizontal=True,
                     help="Sources (publishers, languages) chosen in the sidebar, else the ones with the most "
                          "dated documents.")
    kind, key = target.split(":", 1)
    panel = corpus.panel(name="compare", filters=view.filters, key=key, kind=kind, by=by,
                         granularity=view.granularity, measure=view.measure)
    df, groups, chosen = panel.table, tuple(panel.notes["groups"]), panel.notes["groups_from"] == "filters"
    if df.empty:
        show_empty(corpus, view, kind=kind, keys=(key,), granularity=view.granularity)
        return
    st.caption(f"{'The sources chosen in the sidebar' if chosen else f'The {len(groups)} {by}s with the most dated documents'}"
               f"; each line's share is of that {by}'s own documents in the period.")
    fig = charts.timeline_figure(df, view.measure, kind=kind, granularity=view.granularity, series=by,
                                 events=timeline_events(corpus, view, df),
                                 title=f"{labels[kind].get(key, key)}: {_COMPARE_PHRASES[view.measure].format(by=by)}, "
                                       f"by {view.granularity} ({charts.MEASURE_LABELS[view.measure][2]})")
    show_chart(fig, panel, f"{kind}-{key}-by-{by} {view.granularity} {view.measure}", "compare_timeline", corpus, view)
    _compare_two(corpus, view, kind, key, by, groups, labels[kind].get(key, key))


def _compare_two(corpus: Queries, view: fl.View, kind: str, key: str, by: str, groups: tuple[str, ...],
                 label: str) -> None:
    """Two of the compared series side by side: shares, their difference, and who leads whom."""
    if len(groups) < 2:
        st.caption(f"Only one {by} to compare: choose two or more in the sidebar to see their difference.")
        return
    st.markdown(f"**Two {by}s side by side**")
    left, right = st.columns(2)
    a = left.selectbox("A", groups, index=0, key="compare_a", help=f"The first {by}.")
    b = right.selectbox("B", [g for g in groups if g != a], index=0, key="compare_b", help=f"The second {by}.")
    two = dict(filters=view.filters, key=key, kind=kind, by=by, a=a, b=b, granularity=view.granularity)
    panel = corpus.panel(name="compare-two", **two)
    fig = charts.comparison_figure(panel.table, name_a=a, name_b=b, label=label, granularity=view.granularity)
    show_chart(fig, panel, f"{kind}-{key}-{a}-vs-{b} {view.granularity}", "compare_two", corpus, view,
               selectable=False)
    lag_panel = corpus.panel(name="lead-lag", **two)
    lags, best = lag_panel.table, lag_panel.notes["best_lag"]
    if best is None:
        st.caption(f"Too few {view.granularity}s with documents on both sides to tell who leads (5 are needed).")
        return
    fig = charts.lead_lag_figure(lags, name_a=a, name_b=b, unit=view.granularity)
    show_chart(fig, lag_panel, f"{kind}-{key}-{a}-vs-{b} lead-lag {view.granularity}", "compare_lags", corpus, view,
               selectable=False)
    r, n = lag_panel.notes["best_correlation"], lag_panel.notes["best_periods"]
    who = (f"{a} leads {b} by {best} {view.granularity}{'s' if abs(best) != 1 else ''}" if best > 0 else
           f"{b} leads {a} by {-best} {view.granularity}{'s' if abs(best) != 1 else ''}" if best < 0 else
           "they move together (no lead)")
    st.caption(escape_md(f"Best correlation at lag {best:+d}: {who} (r = {r:.2f} over {n} {view.granularity}s). "
                          "A correlation over few periods, or of two series that only share a trend, is weak "
                          "evidence: read the passages before quoting it."))
