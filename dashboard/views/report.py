"""The Report view: what happened to every input file, and the build's manifest."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import filters as fl
from dashboard.queries import Queries
from dashboard.views.common import downloads
from dashboard.wording import describe_last_update, update_rows

__all__ = ["report", "report_table_only"]

def _manifest_preview(value, limit: int = 20):
    """The manifest with long lists cut to their first ``limit`` items (the download holds all of it)."""
    if isinstance(value, dict):
        return {k: _manifest_preview(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        head = [_manifest_preview(v, limit) for v in value[:limit]]
        return head + [f"… and {len(value) - limit:,} more (download the manifest)"] if len(value) > limit else head
    return value


def report(corpus: Queries) -> None:
    report = corpus.report or {}
    totals = report.get("totals", {})
    cols = st.columns(5)
    for col, name in zip(cols, ("files", "parsed", "skipped", "failed", "documents"), strict=True):
        col.metric(name.capitalize(), f"{int(totals.get(name, 0) or 0):,}")
    files = corpus.panel(name="ingest-report", filters=fl.View().filters)
    if files.table.empty:
        st.info("This build has no ingest report.")
    else:
        st.dataframe(files.table, key="report_files", hide_index=True, width="stretch", column_config={
            "path": "File", "status": "Status", "reason": "Why (if skipped or failed)", "documents": "Documents",
            "encoding": "Encoding", "format": "Format"})
        downloads(files, "ingest-report", "report_files", fl.View())
    if updates := update_rows(corpus.manifest):
        st.subheader("Updates")
        st.caption(describe_last_update(corpus.manifest))
        st.dataframe(pd.DataFrame(updates), key="report_updates", hide_index=True, width="stretch")
    st.subheader("Manifest")
    st.text(f"Build folder: {corpus.path}")
    st.json(_manifest_preview(corpus.manifest), expanded=1)


def report_table_only(corpus: Queries) -> None:
    files = pd.DataFrame((corpus.report or {}).get("files", []))
    if not files.empty:
        keep = [c for c in ("path", "status", "reason", "documents") if c in files]
        st.dataframe(files[keep], key="upload_report", hide_index=True, width="stretch")
