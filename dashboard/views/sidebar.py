"""The sidebar: the build to open (default, --data or an upload), the filters, the calendar of events."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import streamlit as st

from analysis.store import BuildError
from analysis.timeline import MEASURES, Filters
from dashboard import cache, charts, data
from dashboard import filters as fl
from dashboard.filters import WIDGET_KEYS as K
from dashboard.queries import Queries
from dashboard.views.common import BUILD_PATH, EVENTS_UPLOAD, UPLOAD_NOTE, VIEW_FOR, events_path
from dashboard.views.markup import escape_md

__all__ = ["CHOICES", "PUBLISHERS_QUERY", "SOURCES_QUERY", "colors_of", "open_build", "sidebar_options", "sidebar",
           "upload_section"]

CHOICES = 200  # sources (publishers) offered at a time: found by name beyond that
SOURCES_QUERY, PUBLISHERS_QUERY = "sources_query", "publishers_query"

_GRAN_HELP = {
    "day": "calendar days", "week": "weeks starting on Monday", "month": "calendar months",
    "quarter": "calendar quarters", "year": "calendar years",
}


def sidebar_options(corpus: Queries) -> tuple[fl.Options, dict[str, int], dict[str, int], dict[str, dict[str, str]]]:
    """What the sidebar offers, with document counts for organisations and themes, and entity labels
    (kind -> key -> label)."""
    orgs = corpus.ranking(kind="organisation", filters=Filters(include_duplicates=True))
    themes = corpus.ranking(kind="theme", filters=Filters(include_duplicates=True))
    summary = corpus.summary(filters=Filters(include_duplicates=True))
    org_counts = dict(zip(orgs["key"].astype(str), orgs["documents_mentioning"].astype(int), strict=True))
    theme_counts = dict(zip(themes["key"].astype(str), themes["documents_mentioning"].astype(int), strict=True))
    labels = {kind: corpus.entity_labels(kind=kind) for kind in ("theme", "organisation")}
    options = fl.Options(
        organisations=tuple(org_counts), themes=tuple(theme_counts),
        sources=corpus.sources(),
        publishers=corpus.publishers(),
        languages=tuple(summary["languages"]),
        first_date=summary["first_date"], last_date=summary["last_date"],
    )
    return options, org_counts, theme_counts, labels


def _many_choices(sb, label: str, values: tuple[str, ...], key: str, query_key: str, *, what: str, help_: str) -> None:
    """A multiselect of ``values``; for thousands of them (a file per speech, a publisher per file) at most
    CHOICES at a time, found by part of their name: the chosen ones and the first that match (a list of ten
    thousand names is neither read nor worth sending to the browser on every rerun)."""
    placeholder = f"All {what}"
    if len(values) <= CHOICES:
        sb.multiselect(label, list(values), key=key, placeholder=placeholder, help=help_)
        return
    query = sb.text_input(f"Find {what}", key=query_key, placeholder=f"Part of a name ({len(values):,} {what})",
                          help=f"Type part of a name: the {what} that contain it are offered below.")
    needle = query.strip().casefold()
    matching = [v for v in values if needle in v.casefold()] if needle else list(values)
    known = set(values)
    chosen = [v for v in st.session_state.get(key) or [] if v in known]
    sb.multiselect(label, list(dict.fromkeys([*chosen, *matching[:CHOICES]])), key=key, placeholder=placeholder,
                   help=help_)
    if len(matching) > CHOICES:
        sb.caption(f"{len(matching):,} {what} {'match' if needle else 'in all'}: the first {CHOICES:,} are offered; "
                   "type part of a name to find others.")
    elif not matching:
        sb.caption(f"No {what[:-1]} contains that text.")


def colors_of(corpus: Queries) -> dict[str, dict[str, str]]:
    """One colour per theme and per organisation for the whole corpus, the same in every chart: keys in
    order of how many documents of the whole build mention them (then by name), so filters never change
    a colour and the keys seen most get the most distinct colours."""
    out = {}
    everything = Filters(include_duplicates=True)
    for kind in ("theme", "organisation"):
        ranked = corpus.ranking(kind=kind, filters=everything)["key"].astype(str)
        out[kind] = charts.color_map(ranked, kind, ordered=True)
    return out


# ----------------------------------------------------------------------------------- build choice
def open_build() -> Queries:
    """The build chosen for this session (upload, --data / DT_DATA, or the default, built if missing)."""
    chosen = st.session_state.get(BUILD_PATH)
    path = Path(chosen) if chosen else data.resolve_data_dir(sys.argv[1:], os.environ)
    try:
        return cache.open_queries(path)
    except BuildError as exc:
        if chosen or path.resolve() != data.DEFAULT_BUILD.resolve():
            st.error(escape_md(str(exc)))
            st.stop()
    with st.status("Building the sample corpus (first start)…", expanded=True) as status:
        bar = st.progress(0.0, text="Starting")

        def progress(message: str, fraction: float) -> None:
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

        data.build_default(data.DEFAULT_BUILD, progress=progress)
        status.update(label="Sample corpus built", state="complete", expanded=False)
    return cache.open_queries(data.DEFAULT_BUILD)


def upload_section() -> None:
    with st.sidebar.expander("Open your own files", expanded=False):
        st.caption(
            f"Text, Markdown, HTML, CSV, JSON Lines, Telegram result.json, or a .zip of them "
            f"(up to {data.MAX_UPLOAD_MB} MB in total)."
        )
        files = st.file_uploader(
            "Files or a .zip", accept_multiple_files=True, key="upload_files",
            type=None, help="They are built into a temporary build and opened at once.",
        )
        go = st.button("Build and open", key="upload_build", disabled=not files, type="primary")
        if st.session_state.get(BUILD_PATH) and st.button("Back to the default build", key="upload_reset"):
            st.session_state.pop(BUILD_PATH, None)
            st.session_state.pop(VIEW_FOR, None)
            st.rerun()
    if go and files:
        total = sum(int(f.size) for f in files)
        if total > data.MAX_UPLOAD_MB * 1024 * 1024:
            st.sidebar.error(
                f"The files total {total / 1024 / 1024:.1f} MB, over the {data.MAX_UPLOAD_MB} MB limit: "
                "upload fewer at once, or build them with `python -m analysis build` and open the folder "
                "with `--data`."
            )
            return
        with st.status("Building your files…", expanded=True) as status:
            bar = st.progress(0.0, text="Reading input files")

            def progress(message: str, fraction: float) -> None:
                bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

            try:
                built = data.build_uploads([(f.name, f.getvalue()) for f in files], progress=progress)
            except Exception as exc:  # a bad upload must not break the page: say what happened
                status.update(label="The upload could not be built", state="error", expanded=True)
                st.error(escape_md(f"{type(exc).__name__}: {exc}"))
                return
            status.update(label=f"Built {len(built.documents)} documents", state="complete", expanded=False)
        st.session_state[BUILD_PATH] = str(built.path)
        st.session_state.pop(VIEW_FOR, None)
        st.session_state[UPLOAD_NOTE] = True
        st.rerun()


def _events_upload(sb, corpus: Queries) -> None:
    """A calendar of the user's own events (the format of data/events.toml) for this session."""
    with sb.expander("Calendar of events", expanded=False):
        shown = "your upload" if st.session_state.get(EVENTS_UPLOAD) else Path(events_path(corpus)).name
        st.caption(escape_md(f"Showing {shown}. Upload a TOML file in the format "
                              "described at the top of data/events.toml to show your own events."))
        upload = st.file_uploader("Events (.toml)", type=["toml"], key="events_upload")
        if upload is not None and st.session_state.get("events_upload_id") != upload.file_id:
            try:
                st.session_state[EVENTS_UPLOAD] = data.save_events_upload(upload.getvalue())
                st.session_state["events_upload_id"] = upload.file_id
            except Exception as exc:  # a bad calendar must not break the page: say what is wrong
                st.error(escape_md(str(exc)))
        if st.session_state.get(EVENTS_UPLOAD) and st.button("Back to the build's calendar", key="events_reset"):
            st.session_state.pop(EVENTS_UPLOAD, None)
            st.session_state.pop("events_upload_id", None)
            st.rerun()


# ------------------------------------------------------------------------------------------ sidebar
def sidebar(corpus: Queries) -> tuple[fl.View, dict]:
    options, org_counts, theme_counts, labels = sidebar_options(corpus)
    build_id = f"{corpus.path}:{corpus.build_hash}"
    if st.session_state.get(VIEW_FOR) != build_id:
        params = {k: st.query_params.get_all(k) for k in st.query_params}
        initial = fl.params_to_view(params, options)
        for key, value in fl.view_to_widgets(initial, options).items():
            st.session_state[key] = value
        st.session_state[VIEW_FOR] = build_id

    sb = st.sidebar
    sb.header("Filters")
    if options.first_date is not None and options.last_date is not None:
        sb.date_input(
            "Date range", key=K["dates"], min_value=options.first_date, max_value=options.last_date,
            help="Only documents dated in this range. The full span also keeps undated documents.",
        )
    else:
        sb.caption("No document in this build has a date, so there is no date range to choose.")
    # The automatic period length follows the filters as they stand (the widgets' values of this run).
    as_set = fl.widgets_to_view({k: st.session_state.get(k) for k in K.values() if k in st.session_state},
                                options)
    auto = corpus.choose_granularity(filters=as_set.filters)
    sb.selectbox(
        "Period length", fl.GRANULARITY_CHOICES, key=K["granularity"],
        format_func=lambda g: f"Auto ({auto})" if g == fl.AUTO else g.capitalize(),
        help="How the timelines group documents. Auto picks one from the filtered documents' date span and "
             "date precision. " + "; ".join(f"{g}: {h}" for g, h in _GRAN_HELP.items()) + ".",
    )
    sb.selectbox(
        "Measure", list(MEASURES), key=K["measure"], format_func=lambda m: MEASURES[m][1],
        help="What the timelines count. " + " ".join(f"{m}: {e}." for m, (_c, e) in MEASURES.items()),
    )
    sb.caption(MEASURES[st.session_state.get(K["measure"], fl.DEFAULT_MEASURE)][1])
    sb.multiselect(
        "Organisations", list(options.organisations), key=K["organisations"],
        format_func=lambda k: fl.option_label(labels["organisation"].get(k, k), org_counts.get(k)),
        help="Documents that mention these organisations (number of documents in brackets).",
        placeholder="All organisations",
    )
    sb.radio(
        "Organisations to match", fl.ORG_MODES, key=K["org_mode"], horizontal=True,
        format_func=lambda m: "any of them" if m == "any" else "all of them",
        help="'any': a document mentioning one of the chosen organisations; 'all': every one of them.",
    )
    sb.multiselect(
        "Themes", list(options.themes), key=K["themes"],
        format_func=lambda k: fl.option_label(labels["theme"].get(k, k), theme_counts.get(k)),
        help="Documents that mention any of these themes.", placeholder="All themes",
    )
    _many_choices(sb, "Sources", options.sources or (), K["sources"], SOURCES_QUERY, what="sources",
                  help_="Input files the documents came from.")
    if options.publishers:
        _many_choices(sb, "Publishers", options.publishers, K["publishers"], PUBLISHERS_QUERY, what="publishers",
                      help_="Who published the documents: a site's name, a channel, the channel a post was "
                            "forwarded from, a table's publisher column, else the folder or the file.")
    sb.multiselect("Languages", list(options.languages or ()), key=K["languages"], placeholder="All languages",
                   help="Detected language of the document (ISO 639-1 code).")
    sb.toggle("Include duplicates", key=K["include_duplicates"],
              help="Documents whose text repeats an earlier one are left out unless this is on.")
    sb.toggle("Include inferred dates", key=K["include_inferred"],
              help="Dates completed from neighbouring posts (e.g. 'May 21' without a year).")
    if corpus.has_body_dates():
        sb.toggle("Include body dates", key=K["include_body_dates"],
                  help="Dates a text merely mentions (the build used --body-dates): often an event, not the date "
                       "the text was published.")

    sb.toggle("Show events", key=K["events"],
              help="Summits, ministerial meetings and UN general debates of the calendar, drawn on the timelines "
                   "and listed beside the surges they overlap.")
    _events_upload(sb, corpus)

    values = {k: st.session_state.get(k) for k in K.values() if k in st.session_state}
    view = fl.widgets_to_view(values, options)
    wanted = fl.view_to_params(view)
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    if {k: v if isinstance(v, list) else [v] for k, v in wanted.items()} != current:
        st.query_params.from_dict(wanted)
    if view.granularity == fl.AUTO:  # the views draw with the period length the select box names
        view = dataclasses.replace(view, granularity=auto if view.filters == as_set.filters else
                                   corpus.choose_granularity(filters=view.filters))
    return view, {"org_counts": org_counts, "theme_counts": theme_counts, "labels": labels, "options": options}
