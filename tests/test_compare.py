"""Tests for analysis.compare: two sources' shares side by side, their difference with its interval, and the
lead or lag of one on the other."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.compare import COMPARISON_COLUMNS, LEAD_LAG_COLUMNS, compare_two, lead_lag
from analysis.timeline import Filters

# A pattern of yearly counts (out of 20 documents) that B repeats one year later than A.
_PATTERN = [2, 3, 12, 4, 2, 2, 15, 5, 3, 2, 2, 10, 18, 6, 2, 3, 2, 14, 4, 2]


def _two_sources(lag: int = 1, per_year: int = 20):
    rows, mentions = [], []
    years = range(2000, 2000 + len(_PATTERN))
    for t, year in enumerate(years):
        for source, count in (("a.txt", _PATTERN[t]), ("b.txt", _PATTERN[t - lag] if t >= lag else 2)):
            for i in range(per_year):
                doc_id = f"{source[0]}{year}-{i:02d}"
                text = "grain talk" if i < count else "other talk"
                rows.append({"doc_id": doc_id, "source": source, "seq": i, "title": None,
                             "date": pd.Timestamp(year, 3, 1 + i), "date_precision": "day", "date_method": "text",
                             "language": "en" if source == "a.txt" else "ru", "text": text, "n_words": 2,
                             "duplicate_of": None})  # fmt: skip
                if i < count:
                    mentions.append({"doc_id": doc_id, "kind": "theme", "key": "grain", "surface": "grain",
                                     "start": 0, "end": 5})  # fmt: skip
    return pd.DataFrame(rows), pd.DataFrame(mentions)


def test_compare_two_shares_and_difference():
    documents, mentions = _two_sources()
    got = compare_two(documents, mentions, key="grain", by="source", a="a.txt", b="b.txt", granularity="year")
    assert list(got.columns) == list(COMPARISON_COLUMNS) and len(got) == len(_PATTERN)
    first = got.iloc[2]  # 2002: A 12 of 20, B 3 of 20
    assert (first["documents_mentioning_a"], first["documents_total_a"]) == (12, 20)
    assert (first["share_a"], first["share_b"], first["difference"]) == pytest.approx((60.0, 15.0, 45.0))
    assert first["difference_low"] < 45.0 < first["difference_high"]
    assert first["share_a_low"] < 60.0 < first["share_a_high"]
    assert got.attrs["a"] == "a.txt" and got.attrs["by"] == "source"


def test_difference_interval_matches_newcombe():
    # Newcombe (1998), "Interval estimation for the difference between independent proportions", Statistics
    # in Medicine 17:873-890, example (a): 56/70 - 48/80 = 0.2000, method 10: 0.0524 to 0.3339.
    rows, mentions = [], []
    for source, (x, n) in (("a.txt", (56, 70)), ("b.txt", (48, 80))):
        for i in range(n):
            doc_id = f"{source[0]}{i}"
            rows.append({"doc_id": doc_id, "source": source, "seq": i, "title": None,
                         "date": pd.Timestamp(2020, 1, 1 + i % 28), "date_precision": "day", "date_method": "text",
                         "language": "en", "text": "x", "n_words": 1, "duplicate_of": None})  # fmt: skip
            if i < x:
                mentions.append({"doc_id": doc_id, "kind": "theme", "key": "k", "surface": "x", "start": 0, "end": 1})
    got = compare_two(pd.DataFrame(rows), pd.DataFrame(mentions), key="k", a="a.txt", b="b.txt").iloc[0]
    assert round(got["difference"] / 100, 4) == 0.2
    assert round(got["difference_low"] / 100, 4) == 0.0524
    assert round(got["difference_high"] / 100, 4) == 0.3339


def test_a_period_one_side_lacks_has_no_share_and_no_difference():
    documents, mentions = _two_sources()
    documents = documents[~((documents["source"] == "b.txt") & (documents["date"].dt.year == 2005))]
    got = compare_two(documents, mentions, key="grain", a="a.txt", b="b.txt").set_index("period_label")
    assert got.loc["2005", "documents_total_b"] == 0
    assert np.isnan(got.loc["2005", "share_b"]) and np.isnan(got.loc["2005", "difference"])
    assert not np.isnan(got.loc["2005", "share_a"])


@pytest.mark.parametrize("lag", [1, 2, -1, 0])
def test_lead_lag_finds_who_follows(lag):
    documents, mentions = _two_sources(lag=abs(lag))
    a, b = ("a.txt", "b.txt") if lag >= 0 else ("b.txt", "a.txt")
    got = lead_lag(compare_two(documents, mentions, key="grain", a=a, b=b))
    assert list(got.columns) == list(LEAD_LAG_COLUMNS)
    assert got["lag"].tolist() == list(range(-6, 7))  # a third of 20 periods
    assert got.attrs["best_lag"] == lag
    assert got.attrs["best_correlation"] > 0.9
    assert got.loc[got["lag"] == got.attrs["best_lag"], "periods"].item() == len(_PATTERN) - abs(lag)


def test_lead_lag_by_language_and_its_limits():
    documents, mentions = _two_sources(lag=1)
    comparison = compare_two(documents, mentions, key="grain", by="language", a="en", b="ru")
    got = lead_lag(comparison, max_lag=2, min_periods=19)
    # Lags 1 and -1 rest on 19 pairs, lag 2 on 18: below min_periods, no correlation.
    assert np.isnan(got.set_index("lag").loc[2, "correlation"])
    assert got.attrs["best_lag"] == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"a": "a.txt", "b": "a.txt"}, r"two different values of 'source'; got 'a.txt' twice")],
)
def test_compare_two_refuses_one_side_twice(kwargs, message):
    documents, mentions = _two_sources()
    with pytest.raises(ValueError, match=message):
        compare_two(documents, mentions, key="grain", filters=Filters(), **kwargs)


def test_lead_lag_refuses_a_bad_lag():
    documents, mentions = _two_sources()
    comparison = compare_two(documents, mentions, key="grain", a="a.txt", b="b.txt")
    with pytest.raises(ValueError, match=r"'max_lag' parameter must be an integer >= 0; got -1"):
        lead_lag(comparison, max_lag=-1)
    with pytest.raises(ValueError, match=r"lacks the columns \['share_a', 'share_b'\]"):
        lead_lag(pd.DataFrame({"x": [1]}))


def test_compare_two_publishers():
    documents, mentions = _two_sources()
    documents["publisher"] = documents["source"].map({"a.txt": "TASS", "b.txt": "RIA Novosti"})
    by_publisher = compare_two(documents, mentions, key="grain", by="publisher", a="TASS", b="RIA Novosti")
    by_source = compare_two(documents, mentions, key="grain", by="source", a="a.txt", b="b.txt")
    assert by_publisher[["share_a", "share_b", "difference"]].equals(by_source[["share_a", "share_b", "difference"]])


@pytest.mark.parametrize(("by", "a", "b"), [("source", "a.txt", "b.txt"), ("language", "en", "ru")])
def test_comparison_of_a_timeline_is_compare_two(by, a, b):
    from analysis.compare import comparison, comparison_filters
    from analysis.timeline import timeline

    documents, mentions = _two_sources()
    expected = compare_two(documents, mentions, key="grain", by=by, a=a, b=b, granularity="year")
    filters = comparison_filters(Filters(), by=by, a=a, b=b)
    assert getattr(filters, {"source": "sources", "language": "languages"}[by]) == (a, b)
    table = timeline(documents, mentions, kind="theme", keys=("grain",), granularity="year", filters=filters, by=by)
    got = comparison(table, kind="theme", by=by, a=a, b=b, granularity="year")
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs == expected.attrs
    with pytest.raises(ValueError, match=r"Compare two different values of 'source'; got 'x' twice"):
        comparison(table, kind="theme", by="source", a="x", b="x", granularity="year")
