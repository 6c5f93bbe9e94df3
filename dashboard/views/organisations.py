"""The Organisations view: ranking, timeline, organisation x theme heatmap, co-mention matrix."""

from __future__ import annotations

import streamlit as st

from dashboard import charts
from dashboard import filters as fl
from dashboard.queries import Queries
from dashboard.views.common import show_chart, show_empty, timeline_events, timeline_notes

__all__ = ["organisations"]

_TOP_ORGS = 15


def organisations(corpus: Queries, view: fl.View, colors) -> None:
    ranking = corpus.panel(name="organisation-ranking", filters=view.filters, top=_TOP_ORGS)
    if ranking.table.empty:
        show_empty(corpus, view, kind="organisation")
        return
    fig = charts.ranking_figure(ranking.table, "documents", kind="organisation", colors=colors["organisation"])
    show_chart(fig, ranking, "organisation-ranking", "orgs_ranking", corpus, view)

    panel = corpus.panel(name="organisation-timeline", filters=view.filters, granularity=view.granularity,
                         measure=view.measure)
    st.caption("Timeline of " + ("the organisations chosen in the sidebar." if panel.notes["keys_from"] == "filters"
                                 else "the five most mentioned organisations (choose others in the sidebar)."))
    df = panel.table
    if df.empty:
        show_empty(corpus, view, kind="organisation", keys=tuple(panel.notes["keys"]), granularity=view.granularity)
    else:
        fig = charts.timeline_figure(df, view.measure, kind="organisation", colors=colors["organisation"],
                                     granularity=view.granularity, events=timeline_events(corpus, view, df))
        show_chart(fig, panel, f"organisation-timeline {view.granularity} {view.measure}", "orgs_timeline", corpus,
                   view)
        timeline_notes(panel, None)  # the caption above says how the organisations were chosen

    cross = corpus.panel(name="organisation-x-theme", filters=view.filters, top=_TOP_ORGS)
    if cross.table.empty:
        show_empty(corpus, view, kind="theme")
    else:
        fig = charts.crosstab_figure(cross.table, "share_pct", row_kind="organisation", col_kind="theme")
        show_chart(fig, cross, "organisation-x-theme", "orgs_crosstab", corpus, view)
    co = corpus.panel(name="co-mentions", filters=view.filters, top=_TOP_ORGS)
    if not co.table.empty:
        fig = charts.comention_figure(co.table, "documents")
        show_chart(fig, co, "organisation-co-mentions", "orgs_comention", corpus, view)
