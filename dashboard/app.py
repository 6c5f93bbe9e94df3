"""The Streamlit page: reads the sidebar, calls analysis functions, renders charts and tables."""

from __future__ import annotations

import dataclasses
import html
import json
import os
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:  # `streamlit run dashboard/app.py` puts only dashboard/ on the path
    sys.path.insert(0, str(_ROOT))

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from analysis.export import csv_filename, to_csv_bytes  # noqa: E402
from analysis.store import Build, BuildError  # noqa: E402
from analysis.timeline import GRANULARITIES, MEASURES, Filters  # noqa: E402
from dashboard import charts, data  # noqa: E402
from dashboard import filters as fl  # noqa: E402
from dashboard.filters import WIDGET_KEYS as K  # noqa: E402

__all__ = ["MARK_STYLE", "SELECTABLE_CHARTS", "chart_csv", "chart_key", "highlight_html", "main"]

# Charts whose selection narrows the documents view (key stem -> where it is drawn).
SELECTABLE_CHARTS = (
    "overview_timeline", "overview_ranking", "themes_timeline", "themes_heatmap", "themes_small",
    "orgs_ranking", "orgs_timeline", "orgs_crosstab", "orgs_comention", "topics_timeline", "topics_map",
)
_SEL_GEN = "selection_generation"
_BUILD_PATH = "build_path"
_VIEW_FOR = "view_initialised_for"
_UPLOAD_NOTE = "upload_note"
_GRAN_HELP = {
    "day": "calendar days", "week": "weeks starting on Monday", "month": "calendar months",
    "quarter": "calendar quarters", "year": "calendar years",
}
_TOP_ORGS = 15
_OVERVIEW_THEMES = 6
_TAB_THEMES = 8
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
    """Text safe inside st.markdown/st.caption: no live Markdown, links or HTML."""
    specials = "\\`*_{}[]()<>#+-.!|~$"
    return "".join("\\" + ch if ch in specials else ch for ch in str(text))


def _downloads(df: pd.DataFrame, what: str, key: str, build: Build, view: fl.View) -> None:
    """The "Download CSV" button for the frame that drew a chart, and the build's manifest beside it."""
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            "Download CSV", data=chart_csv(df), file_name=csv_filename(what, view.filters.describe()),
            mime="text/csv", key=f"dl_{key}", help="Exactly the rows behind this chart or table.",
            on_click="ignore", icon=":material/download:",
        )
        st.download_button(
            "manifest.json", data=json.dumps(build.manifest, indent=2, ensure_ascii=False, default=str),
            file_name="manifest.json", mime="application/json", key=f"dl_manifest_{key}",
            help="The build's versions, options and input hashes, to reproduce this result.",
            on_click="ignore", type="tertiary",
        )


def _chart(fig, df: pd.DataFrame, what: str, name: str, build: Build, view: fl.View,
           *, selectable: bool = True) -> None:
    gen = st.session_state.get(_SEL_GEN, 0)
    if selectable:
        st.plotly_chart(fig, key=chart_key(name, gen), on_select="rerun",
                        selection_mode=("points", "box", "lasso"), width="stretch")
    else:
        st.plotly_chart(fig, key=f"fig_{name}", width="stretch")
    _downloads(df, what, name, build, view)


def _empty(build: Build, view: fl.View, **kwargs) -> None:
    st.info(data.analysis_table(build, "explain_empty", filters=view.filters, **kwargs))


def _options(build: Build) -> tuple[fl.Options, dict[str, int], dict[str, int], dict[str, str]]:
    """What the sidebar offers, with document counts for organisations and themes, and entity labels."""
    orgs = data.analysis_table(build, "ranking", kind="organisation", filters=Filters(include_duplicates=True))
    themes = data.analysis_table(build, "ranking", kind="theme", filters=Filters(include_duplicates=True))
    summary = data.analysis_table(build, "summary", filters=Filters(include_duplicates=True))
    org_counts = dict(zip(orgs["key"].astype(str), orgs["documents_mentioning"].astype(int), strict=True))
    theme_counts = dict(zip(themes["key"].astype(str), themes["documents_mentioning"].astype(int), strict=True))
    ents = build.entities
    labels = dict(zip(ents["key"].astype(str), ents["label"].astype(str), strict=True)) if len(ents) else {}
    options = fl.Options(
        organisations=tuple(org_counts), themes=tuple(theme_counts),
        sources=tuple(sorted(build.documents["source"].astype(str).unique())),
        languages=tuple(summary["languages"]),
        first_date=summary["first_date"], last_date=summary["last_date"],
    )
    return options, org_counts, theme_counts, labels


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
            st.error(str(exc))
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
                st.error(f"{type(exc).__name__}: {exc}")
                return
            status.update(label=f"Built {len(build.documents)} documents", state="complete", expanded=False)
        st.session_state[_BUILD_PATH] = str(build.path)
        st.session_state.pop(_VIEW_FOR, None)
        st.session_state[_UPLOAD_NOTE] = True
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
    sb.selectbox(
        "Period length", GRANULARITIES, key=K["granularity"], format_func=str.capitalize,
        help="How the timelines group documents: " + "; ".join(f"{g}: {h}" for g, h in _GRAN_HELP.items()),
    )
    sb.selectbox(
        "Measure", list(MEASURES), key=K["measure"], format_func=lambda m: MEASURES[m][1],
        help="What the timelines count. " + " ".join(f"{m}: {e}." for m, (_c, e) in MEASURES.items()),
    )
    sb.caption(MEASURES[st.session_state.get(K["measure"], fl.DEFAULT_MEASURE)][1])
    sb.multiselect(
        "Organisations", list(options.organisations), key=K["organisations"],
        format_func=lambda k: fl.option_label(k, org_counts.get(k)),
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
        format_func=lambda k: fl.option_label(labels.get(k, k), theme_counts.get(k)),
        help="Documents that mention any of these themes.", placeholder="All themes",
    )
    sb.multiselect("Sources", list(options.sources or ()), key=K["sources"], placeholder="All sources",
                   help="Input files the documents came from.")
    sb.multiselect("Languages", list(options.languages or ()), key=K["languages"], placeholder="All languages",
                   help="Detected language of the document (ISO 639-1 code).")
    sb.toggle("Include duplicates", key=K["include_duplicates"],
              help="Documents whose text repeats an earlier one are left out unless this is on.")
    sb.toggle("Include inferred dates", key=K["include_inferred"],
              help="Dates completed from neighbouring posts (e.g. 'May 21' without a year).")

    values = {k: st.session_state.get(k) for k in K.values() if k in st.session_state}
    view = fl.widgets_to_view(values, options)
    wanted = fl.view_to_params(view)
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    if {k: v if isinstance(v, list) else [v] for k, v in wanted.items()} != current:
        st.query_params.from_dict(wanted)
    return view, {"org_counts": org_counts, "theme_counts": theme_counts, "labels": labels, "options": options}


# ------------------------------------------------------------------------------------------- narrowing
def _selection(build: Build, view: fl.View) -> tuple[Filters, list[fl.Target]]:
    """The documents view's filters: the sidebar's, narrowed by any chart selection."""
    gen = st.session_state.get(_SEL_GEN, 0)
    targets: list[fl.Target] = []
    for name in SELECTABLE_CHARTS:
        for target in fl.selection_targets(st.session_state.get(chart_key(name, gen))):
            if target not in targets:
                targets.append(target)
    if not targets:
        return view.filters, []
    ids = fl.narrow_doc_ids(build.documents, build.mentions, view.filters, targets, build.clusters)
    return dataclasses.replace(view.filters, doc_ids=ids), targets


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
    c1, c2, c3, c4 = st.columns([1, 2, 1, 1])
    c1.metric("Documents", f"{s['documents']:,}", help="Documents that pass the filters.")
    span = "no dates"
    if s["first_date"]:
        first, last = f"{s['first_date']:%b %Y}", f"{s['last_date']:%b %Y}"
        span = first if first == last else f"{first} – {last}"
    c2.metric("Date span", span, help="First and last date among the filtered documents.")
    c3.metric("Undated documents", f"{s['undated']:,}", help="Left out of timelines: no date could be found.")
    c4.metric("Sources", f"{s['sources']:,}", help="Input files the filtered documents came from.")
    if s["documents"] == 0:
        _empty(build, view)
        return
    left, right = st.columns([3, 2])
    with left:
        keys, note = _theme_keys(build, view, _OVERVIEW_THEMES)
        df = data.analysis_table(build, "timeline", kind="theme", keys=keys, granularity=view.granularity,
                                 filters=view.filters)
        if df.empty:
            _empty(build, view, kind="theme", granularity=view.granularity)
        else:
            fig = charts.timeline_figure(df, view.measure, kind="theme", colors=colors["theme"],
                                         granularity=view.granularity)
            _chart(fig, df, f"theme-timeline {view.granularity} {view.measure}", "overview_timeline", build, view)
            _timeline_notes(df, note)
    with right:
        rank = data.analysis_table(build, "ranking", kind="organisation", filters=view.filters).head(10)
        if rank.empty:
            _empty(build, view, kind="organisation")
        else:
            fig = charts.ranking_figure(rank, "documents", kind="organisation", colors=colors["organisation"])
            fig.update_layout(title={"text": "Top organisations (documents mentioning each)"})
            _chart(fig, rank, "top-organisations", "overview_ranking", build, view)


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
        notes.append(f"{undated} undated document{'s' if undated != 1 else ''} not shown")
    if coarse:
        notes.append(f"{coarse} dated only to a coarser period not shown")
    if "partial" in df and df["partial"].any():
        notes.append("open markers: periods only partly covered")
    if notes:
        text = "; ".join(notes) + "."
        st.caption(text[0].upper() + text[1:])


def _themes(build: Build, view: fl.View, colors) -> None:
    keys, note = _theme_keys(build, view, _TAB_THEMES)
    df = data.analysis_table(build, "timeline", kind="theme", keys=keys, granularity=view.granularity,
                             filters=view.filters)
    every = df if keys is None else data.analysis_table(
        build, "timeline", kind="theme", granularity=view.granularity, filters=view.filters)
    if df.empty:
        _empty(build, view, kind="theme", granularity=view.granularity)
        return
    style = st.radio("Draw as", ["lines", "area"], key="themes_style", horizontal=True,
                     format_func=lambda s: "Lines" if s == "lines" else "Stacked areas",
                     help="Stacked areas add the themes up; lines compare them.")
    fig = charts.timeline_figure(df, view.measure, kind="theme", style=style, colors=colors["theme"],
                                 granularity=view.granularity)
    _chart(fig, df, f"theme-timeline {view.granularity} {view.measure}", "themes_timeline", build, view)
    _timeline_notes(df, note)
    fig = charts.heatmap_figure(every, view.measure, kind="theme", granularity=view.granularity)
    _chart(fig, every, f"theme-heatmap {view.granularity} {view.measure}", "themes_heatmap", build, view)
    fig = charts.small_multiples_figure(every, view.measure, kind="theme", colors=colors["theme"],
                                        granularity=view.granularity, columns=3)
    _chart(fig, every, f"theme-small-multiples {view.granularity} {view.measure}", "themes_small", build, view)


def _organisations(build: Build, view: fl.View, colors) -> None:
    rank = data.analysis_table(build, "ranking", kind="organisation", filters=view.filters)
    if rank.empty:
        _empty(build, view, kind="organisation")
        return
    top = rank.head(_TOP_ORGS)
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
        fig = charts.timeline_figure(df, view.measure, kind="organisation", colors=colors["organisation"],
                                     granularity=view.granularity)
        _chart(fig, df, f"organisation-timeline {view.granularity} {view.measure}", "orgs_timeline", build, view)

    cross = data.analysis_table(build, "crosstab", row_kind="organisation", col_kind="theme",
                                filters=view.filters)
    cross = cross[cross["row_key"].isin(top["key"])]
    if cross.empty:
        _empty(build, view, kind="theme")
    else:
        fig = charts.crosstab_figure(cross, "share_pct", row_kind="organisation", col_kind="theme")
        _chart(fig, cross, "organisation-x-theme", "orgs_crosstab", build, view)
    co = data.analysis_table(build, "crosstab", row_kind="organisation", col_kind="organisation",
                             filters=view.filters)
    co = co[co["row_key"].isin(top["key"]) & co["col_key"].isin(top["key"])]
    if not co.empty:
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
    _downloads(clusters, "topic-clusters", "topics_clusters", build, view)
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
    docs = data.analysis_table(build, "filter_documents", filters=view.filters)
    if docs.empty:
        _empty(build, view)
        return
    points = docs[["doc_id", "title", "date", "source", "cluster_id", "x", "y"]]
    fig = charts.document_map_figure(points, labels, colors=ccolors)
    st.caption("Each point is a document; nearby points use similar words. Select points to read them.")
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
    st.dataframe(table, key="documents_table", hide_index=True, width="stretch", column_config={
        "doc_id": "Document id", "title": st.column_config.TextColumn("Title", width="large"),
        "date": st.column_config.DateColumn("Date", format="D MMM YYYY"), "date_precision": "Precision",
        "date_method": "Dated from", "source": "Source", "language": "Language", "n_words": "Words",
        "themes": "Themes", "organisations": "Organisations", "cluster_id": "Cluster",
        "duplicate_of": "Duplicate of",
    })
    _downloads(table, "documents", "documents", build, view)

    st.subheader("Reader")
    ids = table["doc_id"].astype(str).tolist()
    titles = dict(zip(ids, table["title"], strict=True))
    if st.session_state.get("reader_doc") not in ids:
        st.session_state["reader_doc"] = ids[0]
    doc_id = st.selectbox(
        "Document", ids, key="reader_doc",
        format_func=lambda d: f"{(titles.get(d) or '(untitled)')[:90]} — {d}",
        help="Mentions of themes and organisations are highlighted.",
    )
    _reader(build, doc_id)

    st.subheader("Concordance")
    choices = []
    for kind in ("theme", "organisation"):
        ranked = data.analysis_table(build, "ranking", kind=kind, filters=view.filters)
        choices += [f"{kind}:{key}" for key in ranked["key"].astype(str)]
    if not choices:
        _empty(build, view, kind="theme")
        return
    choice = st.selectbox("Theme or organisation", choices, key="concordance_key",
                          format_func=lambda c: c.replace(":", ": ", 1),
                          help="Every passage in the filtered documents that mentions it.")
    kind, key = choice.split(":", 1)
    conc = data.analysis_table(build, "concordance", kind=kind, key=key, filters=view.filters)
    st.dataframe(conc[["left", "match", "right", "title", "date", "source", "doc_id"]], key="concordance_table",
                 hide_index=True, width="stretch",
                 column_config={"left": st.column_config.TextColumn("Before", width="large", alignment="right"),
                                "match": "Match",
                                "right": st.column_config.TextColumn("After", width="large"),
                                "date": st.column_config.DateColumn("Date", format="D MMM YYYY")})
    _downloads(conc, f"concordance {kind} {key}", "concordance", build, view)


def _reader(build: Build, doc_id: str) -> None:
    docs = build.documents
    row = docs[docs["doc_id"].astype(str) == doc_id]
    if row.empty:
        return
    doc = row.iloc[0]
    date = doc["date"]
    meta = (f"{doc['title'] or '(untitled)'}\n"
            f"{'undated' if pd.isna(date) else pd.Timestamp(date).strftime('%d %B %Y')}"
            f"{' (' + str(doc['date_precision']) + ', ' + str(doc['date_method']) + ')' if not pd.isna(date) else ''}"
            f" · {doc['source']} · {doc['language'] or 'language unknown'} · {int(doc['n_words']):,} words")
    st.text(meta)
    mentions = build.mentions[build.mentions["doc_id"].astype(str) == doc_id]
    spans = [(int(s), int(e), f"{k}: {key}") for s, e, k, key in
             zip(mentions["start"], mentions["end"], mentions["kind"], mentions["key"], strict=True)]
    st.html(highlight_html(str(doc["text"]), spans))


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
        files = files[keep]
        st.dataframe(files, key="report_files", hide_index=True, width="stretch", column_config={
            "path": "File", "status": "Status", "reason": "Why (if skipped or failed)", "documents": "Documents",
            "encoding": "Encoding", "format": "Format"})
        _downloads(files, "ingest-report", "report_files", build, fl.View())
    st.subheader("Manifest")
    st.text(f"Build folder: {build.path}")
    st.json(build.manifest, expanded=1)


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

    tabs = st.tabs(["Overview", "Themes", "Organisations", "Topics", "Documents", "Report"], key="view_tab")
    with tabs[0]:
        _overview(build, view, colors)
    with tabs[1]:
        _themes(build, view, colors)
    with tabs[2]:
        _organisations(build, view, colors)
    with tabs[3]:
        _topics(build, view)
    with tabs[4]:
        _documents(build, view, narrowed, targets)
    with tabs[5]:
        _report(build)


def _report_table_only(build: Build) -> None:
    files = pd.DataFrame((build.report or {}).get("files", []))
    if not files.empty:
        keep = [c for c in ("path", "status", "reason", "documents") if c in files]
        st.dataframe(files[keep], key="upload_report", hide_index=True, width="stretch")


if __name__ == "__main__":
    main()
