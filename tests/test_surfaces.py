"""Tests for analysis.surfaces: the top surfaces of a theme or organisation and sample contexts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analysis.lexicon import load_lexicon
from analysis.mentions import find_mentions
from analysis.surfaces import SAMPLE_COLUMNS, SURFACE_COLUMNS, surface_samples, top_surfaces
from analysis.timeline import Filters


@pytest.fixture(scope="module")
def corpus():
    texts = [
        "The SCO met. The SCO and the Shanghai Cooperation Organisation.",
        "The SCO again, and the Shanghai\nCooperation Organisation.",
        "Nothing here about it.",
        "The SCO in 2020.",
    ]
    documents = pd.DataFrame({
        "doc_id": ["a", "b", "c", "d"], "text": texts, "source": ["s1", "s1", "s2", "s2"],
        "date": [dt.date(2019, 1, 1), dt.date(2019, 6, 1), dt.date(2019, 7, 1), dt.date(2020, 3, 1)],
        "language": ["en"] * 4, "duplicate_of": [None] * 4, "date_method": ["metadata"] * 4,
        "date_precision": ["day"] * 4, "n_words": [10] * 4,
    })  # fmt: skip
    return documents, find_mentions(documents, load_lexicon())


def test_top_surfaces_counts_and_shares(corpus):
    documents, mentions = corpus
    got = top_surfaces(documents, mentions, kind="organisation", key="SCO")
    assert list(got.columns) == SURFACE_COLUMNS
    # "Shanghai\nCooperation Organisation" is the same surface as with a space.
    assert got[["surface", "mentions", "documents"]].to_dict("records") == [
        {"surface": "SCO", "mentions": 4, "documents": 3},
        {"surface": "Shanghai Cooperation Organisation", "mentions": 2, "documents": 2},
    ]
    assert got["share_pct"].round(4).tolist() == [round(400 / 6, 4), round(200 / 6, 4)]
    assert got["mentions"].dtype == "int64"


def test_top_surfaces_follow_the_filters_and_top(corpus):
    documents, mentions = corpus
    got = top_surfaces(documents, mentions, kind="organisation", key="SCO", filters=Filters(end=dt.date(2019, 12, 31)),
                       top=1)  # fmt: skip
    assert got[["surface", "mentions"]].to_dict("records") == [{"surface": "SCO", "mentions": 3}]


def test_no_mentions_is_an_empty_typed_table(corpus):
    documents, mentions = corpus
    got = top_surfaces(documents, mentions, kind="theme", key="multipolarity")
    assert got.empty and list(got.columns) == SURFACE_COLUMNS and got["mentions"].dtype == "int64"


def test_surface_samples_are_reproducible_and_in_context(corpus):
    documents, mentions = corpus
    one = surface_samples(documents, mentions, kind="organisation", key="SCO", surface="SCO", n=2, width=8, seed=3)
    two = surface_samples(documents, mentions, kind="organisation", key="SCO", surface="SCO", n=2, width=8, seed=3)
    assert list(one.columns) == SAMPLE_COLUMNS
    assert len(one) == 2 and one.equals(two)
    texts = dict(zip(documents["doc_id"], documents["text"], strict=True))
    for r in one.itertuples():
        assert texts[r.doc_id][r.start : r.end] == r.match == "SCO"
        assert len(r.left) <= 8 and len(r.right) <= 8
    every = surface_samples(documents, mentions, kind="organisation", key="SCO", n=50)
    assert len(every) == 6


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "cluster", "key": "x"}, r"'kind' parameter must be one of \['theme', 'organisation'\]; got 'cluster'"),
        ({"kind": "theme", "key": ""}, r"'key' parameter must be a theme or organisation key"),
        ({"kind": "theme", "key": "x", "top": 0}, r"'top' parameter must be a positive whole number or None; got 0"),
    ],
)
def test_top_surfaces_errors(corpus, kwargs, message):
    documents, mentions = corpus
    with pytest.raises(ValueError, match=message):
        top_surfaces(documents, mentions, **kwargs)


def test_surface_samples_errors(corpus):
    documents, mentions = corpus
    with pytest.raises(ValueError, match=r"'n' must be a positive whole number and 'width' 0 or more; got n=0"):
        surface_samples(documents, mentions, kind="theme", key="x", n=0)


@pytest.mark.parametrize("surface", [None, "SCO", "Shanghai Cooperation Organisation"])
def test_surface_samples_reads_only_the_sampled_texts(corpus, surface):
    documents, mentions = corpus
    expected = surface_samples(documents, mentions, kind="organisation", key="SCO", surface=surface, n=2)
    by_id = dict(zip(documents["doc_id"], documents["text"], strict=True))
    asked: list[list[str]] = []

    def texts(doc_ids):
        asked.append(list(doc_ids))
        return {d: by_id[d] for d in doc_ids}

    got = surface_samples(documents.drop(columns="text"), mentions, kind="organisation", key="SCO", surface=surface,
                          n=2, texts=texts)
    pd.testing.assert_frame_equal(got, expected)
    assert len(asked) == 1 and set(asked[0]) == set(expected["doc_id"])


def test_counted_surfaces_merge_whitespace_variants_and_count_their_documents_once():
    """top_surfaces_counted (counts per surface as matched, from a query layer) gives top_surfaces' table: the
    three spellings of one name are one surface, whose documents are asked for once, not summed."""
    from analysis.surfaces import surfaces_as_shown, top_surfaces_counted

    texts = ["The Shanghai Cooperation Organisation and the Shanghai\nCooperation Organisation met.",
             "The Shanghai  Cooperation Organisation.", "The SCO.", "The SCO and the SCO."]
    documents = pd.DataFrame({
        "doc_id": ["a", "b", "c", "d"], "text": texts, "source": ["s1"] * 4, "date": [dt.date(2019, 1, 1)] * 4,
        "language": ["en"] * 4, "duplicate_of": [None] * 4, "date_method": ["metadata"] * 4,
        "date_precision": ["day"] * 4, "n_words": [10] * 4,
    })  # fmt: skip
    mentions = find_mentions(documents, load_lexicon())
    of_key = mentions[mentions["key"] == "SCO"]
    per_surface = (of_key.groupby("surface", sort=True)
                   .agg(mentions=("doc_id", "size"), documents=("doc_id", "nunique")).reset_index())
    asked = []

    def documents_of(groups):
        asked.append(groups)
        return [of_key.loc[of_key["surface"].isin(group), "doc_id"].nunique() for group in groups]

    got = top_surfaces_counted(per_surface, kind="organisation", key="SCO", documents_of=documents_of)
    pd.testing.assert_frame_equal(got, top_surfaces(documents, mentions, kind="organisation", key="SCO"))
    assert got[["surface", "mentions", "documents"]].to_dict("records") == [
        {"surface": "SCO", "mentions": 3, "documents": 2},
        {"surface": "Shanghai Cooperation Organisation", "mentions": 3, "documents": 2},  # not 1 + 1 + 1
    ]
    spellings = ("Shanghai  Cooperation Organisation", "Shanghai Cooperation Organisation",
                 "Shanghai\nCooperation Organisation")
    assert [sorted(g) for g in asked[0]] == [sorted(spellings)] and len(asked) == 1
    assert sorted(surfaces_as_shown(per_surface)["Shanghai Cooperation Organisation"]) == sorted(spellings)
    empty = top_surfaces_counted(per_surface.iloc[:0], kind="organisation", key="SCO", documents_of=documents_of)
    assert empty.empty and list(empty.columns) == SURFACE_COLUMNS and empty["mentions"].dtype == "int64"
    with pytest.raises(ValueError, match="'top' parameter must be a positive whole number"):
        top_surfaces_counted(per_surface, kind="organisation", key="SCO", top=0, documents_of=documents_of)
