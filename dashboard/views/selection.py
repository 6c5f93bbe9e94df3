"""Chart selections: they narrow the Documents view, are kept across tabs, and are cleared by one chip."""

from __future__ import annotations

import dataclasses

import streamlit as st

from analysis.timeline import Filters
from dashboard import filters as fl
from dashboard.queries import Queries
from dashboard.views.common import SEL_GEN, SEL_KEPT, chart_key
from dashboard.views.markup import escape_md

__all__ = ["SELECTABLE_CHARTS", "chip", "kept_selections", "selection"]

# Charts whose selection narrows the documents view (key stem -> where it is drawn).
SELECTABLE_CHARTS = (
    "overview_timeline", "overview_ranking", "themes_timeline", "themes_heatmap", "themes_small", "themes_surges",
    "orgs_ranking", "orgs_timeline", "orgs_crosstab", "orgs_comention", "topics_timeline", "topics_map",
)


# ------------------------------------------------------------------------------------------- narrowing
def selection(corpus: Queries, view: fl.View) -> tuple[Filters, list[fl.Target]]:
    """The documents view's filters: the sidebar's, narrowed by any chart selection."""
    gen = st.session_state.get(SEL_GEN, 0)
    kept = kept_selections()
    targets: list[fl.Target] = []
    for name in SELECTABLE_CHARTS:
        key = chart_key(name, gen)
        if key in st.session_state:
            kept[name] = fl.selection_targets(st.session_state[key])
        for target in kept.get(name, ()):
            if target not in targets:
                targets.append(target)
    if not targets:
        return view.filters, []
    ids = corpus.narrow_doc_ids(filters=view.filters, targets=tuple(targets))
    return dataclasses.replace(view.filters, doc_ids=ids), targets


def kept_selections() -> dict:
    """The chart selections kept for this selection generation (chart name -> targets).

    A chart's selection lives in its widget state only while the chart is drawn; only the open tab is drawn,
    so the selections are kept here too, to narrow the Documents tab after the tab changes.
    """
    gen = st.session_state.get(SEL_GEN, 0)
    kept = st.session_state.setdefault(SEL_KEPT, {})
    if kept.get("generation") != gen:
        kept.clear()
        kept["generation"] = gen
    return kept


def _clear_selection() -> None:
    st.session_state[SEL_GEN] = st.session_state.get(SEL_GEN, 0) + 1


def chip(narrowed: Filters, targets: list[fl.Target]) -> None:
    if not targets:
        return
    text, button = st.columns([6, 1])
    n = len(narrowed.doc_ids or ())
    text.info(
        "Narrowed by chart selection: " + escape_md(fl.describe_targets(targets))
        + f" — {n} document{'s' if n != 1 else ''} in the Documents tab.", icon="🔎",
    )
    button.button("Clear", key="clear_selection", on_click=_clear_selection,
                  help="Forget the chart selection and show every filtered document.")
