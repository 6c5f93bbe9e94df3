"""Tests for analysis.timeline: filters, period tables, rankings, cross-tabs, concordance, messages."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.timeline import (
    DATING_GAP_COLUMNS,
    GRANULARITIES,
    MEASURES,
    TIMELINE_COLUMNS,
    EmptyReason,
    Filters,
    cluster_mentions,
    concordance,
    crosstab,
    dating_gaps,
    documents_table,
    empty_reason,
    filter_documents,
    measure_column,
    ranking,
    summary,
    timeline,
)

DOC_COLUMNS = [
    "doc_id", "source", "seq", "title", "date", "date_precision", "date_method", "language", "text",
    "n_words", "duplicate_of", "cluster_id",
]  # fmt: skip


def make_documents(rows: list[dict]) -> pd.DataFrame:
    """A documents table from a few literal rows; unspecified columns get plain defaults."""
    filled = []
    for i, row in enumerate(rows):
        text = row.get("text", "Some words here.")
        base = {
            "doc_id": f"d{i}",
            "source": "a.txt",
            "seq": i,
            "title": f"Doc {i}",
            "date": None,
            "date_precision": "day" if row.get("date") else None,
            "date_method": "text" if row.get("date") else None,
            "language": "en",
            "text": text,
            "n_words": len(text.split()),
            "duplicate_of": None,
            "cluster_id": -1,
        }
        base.update(row)
        filled.append(base)
    df = pd.DataFrame(filled, columns=DOC_COLUMNS)
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    df["seq"] = df["seq"].astype("int64")
    df["n_words"] = df["n_words"].astype("int64")
    df["cluster_id"] = df["cluster_id"].astype("int64")
    return df


def make_mentions(rows: list[tuple]) -> pd.DataFrame:
    """A mentions table from (doc_id, kind, key) or (doc_id, kind, key, start, end) tuples."""
    out = []
    for row in rows:
        doc_id, kind, key, *span = row
        start, end = span if span else (0, len(key))
        out.append((doc_id, kind, key, key, start, end))
    df = pd.DataFrame(out, columns=["doc_id", "kind", "key", "surface", "start", "end"])
    return df.astype({"start": "int64", "end": "int64"})


# A small corpus: six dated documents over January–April 2024, one undated, one duplicate,
# one with an inferred date, one dated only to the year.
DOCS = make_documents(
    [
        {
            "doc_id": "jan1",
            "date": "2024-01-10",
            "source": "tass.txt",
            "text": "NATO and the EU met.",
            "n_words": 100,
        },
        {"doc_id": "jan2", "date": "2024-01-20", "source": "mid.txt", "language": "ru", "n_words": 300},
        {"doc_id": "mar1", "date": "2024-03-05", "source": "tass.txt", "n_words": 200},
        {
            "doc_id": "mar2",
            "date": "2024-03-31",
            "source": "mid.txt",
            "date_method": "inferred",
            "n_words": 100,
        },
        {"doc_id": "apr1", "date": "2024-04-15", "source": "tass.txt", "n_words": 400},
        {"doc_id": "undated", "source": "mid.txt", "n_words": 50},
        {"doc_id": "dup", "date": "2024-01-10", "source": "copy.txt", "duplicate_of": "jan1", "n_words": 100},
        {
            "doc_id": "yearly",
            "date": "2024-01-01",
            "date_precision": "year",
            "date_method": "path",
            "n_words": 80,
        },
    ]
)
MENTIONS = make_mentions(
    [
        ("jan1", "organisation", "NATO"),
        ("jan1", "organisation", "NATO"),
        ("jan1", "organisation", "EU"),
        ("jan1", "theme", "multipolarity"),
        ("jan2", "organisation", "SCO"),
        ("jan2", "theme", "multipolarity"),
        ("mar1", "organisation", "NATO"),
        ("mar2", "organisation", "SCO"),
        ("mar2", "organisation", "NATO"),
        ("apr1", "theme", "ngos"),
        ("undated", "organisation", "NATO"),
        ("dup", "organisation", "NATO"),
        ("yearly", "organisation", "NATO"),
    ]
)


def ids(frame: pd.DataFrame) -> set[str]:
    return set(frame["doc_id"])


# ------------------------------------------------------------------------------------------------ Filters
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), {"jan1", "jan2", "mar1", "mar2", "apr1", "undated", "yearly"}),
        (
            Filters(include_duplicates=True),
            {"jan1", "jan2", "mar1", "mar2", "apr1", "undated", "dup", "yearly"},
        ),
        (Filters(include_inferred=False), {"jan1", "jan2", "mar1", "apr1", "undated", "yearly"}),
        (Filters(sources=("tass.txt",)), {"jan1", "mar1", "apr1"}),
        (Filters(sources=("tass.txt", "mid.txt")), {"jan1", "jan2", "mar1", "mar2", "apr1", "undated"}),
        (Filters(languages=("ru",)), {"jan2"}),
        (Filters(organisations=("NATO",)), {"jan1", "mar1", "mar2", "undated", "yearly"}),
        (Filters(organisations=("NATO", "SCO")), {"jan1", "jan2", "mar1", "mar2", "undated", "yearly"}),
        (Filters(organisations=("NATO", "SCO"), org_mode="all"), {"mar2"}),
        (Filters(organisations=("NATO", "EU"), org_mode="all"), {"jan1"}),
        (Filters(organisations=("Nobody",)), set()),
        (Filters(themes=("multipolarity",)), {"jan1", "jan2"}),
        (Filters(themes=("multipolarity", "ngos")), {"jan1", "jan2", "apr1"}),
        (Filters(themes=("NATO",)), set()),  # an organisation is not a theme
        (Filters(organisations=("NATO",), themes=("multipolarity",)), {"jan1"}),
        (Filters(start=dt.date(2024, 3, 1)), {"mar1", "mar2", "apr1"}),
        (Filters(end=dt.date(2024, 3, 5)), {"jan1", "jan2", "mar1", "yearly"}),
        (Filters(start=dt.date(2024, 1, 20), end=dt.date(2024, 3, 31)), {"jan2", "mar1", "mar2"}),
        (Filters(start=dt.date(2024, 3, 31), end=dt.date(2024, 3, 31)), {"mar2"}),
        (Filters(start=dt.date(2025, 1, 1)), set()),
        (Filters(doc_ids=("jan1", "undated", "dup")), {"jan1", "undated"}),
        (Filters(doc_ids=()), set()),
        (Filters(doc_ids=("dup",), include_duplicates=True), {"dup"}),
    ],
)
def test_filter_documents(filters, expected):
    out = filter_documents(DOCS, MENTIONS, filters)
    assert ids(out) == expected
    assert list(out.columns) == list(DOCS.columns)


def test_filters_coerce_lists_dates_and_strings_and_stay_hashable():
    f = Filters(organisations=["NATO"], sources="a.txt", start="2024-01-01", end=pd.Timestamp("2024-02-01"))
    assert f.organisations == ("NATO",)
    assert f.sources == ("a.txt",)
    assert f.start == dt.date(2024, 1, 1)
    assert f.end == dt.date(2024, 2, 1)
    assert hash(f) == hash(Filters(organisations=("NATO",), sources=("a.txt",), start=dt.date(2024, 1, 1),
                                   end=dt.date(2024, 2, 1)))  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"org_mode": "some"}, ValueError, r"The 'org_mode' parameter must be one of \['any', 'all'\]; got 'some'"),
        ({"start": "yesterday"}, ValueError, r"The 'start' filter must be a datetime.date .*got 'yesterday'"),
        ({"start": dt.date(2024, 2, 1), "end": dt.date(2024, 1, 1)}, ValueError,
         r"The 'start' date must be on or before the 'end' date; got start=2024-02-01 and end=2024-01-01"),
        ({"organisations": 5}, TypeError, r"The 'organisations' filter must be a sequence of strings; got int"),
    ],
)  # fmt: skip
def test_filters_reject_bad_values(kwargs, error, message):
    with pytest.raises(error, match=message):
        Filters(**kwargs)


# ----------------------------------------------------------------------------------------------- timeline
def test_monthly_timeline_has_every_month_with_zeros():
    out = timeline(DOCS, MENTIONS, kind="organisation", keys=["NATO"], granularity="month")
    assert list(out.columns) == list(TIMELINE_COLUMNS)
    assert out["period_label"].tolist() == ["January 2024", "February 2024", "March 2024", "April 2024"]
    assert out["period"].tolist() == list(
        pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"])
    )
    assert out["period_end"].tolist() == list(
        pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"])
    )
    assert out["mentions"].tolist() == [2, 0, 2, 0]
    assert out["documents_mentioning"].tolist() == [1, 0, 2, 0]
    assert out["documents_total"].tolist() == [2, 0, 2, 1]
    assert out["words_total"].tolist() == [400, 0, 300, 400]
    # February has no documents: its share is undefined (NaN), not 0%.
    assert out["share_pct"].fillna(-1).tolist() == [50.0, -1, 100.0, 0.0]
    assert out["per_10k_words"].fillna(-1).tolist() == pytest.approx([50.0, -1, 2 / 300 * 10_000, 0.0])
    assert out["partial"].tolist() == [True, False, False, True]
    assert out.attrs["undated"] == 1
    assert out.attrs["excluded_coarse"] == 1  # "yearly" cannot be placed in a month


def test_timeline_dtypes():
    out = timeline(DOCS, MENTIONS, kind="organisation")
    for column in ("mentions", "documents_mentioning", "documents_total", "words_total"):
        assert out[column].dtype == np.int64
    assert out["share_pct"].dtype == np.float64
    assert out["partial"].dtype == bool
    assert pd.api.types.is_datetime64_any_dtype(out["period"])
    assert pd.api.types.is_string_dtype(out["period_label"])


def test_keys_none_gives_sorted_keys_seen_in_filtered_dated_documents():
    out = timeline(DOCS, MENTIONS, kind="organisation")
    assert out["key"].unique().tolist() == ["EU", "NATO", "SCO"]
    assert len(out) == 4 * 3


def test_given_keys_are_kept_in_order_even_when_never_mentioned():
    out = timeline(DOCS, MENTIONS, kind="organisation", keys=("SCO", "Nobody", "SCO"))
    assert out["key"].unique().tolist() == ["SCO", "Nobody"]
    assert out.loc[out["key"] == "Nobody", "mentions"].sum() == 0


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_periods_sum_to_the_totals(granularity):
    docs = DOCS[DOCS["date_precision"] == "day"]
    out = timeline(docs, MENTIONS, kind="organisation", keys=["NATO"], granularity=granularity)
    placed = filter_documents(docs, MENTIONS, Filters())
    placed = placed[placed["date"].notna()]
    nato = MENTIONS[(MENTIONS["key"] == "NATO") & MENTIONS["doc_id"].isin(placed["doc_id"])]
    assert out["mentions"].sum() == len(nato)
    assert out["documents_mentioning"].sum() == nato["doc_id"].nunique()
    assert out["documents_total"].sum() == len(placed)
    assert out["words_total"].sum() == placed["n_words"].sum()
    assert out["share_pct"].dropna().between(0, 100).all()
    assert (out["share_pct"].isna() == (out["documents_total"] == 0)).all()
    assert out["period"].is_monotonic_increasing
    assert (out["period"] <= out["period_end"]).all()


@pytest.mark.parametrize(
    ("granularity", "labels", "coarse"),
    [
        ("day", ["10 January 2024", "11 January 2024"], 1),
        ("week", ["Week of 8 January 2024", "Week of 15 January 2024"], 1),
        ("month", ["January 2024", "February 2024"], 1),
        ("quarter", ["2024 Q1", "2024 Q2"], 1),
        ("year", ["2024"], 0),
    ],
)
def test_period_labels_and_coarse_exclusion(granularity, labels, coarse):
    out = timeline(DOCS, MENTIONS, kind="organisation", keys=["NATO"], granularity=granularity)
    assert out["period_label"].tolist()[: len(labels)] == labels
    assert out.attrs["excluded_coarse"] == coarse


def test_weeks_start_on_monday():
    docs = make_documents([{"date": "2024-05-16"}, {"date": "2024-05-19"}, {"date": "2024-05-20"}])
    out = timeline(docs, make_mentions([("d0", "theme", "t")]), keys=["t"], granularity="week")
    assert out["period"].tolist() == list(pd.to_datetime(["2024-05-13", "2024-05-20"]))
    assert out["period_end"].tolist() == list(pd.to_datetime(["2024-05-19", "2024-05-26"]))
    assert out["period_label"].tolist() == ["Week of 13 May 2024", "Week of 20 May 2024"]
    assert out["documents_total"].tolist() == [2, 1]
    assert out["partial"].tolist() == [True, True]


def test_month_precision_documents_are_placed_by_month_and_quarter_but_not_by_day():
    docs = make_documents([{"date": "2024-05-01", "date_precision": "month"}, {"date": "2024-06-10"}])
    mentions = make_mentions([("d0", "theme", "t"), ("d1", "theme", "t")])
    assert timeline(docs, mentions, granularity="month")["mentions"].tolist() == [1, 1]
    assert timeline(docs, mentions, granularity="quarter")["mentions"].tolist() == [2]
    by_day = timeline(docs, mentions, granularity="day")
    assert by_day["mentions"].sum() == 1
    assert by_day.attrs["excluded_coarse"] == 1


@pytest.mark.parametrize(
    ("dates", "precisions", "filters", "partial"),
    [
        (["2024-01-01", "2024-03-31"], ["day", "day"], Filters(), [False, False, False]),
        (["2024-01-02", "2024-03-31"], ["day", "day"], Filters(), [True, False, False]),
        (["2024-01-01", "2024-03-30"], ["day", "day"], Filters(), [False, False, True]),
        (["2024-01-01", "2024-03-01"], ["day", "month"], Filters(), [False, False, False]),
        (["2024-01-15", "2024-03-15"], ["day", "day"],
         Filters(start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 31)), [False, False, False]),
        (["2024-01-15", "2024-03-15"], ["day", "day"],
         Filters(start=dt.date(2024, 1, 10), end=dt.date(2024, 3, 20)), [True, False, True]),
    ],
)  # fmt: skip
def test_partial_flags(dates, precisions, filters, partial):
    docs = make_documents([{"date": d, "date_precision": p} for d, p in zip(dates, precisions, strict=True)])
    out = timeline(docs, make_mentions([("d0", "theme", "t")]), keys=["t"], filters=filters)
    assert out["partial"].tolist() == partial


def test_date_filter_sets_the_period_range_even_beyond_the_data():
    filters = Filters(start=dt.date(2023, 12, 1), end=dt.date(2024, 5, 31))
    out = timeline(DOCS, MENTIONS, kind="organisation", keys=["NATO"], filters=filters)
    assert out["period_label"].iloc[0] == "December 2023"
    assert out["period_label"].iloc[-1] == "May 2024"
    assert out["documents_total"].tolist() == [0, 2, 0, 2, 1, 0]


def test_timeline_by_source_splits_each_period():
    out = timeline(DOCS, MENTIONS, kind="organisation", keys=["NATO"], by="source")
    assert list(out.columns) == [*TIMELINE_COLUMNS[:4], "source", *TIMELINE_COLUMNS[4:]]
    assert len(out) == 4 * 2  # months × sources
    jan = out[out["period_label"] == "January 2024"].set_index("source")
    assert jan.loc["tass.txt", "documents_total"] == 1
    assert jan.loc["tass.txt", "share_pct"] == 100.0
    assert jan.loc["mid.txt", "documents_total"] == 1
    assert jan.loc["mid.txt", "share_pct"] == 0.0
    assert out["documents_total"].sum() == 5


@pytest.mark.parametrize(
    "filters",
    [Filters(organisations=("Nobody",)), Filters(start=dt.date(2030, 1, 1)), Filters(languages=("zz",))],
)
@pytest.mark.parametrize("by", [None, "source"])
def test_empty_filter_gives_an_empty_frame_with_the_same_columns(filters, by):
    full = timeline(DOCS, MENTIONS, kind="organisation", by=by)
    empty = timeline(DOCS, MENTIONS, kind="organisation", filters=filters, by=by)
    assert empty.empty
    assert list(empty.columns) == list(full.columns)
    assert empty.attrs["undated"] == 0


def test_only_undated_documents_give_an_empty_timeline_and_count_them():
    docs = make_documents([{"doc_id": "u1"}, {"doc_id": "u2"}])
    out = timeline(docs, make_mentions([("u1", "theme", "t")]))
    assert out.empty
    assert out.attrs == {"undated": 2, "excluded_coarse": 0, "kind": "theme", "granularity": "month"}


def test_timeline_does_not_modify_its_inputs():
    docs, mentions = DOCS.copy(), MENTIONS.copy()
    timeline(docs, mentions, kind="organisation", by="source")
    pd.testing.assert_frame_equal(docs, DOCS)
    pd.testing.assert_frame_equal(mentions, MENTIONS)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"granularity": "fortnight"},
         r"The 'granularity' parameter must be one of \['day', 'week', 'month', 'quarter', 'year'\]; "
         r"got 'fortnight' instead."),
        ({"kind": "person"},
         r"The 'kind' parameter must be one of \['theme', 'organisation', 'cluster'\]; got 'person' instead."),
        ({"by": "nonexistent"}, r"The 'by' parameter must be None or a documents column such as \['source'"),
        ({"filters": {"start": "2024"}}, r"The 'filters' parameter must be an analysis.timeline.Filters; got dict"),
    ],
)  # fmt: skip
def test_timeline_rejects_bad_arguments(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        timeline(DOCS, MENTIONS, **kwargs)


def test_measures_name_timeline_columns():
    out = timeline(DOCS, MENTIONS, kind="organisation")
    for measure, (column, explanation) in MEASURES.items():
        assert measure_column(measure) == column
        assert column in out.columns
        assert explanation
    with pytest.raises(
        ValueError, match=r"The 'measure' parameter must be one of \['mentions', 'documents', "
    ):
        measure_column("ratio")


# ------------------------------------------------------------------------------------------------ clusters
CLUSTERS = pd.DataFrame({"cluster_id": [0, 1], "label": ["security · nato", "trade · brics"], "size": [3, 2]})


def test_cluster_mentions_and_cluster_timeline():
    docs = make_documents(
        [
            {"date": "2024-01-05", "cluster_id": 0},
            {"date": "2024-01-06", "cluster_id": 1},
            {"date": "2024-02-05", "cluster_id": 0},
            {"date": "2024-02-06", "cluster_id": -1},
        ]
    )
    pseudo = cluster_mentions(docs, CLUSTERS)
    assert list(pseudo.columns) == ["doc_id", "kind", "key", "surface", "start", "end"]
    assert pseudo["doc_id"].tolist() == ["d0", "d1", "d2"]
    assert pseudo["key"].tolist() == ["security · nato", "trade · brics", "security · nato"]
    assert set(pseudo["kind"]) == {"cluster"}
    assert (pseudo["start"] == 0).all() and (pseudo["end"] == 0).all() and (pseudo["surface"] == "").all()
    out = timeline(docs, pseudo, kind="cluster")
    share = out.pivot(index="period_label", columns="key", values="share_pct")
    assert share.loc["January 2024", "security · nato"] == 50.0
    assert share.loc["February 2024", "security · nato"] == 50.0
    assert share.loc["February 2024", "trade · brics"] == 0.0


def test_cluster_labels_made_unique_and_missing_ones_named():
    clusters = pd.DataFrame({"cluster_id": [0, 1], "label": ["same", "same"]})
    docs = make_documents([{"cluster_id": 0}, {"cluster_id": 1}, {"cluster_id": 7}])
    assert cluster_mentions(docs, clusters)["key"].tolist() == ["same (#0)", "same (#1)", "Cluster 7"]


def test_cluster_timeline_falls_back_to_cluster_ids_without_pseudo_mentions():
    docs = make_documents([{"date": "2024-01-05", "cluster_id": 0}, {"date": "2024-01-06", "cluster_id": 2}])
    out = timeline(docs, make_mentions([]), kind="cluster")
    assert out["key"].tolist() == ["Cluster 0", "Cluster 2"]


# -------------------------------------------------------------------------------------- ranking, crosstab
def test_ranking():
    out = ranking(DOCS, MENTIONS, kind="organisation")
    assert list(out.columns) == ["key", "mentions", "documents_mentioning", "share_pct"]
    assert out["key"].tolist() == ["NATO", "SCO", "EU"]
    assert out["mentions"].tolist() == [6, 2, 1]
    assert out["documents_mentioning"].tolist() == [5, 2, 1]
    assert out["share_pct"].tolist() == pytest.approx([500 / 7, 200 / 7, 100 / 7])


def test_ranking_ties_sorted_by_key_and_empty_ranking_has_columns():
    out = ranking(DOCS, MENTIONS, kind="theme", filters=Filters(sources=("tass.txt",)))
    assert out["key"].tolist() == ["multipolarity", "ngos"]
    empty = ranking(DOCS, MENTIONS, kind="theme", filters=Filters(languages=("zz",)))
    assert empty.empty and list(empty.columns) == list(out.columns)


def test_crosstab_organisation_by_theme():
    out = crosstab(DOCS, MENTIONS, row_kind="organisation", col_kind="theme")
    assert list(out.columns) == ["row_key", "col_key", "documents", "row_documents", "share_pct"]
    table = out.set_index(["row_key", "col_key"])
    assert len(out) == 3 * 2  # every pair, zeros included
    assert table.loc[("NATO", "multipolarity"), "documents"] == 1
    assert table.loc[("NATO", "multipolarity"), "share_pct"] == pytest.approx(100 / 5)
    assert table.loc[("SCO", "multipolarity"), "share_pct"] == 50.0
    assert table.loc[("EU", "ngos"), "documents"] == 0


def test_crosstab_organisation_by_organisation_diagonal_is_documents_mentioning():
    out = crosstab(DOCS, MENTIONS, row_kind="organisation", col_kind="organisation")
    diagonal = out[out["row_key"] == out["col_key"]].set_index("row_key")["documents"]
    expected = ranking(DOCS, MENTIONS).set_index("key")["documents_mentioning"]
    assert diagonal.sort_index().tolist() == expected.sort_index().tolist()
    symmetric = out.pivot(index="row_key", columns="col_key", values="documents")
    assert (symmetric.to_numpy() == symmetric.to_numpy().T).all()


# -------------------------------------------------------------------------------------------- concordance
TEXT = (
    "The summit opened in Astana.   The leaders discussed the SCO and its future.\n\n"
    "Trade grew. A very long sentence about the organisation follows here and it keeps going on and on "
    "without any full stop so that the window must cut it somewhere in the middle of the words"
)


def _conc_corpus():
    docs = make_documents(
        [
            {"doc_id": "x", "date": "2024-02-01", "text": TEXT},
            {"doc_id": "w", "date": "2024-01-01", "text": "SCO."},
        ]
    )
    sco = TEXT.index("SCO")
    org = TEXT.index("organisation")
    mentions = make_mentions(
        [
            ("x", "organisation", "SCO", sco, sco + 3),
            ("x", "theme", "organisation", org, org + len("organisation")),
            ("w", "organisation", "SCO", 0, 3),
        ]
    )
    return docs, mentions


def test_concordance_is_sentence_aware_and_sorted_by_date():
    docs, mentions = _conc_corpus()
    out = concordance(docs, mentions, width=60)
    assert list(out.columns) == [
        "doc_id", "title", "date", "date_precision", "source", "kind", "key", "left", "match", "right",
        "start", "end",
    ]  # fmt: skip
    assert out["doc_id"].tolist() == ["w", "x", "x"]
    first = out.iloc[1]
    assert (first["left"], first["match"], first["right"]) == (
        "The leaders discussed the ",
        "SCO",
        " and its future.",
    )
    long = out.iloc[2]
    assert long["left"] == "A very long sentence about the "
    assert long["right"].startswith(" follows here")
    assert long["right"].endswith("…")
    assert len(long["right"]) <= 61


def test_concordance_cuts_long_left_context_on_a_word_and_collapses_whitespace():
    text = "word " * 40 + "NATO\t\tsaid  x."
    docs = make_documents([{"doc_id": "a", "text": text}])
    start = text.index("NATO")
    out = concordance(docs, make_mentions([("a", "organisation", "NATO", start, start + 4)]), width=30)
    row = out.iloc[0]
    assert row["left"].startswith("…")
    assert "  " not in row["left"] and row["left"].endswith("word ")
    assert row["right"] == " said x."


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, ["w", "x", "x"]),
        ({"kind": "organisation"}, ["w", "x"]),
        ({"key": "organisation"}, ["x"]),
        ({"key": ["SCO", "organisation"]}, ["w", "x", "x"]),
        ({"filters": Filters(start=dt.date(2024, 2, 1))}, ["x", "x"]),
        ({"limit": 1}, ["w"]),
    ],
)
def test_concordance_selection(kwargs, expected):
    docs, mentions = _conc_corpus()
    assert concordance(docs, mentions, **kwargs)["doc_id"].tolist() == expected


def test_concordance_rejects_bad_width():
    docs, mentions = _conc_corpus()
    with pytest.raises(
        ValueError, match="The 'width' parameter must be a non-negative integer; got -1 instead"
    ):
        concordance(docs, mentions, width=-1)


# ------------------------------------------------------------------------------------- summary and tables
def test_summary():
    assert summary(DOCS, MENTIONS) == {
        "documents": 7,
        "dated": 6,
        "undated": 1,
        "undated_with_hint": 0,  # a table without date_hint (a build made before hints were kept)
        "body_dated": 0,
        "first_date": dt.date(2024, 1, 1),
        "last_date": dt.date(2024, 4, 15),
        "sources": 3,
        "languages": ["en", "ru"],
        "mentions": 12,
    }
    empty = summary(DOCS, MENTIONS, Filters(languages=("zz",)))
    assert empty["documents"] == 0 and empty["first_date"] is None and empty["languages"] == []


def test_documents_table():
    out = documents_table(DOCS, MENTIONS)
    assert list(out.columns) == [
        "doc_id", "title", "date", "date_label", "date_precision", "date_method", "source", "language",
        "n_words", "themes", "organisations", "cluster_id", "duplicate_of",
    ]  # fmt: skip
    assert out["doc_id"].tolist() == ["yearly", "jan1", "jan2", "mar1", "mar2", "apr1", "undated"]
    assert out.set_index("doc_id").loc["yearly", "date_label"] == "2024"
    assert out.set_index("doc_id").loc["undated", "date_label"] == ""
    row = out.set_index("doc_id").loc["jan1"]
    assert row["themes"] == "multipolarity"
    assert row["organisations"] == "EU, NATO"
    assert out.set_index("doc_id").loc["apr1", "organisations"] == ""


# -------------------------------------------------------------------------------------------- empty reasons
@pytest.mark.parametrize(
    ("filters", "kwargs", "expected"),
    [
        (Filters(organisations=("NATO",), start=dt.date(2017, 1, 1), end=dt.date(2018, 12, 31)), {},
         EmptyReason("no_documents")),
        (Filters(organisations=("NATO", "EU"), org_mode="all", languages=("ru",)), {}, EmptyReason("no_documents")),
        (Filters(start=dt.date(2030, 1, 1)), {}, EmptyReason("no_documents")),
        (Filters(sources=("mid.txt",)), {"kind": "theme", "keys": ["ngos"]},
         EmptyReason("no_mentions", kind="theme", keys=("ngos",), matching=3, dated=2)),
        (Filters(sources=("copy.txt",), include_duplicates=True), {"kind": "theme"},
         EmptyReason("no_mentions", kind="theme", matching=1, dated=1)),
        (Filters(doc_ids=("undated",)), {}, EmptyReason("undated", matching=1)),
        (Filters(doc_ids=("yearly",)), {"granularity": "month"},
         EmptyReason("too_coarse", granularity="month", matching=1, dated=1, coarser="year")),
        (Filters(doc_ids=("yearly",)), {"granularity": "year"},
         EmptyReason("other", granularity="year", matching=1, dated=1)),
    ],
)  # fmt: skip
def test_empty_reason(filters, kwargs, expected):
    assert empty_reason(DOCS, MENTIONS, filters, **kwargs) == expected


def test_empty_reason_for_an_empty_build():
    assert empty_reason(DOCS.iloc[:0], MENTIONS.iloc[:0], Filters()) == EmptyReason("empty_build")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "country"}, r"The 'kind' parameter must be one of"),
        ({"granularity": "decade"}, r"The 'granularity' parameter must be one of"),
    ],
)
def test_empty_reason_checks_its_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        empty_reason(DOCS, MENTIONS, Filters(), **kwargs)


# ------------------------------------------------------------------------------ labels and granularity
from analysis.timeline import (  # noqa: E402
    add_labels,
    auto_granularity,
    choose_granularity,
    common_precision,
    entity_labels,
)

ENTITIES = pd.DataFrame({
    "kind": ["theme", "theme", "theme", "organisation", "organisation", "organisation", "organisation",
             "organisation"],
    "key": ["middle_east", "ngos", "blank", "SCO", "SCO RATS", "Interpol", "G7", "World Bank"],
    "label": ["Middle East", "NGOs and civil society", "", "Shanghai Cooperation Organisation",
              "SCO Regional Anti-Terrorist Structure", "International Criminal Police Organisation", "Group of Seven",
              "World Bank"],
    "category": [""] * 8, "description": [""] * 8,
})


@pytest.mark.parametrize("kind,expected", [
    ("theme", {"middle_east": "Middle East", "ngos": "NGOs and civil society", "blank": "blank"}),
    ("organisation", {"SCO": "SCO", "SCO RATS": "SCO RATS", "Interpol": "International Criminal Police Organisation",
                      "G7": "G7", "World Bank": "World Bank"}),
    ("cluster", {}),
])
def test_entity_labels(kind, expected):
    assert entity_labels(ENTITIES, kind) == expected


def test_entity_labels_are_made_unique_and_tolerate_no_entities():
    twins = pd.DataFrame({"kind": ["theme", "theme"], "key": ["a", "b"], "label": ["Same", "Same"]})
    assert entity_labels(twins, "theme") == {"a": "Same (a)", "b": "Same (b)"}
    assert entity_labels(None, "theme") == {}
    assert entity_labels(ENTITIES.iloc[0:0], "organisation") == {}
    with pytest.raises(ValueError, match=r"The entities table must have the columns \['label'\]"):
        entity_labels(ENTITIES.drop(columns="label"), "theme")


def test_add_labels_inserts_a_column_after_the_key_and_keeps_the_input():
    df = pd.DataFrame({"key": ["ngos", "unknown", "middle_east"], "mentions": [3, 2, 1]})
    df.attrs["undated"] = 4
    before = df.copy()
    out = add_labels(df, ENTITIES, kind="theme")
    assert list(out.columns) == ["key", "label", "mentions"]
    assert out["label"].tolist() == ["NGOs and civil society", "unknown", "Middle East"]
    assert out.attrs == {"undated": 4}
    pd.testing.assert_frame_equal(df, before)


def test_add_labels_on_crosstab_columns_and_errors():
    cross = pd.DataFrame({"row_key": ["SCO"], "col_key": ["ngos"], "documents": [1]})
    out = add_labels(add_labels(cross, ENTITIES, kind="organisation", key_col="row_key", label_col="row_label"),
                     ENTITIES, kind="theme", key_col="col_key", label_col="col_label")
    assert list(out.columns) == ["row_key", "row_label", "col_key", "col_label", "documents"]
    assert out.iloc[0].tolist() == ["SCO", "SCO", "ngos", "NGOs and civil society", 1]
    with pytest.raises(ValueError, match=r"The 'key_col' parameter must name a column of the table; got 'nope'"):
        add_labels(cross, ENTITIES, kind="theme", key_col="nope")
    with pytest.raises(ValueError, match=r"The 'kind' parameter must be one of"):
        add_labels(cross, ENTITIES, kind="country", key_col="row_key")


@pytest.mark.parametrize("start,end,precision,expected", [
    ("2024-05-01", "2024-05-01", None, "day"),
    ("2024-05-01", "2024-06-30", None, "day"),  # 60 days
    ("2024-05-01", "2024-07-01", None, "week"),  # 61 days
    ("2024-01-01", "2024-12-31", None, "week"),
    ("2024-01-01", "2025-01-01", None, "week"),  # 366 days: a leap year
    ("2024-01-01", "2025-01-02", None, "month"),
    ("2017-01-01", "2020-12-31", None, "month"),
    ("2017-01-01", "2021-01-06", None, "quarter"),
    ("2017-03-04", "2025-11-20", None, "quarter"),  # the sample corpus
    ("2010-01-01", "2021-12-31", None, "quarter"),
    ("2010-01-01", "2022-12-31", None, "year"),
    ("1946-01-01", "2023-01-01", None, "year"),  # the UN General Debate
    ("2024-12-31", "2024-12-01", None, "day"),  # reversed bounds: the span is what counts
    ("2024-05-01", "2024-05-20", "month", "month"),  # never finer than the dates
    ("2024-05-01", "2024-05-20", "year", "year"),
    ("2017-01-01", "2025-01-01", "month", "quarter"),
    ("2017-01-01", "2025-01-01", "year", "year"),
    ("2024-05-01", "2024-05-20", "day", "day"),
    (None, "2024-05-20", None, "month"),
    (None, None, "year", "year"),
    (dt.date(2024, 1, 1), pd.Timestamp("2024-01-31"), None, "day"),
])
def test_auto_granularity(start, end, precision, expected):
    assert auto_granularity(start, end, precision=precision) == expected


@pytest.mark.parametrize("start,end,documents,expected", [
    ("2024-01-01", "2024-01-31", 31, "day"),  # 31 periods, 31 documents
    ("2024-01-01", "2024-01-31", 30, "week"),
    ("2024-01-01", "2024-01-31", 5, "week"),  # the weeks of 1, 8, 15, 22 and 29 January
    ("2024-01-03", "2024-01-31", 4, "month"),  # five weeks too: from Monday 1 January
    ("2024-01-01", "2024-01-31", 4, "month"),
    ("2017-03-17", "2025-05-27", 17, "year"),  # the sample: 17 dated documents over 8 years
    ("2017-03-17", "2025-05-27", 40, "quarter"),
    ("2024-01-01", "2024-12-31", 0, "year"),
    ("1946-01-01", "2023-01-01", 10_952, "year"),
])
def test_auto_granularity_has_no_more_periods_than_documents(start, end, documents, expected):
    assert auto_granularity(start, end, documents=documents) == expected


def test_auto_granularity_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"The 'precision' parameter must be one of \['day', 'month', 'year'\]"):
        auto_granularity("2024-01-01", "2024-02-01", precision="week")
    with pytest.raises(ValueError, match=r"The 'start' filter must be a datetime.date"):
        auto_granularity("soon", "2024-02-01")
    with pytest.raises(ValueError, match=r"The 'documents' parameter must be None or an int >= 0; got -1"):
        auto_granularity("2024-01-01", "2024-02-01", documents=-1)


@pytest.mark.parametrize("precisions,share,expected", [
    ([], 0.5, None),
    (["day", "day", "year"], 0.5, "day"),
    (["day", "year", "year"], 0.5, "year"),
    (["day", "month", "year", "year"], 0.5, "month"),  # half can be placed by month
    (["day", "month", "year", "year"], 0.75, "year"),
    (["day"] * 35 + ["year"] * 10917, 0.5, "year"),  # the UN General Debate build
    ([None, "day", "month"], 0.5, "day"),  # an unknown precision counts as a day
    (["month", "month"], 1.0, "month"),
])
def test_common_precision(precisions, share, expected):
    assert common_precision(precisions, share=share) == expected


def test_common_precision_rejects_a_bad_share():
    with pytest.raises(ValueError, match=r"The 'share' parameter must be in \(0, 1\]; got 0 instead"):
        common_precision(["day"], share=0)


@pytest.mark.parametrize("rows,filters,expected", [
    ([{"date": f"2024-01-{d:02d}"} for d in range(1, 21)], Filters(), "day"),
    ([{"date": "2024-01-01"}, {"date": "2024-01-20"}], Filters(), "month"),  # two documents: one period
    ([{"date": f"{y}-0{m}-01"} for y in range(2017, 2026) for m in (1, 4, 7, 9)], Filters(), "quarter"),
    ([{"date": "2017-01-01"}, {"date": "2025-06-01"}], Filters(), "year"),
    ([{"date": "2017-01-01"}, {"date": "2025-06-01"}], Filters(start=dt.date(2025, 1, 1)), "day"),
    ([{"date": "1990-01-01", "date_precision": "year"}, {"date": "1991-01-01", "date_precision": "year"},
      {"date": "1991-03-05"}], Filters(), "year"),
    ([{"date": "2024-01-01", "date_precision": "month"}, {"date": "2024-02-01", "date_precision": "month"}],
     Filters(), "month"),
    ([{}, {}], Filters(), "month"),  # nothing dated
])
def test_choose_granularity(rows, filters, expected):
    documents = make_documents(rows)
    assert choose_granularity(documents, make_mentions([]), filters) == expected


def test_date_labels_say_only_what_is_known():
    from analysis.timeline import date_labels

    dates = pd.Series(pd.to_datetime(["2024-05-16", "2024-05-01", "1970-01-01", None]))
    precisions = pd.Series(["day", "month", "year", None])
    assert date_labels(dates, precisions).tolist() == ["16 May 2024", "May 2024", "1970", ""]


def test_top_groups_ranks_sources_by_dated_documents():
    from analysis.timeline import top_groups

    ranked = top_groups(DOCS, MENTIONS, by="source", n=2)
    counts = filter_documents(DOCS, MENTIONS, Filters()).dropna(subset=["date"])["source"].value_counts()
    assert ranked == sorted(counts.index, key=lambda s: (-counts[s], s))[:2]
    with pytest.raises(ValueError, match=r"The 'by' parameter must be one of \['language', 'source'\]; got 'x'"):
        top_groups(DOCS, MENTIONS, by="x")


def _dating_docs() -> pd.DataFrame:
    docs = make_documents([
        {"doc_id": "dated", "date": "2024-01-10"},
        {"doc_id": "body", "date": "2000-09-01", "date_method": "body", "source": "b.txt"},
        {"doc_id": "hinted", "source": "a.txt"},
        {"doc_id": "bare", "source": "c.txt"},
    ])
    docs["date_evidence"] = ["header", "body", None, None]
    docs["date_hint"] = [None, None, "1998-08-31", None]
    docs["date_hint_surface"] = [None, None, "August 31, 1998", None]
    return docs


def test_summary_counts_undated_hints_and_body_dates():
    out = summary(_dating_docs(), make_mentions([]))
    assert (out["documents"], out["undated"], out["undated_with_hint"], out["body_dated"]) == (4, 2, 1, 1)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), [("hinted", "1998-08-31"), ("bare", None), ("body", None)]),  # undated first
        (Filters(sources=("b.txt",)), [("body", None)]),
        (Filters(start=dt.date(2020, 1, 1)), []),  # a date range keeps dated documents only
    ],
)
def test_dating_gaps(filters, expected):
    out = dating_gaps(_dating_docs(), make_mentions([]), filters)
    assert list(out.columns) == list(DATING_GAP_COLUMNS)
    assert list(zip(out["doc_id"], out["date_hint"], strict=True)) == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), {"dated", "body", "hinted", "bare"}),
        (Filters(include_body_dates=False), {"dated", "hinted", "bare"}),
    ],
)
def test_body_dated_documents_can_be_left_out(filters, expected):
    assert ids(filter_documents(_dating_docs(), make_mentions([]), filters)) == expected


def test_timeline_carries_the_shares_wilson_interval():
    from analysis.surges import wilson_interval

    documents = pd.DataFrame(
        {"doc_id": ["a", "b", "c", "d"], "source": ["s.txt"] * 4,
         "date": pd.to_datetime(["2020-05-01", "2020-06-01", "2021-05-01", "2023-01-01"]),
         "date_precision": ["day"] * 4, "date_method": ["text"] * 4, "language": ["en"] * 4,
         "text": ["grain", "none", "grain", "grain"], "n_words": [1] * 4, "duplicate_of": [None] * 4}
    )  # fmt: skip
    mentions = pd.DataFrame({"doc_id": ["a", "c", "d"], "kind": ["theme"] * 3, "key": ["grain"] * 3,
                             "surface": ["grain"] * 3, "start": [0] * 3, "end": [5] * 3})  # fmt: skip
    got = timeline(documents, mentions, kind="theme", granularity="year").set_index("period_label")
    (low,), (high,) = wilson_interval([1], [2])
    assert got.loc["2020", ["share_low", "share_pct", "share_high"]].tolist() == pytest.approx(
        [low * 100, 50.0, high * 100])
    assert got.loc["2021", "share_high"] == 100.0 and got.loc["2021", "share_low"] < 100.0
    assert np.isnan(got.loc["2022", "share_low"]) and np.isnan(got.loc["2022", "share_high"])
