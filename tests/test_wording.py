"""Tests for dashboard.wording: the sentences about filters and empty results (the facts come from analysis)."""

from __future__ import annotations

import datetime as dt

import pytest
from test_timeline import DOCS, MENTIONS

from analysis.timeline import EmptyReason, Filters, empty_reason
from dashboard.wording import describe_filters, explain_empty


@pytest.mark.parametrize(
    ("filters", "text"),
    [
        (Filters(), ""),
        (Filters(organisations=("NATO",), start=dt.date(2017, 1, 1), end=dt.date(2018, 12, 31)),
         "NATO, 2017-01-01–2018-12-31"),
        (Filters(organisations=("NATO", "EU"), org_mode="all"), "NATO + EU"),
        (Filters(organisations=("NATO", "EU")), "NATO | EU"),
        (Filters(themes=("ngos",), start=dt.date(2020, 5, 1)), "ngos, from 2020-05-01"),
        (Filters(end=dt.date(2020, 5, 1), languages=("ru",)), "until 2020-05-01, ru"),
        (Filters(sources=("a", "b", "c")), "3 sources"),
        (Filters(include_duplicates=True, include_inferred=False), "with duplicates, no inferred dates"),
        (Filters(doc_ids=("a", "b")), "2 selected documents"),
        (Filters(include_body_dates=False), "no body dates"),
    ],
)  # fmt: skip
def test_describe_filters(filters, text):
    assert describe_filters(filters) == text


@pytest.mark.parametrize(
    ("filters", "kwargs", "message"),
    [
        (Filters(organisations=("NATO",), start=dt.date(2017, 1, 1), end=dt.date(2018, 12, 31)), {},
         "No documents mention NATO between 1 January 2017 and 31 December 2018: widen the date range or "
         "remove a filter."),
        (Filters(organisations=("NATO", "EU"), org_mode="all", languages=("ru",)), {},
         "No documents mention NATO and EU (language ru): remove a filter."),
        (Filters(start=dt.date(2030, 1, 1)), {},
         "No documents match the filters from 1 January 2030: widen the date range or remove a filter."),
        (Filters(sources=("mid.txt",)), {"kind": "theme", "keys": ["ngos"]},
         "No documents mention ngos (source mid.txt): remove a filter."),
        (Filters(doc_ids=("undated",)), {},
         "No dated documents match the filters (the 1 selected documents): the 1 matching documents have no "
         "date, and a timeline needs dates. Check the ingest report or remove a filter."),
        (Filters(doc_ids=("yearly",)), {"granularity": "month"},
         "The 1 dated documents that match the filters (the 1 selected documents) are dated only to the "
         "year, too coarse for a month timeline: choose the 'year' granularity or a coarser one."),
    ],
)  # fmt: skip
def test_explain_empty(filters, kwargs, message):
    assert explain_empty(empty_reason(DOCS, MENTIONS, filters, **kwargs), filters) == message


def test_explain_empty_for_an_empty_build():
    assert explain_empty(empty_reason(DOCS.iloc[:0], MENTIONS.iloc[:0], Filters()), Filters()) == (
        "The build has no documents: build it from some input files first."
    )


@pytest.mark.parametrize(
    ("reason", "filters", "message"),
    [
        (EmptyReason("no_mentions", kind="organisation", matching=3, dated=3), Filters(languages=("ru", "en")),
         "No documents mention any organisation (language ru or en): remove a filter."),
        (EmptyReason("too_coarse", granularity="day", matching=2, dated=2, coarser="month"), Filters(),
         "The 2 dated documents that match the filters are dated only to the month or year, too coarse for a day "
         "timeline: choose the 'month' granularity or a coarser one."),
        (EmptyReason("other"), Filters(organisations=("NATO",), end=dt.date(2020, 5, 1)),
         "Nothing to show for NATO, until 2020-05-01: widen the date range or remove a filter."),
        (EmptyReason("other"), Filters(), "Nothing to show for these filters: remove a filter."),
    ],
)  # fmt: skip
def test_explain_empty_words_the_facts_it_is_given(reason, filters, message):
    assert explain_empty(reason, filters) == message


def test_explain_empty_refuses_an_unknown_code():
    with pytest.raises(ValueError, match=r"The reason's code must be one of .*; got 'gone' instead"):
        explain_empty(EmptyReason("gone"), Filters())


_UPDATE = {"at": "2026-12-02T08:30:00+00:00", "inputs": ["corpus"], "files_new": ["a.txt", "b.txt"],
           "files_changed": ["c.txt"], "unchanged": ["d.txt"] * 40, "added": 14, "replaced": 3, "removed": 2,
           "refit": False, "documents": 120}


@pytest.mark.parametrize("manifest, text", [
    ({}, None),
    ({"updates": []}, None),
    ({"created": "2026-11-30T09:00:00+00:00", "updates": [_UPDATE]},
     "Last updated 2026-12-02 08:30 UTC with 2 new files and 1 changed file: 14 documents added, 3 from changed files "
     "(replacing 2); 40 files unchanged; new documents joined the existing clusters. 1 update since the build of "
     "2026-11-30 09:00 UTC."),
    ({"updates": [_UPDATE, {**_UPDATE, "files_new": ["e.txt"], "files_changed": [], "added": 1, "replaced": 0,
                            "removed": 0, "unchanged": ["d.txt"], "refit": True}]},
     "Last updated 2026-12-02 08:30 UTC with 1 new file: 1 document added; 1 file unchanged; clusters refitted on "
     "all documents. 2 updates since the build."),
])
def test_describe_last_update(manifest, text):
    from dashboard.wording import describe_last_update

    assert describe_last_update(manifest) == text


def test_update_rows_most_recent_first():
    from dashboard.wording import update_rows

    rows = update_rows({"updates": [_UPDATE, {**_UPDATE, "at": "2026-12-03T10:00:00+00:00", "refit": True}]})
    assert [(r["when"], r["refit"], r["new files"], r["documents replaced"]) for r in rows] == [
        ("2026-12-03 10:00 UTC", True, 2, 2), ("2026-12-02 08:30 UTC", False, 2, 2)]
