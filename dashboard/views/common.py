"""What every view uses: session keys, caps, the chart and download helpers, labels, timeline notes."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import streamlit as st

from analysis.export import csv_filename, to_csv_bytes
from analysis.timeline import add_labels
from dashboard import data
from dashboard import filters as fl
from dashboard.queries import Queries
from dashboard.views.markup import escape_md
from dashboard.wording import describe_filters, explain_empty

__all__ = [
    "BUILD_PATH", "DOCUMENT_ROWS", "EVENTS_UPLOAD", "MAP_POINTS", "PASSAGES", "READER_CHOICES", "SEL_GEN", "SEL_KEPT",
    "TABS", "UPLOAD_NOTE", "VIEW_FOR", "chart_csv", "chart_key", "downloads", "events_path", "labelled",
    "manifest_button", "manifest_json", "show_chart", "show_empty", "theme_keys", "timeline_events", "timeline_notes",
]

SEL_GEN = "selection_generation"
SEL_KEPT = "selection_targets"
BUILD_PATH = "build_path"
VIEW_FOR = "view_initialised_for"
UPLOAD_NOTE = "upload_note"
EVENTS_UPLOAD = "events_upload_path"
TABS = ("Overview", "Themes", "Organisations", "Topics", "Documents", "Report")
# Caps that keep a large build (tens of thousands of documents) responsive; each is said on the page.
MAP_POINTS = 3000  # points drawn on the document map (a fixed random sample beyond that)
DOCUMENT_ROWS = 1000  # rows of the documents table shown (all rows stay downloadable)
READER_CHOICES = 200  # documents offered by the reader's select box (narrowed by its search box)
PASSAGES = 500  # concordance passages shown (all stay downloadable)


def chart_key(name: str, generation: int = 0) -> str:
    """The widget key of a selectable chart; a new generation (after "Clear") starts with no selection."""
    return f"sel_{name}" if generation == 0 else f"sel_{name}_{generation}"


def chart_csv(df: pd.DataFrame) -> bytes:
    """The bytes of a chart's "Download CSV" button: exactly the frame that drew the chart."""
    return to_csv_bytes(df)


def manifest_json(corpus: Queries) -> str:
    """The text of the "Download manifest (JSON)" button: the build's manifest, indented."""
    return json.dumps(corpus.manifest, indent=2, ensure_ascii=False, default=str)


def downloads(df: pd.DataFrame | Callable[[], pd.DataFrame], what: str, key: str, view: fl.View, *, label: str = "Download CSV",
              help: str = "Exactly the rows behind this chart or table.") -> None:
    """The "Download CSV" button for the frame that drew a chart (or a function that makes the frame, for a
    table too large to keep); the bytes are made when it is clicked."""
    st.download_button(
        label, data=lambda: chart_csv(df() if callable(df) else df), file_name=csv_filename(what, describe_filters(view.filters)),
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


def show_chart(fig, df: pd.DataFrame, what: str, name: str, corpus: Queries, view: fl.View,
               *, selectable: bool = True) -> None:
    gen = st.session_state.get(SEL_GEN, 0)
    if selectable:
        st.plotly_chart(fig, key=chart_key(name, gen), on_select="rerun",
                        selection_mode=("points", "box", "lasso"), width="stretch")
    else:
        st.plotly_chart(fig, key=f"fig_{name}", width="stretch")
    downloads(df, what, name, view)


def show_empty(corpus: Queries, view: fl.View, **kwargs) -> None:
    """Why a chart or table has nothing to show under the view's filters, and what to change."""
    reason = corpus.empty_reason(filters=view.filters, **kwargs)
    st.info(escape_md(explain_empty(reason, view.filters)))


def labelled(df: pd.DataFrame, corpus: Queries, kind: str, key_col: str = "key", label_col: str = "label"):
    """The tidy frame with the human label of its keys as a column: the chart draws it, the CSV holds it."""
    return add_labels(df, corpus.entities, kind=kind, key_col=key_col, label_col=label_col)


def theme_keys(corpus: Queries, view: fl.View, top: int) -> tuple[tuple[str, ...] | None, str]:
    """The themes a timeline draws: those chosen in the sidebar, else the ``top`` most mentioned."""
    if view.filters.themes:
        return tuple(view.filters.themes), ""
    rank = corpus.ranking(kind="theme", filters=view.filters)
    if len(rank) <= top:
        return None, ""
    return tuple(rank["key"].head(top)), f"the {top} themes mentioned in most documents (choose others in the sidebar)"


def timeline_notes(df: pd.DataFrame, note: str = "") -> None:
    undated, coarse = df.attrs.get("undated", 0), df.attrs.get("excluded_coarse", 0)
    notes = [note] if note else []
    if undated:
        notes.append(f"{undated:,} undated document{'s' if undated != 1 else ''} not shown")
    if coarse:
        notes.append(f"{coarse:,} dated only to a coarser period not shown (choose a longer period to see them)")
    if "partial" in df and df["partial"].any():
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
