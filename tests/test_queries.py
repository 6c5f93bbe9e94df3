"""Tests for dashboard.queries: what the views ask of a build equals the analysis functions on its tables, with
the texts read only for what is shown. (The tables the views draw are panels: tests/test_panels.py.)"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analysis import timeline as tl
from analysis.query import Corpus
from analysis.store import read_build
from dashboard import filters as fl
from dashboard.queries import Queries


def _both(path):
    return Queries(Corpus.open(path)), read_build(path)


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
    assert got.attrs == expected.attrs


@pytest.mark.parametrize("targets", [
    (fl.Target(kind="organisation", key="SCO", start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 31)),),
    (fl.Target(kind="organisation", key="SCO", col_kind="theme", col_key="multipolarity"),),
    (fl.Target(doc_id="d2"), fl.Target(doc_id="d4")),
    (fl.Target(kind="cluster", key="brics · sco", start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 31)),),
])  # fmt: skip
def test_narrow_doc_ids(tiny_build, targets):
    queries, build = _both(tiny_build)
    got = queries.narrow_doc_ids(filters=tl.Filters(), targets=targets)
    expected = fl.narrow_doc_ids(build.documents, build.mentions, tl.Filters(), list(targets), build.clusters)
    assert got == expected and got


@pytest.mark.parametrize(("filters", "kwargs"), [
    (tl.Filters(organisations=("NATO",), languages=("ru",)), {}),
    (tl.Filters(sources=("c.txt",)), {"kind": "theme", "granularity": "month"}),
    (tl.Filters(sources=("c.txt",)), {}),
    (tl.Filters(), {"kind": "organisation", "keys": ("UN",)}),
])  # fmt: skip
def test_empty_reason(tiny_build, filters, kwargs):
    queries, build = _both(tiny_build)
    assert queries.empty_reason(filters=filters, **kwargs) == tl.empty_reason(build.documents, build.mentions,
                                                                               filters, **kwargs)


def test_the_reader_document_and_the_pages(tiny_build):
    queries, build = _both(tiny_build)
    doc, mentions = queries.document(doc_id="d3")
    row = build.documents.set_index("doc_id").loc["d3"]
    assert doc["text"] == row["text"] and doc["title"] == row["title"]
    expected = build.mentions[build.mentions["doc_id"] == "d3"]
    assert list(zip(mentions["key"], mentions["start"], strict=True)) == list(
        zip(expected["key"], expected["start"], strict=True))
    page = queries.documents_page(filters=tl.Filters(), limit=2)
    table = tl.documents_table(build.documents, build.mentions)
    assert page.total == len(table) and page.rows["doc_id"].tolist() == table["doc_id"].head(2).tolist()
    found = queries.documents_page(filters=tl.Filters(), limit=10, search="brics SUMMIT")
    assert found.total == 1 and found.rows["doc_id"].tolist() == ["d3"]
    assert queries.document(doc_id="nope")[0] is None


def test_build_facts(tiny_build):
    queries, build = _both(tiny_build)
    docs = build.documents
    assert queries.n_documents == len(docs)
    assert not queries.has_publishers and "publisher" not in docs  # a build made before publishers were found
    assert not queries.has_body_dates()
    assert queries.cluster_labels().to_dict("list") == {"cluster_id": [0, 1],
                                                        "label": ["brics · sco", "nato · <i>security</i>"]}
    assert queries.sources() == tuple(sorted(docs["source"].unique()))


def test_publishers_of_the_sample(sample_build):
    queries, build = _both(sample_build)
    docs = build.documents
    assert queries.has_publishers
    assert queries.publishers() == tuple(sorted(docs["publisher"].dropna().unique()))
    for filters in (tl.Filters(), tl.Filters(languages=("en",)), tl.Filters(organisations=("SCO",))):
        shown = tl.filter_documents(docs, build.mentions, filters)
        assert queries.publisher_count(filters=filters) == shown["publisher"].nunique() > 0
