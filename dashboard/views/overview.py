"""The Overview view: the filtered documents in figures, the theme timeline, the top organisations."""

from __future__ import annotations

import streamlit as st

from dashboard import charts
from dashboard import filters as fl
from dashboard.queries import Queries
from dashboard.views.common import (
    DOCUMENT_ROWS,
    downloads,
    show_chart,
    show_empty,
    timeline_events,
    timeline_notes,
)
from dashboard.wording import describe_last_update

__all__ = ["OVERVIEW_THEMES", "overview"]

OVERVIEW_THEMES = 6


def overview(corpus: Queries, view: fl.View, colors) -> None:
    s = corpus.summary(filters=view.filters)
    c1, c2, c3, c4, c5 = st.columns([1, 2, 1, 1, 1])
    c1.metric("Documents", f"{s['documents']:,}", help="Documents that pass the filters.")
    span = "no dates"
    if s["first_date"]:
        fmt = "%Y" if view.granularity == "year" else "%b %Y"
        first, last = f"{s['first_date']:{fmt}}", f"{s['last_date']:{fmt}}"
        span = first if first == last else f"{first} – {last}"
    c2.metric("Date span", span, help="First and last date among the filtered documents.")
    c3.metric("Undated documents", _count_share(s["undated"], s["documents"]),
              help="Left out of timelines: no date could be trusted (a date the text merely mentions is only "
                   "a hint).")
    c4.metric("Sources", f"{s['sources']:,}", help="Input files the filtered documents came from.")
    methods = corpus.manifest.get("counts", {}).get("publisher_methods") or {}
    if corpus.has_publishers and set(methods) == {"file"}:
        # Every document's publisher is its own file's name: a count of files, not of publishers.
        c5.metric("Publishers", "none",  # "none named" was cut to "none n…" in its column
                  help="No document of this build names its publisher (no site, channel, agency, table column "
                       "or folder), so each file stands for its own and comparing publishers would compare files. "
                       "Rebuild with --publisher NAME or --publisher-map FILE to name them.")
    elif corpus.has_publishers:
        c5.metric("Publishers", f"{corpus.publisher_count(filters=view.filters):,}",
                  help="Who published the filtered documents (sites, channels, agencies; else folders or files).")
    if (updated := describe_last_update(corpus.manifest)) is not None:
        st.caption(updated + " The Report tab lists every update.")
    if s["documents"] == 0:
        show_empty(corpus, view)
        return
    _dating_gaps(corpus, view, s)
    left, right = st.columns([3, 2])
    with left:
        panel = corpus.panel(name="overview-timeline", filters=view.filters, granularity=view.granularity,
                             measure=view.measure, top=OVERVIEW_THEMES)
        df = panel.table
        if df.empty:
            show_empty(corpus, view, kind="theme", granularity=view.granularity)
        else:
            fig = charts.timeline_figure(df, view.measure, kind="theme", colors=colors["theme"],
                                         granularity=view.granularity, events=timeline_events(corpus, view, df))
            show_chart(fig, panel, f"theme-timeline {view.granularity} {view.measure}", "overview_timeline", corpus,
                       view)
            timeline_notes(panel)
    with right:
        panel = corpus.panel(name="top-organisations", filters=view.filters)
        if panel.table.empty:
            show_empty(corpus, view, kind="organisation")
        else:
            fig = charts.ranking_figure(panel.table, "documents", kind="organisation", colors=colors["organisation"])
            fig.update_layout(title={"text": "Top organisations (documents mentioning each)"})
            show_chart(fig, panel, "top-organisations", "overview_ranking", corpus, view)


def _count_share(n: int, total: int) -> str:
    return f"{n:,} ({n / total:.0%})" if total else f"{n:,}"


def _dating_gaps(corpus: Queries, view: fl.View, s: dict) -> None:
    """The undated and body-dated share of the filtered documents, and a list of those documents."""
    undated, body = s["undated"], s.get("body_dated", 0)
    if not undated and not body:
        return
    parts = [f"{_count_share(undated, s['documents'])} of the documents are undated"]
    if s.get("undated_with_hint"):
        parts.append(f"{s['undated_with_hint']:,} of them mention a date in their text (a hint, not their date)")
    if body:
        parts.append(f"{_count_share(body, s['documents'])} are dated only by a date their text mentions "
                     "(built with --body-dates)")
    with st.expander("; ".join(parts) + ".", icon=":material/event_busy:"):
        gaps = corpus.panel(name="dating-gaps", filters=view.filters)
        st.caption("Open one in the Documents tab's reader by its id (\"Find a document\").")
        st.dataframe(gaps.table.head(DOCUMENT_ROWS), key="dating_gaps_table", hide_index=True, width="stretch",
                     column_config={"doc_id": "Document id", "title": "Title", "source": "Source", "seq": "Seq",
                                    "date": st.column_config.DateColumn("Date", format="D MMM YYYY"),
                                    "date_method": "Dated from", "date_evidence": "Evidence",
                                    "date_hint": "Date mentioned", "date_hint_surface": "As written"})
        downloads(gaps, "undated documents", "dating_gaps", view, label="Download the list (CSV)",
                   help="Every undated or body-dated document that passes the filters.")
