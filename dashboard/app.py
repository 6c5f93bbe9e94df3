"""The Streamlit page: reads the sidebar, calls analysis functions, renders charts and tables."""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
import sys
from pathlib import Path

import pandas as pd
import streamlit as st

from analysis.compare import lead_lag
from analysis.export import csv_filename, to_csv_bytes
from analysis.store import Build, BuildError
from analysis.timeline import MEASURES, Filters, add_labels, dating_gaps
from dashboard import charts, data
from dashboard import filters as fl
from dashboard.filters import WIDGET_KEYS as K

__all__ = [
    "DOCUMENT_ROWS", "MAP_POINTS", "MARK_STYLE", "PASSAGES", "READER_CHOICES", "SELECTABLE_CHARTS", "TABS",
    "chart_csv", "chart_key", "highlight_html", "main", "manifest_json",
]

# Charts whose selection narrows the documents view (key stem -> where it is drawn).
SELECTABLE_CHARTS = (
    "overview_timeline", "overview_ranking", "themes_timeline", "themes_heatmap", "themes_small", "themes_surges",
    "orgs_ranking", "orgs_timeline", "orgs_crosstab", "orgs_comention", "topics_timeline", "topics_map",
)
_SEL_GEN = "selection_generation"
_SEL_KEPT = "selection_targets"
_BUILD_PATH = "build_path"
_VIEW_FOR = "view_initialised_for"
_UPLOAD_NOTE = "upload_note"
_EVENTS_UPLOAD = "events_upload_path"
TABS = ("Overview", "Themes", "Organisations", "Topics", "Documents", "Report")
# Caps that keep a large build (tens of thousands of documents) responsive; each is said on the page.
MAP_POINTS = 3000  # points drawn on the document map (a fixed random sample beyond that)
DOCUMENT_ROWS = 1000  # rows of the documents table shown (all rows stay downloadable)
READER_CHOICES = 200  # documents offered by the reader's select box (narrowed by its search box)
PASSAGES = 500  # concordance passages shown (all stay downloadable)
_GRAN_HELP = {
    "day": "calendar days", "week": "weeks starting on Monday", "month": "calendar months",
    "quarter": "calendar quarters", "year": "calendar years",
}
_TOP_ORGS = 15
_OVERVIEW_THEMES = 6
_TAB_THEMES = 8
_COMPARE_SERIES = 6  # lines in the source comparison when no sources are chosen
_COMPARE_PHRASES = {
    "share": "share of each {by}'s documents that mention it",
    "documents": "documents of each {by} that mention it",
    "mentions": "mentions in each {by}",
    "per_10k": "mentions per 10,000 words of each {by}",
}
MARK_STYLE = "background: #fbe7a1; padding: 0 1px; border-radius: 2px"


# ------------------------------------------------------------------------------------------ helpers
def chart_key(name: str, generation: int = 0) -> str:
    """The widget key of a selectable chart; a new generation (after "Clear") starts with no selection."""
    return f"sel_{name}" if generation == 0 else f"sel_{name}_{generation}"


def chart_csv(df: pd.DataFrame) -> bytes:
    """The bytes of a chart's "Download CSV" button: exactly the frame that drew the chart."""
    return to_csv_bytes(df)


def highlight_html(text: str, spans: list[tuple[int, int, str]]) -> str:
    """A document's text as HTML with its mentions in <mark>; every piece of corpus text is escaped.

    Arguments:
        text: the document text.
        spans: (start, end, title) of each mention; overlapping spans after the first are skipped.

    Returns:
        HTML made only of escaped text, <mark> tags and one wrapping <div>.
    """
    out, pos = [], 0
    for start, end, title in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < pos or end <= start or end > len(text):
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f'<mark style="{MARK_STYLE}" title="{html.escape(title, quote=True)}">{html.escape(text[start:end])}</mark>')
        pos = end
    out.append(html.escape(text[pos:]))
    body = "".join(out)
    return (
        '<div style="white-space: pre-wrap; font-family: Georgia, serif; font-size: 0.95rem; '
        'line-height: 1.55; max-height: 32rem; overflow-y: auto; padding: 0.75rem 1rem; '
        f'border: 1px solid #e3e6ea; border-radius: 0.4rem; background: #fcfcfb">{body}</div>'
    )


def _escape_md(text: str) -> str:
    """Text safe inside st.markdown/st.info/st.caption: no live Markdown, links, images or HTML.

    Link, emphasis, code, HTML and Streamlit syntax characters are escaped everywhere (":" too, so that
    ":red[…]" is not coloured); list, heading and quote markers only where a line starts; an invisible word
    joiner (U+2060) goes inside "://", "www." and before "@", so no bare URL or address is linked.
    """
    text = _MD_WWW.sub(lambda m: m.group(1) + _WORD_JOINER, str(text))
    text = text.replace("://", ":" + _WORD_JOINER + "//").replace("@", _WORD_JOINER + "@")
    escaped = "".join("\\" + ch if ch in _MD_SPECIALS else ch for ch in text)
    return _MD_LINE_START.sub(lambda m: m.group(1) + "".join("\\" + ch if not ch.isdigit() else ch
                                                               for ch in m.group(2)), escaped)


_MD_SPECIALS = frozenset("\\`*_{}[]()<>!|~$&^:@.")
# Streamlit's renderer links bare URLs, "www." and e-mail addresses in the text it shows, whatever escapes
# the Markdown held: an invisible word joiner inside "://", "www." and before "@" keeps them plain text.
_WORD_JOINER = "\u2060"
_MD_WWW = re.compile(r"(?i)\b(www)(?=\.)")
_MD_LINE_START = re.compile(r"(?m)^([ \t]*)([-+=#]+|\d+[.)])")


def manifest_json(build: Build) -> str:
    """The text of the "Download manifest (JSON)" button: the build's manifest, indented."""
    return json.dumps(build.manifest, indent=2, ensure_ascii=False, default=str)


def _downloads(df: pd.DataFrame, what: str, key: str, view: fl.View, *, label: str = "Download CSV",
               help: str = "Exactly the rows behind this chart or table.") -> None:
    """The "Download CSV" button for the frame that drew a chart; the bytes are made when it is clicked."""
    st.download_button(
        label, data=lambda: chart_csv(df), file_name=csv_filename(what, view.filters.describe()),
        mime="text/csv", key=f"dl_{key}", help=help, on_click="ignore", icon=":material/download:",
    )


def _manifest_button(build: Build, tab: str) -> None:
    """One "Download manifest (JSON)" button per view: the build's versions, options and input hashes."""
    st.divider()
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.caption("Every CSV above comes from this build; its manifest records the versions, options and input "
                 "file hashes needed to reproduce it.")
    with right:
        st.download_button(
            "Download manifest (JSON)", data=lambda: manifest_json(build), file_name="manifest.json",
            mime="application/json", key=f"dl_manifest_{tab}", on_click="ignore",
            icon=":material/receipt_long:", help="The build's manifest.json.",
        )


def _chart(fig, df: pd.DataFrame, what: str, name: str, build: Build, view: fl.View,
           *, selectable: bool = True) -> None:
    gen = st.session_state.get(_SEL_GEN, 0)
    if selectable:
        st.plotly_chart(fig, key=chart_key(name, gen), on_select="rerun",
                        selection_mode=("points", "box", "lasso"), width="stretch")
    else:
        st.plotly_chart(fig, key=f"fig_{name}", width="stretch")
    _downloads(df, what, name, view)


def _empty(build: Build, view: fl.View, **kwargs) -> None:
    st.info(_escape_md(data.analysis_table(build, "explain_empty", filters=view.filters, **kwargs)))


def _options(build: Build) -> tuple[fl.Options, dict[str, int], dict[str, int], dict[str, dict[str, str]]]:
    """What the sidebar offers, with document counts for organisations and themes, and entity labels
    (kind -> key -> label)."""
    orgs = data.analysis_table(build, "ranking", kind="organisation", filters=Filters(include_duplicates=True))
    themes = data.analysis_table(build, "ranking", kind="theme", filters=Filters(include_duplicates=True))
    summary = data.analysis_table(build, "summary", filters=Filters(include_duplicates=True))
    org_counts = dict(zip(orgs["key"].astype(str), orgs["documents_mentioning"].astype(int), strict=True))
    theme_counts = dict(zip(themes["key"].astype(str), themes["documents_mentioning"].astype(int), strict=True))
    labels = {kind: data.entity_labels(build, kind) for kind in ("theme", "organisation")}
    options = fl.Options(
        organisations=tuple(org_counts), themes=tuple(theme_counts),
        sources=data.sources(build),
        publishers=data.publishers(build),
        languages=tuple(summary["languages"]),
        first_date=summary["first_date"], last_date=summary["last_date"],
    )
    return options, org_counts, theme_counts, labels


def _labelled(df: pd.DataFrame, build: Build, kind: str, key_col: str = "key", label_col: str = "label"):
    """The tidy frame with the human label of its keys as a column: the chart draws it, the CSV holds it."""
    return add_labels(df, build.entities, kind=kind, key_col=key_col, label_col=label_col)


def _colors(build: Build) -> dict[str, dict[str, str]]:
    """One colour per theme and per organisation for the whole build, the same in every chart: keys in
    order of how many documents of the whole build mention them (then by name), so filters never change
    a colour and the keys seen most get the most distinct colours."""
    out = {}
    everything = Filters(include_duplicates=True)
    for kind in ("theme", "organisation"):
        ranked = data.analysis_table(build, "ranking", kind=kind, filters=everything)["key"].astype(str)
        out[kind] = charts.color_map(ranked, kind, ordered=True)
    return out


def _cluster_labels(build: Build) -> pd.DataFrame:
    """cluster_id, label: the clusters' labels as the cluster timeline names them (unique), by cluster id."""
    from analysis.timeline import cluster_mentions

    ids = sorted(int(c) for c in build.clusters["cluster_id"])
    one_each = pd.DataFrame({"doc_id": [str(c) for c in ids], "cluster_id": ids})
    keys = cluster_mentions(one_each, build.clusters)["key"].astype(str).tolist()
    return pd.DataFrame({"cluster_id": ids, "label": keys})


def _cluster_colors(labels: pd.DataFrame) -> dict[str, str]:
    return charts.color_map(labels["label"], "cluster", ordered=True)


# ----------------------------------------------------------------------------------- build choice
def _open_build() -> Build:
    """The build chosen for this session (upload, --data / DT_DATA, or the default, built if missing)."""
    chosen = st.session_state.get(_BUILD_PATH)
    path = Path(chosen) if chosen else data.resolve_data_dir(sys.argv[1:], os.environ)
    try:
        return data.load_build(path)
    except BuildError as exc:
        if chosen or path.resolve() != data.DEFAULT_BUILD.resolve():
            st.error(_escape_md(str(exc)))
            st.stop()
    with st.status("Building the sample corpus (first start)…", expanded=True) as status:
        bar = st.progress(0.0, text="Starting")

        def progress(message: str, fraction: float) -> None:
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

        data.build_default(data.DEFAULT_BUILD, progress=progress)
        status.update(label="Sample corpus built", state="complete", expanded=False)
    return data.load_build(data.DEFAULT_BUILD)


def _upload_section() -> None:
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
        if st.session_state.get(_BUILD_PATH) and st.button("Back to the default build", key="upload_reset"):
            st.session_state.pop(_BUILD_PATH, None)
            st.session_state.pop(_VIEW_FOR, None)
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
                build = data.build_uploads([(f.name, f.getvalue()) for f in files], progress=progress)
            except Exception as exc:  # a bad upload must not break the page: say what happened
                status.update(label="The upload could not be built", state="error", expanded=True)
                st.error(_escape_md(f"{type(exc).__name__}: {exc}"))
                return
            status.update(label=f"Built {len(build.documents)} documents", state="complete", expanded=False)
        st.session_state[_BUILD_PATH] = str(build.path)
        st.session_state.pop(_VIEW_FOR, None)
        st.session_state[_UPLOAD_NOTE] = True
        st.rerun()


def _events_upload(sb, build: Build) -> None:
    """A calendar of the user's own events (the format of data/events.toml) for this session."""
    with sb.expander("Calendar of events", expanded=False):
        shown = "your upload" if st.session_state.get(_EVENTS_UPLOAD) else Path(_events_path(build)).name
        st.caption(_escape_md(f"Showing {shown}. Upload a TOML file in the format "
                              "described at the top of data/events.toml to show your own events."))
        upload = st.file_uploader("Events (.toml)", type=["toml"], key="events_upload")
        if upload is not None and st.session_state.get("events_upload_id") != upload.file_id:
            try:
                st.session_state[_EVENTS_UPLOAD] = data.save_events_upload(upload.getvalue())
                st.session_state["events_upload_id"] = upload.file_id
            except Exception as exc:  # a bad calendar must not break the page: say what is wrong
                st.error(_escape_md(str(exc)))
        if st.session_state.get(_EVENTS_UPLOAD) and st.button("Back to the build's calendar", key="events_reset"):
            st.session_state.pop(_EVENTS_UPLOAD, None)
            st.session_state.pop("events_upload_id", None)
            st.rerun()


# ------------------------------------------------------------------------------------------ sidebar
def _sidebar(build: Build) -> tuple[fl.View, dict]:
    options, org_counts, theme_counts, labels = _options(build)
    build_id = f"{build.path}:{build.build_hash}"
    if st.session_state.get(_VIEW_FOR) != build_id:
        params = {k: st.query_params.get_all(k) for k in st.query_params}
        initial = fl.params_to_view(params, options)
        for key, value in fl.view_to_widgets(initial, options).items():
            st.session_state[key] = value
        st.session_state[_VIEW_FOR] = build_id

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
    auto = data.analysis_table(build, "choose_granularity", filters=as_set.filters)
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
    sb.multiselect("Sources", list(options.sources or ()), key=K["sources"], placeholder="All sources",
                   help="Input files the documents came from.")
    if options.publishers:
        sb.multiselect("Publishers", list(options.publishers), key=K["publishers"], placeholder="All publishers",
                       help="Who published the documents: a site's name, a channel, the channel a post was "
                            "forwarded from, a table's publisher column, else the folder or the file.")
    sb.multiselect("Languages", list(options.languages or ()), key=K["languages"], placeholder="All languages",
                   help="Detected language of the document (ISO 639-1 code).")
    sb.toggle("Include duplicates", key=K["include_duplicates"],
              help="Documents whose text repeats an earlier one are left out unless this is on.")
    sb.toggle("Include inferred dates", key=K["include_inferred"],
              help="Dates completed from neighbouring posts (e.g. 'May 21' without a year).")
    if "date_method" in build.documents and (build.documents["date_method"] == "body").any():
        sb.toggle("Include body dates", key=K["include_body_dates"],
                  help="Dates a text merely mentions (the build used --body-dates): often an event, not the date "
                       "the text was published.")

    sb.toggle("Show events", key=K["events"],
              help="Summits, ministerial meetings and UN general debates of the calendar, drawn on the timelines "
                   "and listed beside the surges they overlap.")
    _events_upload(sb, build)

    values = {k: st.session_state.get(k) for k in K.values() if k in st.session_state}
    view = fl.widgets_to_view(values, options)
    wanted = fl.view_to_params(view)
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    if {k: v if isinstance(v, list) else [v] for k, v in wanted.items()} != current:
        st.query_params.from_dict(wanted)
    if view.granularity == fl.AUTO:  # the views draw with the period length the select box names
        view = dataclasses.replace(view, granularity=auto if view.filters == as_set.filters else
                                   data.analysis_table(build, "choose_granularity", filters=view.filters))
    return view, {"org_counts": org_counts, "theme_counts": theme_counts, "labels": labels, "options": options}


# ------------------------------------------------------------------------------------------- narrowing
def _selection(build: Build, view: fl.View) -> tuple[Filters, list[fl.Target]]:
    """The documents view's filters: the sidebar's, narrowed by any chart selection."""
    gen = st.session_state.get(_SEL_GEN, 0)
    kept = _kept_selections()
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
    ids = fl.narrow_doc_ids(build.documents, build.mentions, view.filters, targets, build.clusters)
    return dataclasses.replace(view.filters, doc_ids=ids), targets


def _kept_selections() -> dict:
    """The chart selections kept for this selection generation (chart name -> targets).

    A chart's selection lives in its widget state only while the chart is drawn; only the open tab is drawn,
    so the selections are kept here too, to narrow the Documents tab after the tab changes.
    """
    gen = st.session_state.get(_SEL_GEN, 0)
    kept = st.session_state.setdefault(_SEL_KEPT, {})
    if kept.get("generation") != gen:
        kept.clear()
        kept["generation"] = gen
    return kept


def _clear_selection() -> None:
    st.session_state[_SEL_GEN] = st.session_state.get(_SEL_GEN, 0) + 1


def _chip(narrowed: Filters, targets: list[fl.Target]) -> None:
    if not targets:
        return
    text, button = st.columns([6, 1])
    n = len(narrowed.doc_ids or ())
    text.info(
        "Narrowed by chart selection: " + _escape_md(fl.describe_targets(targets))
        + f" — {n} document{'s' if n != 1 else ''} in the Documents tab.", icon="🔎",
    )
    button.button("Clear", key="clear_selection", on_click=_clear_selection,
                  help="Forget the chart selection and show every filtered document.")


# ------------------------------------------------------------------------------------------------ views
def _overview(build: Build, view: fl.View, colors) -> None:
    s = data.analysis_table(build, "summary", filters=view.filters)
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
    if "publisher" in build.documents:
        shown = data.analysis_table(build, "filter_documents", filters=view.filters)["publisher"]
        c5.metric("Publishers", f"{shown.nunique():,}",
                  help="Who published the filtered documents (sites, channels, agencies; else folders or files).")
    if s["documents"] == 0:
        _empty(build, view)
        return
    _dating_gaps(build, view, s)
    left, right = st.columns([3, 2])
    with left:
        keys, note = _theme_keys(build, view, _OVERVIEW_THEMES)
        df = data.analysis_table(build, "timeline", kind="theme", keys=keys, granularity=view.granularity,
                                 filters=view.filters)
        if df.empty:
            _empty(build, view, kind="theme", granularity=view.granularity)
        else:
            df = _labelled(df, build, "theme")
            fig = charts.timeline_figure(df, view.measure, kind="theme", colors=colors["theme"],
                                         granularity=view.granularity, events=_events(build, view, df))
            _chart(fig, df, f"theme-timeline {view.granularity} {view.measure}", "overview_timeline", build, view)
            _timeline_notes(df, note)
    with right:
        rank = data.analysis_table(build, "ranking", kind="organisation", filters=view.filters).head(10)
        if rank.empty:
            _empty(build, view, kind="organisation")
        else:
            rank = _labelled(rank, build, "organisation")
            fig = charts.ranking_figure(rank, "documents", kind="organisation", colors=colors["organisation"])
            fig.update_layout(title={"text": "Top organisations (documents mentioning each)"})
            _chart(fig, rank, "top-organisations", "overview_ranking", build, view)


def _count_share(n: int, total: int) -> str:
    return f"{n:,} ({n / total:.0%})" if total else f"{n:,}"


def _dating_gaps(build: Build, view: fl.View, s: dict) -> None:
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
        gaps = dating_gaps(build.documents, build.mentions, view.filters)
        st.caption("Open one in the Documents tab's reader by its id (\"Find a document\").")
        st.dataframe(gaps.head(DOCUMENT_ROWS), key="dating_gaps_table", hide_index=True, width="stretch",
                     column_config={"doc_id": "Document id", "title": "Title", "source": "Source", "seq": "Seq",
                                    "date": st.column_config.DateColumn("Date", format="D MMM YYYY"),
                                    "date_method": "Dated from", "date_evidence": "Evidence",
                                    "date_hint": "Date mentioned", "date_hint_surface": "As written"})
        _downloads(gaps, "undated documents", "dating_gaps", view, label="Download the list (CSV)",
                   help="Every undated or body-dated document that passes the filters.")


def _theme_keys(build: Build, view: fl.View, top: int) -> tuple[tuple[str, ...] | None, str]:
    """The themes a timeline draws: those chosen in the sidebar, else the ``top`` most mentioned."""
    if view.filters.themes:
        return tuple(view.filters.themes), ""
    rank = data.analysis_table(build, "ranking", kind="theme", filters=view.filters)
    if len(rank) <= top:
        return None, ""
    return tuple(rank["key"].head(top)), f"the {top} themes mentioned in most documents (choose others in the sidebar)"


def _timeline_notes(df: pd.DataFrame, note: str = "") -> None:
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


def _rows_of(table: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """The rows of ``keys`` in a timeline, in the order of ``keys`` (the order of the lines and legend)."""
    order = {k: i for i, k in enumerate(keys)}
    rows = table[table["key"].isin(order)]
    rows = rows.iloc[rows["key"].map(order).argsort(kind="stable")].reset_index(drop=True)
    rows.attrs = dict(table.attrs)
    return rows


def _themes(build: Build, view: fl.View, colors) -> None:
    keys, note = _theme_keys(build, view, _TAB_THEMES)
    every = data.analysis_table(build, "timeline", kind="theme", granularity=view.granularity,
                                filters=view.filters)
    # The lines are the rows of the chosen themes in the table of all themes (one computation, not two);
    # a chosen theme nobody mentions still needs its row of zeros, which only a timeline of its own has.
    df = every if keys is None else (
        _rows_of(every, keys) if set(keys) <= set(every["key"]) else data.analysis_table(
            build, "timeline", kind="theme", keys=keys, granularity=view.granularity, filters=view.filters))
    if df.empty:
        _empty(build, view, kind="theme", granularity=view.granularity)
        return
    df, every = _labelled(df, build, "theme"), _labelled(every, build, "theme")
    style = st.radio("Draw as", ["lines", "area"], key="themes_style", horizontal=True,
                     format_func=lambda s: "Lines" if s == "lines" else "Stacked areas",
                     help="Stacked areas add the themes up; lines compare them.")
    found = data.analysis_table(build, "surge_table", kind="theme", granularity=view.granularity,
                                filters=view.filters, events_file=_events_path(build), with_events=view.events)
    band = view.measure == "share" and style == "lines" and st.toggle(
        "95 % intervals", value=df["key"].nunique() <= 3, key="themes_band",
        help="The share's Wilson 95 % interval: how far the share could move by chance with so few documents. "
             "On by default when three themes or fewer are drawn (more bands hide each other).")
    fig = charts.timeline_figure(df, view.measure, kind="theme", style=style, colors=colors["theme"],
                                 granularity=view.granularity, band=band, surges=found, events=_events(build, view, df))
    _chart(fig, df, f"theme-timeline {view.granularity} {view.measure}", "themes_timeline", build, view)
    _timeline_notes(df, note)
    _what_surged(build, view, found)
    fig = charts.heatmap_figure(every, view.measure, kind="theme", granularity=view.granularity)
    _chart(fig, every, f"theme-heatmap {view.granularity} {view.measure}", "themes_heatmap", build, view)
    fig = charts.small_multiples_figure(every, view.measure, kind="theme", colors=colors["theme"],
                                        granularity=view.granularity, columns=3)
    _chart(fig, every, f"theme-small-multiples {view.granularity} {view.measure}", "themes_small", build, view)
    _surfaces(build, view, list(every["key"].drop_duplicates()))
    _compare(build, view)


def _events_path(build: Build) -> str:
    return data.events_file(build, st.session_state.get(_EVENTS_UPLOAD))


def _events(build: Build, view: fl.View, df: pd.DataFrame) -> pd.DataFrame | None:
    """The calendar's events over a timeline's periods, or None when the sidebar hides them."""
    if not view.events or df.empty:
        return None
    return data.events(_events_path(build), df["period"].min(), df["period_end"].max())


def _surge_choice(row) -> str:
    how = "burst" if row.method == "burst" else "change point"
    return (f"{row.label}: {row.start:%Y-%m-%d} to {row.end:%Y-%m-%d} ({how}, ×{row.lift:.1f}, "
            f"{int(row.documents):,} documents)")


def _show_surge_documents(target: fl.Target) -> None:
    _kept_selections()["themes_surges"] = [target]


def _what_surged(build: Build, view: fl.View, found: pd.DataFrame) -> None:
    """The tested surges of every theme, and for a chosen one its distinctive words, passages, documents and
    the events it overlapped."""
    st.subheader("What surged")
    st.caption(_escape_md(found.attrs.get("help", "")))
    if found.empty:
        st.info(f"No theme surged by {view.granularity} in these documents: no rise passes the test above. "
                "A longer period (a quarter or a year) gathers more documents per period.")
        return
    table = _labelled(found, build, "theme")
    shown = ["label", "method", "start", "end", "peak_label", "share_before", "share_during", "lift", "documents",
             "strength", "events", "peak_events"]
    st.dataframe(
        table[shown], key="themes_surges_table", hide_index=True, width="stretch",
        column_config={
            "label": "Theme", "method": "Found by", "peak_label": "Peak", "start": st.column_config.DateColumn("From"),
            "end": st.column_config.DateColumn("To"),
            "share_before": st.column_config.NumberColumn("Share before (%)", format="%.2f"),
            "share_during": st.column_config.NumberColumn("Share during (%)", format="%.2f"),
            "lift": st.column_config.NumberColumn("Lift (×)", format="%.2f"),
            "strength": st.column_config.NumberColumn("Strength (G)", format="%.1f",
                                                      help="The likelihood-ratio statistic of during against before."),
            "events": st.column_config.NumberColumn("Events", help="Events of the calendar overlapping the surge."),
            "peak_events": "Events in the peak period",
        },
    )
    _downloads(table, f"theme-surges {view.granularity}", "themes_surges", view)
    rows = list(table.itertuples(index=False))
    pick = st.selectbox("Explain a surge", range(len(rows)), key="themes_surge_pick",
                        format_func=lambda i: _surge_choice(rows[i]),
                        help="The words that set its documents apart and its most representative passages.")
    row = rows[pick]
    with st.spinner("Counting the words of the surge's window…"):
        why = data.analysis_table(build, "surge_explanation", kind="theme", key=row.key, start=row.start.date(),
                                  end=row.end.date(), filters=view.filters)
    target = fl.Target(kind="theme", key=row.key, start=row.start.date(), end=row.end.date())
    st.button(f"Show its {len(why['doc_ids']):,} documents in the Documents tab", key="themes_surge_docs",
              on_click=_show_surge_documents, args=(target,), icon=":material/filter_alt:")
    words = why["words"]
    left, right = st.columns(2)
    with left:
        st.markdown("**Words of the surge** (against the same window's other documents)")
        surge_words = words[words["side"] == "surge"]
        st.dataframe(surge_words[["term", "z", "count_in", "count_out"]], key="themes_surge_words",
                     hide_index=True, width="stretch")
    with right:
        st.markdown("**Words of the rest**")
        st.dataframe(words[words["side"] == "rest"][["term", "z", "count_in", "count_out"]],
                     key="themes_surge_rest", hide_index=True, width="stretch")
    _downloads(words, f"theme-surge-words {row.key} {row.start:%Y-%m-%d} {row.end:%Y-%m-%d}",
               "themes_surge_words", view)
    passages = why["passages"]
    st.markdown("**Representative passages**")
    if passages.empty:
        st.caption("No passage to show.")
    else:
        st.dataframe(passages[["left", "match", "right", "date", "title", "doc_id", "score"]],
                     key="themes_surge_passages", hide_index=True, width="stretch")
        _downloads(passages, f"theme-surge-passages {row.key} {row.start:%Y-%m-%d}", "themes_surge_passages", view)
    overlapping = data.events(_events_path(build), row.start, row.end)
    st.markdown(f"**Events during the surge** ({len(overlapping)})")
    if not overlapping.empty:
        st.dataframe(overlapping[["label", "start", "end", "kind", "place", "source"]], key="themes_surge_events",
                     hide_index=True, width="stretch",
                     column_config={"source": st.column_config.LinkColumn("Source")})
        _downloads(overlapping, f"events {row.start:%Y-%m-%d} {row.end:%Y-%m-%d}", "themes_surge_events", view)


def _surfaces(build: Build, view: fl.View, keys: list[str]) -> None:
    """What a theme is matched as: its top surfaces with counts, a sample of contexts, how to exclude one."""
    st.subheader("What a theme is matched as")
    if not keys:
        return
    labels = data.entity_labels(build, "theme")
    key = st.selectbox("Theme", keys, key="surfaces_theme", format_func=lambda k: labels.get(k, k),
                       help="Its matches in the filtered documents, grouped by the words matched.")
    top = data.analysis_table(build, "top_surfaces", kind="theme", key=key, filters=view.filters, top=20)
    if top.empty:
        st.info("No matches of this theme in the filtered documents.")
        return
    fig = charts.surfaces_figure(top, labels.get(key, key))
    _chart(fig, top, f"theme-surfaces {key}", "themes_surfaces", build, view, selectable=False)
    surface = st.selectbox("Sample contexts of", list(top["surface"]), key="surfaces_surface",
                           help="Ten matches of this surface drawn at random (fixed seed), with their context.")
    sample = data.analysis_table(build, "surface_samples", kind="theme", key=key, surface=surface,
                                 filters=view.filters, n=10)
    st.dataframe(sample[["left", "match", "right", "date", "doc_id"]], key="surfaces_samples", hide_index=True,
                 width="stretch")
    _downloads(sample, f"theme-surface-samples {key}", "surfaces_samples", view)
    st.caption(
        "If a surface is mostly wrong here (\"East and West\" under Criticism of the West), exclude it: copy "
        "data/themes.toml, add the phrase to that theme's `exclude = [...]` list (or make the word count only "
        "near cue words with a `[[theme.context]]` table, as described at the top of the file), and rebuild "
        "with `python -m analysis build INPUT --out DIR --themes mythemes.toml`."
    )


def _compare(build: Build, view: fl.View) -> None:
    """One theme or organisation over time, a line per source or language: two channels side by side."""
    st.subheader("Compare sources")
    if not st.toggle("Compare a theme or organisation across sources or languages", key="compare_on",
                     help="One line per source (or language): two channels side by side."):
        return
    labels = {kind: data.entity_labels(build, kind) for kind in ("theme", "organisation")}
    choices = [f"theme:{k}" for k in labels["theme"]] + [f"organisation:{k}" for k in labels["organisation"]]
    if not choices:
        return
    left, right = st.columns([2, 1])
    target = left.selectbox(
        "Theme or organisation", choices, key="compare_target",
        format_func=lambda c: f"{c.split(':', 1)[0]}: {labels[c.split(':', 1)[0]].get(c.split(':', 1)[1])}",
        help="The theme or organisation whose timeline is split by source or language.")
    by_choices = ["source", "publisher", "language"] if "publisher" in build.documents else ["source", "language"]
    by = right.radio("One line per", by_choices, key="compare_by", horizontal=True,
                     help="Sources (publishers, languages) chosen in the sidebar, else the ones with the most "
                          "dated documents.")
    kind, key = target.split(":", 1)
    field_of = {"source": "sources", "publisher": "publishers", "language": "languages"}[by]
    chosen = getattr(view.filters, field_of)
    groups = tuple(chosen) or tuple(data.analysis_table(build, "top_groups", by=by, filters=view.filters,
                                                         n=_COMPARE_SERIES))
    filters = dataclasses.replace(view.filters, **{field_of: groups})
    df = data.analysis_table(build, "timeline", kind=kind, keys=(key,), granularity=view.granularity,
                             filters=filters, by=by)
    if df.empty:
        _empty(build, view, kind=kind, keys=(key,), granularity=view.granularity)
        return
    st.caption(f"{'The sources chosen in the sidebar' if chosen else f'The {len(groups)} {by}s with the most dated documents'}"
               f"; each line's share is of that {by}'s own documents in the period.")
    fig = charts.timeline_figure(df, view.measure, kind=kind, granularity=view.granularity, series=by,
                                 events=_events(build, view, df),
                                 title=f"{labels[kind].get(key, key)}: {_COMPARE_PHRASES[view.measure].format(by=by)}, "
                                       f"by {view.granularity} ({charts.MEASURE_LABELS[view.measure][2]})")
    _chart(fig, df, f"{kind}-{key}-by-{by} {view.granularity} {view.measure}", "compare_timeline", build, view)
    _compare_two(build, view, kind, key, by, groups, labels[kind].get(key, key))


def _compare_two(build: Build, view: fl.View, kind: str, key: str, by: str, groups: tuple[str, ...],
                 label: str) -> None:
    """Two of the compared series side by side: shares, their difference, and who leads whom."""
    if len(groups) < 2:
        st.caption(f"Only one {by} to compare: choose two or more in the sidebar to see their difference.")
        return
    st.markdown(f"**Two {by}s side by side**")
    left, right = st.columns(2)
    a = left.selectbox("A", groups, index=0, key="compare_a", help=f"The first {by}.")
    b = right.selectbox("B", [g for g in groups if g != a], index=0, key="compare_b", help=f"The second {by}.")
    df = data.analysis_table(build, "compare_two", kind=kind, key=key, by=by, a=a, b=b,
                             granularity=view.granularity, filters=view.filters)
    fig = charts.comparison_figure(df, name_a=a, name_b=b, label=label, granularity=view.granularity)
    _chart(fig, df, f"{kind}-{key}-{a}-vs-{b} {view.granularity}", "compare_two", build, view, selectable=False)
    lags = lead_lag(df)
    best = lags.attrs.get("best_lag")
    if best is None:
        st.caption(f"Too few {view.granularity}s with documents on both sides to tell who leads (5 are needed).")
        return
    fig = charts.lead_lag_figure(lags, name_a=a, name_b=b, unit=view.granularity)
    _chart(fig, lags, f"{kind}-{key}-{a}-vs-{b} lead-lag {view.granularity}", "compare_lags", build, view,
           selectable=False)
    r, n = lags.attrs["best_correlation"], lags.attrs["best_periods"]
    who = (f"{a} leads {b} by {best} {view.granularity}{'s' if abs(best) != 1 else ''}" if best > 0 else
           f"{b} leads {a} by {-best} {view.granularity}{'s' if abs(best) != 1 else ''}" if best < 0 else
           "they move together (no lead)")
    st.caption(_escape_md(f"Best correlation at lag {best:+d}: {who} (r = {r:.2f} over {n} {view.granularity}s). "
                          "A correlation over few periods, or of two series that only share a trend, is weak "
                          "evidence: read the passages before quoting it."))


def _organisations(build: Build, view: fl.View, colors) -> None:
    rank = data.analysis_table(build, "ranking", kind="organisation", filters=view.filters)
    if rank.empty:
        _empty(build, view, kind="organisation")
        return
    top = _labelled(rank.head(_TOP_ORGS), build, "organisation")
    fig = charts.ranking_figure(top, "documents", kind="organisation", colors=colors["organisation"])
    _chart(fig, top, "organisation-ranking", "orgs_ranking", build, view)

    keys = tuple(view.filters.organisations) or tuple(rank["key"].head(5))
    st.caption("Timeline of " + ("the organisations chosen in the sidebar." if view.filters.organisations
                                 else "the five most mentioned organisations (choose others in the sidebar)."))
    df = data.analysis_table(build, "timeline", kind="organisation", keys=keys, granularity=view.granularity,
                             filters=view.filters)
    if df.empty:
        _empty(build, view, kind="organisation", keys=keys, granularity=view.granularity)
    else:
        df = _labelled(df, build, "organisation")
        fig = charts.timeline_figure(df, view.measure, kind="organisation", colors=colors["organisation"],
                                     granularity=view.granularity, events=_events(build, view, df))
        _chart(fig, df, f"organisation-timeline {view.granularity} {view.measure}", "orgs_timeline", build, view)
        _timeline_notes(df)

    cross = data.analysis_table(build, "crosstab", row_kind="organisation", col_kind="theme",
                                filters=view.filters)
    cross = cross[cross["row_key"].isin(top["key"])]
    if cross.empty:
        _empty(build, view, kind="theme")
    else:
        cross = _labelled(_labelled(cross, build, "organisation", "row_key", "row_label"),
                          build, "theme", "col_key", "col_label")
        fig = charts.crosstab_figure(cross, "share_pct", row_kind="organisation", col_kind="theme")
        _chart(fig, cross, "organisation-x-theme", "orgs_crosstab", build, view)
    co = data.analysis_table(build, "crosstab", row_kind="organisation", col_kind="organisation",
                             filters=view.filters)
    co = co[co["row_key"].isin(top["key"]) & co["col_key"].isin(top["key"])]
    if not co.empty:
        co = _labelled(_labelled(co, build, "organisation", "row_key", "row_label"),
                       build, "organisation", "col_key", "col_label")
        fig = charts.comention_figure(co, "documents")
        _chart(fig, co, "organisation-co-mentions", "orgs_comention", build, view)


def _topics(build: Build, view: fl.View) -> None:
    clusters = build.clusters.copy()
    clusters["top_terms"] = clusters["top_terms"].map(lambda t: ", ".join(map(str, t)))
    st.subheader("Topic clusters")
    st.caption("Groups of documents with similar wording (TF-IDF + k-means); labels are their top terms.")
    st.dataframe(clusters, key="topics_clusters", hide_index=True, width="stretch",
                 column_config={"cluster_id": "Cluster", "label": "Label", "top_terms": "Top terms",
                                "size": st.column_config.NumberColumn("Documents", help="in the whole build")})
    _downloads(clusters, "topic-clusters", "topics_clusters", view)
    labels = _cluster_labels(build)
    ccolors = _cluster_colors(labels)
    df = data.analysis_table(build, "timeline", kind="cluster", granularity=view.granularity,
                             filters=view.filters)
    if df.empty:
        _empty(build, view, granularity=view.granularity)
    else:
        measure = view.measure if view.measure in ("share", "documents") else "share"
        fig = charts.cluster_timeline_figure(df, measure, colors=ccolors, granularity=view.granularity)
        _chart(fig, df, f"cluster-timeline {view.granularity} {measure}", "topics_timeline", build, view)
        _timeline_notes(df)
    points, total = data.map_points(build, view.filters, MAP_POINTS)
    if points.empty:
        _empty(build, view)
        return
    fig = charts.document_map_figure(points, labels, colors=ccolors)
    note = "Each point is a document; nearby points use similar words. Select points to read them."
    if total > len(points):
        note += (f" The map shows a fixed random sample of {len(points):,} of the {total:,} filtered documents "
                 "(the CSV holds the points drawn); narrow the filters to see every one.")
    st.caption(note)
    _chart(fig, points, "document-map", "topics_map", build, view)


def _documents(build: Build, view: fl.View, narrowed: Filters, targets) -> None:
    table = data.analysis_table(build, "documents_table", filters=narrowed)
    if targets:
        st.caption(f"Narrowed by chart selection: {len(table)} documents.")
    if table.empty:
        _empty(build, view) if not targets else st.info(
            "The chart selection matches no document under the current filters: clear it or widen the filters."
        )
        return
    shown = table.head(DOCUMENT_ROWS)
    if len(table) > len(shown):
        st.caption(f"Showing the first {len(shown):,} of {len(table):,} documents (by date). \"Download CSV\" "
                   f"holds the rows shown; \"Download all {len(table):,} (CSV)\" holds every one.")
    st.dataframe(shown, key="documents_table", hide_index=True, width="stretch",
                 column_order=[c for c in shown.columns if c != "date"], column_config={
        "doc_id": "Document id", "title": st.column_config.TextColumn("Title", width="large"),
        "date_label": "Date", "date_precision": "Precision",
        "date_method": "Dated from", "source": "Source", "language": "Language", "n_words": "Words",
        "themes": "Themes", "organisations": "Organisations", "cluster_id": "Cluster",
        "duplicate_of": "Duplicate of",
    })
    with st.container(horizontal=True, gap="small"):
        _downloads(shown, "documents", "documents", view)
        if len(table) > len(shown):
            _downloads(table, "documents all", "documents_all", view, label=f"Download all {len(table):,} (CSV)",
                       help="Every document that passes the filters, not only the rows shown.")

    st.subheader("Reader")
    doc_id = _reader_choice(table)
    if doc_id is not None:
        _reader(build, doc_id)

    st.subheader("Concordance")
    choices, counts = [], {}
    labels = {kind: data.entity_labels(build, kind) for kind in ("theme", "organisation")}
    for kind in ("theme", "organisation"):
        ranked = data.analysis_table(build, "ranking", kind=kind, filters=narrowed)
        for key, n in zip(ranked["key"].astype(str), ranked["mentions"].astype(int), strict=True):
            choices.append(f"{kind}:{key}")
            counts[f"{kind}:{key}"] = n
    if not choices:
        _empty(build, view, kind="theme")
        return

    def describe(choice: str) -> str:
        kind, key = choice.split(":", 1)
        return f"{kind.capitalize()}: {labels[kind].get(key, key)} ({counts[choice]:,} passages)"

    choice = st.selectbox("Theme or organisation", choices, key="concordance_key", format_func=describe,
                          help="Every passage in the documents listed above that mentions it.")
    kind, key = choice.split(":", 1)
    conc = data.analysis_table(build, "concordance", kind=kind, key=key, filters=narrowed, limit=PASSAGES)
    if counts[choice] > len(conc):
        st.caption(f"Showing the first {len(conc):,} of {counts[choice]:,} passages (by date); narrow the filters "
                   "to see the others.")
    conc = _labelled(conc, build, kind)
    st.dataframe(conc[["left", "match", "right", "label", "title", "date", "source", "doc_id"]],
                 key="concordance_table", hide_index=True, width="stretch",
                 column_config={"left": st.column_config.TextColumn("Before", width="large", alignment="right"),
                                "match": "Match",
                                "right": st.column_config.TextColumn("After", width="large"),
                                "label": kind.capitalize(),
                                "date": st.column_config.DateColumn("Date", format="D MMM YYYY")})
    _downloads(conc, f"concordance {kind} {key}", "concordance", view)


def _reader_choice(table: pd.DataFrame) -> str | None:
    """The reader's document: a search box narrows the listed documents to at most READER_CHOICES options."""
    query = ""
    if len(table) > READER_CHOICES:
        query = st.text_input("Find a document", key="reader_query", placeholder="Words of the title, an id or a "
                              "source file", help=f"The list below offers the first {READER_CHOICES} matches.")
    found = table
    if query.strip():
        needle = query.strip().casefold()
        hay = (table["title"].fillna("").astype(str) + " " + table["doc_id"].astype(str) + " "
               + table["source"].astype(str)).str.casefold()
        found = table[hay.str.contains(needle, regex=False)]
        if found.empty:
            st.info(_escape_md(f"No listed document has {query.strip()!r} in its title, id or source."))
            return None
    offered = found.head(READER_CHOICES)
    ids = offered["doc_id"].astype(str).tolist()
    titles = dict(zip(ids, offered["title"], strict=True))
    if st.session_state.get("reader_doc") not in ids:
        st.session_state["reader_doc"] = ids[0]
    more = f" (the first {len(ids)} of {len(found):,}: search to find others)" if len(found) > len(ids) else ""
    return st.selectbox(
        f"Document{more}", ids, key="reader_doc",
        format_func=lambda d: f"{(titles.get(d) or '(untitled)')[:90]} — {d}",
        help="Mentions of themes and organisations are highlighted.",
    )


_EVIDENCE_TEXT = {
    "publication-line": "its publication line", "metadata": "the source's metadata", "dateline": "its dateline",
    "title": "its dated title", "header": "a date line in its head", "inferred": "the posts around it",
    "path": "its file's path", "body": "a date its text merely mentions (--body-dates)",
}


def date_evidence_text(doc) -> str:
    """Why the reader's document has its date, or the date its text mentions when it has none."""
    def value(name):
        v = doc.get(name) if hasattr(doc, "get") else None
        return v if isinstance(v, str) and v else None  # None, NaN and NaT are "no value"

    if pd.isna(doc["date"]):
        surface = value("date_hint_surface")
        return f"No date found; the text mentions {surface}." if surface else "No date found."
    evidence = value("date_evidence")
    reason = _EVIDENCE_TEXT.get(evidence or "", value("date_method") or "unknown")
    surface = value("date_surface")
    return f"Dated by {reason}" + (f": “{surface}”." if surface else ".")


def _reader(build: Build, doc_id: str) -> None:
    doc, mentions = data.document(build, doc_id)
    if doc is None:
        return
    date = doc["date"]
    dated = "" if pd.isna(date) else (
        pd.Timestamp(date).strftime({"year": "%Y", "month": "%B %Y"}.get(str(doc["date_precision"]), "%d %B %Y"))
        + f" ({doc['date_precision']}, {doc['date_method']})"
    )
    meta = (f"{doc['title'] or '(untitled)'}\n{dated or 'undated'}"
            f" · {doc['source']} · {doc['language'] or 'language unknown'} · {int(doc['n_words']):,} words")
    st.text(meta + "\n" + date_evidence_text(doc))
    labels = {kind: data.entity_labels(build, kind) for kind in ("theme", "organisation")}
    spans = [(int(s), int(e), f"{k}: {labels.get(k, {}).get(key, key)}") for s, e, k, key in
             zip(mentions["start"], mentions["end"], mentions["kind"], mentions["key"], strict=True)]
    st.html(highlight_html(str(doc["text"]), spans))


def _manifest_preview(value, limit: int = 20):
    """The manifest with long lists cut to their first ``limit`` items (the download holds all of it)."""
    if isinstance(value, dict):
        return {k: _manifest_preview(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        head = [_manifest_preview(v, limit) for v in value[:limit]]
        return head + [f"… and {len(value) - limit:,} more (download the manifest)"] if len(value) > limit else head
    return value


def _report(build: Build) -> None:
    report = build.report or {}
    totals = report.get("totals", {})
    cols = st.columns(5)
    for col, name in zip(cols, ("files", "parsed", "skipped", "failed", "documents"), strict=True):
        col.metric(name.capitalize(), f"{int(totals.get(name, 0) or 0):,}")
    files = pd.DataFrame(report.get("files", []))
    if files.empty:
        st.info("This build has no ingest report.")
    else:
        keep = [c for c in ("path", "status", "reason", "documents", "encoding", "format") if c in files]
        files = files[keep].fillna({"reason": ""})
        st.dataframe(files, key="report_files", hide_index=True, width="stretch", column_config={
            "path": "File", "status": "Status", "reason": "Why (if skipped or failed)", "documents": "Documents",
            "encoding": "Encoding", "format": "Format"})
        _downloads(files, "ingest-report", "report_files", fl.View())
    st.subheader("Manifest")
    st.text(f"Build folder: {build.path}")
    st.json(_manifest_preview(build.manifest), expanded=1)


# --------------------------------------------------------------------------------------------- page
def main() -> None:
    st.set_page_config(page_title="Diplomatic Themes", page_icon="🕊️", layout="wide")
    _upload_section()
    build = _open_build()
    view, _info = _sidebar(build)
    colors = _colors(build)
    narrowed, targets = _selection(build, view)

    st.title("Diplomatic Themes")
    desc = view.filters.describe()
    n = len(build.documents)
    st.caption(_escape_md(f"{n:,} document{'s' if n != 1 else ''} in this build"
                          + (f" · filters: {desc}" if desc else "")))
    # One container always stands here, so the notices above the tabs never shift the tabs' place on the
    # page (which would reset the tab the reader is on).
    with st.container():
        if st.session_state.pop(_UPLOAD_NOTE, False):
            st.success("Your files were built and are shown below; the Report tab lists what was read and "
                       "skipped.")
            _report_table_only(build)
        _chip(narrowed, targets)

    # Only the open tab runs (on_change="rerun" makes the tabs keep state): a rerun after a filter change
    # draws one view, not six.
    tabs = st.tabs(list(TABS), key="view_tab", on_change="rerun")
    views = (
        lambda: _overview(build, view, colors),
        lambda: _themes(build, view, colors),
        lambda: _organisations(build, view, colors),
        lambda: _topics(build, view),
        lambda: _documents(build, view, narrowed, targets),
        lambda: _report(build),
    )
    for name, tab, draw in zip(TABS, tabs, views, strict=True):
        if tab.open is False:
            continue
        with tab:
            draw()
            _manifest_button(build, name.lower())


def _report_table_only(build: Build) -> None:
    files = pd.DataFrame((build.report or {}).get("files", []))
    if not files.empty:
        keep = [c for c in ("path", "status", "reason", "documents") if c in files]
        st.dataframe(files[keep], key="upload_report", hide_index=True, width="stretch")


if __name__ == "__main__":
    main()
