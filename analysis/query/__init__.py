"""One query layer over a build: ``Corpus.open(build_dir)`` answers every chart's and table's question.

The build's parquet files are opened through DuckDB: the documents (without ``text``) and the mentions
(with each document's cluster as a ``cluster`` mention) are loaded once into an in-memory database, every
count is aggregated there, and ``text`` is read (from the build's ``texts.arrow``, else ``documents.parquet``)
only for the rows a concordance shows or the reader opens. Every method takes the ``Filters`` of analysis.timeline and returns exactly
what the function of the same name in analysis.timeline returns on the build's tables (same columns,
dtypes, order and numbers; tests/test_corpus.py holds them to it), with cluster keys named as
analysis.timeline.cluster_mentions names them.

    corpus = Corpus.open("build/sample")             # BuildError when the folder is no readable build
    corpus.timeline(kind="theme", keys=None, granularity="month", filters=Filters(), by=None) -> DataFrame
    corpus.ranking(kind="organisation", filters=...)  -> key, mentions, documents_mentioning, share_pct
    corpus.crosstab(row_kind="organisation", col_kind="theme", filters=...) -> row_key, col_key, documents, ...
    corpus.concordance(kind=None, key=None, filters=..., width=120, limit=None) -> keyword-in-context rows
    corpus.documents_page(filters, offset=0, limit=1000, sort=None, descending=False, search=None)
        -> DocumentsPage(rows: the documents_table columns of that page, total: int, offset: int)
    corpus.document(doc_id) -> (the document's row with its text, or None; its theme/organisation mentions)
    corpus.summary(filters) -> dict;  corpus.dating_gaps(filters) -> DataFrame
    corpus.choose_granularity(filters) -> one of GRANULARITIES
    corpus.top_groups(by="source", filters=..., n=8) -> list of str
    corpus.doc_ids(filters), corpus.count(filters), corpus.documents(filters, columns=None)
    corpus.sources(), corpus.publishers(), corpus.languages(), corpus.keys(kind), corpus.entity_labels(kind)
    corpus.texts(rows) -> {row: text};  corpus.clusters, corpus.entities, corpus.manifest, corpus.report

A Corpus may be shared between threads (each thread queries through its own cursor); ``close()`` ends it.
"""

from analysis.timeline import Filters

from .corpus import DOCUMENT_SORTS, Corpus, DocumentsPage

__all__ = ["DOCUMENT_SORTS", "Corpus", "DocumentsPage", "Filters"]
