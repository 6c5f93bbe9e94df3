"""The Topics view: the clusters, their share over time, the document map."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts
from dashboard import filters as fl
from dashboard.queries import Queries
from dashboard.views.common import MAP_POINTS, downloads, show_chart, show_empty, timeline_notes

__all__ = ["topics"]

def _cluster_colors(labels: pd.DataFrame) -> dict[str, str]:
    return charts.color_map(labels["label"], "cluster", ordered=True)


def topics(corpus: Queries, view: fl.View) -> None:
    clusters = corpus.panel(name="clusters", filters=view.filters)
    st.subheader("Topic clusters")
    st.caption("Groups of documents with similar wording (TF-IDF + k-means); labels are their top terms.")
    st.dataframe(clusters.table, key="topics_clusters", hide_index=True, width="stretch",
                 column_config={"cluster_id": "Cluster", "label": "Label", "top_terms": "Top terms",
                                "size": st.column_config.NumberColumn("Documents", help="in the whole build")})
    downloads(clusters, "topic-clusters", "topics_clusters", view)
    labels = corpus.cluster_labels()
    ccolors = _cluster_colors(labels)
    panel = corpus.panel(name="cluster-timeline", filters=view.filters, granularity=view.granularity,
                         measure=view.measure)
    df = panel.table
    if df.empty:
        show_empty(corpus, view, granularity=view.granularity)
    else:
        measure = panel.notes["measure"]
        fig = charts.cluster_timeline_figure(df, measure, colors=ccolors, granularity=view.granularity)
        show_chart(fig, panel, f"cluster-timeline {view.granularity} {measure}", "topics_timeline", corpus, view)
        timeline_notes(panel)
    found = corpus.panel(name="document-map", filters=view.filters, limit=MAP_POINTS)
    points, total = found.table, found.notes["total"]
    if points.empty:
        show_empty(corpus, view)
        return
    fig = charts.document_map_figure(points, labels, colors=ccolors)
    note = "Each point is a document; nearby points use similar words. Select points to read them."
    if total > len(points):
        note += (f" The map shows a fixed random sample of {len(points):,} of the {total:,} filtered documents "
                 "(the CSV holds the points drawn); narrow the filters to see every one.")
    st.caption(note)
    show_chart(fig, found, "document-map", "topics_map", corpus, view)
