"""What every view uses: session keys, caps, the chart and download helpers, labels, timeline notes."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import streamlit as st

from analysis.export import csv_filename, to_csv_bytes
from analysis.panels import DOCUMENT_ROWS, MAP_POINTS, PASSAGES, Panel
from dashboard import charts, data
from dashboard import filters as fl
from dashboard.queries import Queries
from dashboard.views.markup import escape_md
from dashboard.wording import describe_filters, explain_empty

__all__ = [
    "BUILD_PATH", "DOCUMENT_ROWS", "EVENTS_UPLOAD", "MAP_POINTS", "PASSAGES", "READER_CHOICES", "SEL_GEN", "SEL_KEPT",
    "TABS", "UPLOAD_NOTE", "VIEW_FOR", "chart_csv", "chart_key", "downloads", "events_path",
    "manifest_button", "manifest_json", "show_chart", "show_empty", "timeline_events", "timeline_notes",
]

SEL_GEN = "selection_generation"
SEL_KEPT = "selection_targets"
BUILD_PATH = "build_path"
VIEW_FOR = "view_initialised_for"
UPLOAD_NOTE = "upload_note"
EVENTS_UPLOAD = "events_upload_path"
TABS = ("Overview", "Themes", "Organisations", "Topics", "Documents", "Report")
# Caps that keep a large build (tens of thousands of documents) responsive; each is said on the page. The
# panels' caps (map points, document rows, concordance passages) are analysis.panels' defaults.
READER_CHOICES = 200  # documents offered by the reader's select box (narrowed by its search box)


def chart_key(name: str, generation: int = 0) -> str:
    """The widget key of a selectable chart; a new generation (after "Clear") starts with no selection."""
    return f"sel_{name}" if generation == 0 else f"sel_{name}_{generation}"


def chart_csv(df: pd.DataFrame) -> bytes:
    """The bytes of a chart's "Download CSV" button: exactly the frame that drew the chart."""
    return to_csv_bytes(df)


def manifest_json(corpus: Queries) -> str:
    """The text of the "Download manifest (JSON)" button: the build's manifest, indented."""
    return json.dumps(corpus.manifest, indent=2, ensure_ascii=False, default=str)


def _table_of(value) -> pd.DataFrame:
    value = value() if callable(value) else value
    return value.table if isinstance(value, Panel) else value


def downloads(df: Panel | pd.DataFrame | Callable[[], Panel | pd.DataFrame], what: str, key: str, view: fl.View, *,
              label: str = "Download CSV", help: str = "Exactly the rows behind this chart or table.") -> None:
    """The "Download CSV" button for the panel (or frame) that drew a chart, or a function that makes it (for
    a table too large to keep); the bytes, ``to_csv_bytes(panel.table)``, are made when it is clicked."""
    st.download_button(
        label, data=lambda: chart_csv(_table_of(df)), file_name=csv_filename(what, describe_filters(view.filters)),
        mime="text/csv", key=f"dl_{key}", help=help, on_click="ignore", icon=":material/download:",
    )


def manifest_button(corpus: Queries, tab: str) -> None:
    """One "Download manifest (JSON)" button per view: the build's versions, options and input hashes."""
    st.divider()
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.caption("Every CSV above comes from this build; its manifest records the versions, options and input "
                 "file hashes needed to reproduce it.")
    with right:
        st.download_button(
            "Download manifest (JSON)", data=lambda: manifest_json(corpus), file_name="manifest.json",
            mime="application/json", key=f"dl_manifest_{tab}", on_click="ignore",
            icon=":material/receipt_long:", help="The build's manifest.json.",
        )


def show_chart(fig, df: Panel | pd.DataFrame, what: str, name: str, corpus: Queries, view: fl.View,
               *, selectable: bool = True) -> None:
    """A chart drawn from a panel's table, with the "Download CSV" button of that table."""
    gen = st.session_state.get(SEL_GEN, 0)
    spec = charts.for_streamlit(fig)
    if selectable:
        st.plotly_chart(spec, key=chart_key(name, gen), on_select="rerun",
                        selection_mode=("points", "box", "lasso"), width="stretch")
    else:
        st.plotly_chart(spec, key=f"fig_{name}", width="stretch")
    downloads(df, what, name, view)


def show_empty(corpus: Queries, view: fl.View, **kwargs) -> None:
    """Why a chart or table has nothing to show under the view's filters, and what to change."""
    reason = corpus.empty_reason(filters=view.filters, **kwargs)
    st.info(escape_md(explain_empty(reason, view.filters)))


def timeline_notes(panel: Panel, what: str | None = "themes") -> None:
    """The facts of a timeline panel's notes in words: how its keys (``what``; None: not said) were chosen,
    undated documents, those dated only to a coarser period, partly covered periods."""
    n = panel.notes
    notes = []
    if what and n.get("keys_from") == "top":
        notes.append(f"the {n['top']} {what} mentioned in most documents (choose others in the sidebar)")
    undated, coarse = n.get("undated", 0), n.get("excluded_coarse", 0)
    if undated:
        notes.append(f"{undated:,} undated document{'s' if undated != 1 else ''} not shown")
    if coarse:
        notes.append(f"{coarse:,} dated only to a coarser period not shown (choose a longer period to see them)")
    if n.get("partial_periods"):
        notes.append("open markers: periods only partly covered")
    if notes:
        text = "; ".join(notes) + "."
        st.caption(text[0].upper() + text[1:])


def events_path(corpus: Queries) -> str:
    return data.events_file(corpus.path, st.session_state.get(EVENTS_UPLOAD))


def timeline_events(corpus: Queries, view: fl.View, df: pd.DataFrame) -> pd.DataFrame | None:
    """The calendar's events over a timeline's periods, or None when the sidebar hides them."""
    if not view.events or df.empty:
        return None
    return data.events(events_path(corpus), df["period"].min(), df["period_end"].max())
