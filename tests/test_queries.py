"""Tests for dashboard.queries: what the views ask of a build equals the analysis functions on its tables, with
the texts read only for what is shown."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis import compare as cmp
from analysis import explain as ex
from analysis import surfaces as sf
from analysis import timeline as tl
from analysis.query import Corpus
from analysis.store import read_build
from dashboard import filters as fl
from dashboard.queries import MAP_COLUMNS, Queries


def _both(path):
    return Queries(Corpus.open(path)), read_build(path)


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
    assert got.attrs == expected.attrs


@pytest.mark.parametrize("filters", [tl.Filters(), tl.Filters(start=dt.date(2014, 1, 1))])
@pytest.mark.parametrize("with_events", [True, False])
def test_surge_table(surge_build, filters, with_events):
    queries, build = _both(surge_build)
    events = str(surge_build / "events.toml")
    got = queries.surge_table(kind="theme", granularity="year", filters=filters, events_file=events,
                              with_events=with_events)
    expected = ex.surge_table(build.documents, build.mentions, kind="theme", granularity="year", filters=filters,
                              events_file=events, with_events=with_events)
    _same(got, expected)
    assert not got.empty


@pytest.mark.parametrize(("start", "end"), [(dt.date(2016, 1, 1), dt.date(2017, 12, 31)),
                                            (dt.date(2016, 1, 1), dt.date(2016, 12, 31))])
def test_surge_explanation(surge_build, start, end):
    queries, build = _both(surge_build)
    got = queries.surge_explanation(kind="theme", key="grain", start=start, end=end, filters=tl.Filters())
    expected = ex.surge_explanation(build.documents, build.mentions, kind="theme", key="grain", start=start, end=end)
    _same(got["words"], expected["words"])
    _same(got["passages"], expected["passages"])
    assert got["doc_ids"] == expected["doc_ids"] and not got["words"].empty


@pytest.mark.parametrize(("by", "a", "b"), [("source", "a.txt", "b.txt"), ("source", "b.txt", "a.txt")])
def test_compare_two(two_source_build, by, a, b):
    queries, build = _both(two_source_build)
    got = queries.compare_two(kind="theme", key="grain", by=by, a=a, b=b, granularity="year", filters=tl.Filters())
    expected = cmp.compare_two(build.documents, build.mentions, kind="theme", key="grain", by=by, a=a, b=b,
                               granularity="year")
    _same(got, expected)


@pytest.mark.parametrize("filters", [tl.Filters(), tl.Filters(languages=("ru",)), tl.Filters(sources=("zz",))])
@pytest.mark.parametrize(("kind", "key"), [("organisation", "SCO"), ("theme", "multipolarity")])
def test_surfaces_and_their_samples(tiny_build, filters, kind, key):
    queries, build = _both(tiny_build)
    top = queries.top_surfaces(kind=kind, key=key, filters=filters, top=20)
    _same(top, sf.top_surfaces(build.documents, build.mentions, kind=kind, key=key, filters=filters, top=20))
    for surface in [*top["surface"], "absent"]:
        got = queries.surface_samples(kind=kind, key=key, surface=surface, filters=filters, n=2)
        expected = sf.surface_samples(build.documents, build.mentions, kind=kind, key=key, surface=surface,
                                      filters=filters, n=2)
        _same(got, expected)


@pytest.mark.parametrize(("filters", "limit"), [(tl.Filters(), 3000), (tl.Filters(), 10_000),
                                                (tl.Filters(start=dt.date(2000, 1, 1)), 100)])
def test_map_points_are_a_fixed_sample_of_the_filtered_documents(big_build, filters, limit):
    queries, build = _both(big_build)
    points, total = queries.map_points(filters=filters, limit=limit)
    docs = tl.filter_documents(build.documents, build.mentions, filters)
    assert total == len(docs) and list(points.columns) == MAP_COLUMNS
    assert len(points) == min(limit, total)
    expected = docs[MAP_COLUMNS].reset_index(drop=True)
    if total > limit:
        expected = expected.iloc[np.sort(np.random.default_rng(0).choice(total, size=limit, replace=False))]
    _same(points, expected)


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
