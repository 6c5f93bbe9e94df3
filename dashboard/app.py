"""The Streamlit page: the sidebar, a caption, then one tab per view (dashboard/views/)."""

from __future__ import annotations

import streamlit as st

from dashboard.views import (
    common,
    documents,
    organisations,
    overview,
    report,
    selection,
    sidebar,
    themes,
    topics,
)
from dashboard.views.common import (
    DOCUMENT_ROWS,
    MAP_POINTS,
    PASSAGES,
    READER_CHOICES,
    TABS,
    chart_csv,
    chart_key,
    manifest_json,
)
from dashboard.views.documents import date_evidence_text
from dashboard.views.markup import MARK_STYLE, highlight_html
from dashboard.views.markup import escape_md as _escape_md

# Read from here by tests/test_browser.py (the themes the Overview's timeline draws).
from dashboard.views.overview import OVERVIEW_THEMES as _OVERVIEW_THEMES  # noqa: F401
from dashboard.views.selection import SELECTABLE_CHARTS
from dashboard.wording import describe_filters

__all__ = [
    "DOCUMENT_ROWS", "MAP_POINTS", "MARK_STYLE", "PASSAGES", "READER_CHOICES", "SELECTABLE_CHARTS", "TABS",
    "chart_csv", "chart_key", "date_evidence_text", "highlight_html", "main", "manifest_json",
]


def main() -> None:
    st.set_page_config(page_title="Diplomatic Themes", page_icon="🕊️", layout="wide")
    sidebar.upload_section()
    corpus = sidebar.open_build()
    view, _info = sidebar.sidebar(corpus)
    colors = sidebar.colors_of(corpus)
    narrowed, targets = selection.selection(corpus, view)

    st.title("Diplomatic Themes")
    desc = describe_filters(view.filters)
    n = corpus.n_documents
    st.caption(_escape_md(f"{n:,} document{'s' if n != 1 else ''} in this build"
                          + (f" · filters: {desc}" if desc else "")))
    # One container always stands here, so the notices above the tabs never shift the tabs' place on the
    # page (which would reset the tab the reader is on).
    with st.container():
        if st.session_state.pop(common.UPLOAD_NOTE, False):
            st.success("Your files were built and are shown below; the Report tab lists what was read and "
                       "skipped.")
            report.report_table_only(corpus)
        selection.chip(narrowed, targets)

    # Only the open tab runs (on_change="rerun" makes the tabs keep state): a rerun after a filter change
    # draws one view, not six.
    tabs = st.tabs(list(TABS), key="view_tab", on_change="rerun")
    views = (
        lambda: overview.overview(corpus, view, colors),
        lambda: themes.themes(corpus, view, colors),
        lambda: organisations.organisations(corpus, view, colors),
        lambda: topics.topics(corpus, view),
        lambda: documents.documents(corpus, view, narrowed, targets),
        lambda: report.report(corpus),
    )
    for name, tab, draw in zip(TABS, tabs, views, strict=True):
        if tab.open is False:
            continue
        with tab:
            draw()
            common.manifest_button(corpus, name.lower())


if __name__ == "__main__":
    main()
