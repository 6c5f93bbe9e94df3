"""A build stores the answers of its first views (analysis.query.answers) and a Corpus reads them back: the very
answers DuckDB gives, only for the whole build, never stale, and only what comes back exactly as it went in."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.query import Corpus
from analysis.query import answers as A
from analysis.query.corpus import QUERY_FILE
from analysis.timeline import Filters


def _arguments(encoded: dict) -> dict:
    """A stored question's arguments as the method takes them."""
    out = {}
    for name, value in encoded.items():
        if name == "filters":
            [out[name]] = [f for f in A.WHOLE_BUILD if repr(f) == value]
        else:
            out[name] = tuple(value) if isinstance(value, list) else value
    return out


def test_a_build_stores_its_first_views_answers_and_they_are_what_duckdb_answers(sample_build):
    corpus, asked = Corpus.open(sample_build), Corpus.open(sample_build)
    asked._answers = {}  # this one asks DuckDB
    methods = {json.loads(q)[0] for q in corpus._answers}
    assert {"summary", "ranking", "timeline", "choose_granularity", "crosstab", "dating_gaps", "sources",
            "publisher_count"} <= methods
    for question in corpus._answers:
        name, encoded = json.loads(question)
        arguments = _arguments(encoded)
        assert A._same(getattr(corpus, name)(**arguments), getattr(asked, name)(**arguments)), question


def test_stored_answers_are_read_without_computing_them_and_only_for_the_whole_build(sample_build, monkeypatch):
    corpus = Corpus.open(sample_build)
    expected = corpus.ranking(kind="organisation", filters=Filters())
    narrowed = corpus.ranking(kind="organisation", filters=Filters(organisations=("SCO",)))
    n = corpus.n_documents

    def computed(*args, **kwargs):
        raise AssertionError("computed")

    monkeypatch.setattr(Corpus, "_run", computed)  # no DuckDB query
    monkeypatch.setattr(Corpus, "_mask", computed)  # no filter state evaluated, nothing counted
    pd.testing.assert_frame_equal(corpus.ranking(kind="organisation", filters=Filters()), expected)
    pd.testing.assert_frame_equal(corpus.ranking(kind="organisation"), expected)  # None is the whole build
    assert corpus.summary(Filters(include_duplicates=True))["documents"] == n
    with pytest.raises(AssertionError, match="computed"):
        corpus.ranking(kind="organisation", filters=Filters(organisations=("SCO",)))
    monkeypatch.undo()
    pd.testing.assert_frame_equal(corpus.ranking(kind="organisation", filters=Filters(organisations=("SCO",))),
                                  narrowed)


def test_each_read_is_a_fresh_copy(sample_build):
    corpus = Corpus.open(sample_build)
    first = corpus.ranking(kind="theme")
    first.loc[0, "mentions"] = -1
    first.attrs["changed"] = True
    again = corpus.ranking(kind="theme")
    assert again.loc[0, "mentions"] >= 0 and "changed" not in again.attrs


def test_answers_of_other_code_are_ignored(sample_build, tmp_path):
    copy = tmp_path / "build"
    shutil.copytree(sample_build, copy)
    question = A.question("summary", {"filters": Filters()})
    db = duckdb.connect(str(copy / QUERY_FILE))
    db.execute("UPDATE answers SET answer = ? WHERE question = ?", [A.encode({"documents": -1}), question])
    assert A.decode(A.load(db)[question]) == {"documents": -1}  # read while the code is the same
    db.execute("UPDATE answers_stamp SET fingerprint = 'other code'")
    db.close()
    corpus = Corpus.open(copy)
    assert corpus._answers == {}
    assert corpus.summary(Filters()) == Corpus.open(sample_build).summary(Filters())


def test_a_build_without_stored_answers_asks_duckdb(sample_build, tmp_path):
    copy = tmp_path / "build"
    shutil.copytree(sample_build, copy)
    db = duckdb.connect(str(copy / QUERY_FILE))
    db.execute("DROP TABLE answers")
    db.close()
    corpus = Corpus.open(copy)
    assert corpus._answers == {}
    pd.testing.assert_frame_equal(corpus.ranking(kind="theme"), Corpus.open(sample_build).ranking(kind="theme"))


# ------------------------------------------------------------------------------------------ encoding
@pytest.mark.parametrize("value", [
    {"documents": 3, "first_date": dt.datetime(2020, 1, 5), "languages": ["en", "ru"], "share": 0.5},
    {"day": dt.date(2024, 5, 1), "stamp": pd.Timestamp("2024-05-01"), "none": None, "pair": ("a", "b")},
    "year", 7, ("a", "b"), [],
    pd.DataFrame({"key": pd.array(["a", "b"], dtype="str"), "n": np.array([1, 2], dtype=np.int64)}),
    pd.DataFrame({"title": pd.Series(["x", None], dtype=object), "date": pd.to_datetime(["2020-01-01", None])}),
    pd.DataFrame({"n": [1.5, np.nan]}, index=pd.Index(["a", "b"], name="key")),
])
def test_values_come_back_exactly(value):
    blob = A.encode(value)
    assert blob is not None
    assert A._same(A.decode(blob), value)


def test_frames_keep_their_attrs():
    frame = pd.DataFrame({"n": [1, 2]})
    frame.attrs.update({"granularity": "year", "undated": 3, "since": pd.Timestamp("2020-01-01")})
    assert A.decode(A.encode(frame)).attrs == frame.attrs


@pytest.mark.parametrize("value", [
    {1, 2},  # a set: no JSON for it
    {1: "a"},  # a key that is no string
    pd.DataFrame({"mixed": pd.Series([1, "a"], dtype=object)}),  # comes back otherwise
    pd.DataFrame({"title": pd.Series(["x", np.nan], dtype=object)}),  # NaN would come back as None
    object(),
])
def test_what_would_not_come_back_exactly_is_not_stored(value):
    assert A.encode(value) is None


def test_questions_name_method_and_arguments():
    one = A.question("timeline", {"kind": "theme", "keys": ("a", "b"), "filters": Filters(), "by": None})
    assert one == A.question("timeline", {"by": None, "filters": Filters(), "keys": ["a", "b"], "kind": "theme"})
    assert one != A.question("timeline", {"kind": "theme", "keys": ("b", "a"), "filters": Filters(), "by": None})
    assert A.question("texts", {"rows": np.array([1, 2])}) is None


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text() | st.dates(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
                    max_leaves=12))
def test_plain_data_comes_back_exactly(value):
    blob = A.encode(value)
    assert blob is not None and A._same(A.decode(blob), value)
