"""The Documents view: the filtered (or chart-narrowed) documents, a reader with mentions marked, a concordance."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.query import DocumentsPage
from analysis.timeline import Filters
from dashboard import filters as fl
from dashboard.queries import Queries
from dashboard.views.common import DOCUMENT_ROWS, PASSAGES, READER_CHOICES, downloads, show_empty
from dashboard.views.markup import escape_md, highlight_html

__all__ = ["date_evidence_text", "documents"]


def documents(corpus: Queries, view: fl.View, narrowed: Filters, targets) -> None:
    page = corpus.panel(name="documents", filters=narrowed, limit=DOCUMENT_ROWS)
    total = page.notes["total"]
    if targets:
        st.caption(f"Narrowed by chart selection: {total} documents.")
    if total == 0:
        show_empty(corpus, view) if not targets else st.info(
            "The chart selection matches no document under the current filters: clear it or widen the filters."
        )
        return
    shown = page.table
    if total > len(shown):
        st.caption(f"Showing the first {len(shown):,} of {total:,} documents (by date). \"Download CSV\" "
                   f"holds the rows shown; \"Download all {total:,} (CSV)\" holds every one.")
    st.dataframe(shown, key="documents_table", hide_index=True, width="stretch",
                 column_order=[c for c in shown.columns if c != "date"], column_config={
        "doc_id": "Document id", "title": st.column_config.TextColumn("Title", width="large"),
        "date_label": "Date", "date_precision": "Precision",
        "date_method": "Dated from", "source": "Source", "language": "Language", "n_words": "Words",
        "themes": "Themes", "organisations": "Organisations", "cluster_id": "Cluster",
        "duplicate_of": "Duplicate of",
    })
    with st.container(horizontal=True, gap="small"):
        downloads(page, "documents", "documents", view)
        if total > len(shown):
            # Every row is read only when the button is clicked (and never cached).
            downloads(lambda: corpus.panel(name="documents", filters=narrowed, limit=None), "documents all", "documents_all", view,
                      label=f"Download all {total:,} (CSV)",
                      help="Every document that passes the filters, not only the rows shown.")

    st.subheader("Reader")
    doc_id = _reader_choice(corpus, narrowed, DocumentsPage(shown, total, 0))
    if doc_id is not None:
        _reader(corpus, doc_id)

    st.subheader("Concordance")
    choices, counts = [], {}
    labels = {kind: corpus.entity_labels(kind=kind) for kind in ("theme", "organisation")}
    for kind in ("theme", "organisation"):
        ranked = corpus.ranking(kind=kind, filters=narrowed)
        for key, n in zip(ranked["key"].astype(str), ranked["mentions"].astype(int), strict=True):
            choices.append(f"{kind}:{key}")
            counts[f"{kind}:{key}"] = n
    if not choices:
        show_empty(corpus, view, kind="theme")
        return

    def describe(choice: str) -> str:
        kind, key = choice.split(":", 1)
        return f"{kind.capitalize()}: {labels[kind].get(key, key)} ({counts[choice]:,} passages)"

    choice = st.selectbox("Theme or organisation", choices, key="concordance_key", format_func=describe,
                          help="Every passage in the documents listed above that mentions it.")
    kind, key = choice.split(":", 1)
    panel = corpus.panel(name="concordance", filters=narrowed, kind=kind, key=key, limit=PASSAGES)
    conc = panel.table
    if panel.notes["rows_left_out"] > 0:
        st.caption(f"Showing the first {len(conc):,} of {panel.notes['total']:,} passages (by date); narrow the "
                   "filters to see the others.")
    st.dataframe(conc[["left", "match", "right", "label", "title", "date", "source", "doc_id"]],
                 key="concordance_table", hide_index=True, width="stretch",
                 column_config={"left": st.column_config.TextColumn("Before", width="large", alignment="right"),
                                "match": "Match",
                                "right": st.column_config.TextColumn("After", width="large"),
                                "label": kind.capitalize(),
                                "date": st.column_config.DateColumn("Date", format="D MMM YYYY")})
    downloads(panel, f"concordance {kind} {key}", "concordance", view)


def _reader_choice(corpus: Queries, narrowed: Filters, page: DocumentsPage) -> str | None:
    """The reader's document: a search box narrows the listed documents to at most READER_CHOICES options."""
    query = ""
    if page.total > READER_CHOICES:
        query = st.text_input("Find a document", key="reader_query", placeholder="Words of the title, an id or a "
                              "source file", help=f"The list below offers the first {READER_CHOICES} matches.")
    found = page
    if query.strip():
        found = corpus.documents_page(filters=narrowed, limit=READER_CHOICES, search=query.strip())
        if found.total == 0:
            st.info(escape_md(f"No listed document has {query.strip()!r} in its title, id or source."))
            return None
    offered = found.rows.head(READER_CHOICES)
    ids = offered["doc_id"].astype(str).tolist()
    titles = dict(zip(ids, offered["title"], strict=True))
    if st.session_state.get("reader_doc") not in ids:
        st.session_state["reader_doc"] = ids[0]
    more = f" (the first {len(ids)} of {found.total:,}: search to find others)" if found.total > len(ids) else ""
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


def _reader(corpus: Queries, doc_id: str) -> None:
    doc, mentions = corpus.document(doc_id=doc_id)
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
    labels = {kind: corpus.entity_labels(kind=kind) for kind in ("theme", "organisation")}
    spans = [(int(s), int(e), f"{k}: {labels.get(k, {}).get(key, key)}") for s, e, k, key in
             zip(mentions["start"], mentions["end"], mentions["kind"], mentions["key"], strict=True)]
    st.html(highlight_html(str(doc["text"]), spans))
