"""The Organisations view: ranking, timeline, organisation x theme heatmap, co-mention matrix."""

from __future__ import annotations

import streamlit as st

from analysis.store import Build
from dashboard import charts, data
from dashboard import filters as fl
from dashboard.views.common import labelled, show_chart, show_empty, timeline_events, timeline_notes

__all__ = ["organisations"]

_TOP_ORGS = 15


def organisations(build: Build, view: fl.View, colors) -> None:
    rank = data.analysis_table(build, "ranking", kind="organisation", filters=view.filters)
    if rank.empty:
        show_empty(build, view, kind="organisation")
        return
    top = labelled(rank.head(_TOP_ORGS), build, "organisation")
    fig = charts.ranking_figure(top, "documents", kind="organisation", colors=colors["organisation"])
    show_chart(fig, top, "organisation-ranking", "orgs_ranking", build, view)

    keys = tuple(view.filters.organisations) or tuple(rank["key"].head(5))
    st.caption("Timeline of " + ("the organisations chosen in the sidebar." if view.filters.organisations
                                 else "the five most mentioned organisations (choose others in the sidebar)."))
    df = data.analysis_table(build, "timeline", kind="organisation", keys=keys, granularity=view.granularity,
                             filters=view.filters)
    if df.empty:
        show_empty(build, view, kind="organisation", keys=keys, granularity=view.granularity)
    else:
        df = labelled(df, build, "organisation")
        fig = charts.timeline_figure(df, view.measure, kind="organisation", colors=colors["organisation"],
                                     granularity=view.granularity, events=timeline_events(build, view, df))
        show_chart(fig, df, f"organisation-timeline {view.granularity} {view.measure}", "orgs_timeline", build, view)
        timeline_notes(df)

    cross = data.analysis_table(build, "crosstab", row_kind="organisation", col_kind="theme",
                                filters=view.filters)
    cross = cross[cross["row_key"].isin(top["key"])]
    if cross.empty:
        show_empty(build, view, kind="theme")
    else:
        cross = labelled(labelled(cross, build, "organisation", "row_key", "row_label"),
                          build, "theme", "col_key", "col_label")
        fig = charts.crosstab_figure(cross, "share_pct", row_kind="organisation", col_kind="theme")
        show_chart(fig, cross, "organisation-x-theme", "orgs_crosstab", build, view)
    co = data.analysis_table(build, "crosstab", row_kind="organisation", col_kind="organisation",
                             filters=view.filters)
    co = co[co["row_key"].isin(top["key"]) & co["col_key"].isin(top["key"])]
    if not co.empty:
        co = labelled(labelled(co, build, "organisation", "row_key", "row_label"),
                       build, "organisation", "col_key", "col_label")
        fig = charts.comention_figure(co, "documents")
        show_chart(fig, co, "organisation-co-mentions", "orgs_comention", build, view)
