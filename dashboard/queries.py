"""What the views ask of a build, answered by its ``Corpus`` (analysis.query) and the analysis functions
built on its tables; no Streamlit here (dashboard/cache.py caches one ``Queries`` per build and its answers).

Every chart and table drawn is a panel (``Queries.panel``: analysis.panels, the same tables as ``export
--panel``). Beside them: counts, timelines, rankings, cross-tabs, pages of documents, the reader's document and
concordances from the ``Corpus`` (DuckDB over the build's parquet files; texts stay on disk until a page, the
reader or a concordance needs them), and the few answers that read single mentions (a chart selection's
documents, why a result is empty) from the documents and mentions tables without the texts, read once and
only when one of them is asked for.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import timeline as tl
from analysis.panels import Panel, run_panel, side_tables
from analysis.query import Corpus, DocumentsPage
from analysis.store import Build
from analysis.timeline import EmptyReason, Filters
from dashboard import filters as fl

__all__ = ["Queries"]


class Queries:
    """One build, as the views ask about it. Safe to share between sessions (threads).

    Arguments:
        corpus: the build opened by ``Corpus.open``.
    """

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self._side = side_tables(corpus)
        self.has_publishers = corpus.has_column("publisher")

    # ------------------------------------------------------------------------------------ the build
    @property
    def path(self) -> Path:
        return Path(self.corpus.path)

    @property
    def build_hash(self) -> str:
        return self.corpus.build_hash

    @property
    def manifest(self) -> dict:
        return self.corpus.manifest

    @property
    def report(self) -> dict:
        return self.corpus.report

    @property
    def clusters(self) -> pd.DataFrame:
        return self.corpus.clusters

    @property
    def entities(self) -> pd.DataFrame:
        return self.corpus.entities

    @property
    def n_documents(self) -> int:
        return self.corpus.n_documents

    def _frames(self) -> Build:
        """The documents (without their texts) and mentions tables, read on first use (analysis.panels)."""
        return self._side.frames()

    # ---------------------------------------------------------------------------------------- panels
    def panel(self, *, name: str, filters: Filters, **options) -> Panel:
        """What one chart or table draws (analysis.panels): the table the chart is drawn from and the CSV of
        its download, with its notes."""
        return run_panel(name, self.corpus, filters, **options)

    # ------------------------------------------------------------------------------ lists and labels
    def sources(self) -> tuple[str, ...]:
        return self.corpus.sources()

    def publishers(self) -> tuple[str, ...]:
        return self.corpus.publishers()

    def entity_labels(self, kind: str) -> dict[str, str]:
        """key -> human label for themes or organisations; ``{}`` for clusters, whose keys are labels."""
        return self.corpus.entity_labels(kind)

    def has_body_dates(self) -> bool:
        """Whether any document is dated by a date its text merely mentions (a build made with --body-dates)."""
        return self.corpus.summary(Filters(include_duplicates=True))["body_dated"] > 0

    def cluster_labels(self) -> pd.DataFrame:
        """cluster_id, label: the clusters' labels as the cluster timeline names them (unique), by cluster id."""
        ids = sorted(int(c) for c in self.clusters["cluster_id"])
        one_each = pd.DataFrame({"doc_id": [str(c) for c in ids], "cluster_id": ids})
        keys = tl.cluster_mentions(one_each, self.clusters)["key"].astype(str).tolist()
        return pd.DataFrame({"cluster_id": ids, "label": keys})

    # ------------------------------------------------------------------------------- counts and tables
    def summary(self, *, filters: Filters) -> dict:
        return self.corpus.summary(filters)

    def publisher_count(self, *, filters: Filters) -> int:
        """How many publishers the filtered documents have."""
        return self.corpus.publisher_count(filters)

    def choose_granularity(self, *, filters: Filters) -> str:
        return self.corpus.choose_granularity(filters)

    def timeline(self, *, kind: str, granularity: str, filters: Filters, keys=None, by: str | None = None):
        return self.corpus.timeline(kind=kind, keys=keys, granularity=granularity, filters=filters, by=by)

    def ranking(self, *, kind: str, filters: Filters) -> pd.DataFrame:
        return self.corpus.ranking(kind=kind, filters=filters)

    def crosstab(self, *, row_kind: str, col_kind: str, filters: Filters) -> pd.DataFrame:
        return self.corpus.crosstab(row_kind=row_kind, col_kind=col_kind, filters=filters)

    def top_groups(self, *, by: str, filters: Filters, n: int) -> list[str]:
        return self.corpus.top_groups(by=by, filters=filters, n=n)

    def dating_gaps(self, *, filters: Filters) -> pd.DataFrame:
        return self.corpus.dating_gaps(filters)

    def documents_page(self, *, filters: Filters, limit: int, search: str | None = None) -> DocumentsPage:
        """The first ``limit`` rows of the documents table (analysis.timeline.documents_table's order), and
        how many there are; ``search`` keeps those whose title, id or source holds it."""
        return self.corpus.documents_page(filters, limit=limit, search=search)

    def all_documents(self, *, filters: Filters) -> pd.DataFrame:
        """Every row of the documents table (analysis.timeline.documents_table) for a download."""
        total = self.corpus.count(filters)
        return self.corpus.documents_page(filters, limit=max(total, 1)).rows

    def document(self, *, doc_id: str) -> tuple[pd.Series | None, pd.DataFrame]:
        """One document with its text, and its mentions (kind, key, start, end)."""
        return self.corpus.document(doc_id)

    def concordance(self, *, kind: str, key: str, filters: Filters, limit: int) -> pd.DataFrame:
        return self.corpus.concordance(kind=kind, key=key, filters=filters, limit=limit)

    # -------------------------------------------------------------------------- analysis over tables
    def narrow_doc_ids(self, *, filters: Filters, targets: tuple[fl.Target, ...]) -> tuple[str, ...]:
        """The documents behind a chart selection, within the sidebar's filters (dashboard.filters)."""
        tables = self._frames()
        return fl.narrow_doc_ids(tables.documents, tables.mentions, filters, list(targets), self.clusters)

    def empty_reason(self, *, filters: Filters, kind: str | None = None, keys=None,
                     granularity: str | None = None) -> EmptyReason:
        """Why a table is empty under ``filters`` (analysis.timeline.empty_reason)."""
        tables = self._frames()
        return tl.empty_reason(tables.documents, tables.mentions, filters, kind=kind, keys=keys,
                               granularity=granularity)
