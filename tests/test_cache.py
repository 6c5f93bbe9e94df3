"""Tests for dashboard.cache: one Queries per build, its answers cached and equal to the analysis functions."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from analysis import timeline as tl
from analysis.store import BuildError, read_build
from dashboard import cache


@pytest.mark.parametrize("name,kwargs", [
    ("timeline", {"kind": "theme", "granularity": "year"}),
    ("timeline", {"kind": "organisation", "keys": ("SCO", "NATO"), "granularity": "month"}),
    ("ranking", {"kind": "organisation"}),
    ("ranking", {"kind": "theme"}),
    ("crosstab", {"row_kind": "organisation", "col_kind": "theme"}),
    ("crosstab", {"row_kind": "organisation", "col_kind": "organisation"}),
    ("summary", {}),
    ("documents_table", {}),
    ("choose_granularity", {}),
])
@pytest.mark.parametrize("filters", [
    tl.Filters(), tl.Filters(themes=("ngos",), start=dt.date(1990, 1, 1)), tl.Filters(organisations=("NATO",)),
    tl.Filters(start=dt.date(1950, 1, 1), end=dt.date(1952, 12, 31), include_duplicates=True),
])
@pytest.mark.parametrize("which", ["tiny_build", "big_build"])
def test_cached_tables_equal_the_analysis_functions(request, which, name, kwargs, filters):
    # The dashboard's tables come from the build's Corpus through the cache: the same results.
    path = request.getfixturevalue(which)
    queries = cache.open_queries(path)
    build = read_build(path)
    if name == "documents_table":  # the dashboard reads it a page at a time; every row for a download
        got = queries.all_documents(filters=filters)
    else:
        got = getattr(queries, name)(filters=filters, **kwargs)
    expected = getattr(tl, name)(build.documents, build.mentions, filters=filters, **kwargs)
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
        assert got.attrs == expected.attrs
    else:
        assert got == expected


def test_an_answer_is_computed_once_and_handed_out_as_a_copy(tiny_build):
    queries = cache.open_queries(tiny_build)
    first = queries.ranking(kind="organisation", filters=tl.Filters())
    first.loc[0, "mentions"] = -1
    first.attrs["touched"] = True
    second = queries.ranking(kind="organisation", filters=tl.Filters())
    assert second.loc[0, "mentions"] != -1 and "touched" not in second.attrs
    # Lists given as arguments are the same question as tuples.
    keys = queries.timeline(kind="organisation", keys=["SCO"], granularity="year", filters=tl.Filters())
    pd.testing.assert_frame_equal(keys, queries.timeline(kind="organisation", keys=("SCO",), granularity="year",
                                                         filters=tl.Filters()))


def test_one_queries_object_per_build(tiny_build, big_build):
    a, b = cache.open_queries(tiny_build), cache.open_queries(tiny_build)
    assert a.queries is b.queries
    assert cache.open_queries(big_build).queries is not a.queries
    assert a.manifest["build_hash"] == "tiny0001" and a.n_documents == len(read_build(tiny_build).documents)


def test_a_rewritten_build_is_opened_again(tmp_path):
    from conftest import write_tiny_build

    out = write_tiny_build(tmp_path / "b")
    before = cache.open_queries(out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["build_hash"] = "tiny0002"
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    after = cache.open_queries(out)
    assert after.queries is not before.queries and after.manifest["build_hash"] == "tiny0002"


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p, r"No build at '.*': manifest\.json is missing"),
    (lambda p: (p.mkdir(), (p / "manifest.json").write_text("{not json", encoding="utf-8"), p)[-1],
     r"The manifest\.json of '.*' cannot be read"),
])  # fmt: skip
def test_a_folder_that_is_no_build_is_refused(tmp_path, make, message):
    with pytest.raises(BuildError, match=message):
        cache.open_queries(make(tmp_path / "nothing"))
