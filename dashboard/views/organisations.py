"""The Organisations view: ranking, timeline, organisation x theme heatmap, co-mention matrix."""

from __future__ import annotations

import streamlit as st

from dashboard import charts
from dashboard import filters as fl
from dashboard.queries import Queries
from dashboard.views.common import labelled, show_chart, show_empty, timeline_events, timeline_notes

__all__ = ["organisations"]

_TOP_ORGS = 15


def organisations(corpus: Queries, view: fl.View, colors) -> None:
    rank = corpus.ranking(kind="organisation", filters=view.filters)
    if rank.empty:
        show_empty(corpus, view, kind="organisation")
        return
    top = labelled(rank.head(_TOP_ORGS), corpus, "organisation")
    fig = charts.ranking_figure(top, "documents", kind="organisation", colors=colors["organisation"])
    show_chart(fig, top, "organisation-ranking", "orgs_ranking", corpus, view)

    keys = tuple(view.filters.organisations) or tuple(rank["key"].head(5))
    st.caption("Timeline of " + ("the organisations chosen in the sidebar." if view.filters.organisations
                                 else "the five most mentioned organisations (choose others in the sidebar)."))
    df = corpus.timeline(kind="organisation", keys=keys, granularity=view.granularity, filters=view.filters)
    if df.empty:
        show_empty(corpus, view, kind="organisation", keys=keys, granularity=view.granularity)
    else:
        df = labelled(df, corpus, "organisation")
        fig = charts.timeline_figure(df, view.measure, kind="organisation", colors=colors["organisation"],
                                     granularity=view.granularity, events=timeline_events(corpus, view, df))
        show_chart(fig, df, f"organisation-timeline {view.granularity} {view.measure}", "orgs_timeline", corpus, view)
        timeline_notes(df)

    cross = corpus.crosstab(row_kind="organisation", col_kind="theme", filters=view.filters)
    cross = cross[cross["row_key"].isin(top["key"])]
    if cross.empty:
        show_empty(corpus, view, kind="theme")
    else:
        cross = labelled(labelled(cross, corpus, "organisation", "row_key", "row_label"),
                          corpus, "theme", "col_key", "col_label")
        fig = charts.crosstab_figure(cross, "share_pct", row_kind="organisation", col_kind="theme")
        show_chart(fig, cross, "organisation-x-theme", "orgs_crosstab", corpus, view)
    co = corpus.crosstab(row_kind="organisation", col_kind="organisation", filters=view.filters)
    co = co[co["row_key"].isin(top["key"]) & co["col_key"].isin(top["key"])]
    if not co.empty:
        co = labelled(labelled(co, corpus, "organisation", "row_key", "row_label"),
                       corpus, "organisation", "col_key", "col_label")
        fig = charts.comention_figure(co, "documents")
        show_chart(fig, co, "organisation-co-mentions", "orgs_comention", corpus, view)
