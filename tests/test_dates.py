"""Tests for analysis.dates: metadata values, dates in text and paths, resolution and sequences."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.dates import (
    date_from_path,
    find_body_date,
    find_text_date,
    infer_sequence,
    parse_date_value,
    resolve_date,
)
from analysis.records import DateHit
from analysis.segment import split_posts

TODAY = dt.date(2025, 12, 31)
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def _d(hit: DateHit | None):
    """(iso date or None, precision) of a hit, None for no hit."""
    if hit is None:
        return None
    return (hit.as_date().isoformat() if hit.year is not None else None, hit.precision)


def H(y, m=None, d=None, precision=None, method="text", role="header"):
    """A dated hit; the precision follows from the parts given."""
    precision = precision or ("day" if d else "month" if m else "year")
    return DateHit(y, m, d, precision, method, role=role)


# ---------------------------------------------------------------------------------------------------------
# parse_date_value
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-10-03T12:00:00Z", ("2021-10-03", "day")),
        ("2021-10-03T23:30:00-05:00", ("2021-10-03", "day")),
        ("2021-10-03 08:15:00.123+0000", ("2021-10-03", "day")),
        ("2024-05-16", ("2024-05-16", "day")),
        ("  2024-05-16  ", ("2024-05-16", "day")),
        ("2024-05", ("2024-05-01", "month")),
        ("2024", ("2024-01-01", "year")),
        ("05/2024", ("2024-05-01", "month")),
        ("16.05.2024", ("2024-05-16", "day")),
        ("05/16/2024", ("2024-05-16", "day")),
        ("03/04/2024", ("2024-04-03", "day")),
        ("May 16, 2024", ("2024-05-16", "day")),
        ("16 May 2024", ("2024-05-16", "day")),
        ("Thursday, 16 May 2024 10:00", ("2024-05-16", "day")),
        ("Sept. 3, 2019", ("2019-09-03", "day")),
        ("May 2024", ("2024-05-01", "month")),
        ("16 мая 2024", ("2024-05-16", "day")),
        ("16 мая 2024 г.", ("2024-05-16", "day")),
        ("8 мая 2025 года 10:10", ("2025-05-08", "day")),
        ("3 янв. 2020", ("2020-01-03", "day")),
        ("в мае 2024", ("2024-05-01", "month")),
        ("le 16 mai 2024", ("2024-05-16", "day")),  # dateparser fallback
        (1715817600, ("2024-05-16", "day")),  # Unix seconds
        (1715817600000, ("2024-05-16", "day")),  # Unix milliseconds
        ("1715817600", ("2024-05-16", "day")),
        (2019, ("2019-01-01", "year")),
        (2019.0, ("2019-01-01", "year")),
        (dt.date(2020, 2, 29), ("2020-02-29", "day")),
        (dt.datetime(2020, 2, 29, 23, 59), ("2020-02-29", "day")),
        (None, None),
        ("", None),
        ("   ", None),
        (float("nan"), None),
        (math.inf, None),
        (True, None),
        ("n/a", None),
        ("yesterday", None),
        ("May 21", None),  # a year-less date is no metadata date
        ("32 May 2024", None),
        ("Feb 30, 2024", None),
        ("2024-02-30", None),
        ("2024-13-01", None),
        ("1899-12-31", None),
        ("2026-01-01", None),  # after today
        ([2024, 5, 16], None),
        (b"2024-05-16", ("2024-05-16", "day")),
    ],
)
def test_parse_date_value(value, expected):
    hit = parse_date_value(value, today=TODAY)
    assert _d(hit) == expected
    if hit is not None:
        assert hit.method == "metadata"


def test_parse_date_value_month_first():
    assert _d(parse_date_value("03/04/2024", dayfirst=False, today=TODAY)) == ("2024-03-04", "day")
    assert _d(parse_date_value("16/05/2024", dayfirst=False, today=TODAY)) == ("2024-05-16", "day")


def test_parse_date_value_pandas_and_numpy():
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    assert _d(parse_date_value(pd.Timestamp("2024-05-16 13:00"), today=TODAY)) == ("2024-05-16", "day")
    assert parse_date_value(pd.NaT, today=TODAY) is None
    assert _d(parse_date_value(np.datetime64("2024-05-16"), today=TODAY)) == ("2024-05-16", "day")
    assert parse_date_value(np.datetime64("NaT"), today=TODAY) is None
    assert _d(parse_date_value(np.int64(2019), today=TODAY)) == ("2019-01-01", "year")
    assert parse_date_value(np.float64("nan"), today=TODAY) is None


def test_today_must_be_a_date():
    with pytest.raises(TypeError, match=r"The 'today' parameter must be a datetime.date or None; got str"):
        parse_date_value("2024-05-16", today="2025-01-01")


# ---------------------------------------------------------------------------------------------------------
# find_text_date: header dates
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "surface"),
    [
        # datelines and labelled lines
        ("MOSCOW, October 26. /TASS/. Russia will strengthen cooperation.", (None, "day"), "October 26"),
        ("MOSCOW, October 26, 2015. /TASS/. Lavrov said.", ("2015-10-26", "day"), "October 26, 2015"),
        ("Title\n\nDate: June 22, 2024 Time: 16:49:02\n\nText.", ("2024-06-22", "day"), "June 22, 2024"),
        ("Published: 2023-04-05\nSome text.", ("2023-04-05", "day"), "2023-04-05"),
        ("Дата: 15.06.2018\nТекст.", ("2018-06-15", "day"), "15.06.2018"),
        # lines that are only a date
        ("hit tracker\nSaturday, June 22, 2024\nHeadline", ("2024-06-22", "day"), "June 22, 2024"),
        ("17 March 201712:11\n\nForeign Minister's remarks", ("2017-03-17", "day"), "17 March 2017"),
        ("Photo of the day.\n\n📍 Astana, May 21", (None, "day"), "May 21"),
        ("Пресс-релиз\n15 июня 2018 г.\nТекст", ("2018-06-15", "day"), "15 июня 2018"),
        ("Заявление\n8 мая 2025 года 10:10\nТекст", ("2025-05-08", "day"), "8 мая 2025"),
        ("Newsletter\nMay 2024\nIn this issue", ("2024-05-01", "month"), "May 2024"),
        ("Channel name, [12.05.24 14:33]", ("2024-05-12", "day"), "12.05.24"),
        ("[12.05.2024 14:33] Channel name:", ("2024-05-12", "day"), "12.05.2024"),
        # first line: titles and opening words
        ("Talks with Xi Jinping (May 16, 2024)\n\nText.", ("2024-05-16", "day"), "May 16, 2024"),
        ("Lavrov's remarks (Astana, May 21, 2024)\n\nText.", ("2024-05-21", "day"), "May 21, 2024"),
        ("Answers to questions (3 July 2024, Astana)\n\nText.", ("2024-07-03", "day"), "3 July 2024"),
        ("Remarks at a meeting with NGOs, Moscow, March 17, 2017\n\nText", ("2017-03-17", "day"), "March 17, 2017"),
        ("Remarks at talks (Astana, May 20)\n\nText", (None, "day"), "May 20"),
        ("🇷🇺🇰🇿 On May 20, President Tokayev received Lavrov.", (None, "day"), "May 20"),
        ("April 2 marks International Fact-Checking Day!\n\nHeld in November 2024.", (None, "day"), "April 2"),
        ("🗓 On May 20-21, the ministers met.\n\nSummit on July 3-4.", (None, "day"), "May 20-21"),
        ("#Announcement\n\n🗓 On May 27-29, 2025, in Moscow, a forum.", ("2025-05-27", "day"), "May 27-29, 2025"),
        ("On 27-29 May 2025 the forum met.", ("2025-05-27", "day"), "27-29 May 2025"),
        ("Заседание 15 июня 2018 г. в Москве", ("2018-06-15", "day"), "15 июня 2018"),
        ("Встреча 3 сент. 2019 г.", ("2019-09-03", "day"), "3 сент. 2019"),
        ("Meeting on 15th of June, 2018 in Geneva", ("2018-06-15", "day"), "15th of June, 2018"),
        ("Meeting of 16.05.2024 in Geneva", ("2024-05-16", "day"), "16.05.2024"),
        ("Meeting of 05/16/2024 in Geneva", ("2024-05-16", "day"), "05/16/2024"),
        ("Meeting of 03/04/2024 in Geneva", ("2024-04-03", "day"), "03/04/2024"),
        ("Report of 2024-05-16 on trade", ("2024-05-16", "day"), "2024-05-16"),
        ("MEETING, SEPT. 3, 2019", ("2019-09-03", "day"), "SEPT. 3, 2019"),
        # the head: a full date within the first lines
        ("Title\nCategory: Foreign Policy News Friday, 15 June 2018 11:40 Written by X", ("2018-06-15", "day"), "15 June 2018"),
        # nothing usable
        ("The delegation arrived in 2001 and left.", None, None),
        ("We may 5 times repeat it.", None, None),
        ("Summit on 32 May 2024 was moved.", None, None),
        ("Feb 30 is not a date, nor is Feb 30, 2024.", None, None),
        ("Meeting on 31 December 2026.", None, None),  # after today
        ("Treaty of 1 January 1899.", None, None),  # before 1900
        ("", None, None),
    ],
)
def test_find_text_date(text, expected, surface):
    hit = find_text_date(text, today=TODAY)
    assert _d(hit) == expected
    if hit is not None:
        assert hit.surface == surface
        assert text[hit.start : hit.end] == surface
        assert hit.method == "text"


@pytest.mark.parametrize(
    ("text", "expected", "role"),
    [
        # a header date beats an earlier-mentioned or more complete body date
        ("Statement (Astana, May 21, 2024)\n\n" + "Text. " * 100 + "Signed on 10 December 1948.", "2024-05-21", "header"),
        ("MOSCOW, October 26. /TASS/. Lavrov recalled the treaty of 10 December 1948.", None, "header"),
        ("Date: 5 April 2020\nThe summit of 1 March 2019 was recalled.", "2020-04-05", "header"),
        # the opening words must open the text: "On June 14" in a later bullet is a body date
        ("📄 Article by A. Trofimov\n\nKey points:\n\n• On June 14 President Putin spoke.", None, None),
        # a date inside a long first paragraph is prose, not a title
        ("The Foundation was created " + "with care and " * 20 + "on January 5, 2021, by an Executive Order.",
         "2021-01-05", "body"),
        # with no header, the first full date in the body, marked as such
        ("Mr President,\n" + "Peace matters. " * 60 + "The Charter was signed on 26 June 1945. On 1 May 1950 we met.",
         "1945-06-26", "body"),
        # body dates must be full dates
        ("Mr President,\n" + "Peace matters. " * 60 + "In November 2024 and on June 14 we met.", None, None),
    ],
)
def test_header_beats_body(text, expected, role):
    hit = find_text_date(text, today=TODAY, body=True)
    if role is None:
        assert hit is None
        return
    assert hit is not None and hit.role == role
    assert (hit.as_date().isoformat() if hit.year else None) == expected


def test_body_dates_are_off_unless_asked_for():
    text = "Mr President,\n" + "Peace matters. " * 60 + "The Charter was signed on 26 June 1945."
    assert find_text_date(text, today=TODAY) is None
    hit = find_text_date(text, today=TODAY, body=True)
    assert (hit.role, hit.evidence, hit.surface) == ("body", "body", "26 June 1945")
    assert find_body_date(text, today=TODAY) == hit


def test_dates_after_today_are_skipped_for_the_next():
    text = "Summit (Astana, May 21, 2026)\n\nDate: 3 March 2025"
    assert _d(find_text_date(text, today=TODAY)) == ("2025-03-03", "day")
    assert _d(find_text_date(text, today=dt.date(2026, 6, 1))) == ("2026-05-21", "day")


def test_dayfirst_false():
    assert _d(find_text_date("Meeting of 03/04/2024", today=TODAY, dayfirst=False)) == ("2024-03-04", "day")


# ---------------------------------------------------------------------------------------------------------
# date_from_path
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("txt/Session 25 - 1970/USA_25_1970.txt", ("1970-01-01", "year")),
        ("ungdc/txt/Session 78 - 2023/RUS_78_2023.txt", ("2023-01-01", "year")),
        ("2024/05/16/x.txt", ("2024-05-16", "day")),
        ("news/2024/05/post.html", ("2024-05-01", "month")),
        ("2024-05-16_note.txt", ("2024-05-16", "day")),
        ("notes/16.05.2024 meeting.txt", ("2024-05-16", "day")),
        ("20240516_briefing.txt", ("2024-05-16", "day")),
        ("report_2019.txt", ("2019-01-01", "year")),
        ("archive.zip/2018/report.txt", ("2018-01-01", "year")),
        ("C:\\data\\2021\\03\\x.txt", ("2021-03-01", "month")),
        ("2019/summary_2021.txt", ("2021-01-01", "year")),  # innermost wins
        ("2019/05/10/summary_2021.txt", ("2019-05-10", "day")),  # most precise wins
        ("000_ddb62feacabeceba.txt", None),
        ("doc_12345.txt", None),
        ("report_2099.txt", None),  # after today
        ("report_1850.txt", None),
        ("2024-13-45.txt", ("2024-01-01", "year")),  # not a date, but still a year
        ("", None),
    ],
)
def test_date_from_path(path, expected):
    hit = date_from_path(path, today=TODAY)
    assert _d(hit) == expected
    if hit is not None:
        assert hit.method == "path"
        assert hit.surface


# ---------------------------------------------------------------------------------------------------------
# resolve_date
# ---------------------------------------------------------------------------------------------------------

META = H(2020, 1, 2, method="metadata")
HEADER = H(2019, 3, 4)
HEADER_1970 = H(1970, 9, 20)
YEARLESS = DateHit(None, 5, 21, "day", "text")
BODY = H(1948, 12, 10, role="body")
PATH = H(1970, method="path")


@pytest.mark.parametrize(
    ("metadata", "text_hit", "path_hit", "expected"),
    [
        (META, HEADER, PATH, META),
        (META, None, None, META),
        (None, HEADER, None, HEADER),
        (None, HEADER, PATH, PATH),  # header year disagrees with the path: the path wins
        (None, HEADER_1970, PATH, HEADER_1970),  # agreeing header is more precise
        (None, BODY, PATH, PATH),
        (None, BODY, None, None),  # a body date never dates a document by default
        (None, YEARLESS, None, None),
        (None, YEARLESS, PATH, PATH),
        (DateHit(None, 5, 21, "day", "metadata"), None, None, None),
        (None, None, None, None),
    ],
)
def test_resolve_date(metadata, text_hit, path_hit, expected):
    assert resolve_date(metadata=metadata, text_hit=text_hit, path_hit=path_hit) == expected


# ---------------------------------------------------------------------------------------------------------
# infer_sequence
# ---------------------------------------------------------------------------------------------------------


def _seq(hits, today=TODAY):
    return [(_d(h), h.method) if h else None for h in infer_sequence(hits, today=today)]


def Y(m, d):
    """A year-less header hit ("May 21")."""
    return DateHit(None, m, d, "day", "text")


@pytest.mark.parametrize(
    ("hits", "expected"),
    [
        # year rollover: "April 2" after July 2024 is April 2025
        ([H(2024, 7, 3), Y(4, 2)], [(("2024-07-03", "day"), "text"), (("2025-04-02", "day"), "inferred")]),
        # a slightly earlier event stays in the same year (30 days of slack)
        ([H(2024, 5, 21), Y(5, 20)], [(("2024-05-21", "day"), "text"), (("2024-05-20", "day"), "inferred")]),
        # chains: an inferred date anchors the next one
        ([H(2024, 12, 20), Y(1, 5), Y(2, 1)],
         [(("2024-12-20", "day"), "text"), (("2025-01-05", "day"), "inferred"), (("2025-02-01", "day"), "inferred")]),
        # no previous date: the largest year that is not after the next dated post
        ([Y(12, 30), H(2025, 1, 2)], [(("2024-12-30", "day"), "inferred"), (("2025-01-02", "day"), "text")]),
        ([Y(2, 29), H(2025, 1, 2)], [(("2024-02-29", "day"), "inferred"), (("2025-01-02", "day"), "text")]),
        # nothing to anchor a year-less date
        ([Y(5, 21)], [None]),
        ([Y(5, 21), None], [None, None]),
        # gaps: same day, same month, same year, different years
        ([H(2024, 5, 21), None, H(2024, 5, 21)],
         [(("2024-05-21", "day"), "text"), (("2024-05-21", "day"), "inferred"), (("2024-05-21", "day"), "text")]),
        ([H(2024, 5, 21), None, None, H(2024, 5, 20)],
         [(("2024-05-21", "day"), "text"), (("2024-05-01", "month"), "inferred"),
          (("2024-05-01", "month"), "inferred"), (("2024-05-20", "day"), "text")]),
        ([H(2024, 5, 21), None, H(2024, 7, 1)],
         [(("2024-05-21", "day"), "text"), (("2024-01-01", "year"), "inferred"), (("2024-07-01", "day"), "text")]),
        ([H(2024, 7, 3), None, H(2025, 4, 2)], [(("2024-07-03", "day"), "text"), None, (("2025-04-02", "day"), "text")]),
        # a coarse neighbour limits the precision
        ([H(2024, 5), None, H(2024, 5, 20)],
         [(("2024-05-01", "month"), "text"), (("2024-05-01", "month"), "inferred"), (("2024-05-20", "day"), "text")]),
        # the ends stay undated
        ([None, H(2024, 5, 21), None], [None, (("2024-05-21", "day"), "text"), None]),
        # body dates do not date a post of a dump
        ([H(2024, 5, 21), H(1949, 10, 2, role="body"), H(2024, 5, 21)],
         [(("2024-05-21", "day"), "text"), (("2024-05-21", "day"), "inferred"), (("2024-05-21", "day"), "text")]),
        ([], []),
    ],
)
def test_infer_sequence(hits, expected):
    assert _seq(hits) == expected


def test_infer_sequence_never_after_today():
    today = dt.date(2025, 3, 1)
    # the only year that fits is 2025, but April 2 2025 is after today
    assert _seq([H(2024, 7, 3), Y(4, 2)], today=today)[1] is None
    assert _seq([H(2026, 1, 1), None, H(2026, 1, 1)], today=today) == [None, None, None]


def test_infer_sequence_checks_items():
    with pytest.raises(TypeError, match=r"must hold DateHit or None items; got str instead"):
        infer_sequence(["2024-05-16"])


# ---------------------------------------------------------------------------------------------------------
# The sample corpus, end to end
# ---------------------------------------------------------------------------------------------------------

DUMP_EXPECTED = [
    ("2024-05-16", "day", "text"),
    ("2024-05-20", "day", "text"),
    ("2024-05-20", "day", "inferred"),
    ("2024-05-21", "day", "inferred"),
    ("2024-05-21", "day", "inferred"),
    ("2024-05-01", "month", "inferred"),
    ("2024-05-20", "day", "inferred"),
    ("2024-05-21", "day", "text"),
    ("2024-01-01", "year", "inferred"),
    ("2024-07-01", "day", "inferred"),
    ("2024-07-03", "day", "text"),
    None,
    None,
    None,
    None,
    ("2025-04-02", "day", "inferred"),
    ("2025-01-01", "year", "inferred"),
    ("2025-05-27", "day", "text"),
    None,
    None,
]


@pytest.mark.parametrize("body", [False, True])
def test_sample_dump_dates(body):
    text = (SAMPLE / "003_8822cdba48cf6688.txt").read_text(encoding="utf-8")
    posts = split_posts(text)
    assert len(posts) == 20
    hits = [find_text_date(p, today=TODAY, body=body) for p in posts]
    for post, hit in zip(posts, hits, strict=True):
        if hit is not None:
            assert post[hit.start : hit.end] == hit.surface
    got = [(h.as_date().isoformat(), h.precision, h.method) if h else None for h in infer_sequence(hits, today=TODAY)]
    assert got == DUMP_EXPECTED


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("000_ddb62feacabeceba.txt", None),  # "MOSCOW, October 26. /TASS/." has no year
        ("001_dda07da35933ed2a.txt", ("2017-03-17", "day")),
        ("002_98360eca84a13427.txt", ("2024-06-22", "day")),
        ("004_f62852831b2a3d99.txt", ("2018-06-15", "day")),
    ],
)
def test_sample_documents(name, expected):
    text = (SAMPLE / name).read_text(encoding="utf-8")
    hit = find_text_date(text, today=TODAY)
    assert hit is not None and hit.role == "header"
    resolved = resolve_date(metadata=None, text_hit=hit, path_hit=date_from_path(name, today=TODAY))
    assert _d(resolved) == expected


@pytest.mark.corpora
def test_ungdc_paths_give_the_session_year():
    root = SHARED / "corpora" / "ungdc" / "txt"
    if not root.is_dir():
        pytest.skip(f"../shared/corpora not found: {root} is missing")
    files = sorted(root.glob("Session 7* - */*.txt"))[:200]
    assert files
    for f in files:
        rel = f.relative_to(root.parent).as_posix()
        year = int(f.stem.rsplit("_", 1)[1])
        text = f.read_text(encoding="utf-8", errors="replace")
        resolved = resolve_date(metadata=None, text_hit=find_text_date(text), path_hit=date_from_path(rel))
        assert resolved is not None and resolved.year == year, rel


# ---------------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------------

_DATEISH = st.sampled_from(
    ["May", "мая", "Sept.", "2024", "1899", "2099", "31", "5", "-", "/", ".", ", ", " ", "\n", "12:11", "On ",
     "(", ")", "MOSCOW, ", "Date: ", "📍", "\u00a0", "г.", "20-21", "#tag"]
)  # fmt: skip
_TEXTS = st.one_of(st.text(max_size=300), st.lists(_DATEISH, max_size=40).map("".join))


def _check(hit: DateHit | None, text: str | None = None) -> None:
    if hit is None:
        return
    assert hit.precision in ("day", "month", "year")
    if text is not None:
        assert text[hit.start : hit.end] == hit.surface
    if hit.year is not None:
        assert hit.year >= 1900
        assert hit.as_date() is not None and hit.as_date() <= TODAY


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_find_text_date_properties(text):
    _check(find_text_date(text, today=TODAY), text)
    _check(find_text_date(text, today=TODAY, dayfirst=False), text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_TEXTS, st.integers(), st.floats(), st.none(), st.dates(), st.datetimes()))
def test_parse_date_value_properties(value):
    _check(parse_date_value(value, today=TODAY))


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_date_from_path_properties(path):
    _check(date_from_path(path, today=TODAY))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.builds(Y, st.integers(1, 12), st.integers(1, 28)),
                          st.builds(H, st.integers(2000, 2025), st.integers(1, 12), st.integers(1, 28))),
                max_size=12))  # fmt: skip
def test_infer_sequence_properties(hits):
    out = infer_sequence(hits, today=TODAY)
    assert len(out) == len(hits)
    for h in out:
        _check(h)
        assert h is None or h.year is not None


def test_infer_sequence_drops_a_date_far_behind_its_neighbours():
    hits = [
        DateHit(2024, 5, 20, "day", "text"),
        DateHit(2001, 3, 12, "day", "text"),  # a post opening with a historical date
        DateHit(None, 5, 21, "day", "text"),
    ]
    out = infer_sequence(hits, today=dt.date(2026, 1, 1))
    assert out[1] is not None and out[1].as_date() == dt.date(2024, 5, 1)  # between May 20 and May 21: month
    assert out[2].as_date() == dt.date(2024, 5, 21)


@pytest.mark.parametrize(
    ("text", "expected", "surface"),
    [
        ("🗓 On May 30 – June 2, 2025, in Moscow the forum met", (2025, 5, 30), "May 30 – June 2, 2025"),
        ("Talks (Astana, 30 May – 2 June 2025)", (2025, 5, 30), "30 May – 2 June 2025"),
        ("Talks (Moscow, 30 December – 2 January 2025)", (2024, 12, 30), "30 December – 2 January 2025"),
        ("MOSCOW, October 26 - Russia will strengthen cooperation", (None, 10, 26), "October 26"),
    ],
)
def test_a_range_across_months_takes_the_year_of_its_end(text, expected, surface):
    hit = find_text_date(text, today=dt.date(2026, 1, 1))
    assert (hit.year, hit.month, hit.day) == expected
    assert hit.surface == surface == text[hit.start : hit.end]


# ---------------------------------------------------------------------------------------------------------
# Dates you can trust: real-looking snippets of the failures seen on real material
# ---------------------------------------------------------------------------------------------------------

_PROSE = "The sides discussed cooperation in trade, energy and culture at length. " * 8


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        # a bare statement: every full date in it is an event it talks about
        ("Meeting with school graduates\n\nThe President congratulated the students. " + _PROSE
         + "After 1 September 2000, when you gave our school its new building, much changed.", "2000-09-01"),
        ("Remarks at the forum\n\n" + _PROSE + "Everything changed very vividly on August 31, 1998, when the "
         "North Koreans launched a rocket.", "1998-08-31"),
        ("Answers to questions\n\n" + _PROSE + "The figures are as of January 1, 2001.", "2001-01-01"),
        ("Comment on the verdict\n\n" + _PROSE + "He stood trial on 15 February 2023 in Moscow.", "2023-02-15"),
        ("Заявление\n\n" + "Стороны обсудили сотрудничество. " * 20 + "Договор подписан 12 июня 1990 года.",
         "1990-06-12"),
    ],
)
def test_a_bare_text_with_only_event_dates_is_undated_with_a_hint(text, hint):
    assert find_text_date(text, today=TODAY) is None
    found = find_body_date(text, today=TODAY)
    assert found is not None and found.as_date().isoformat() == hint and found.evidence == "body"
    assert text[found.start : found.end] == found.surface
    assert resolve_date(text_hit=found) is None
    assert resolve_date(text_hit=found, body_dates=True).method == "body"


@pytest.mark.parametrize(
    ("text", "expected", "surface"),
    [
        # Kremlin announcements open with the event's date and end with the publication line
        ("Переговоры с Председателем КНР\n\n10 мая Владимир Путин проведёт переговоры с Си Цзиньпином. "
         + "Стороны обсудят сотрудничество. " * 10 + "\n\nДата публикации: 6 мая 2025 года, 16:10",
         "2025-05-06", "6 мая 2025"),
        ("Визит в Китай\n\n7–10 мая Владимир Путин посетит Китай. " + "Текст. " * 50
         + "\nДата публикации: 6 мая 2025 года, 16:10", "2025-05-06", "6 мая 2025"),
        ("Talks with the President of China\n\nOn May 10, 2025 Vladimir Putin will hold talks. " + _PROSE
         + "\nPublication date: May 6, 2025, 16:10", "2025-05-06", "May 6, 2025"),
        # labelled lines in the head, in the middle of a line, with a weekday, in other languages
        ("Headline\nPublished: 12 March 2024\n" + _PROSE, "2024-03-12", "12 March 2024"),
        ("Headline\nBy A. Writer | Published: 12 March 2024 | World\n" + _PROSE, "2024-03-12", "12 March 2024"),
        ("Headline\nPosted on Tuesday, March 12, 2024 by admin\n" + _PROSE, "2024-03-12", "March 12, 2024"),
        ("Заголовок\nОпубликовано: 12.03.2024 10:15\n" + _PROSE, "2024-03-12", "12.03.2024"),
        (_PROSE + "\nDate of publication: 12/03/2024", "2024-03-12", "12/03/2024"),
        ("Titre\nDate de publication : 12.03.2024\n" + _PROSE, "2024-03-12", "12.03.2024"),
        # the publication line wins over a dated title or a dateline
        ("Talks (Moscow, 10 May 2025)\n\n" + _PROSE + "\nДата публикации: 6 мая 2025 года", "2025-05-06",
         "6 мая 2025"),
        # "Updated" lines are not the publication date
        ("Headline\nPublished: 12 March 2024. Updated: 14 March 2024\n" + _PROSE, "2024-03-12", "12 March 2024"),
        ("Headline\nLast updated: 14 March 2024\n" + _PROSE + "\nPublished: 12 March 2024", "2024-03-12",
         "12 March 2024"),
    ],
)
def test_publication_lines_anywhere_in_the_head_or_tail(text, expected, surface):
    hit = find_text_date(text, today=TODAY)
    assert hit is not None and (hit.as_date().isoformat(), hit.surface) == (expected, surface)
    assert hit.evidence == "publication-line" and text[hit.start : hit.end] == surface


@pytest.mark.parametrize(
    "text",
    [
        "Headline\n\nUpdated: 14 March 2024\n\n" + _PROSE,
        "Headline\nLast updated 14 March 2024\n" + _PROSE,
        "Заголовок\nОбновлено: 14.03.2024\n" + _PROSE,
        # "published on" inside a sentence is prose, not a label
        "Headline\n\n" + _PROSE + "The report, which was published on 5 May 2020, is cited again.",
        # a publication line in the middle of a long text is a quotation, not this text's line
        "Headline\n\n" + _PROSE * 10 + "\nPublished: 5 May 2020\n" + _PROSE * 10,
    ],
)
def test_update_lines_and_prose_give_no_date(text):
    assert find_text_date(text, today=TODAY) is None


def test_many_publication_lines_are_a_list_of_other_items():
    listing = "".join(f"Item {i}\nPublished: {i} March 2024\n" for i in range(1, 6))
    assert find_text_date("News\n" + listing, today=TODAY) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a sidebar listing other briefings' dates is chrome, not a header
        ("Briefings\nMay 11, 2018\nMay 10, 2018\nMay 9, 2018\nMay 8, 2018\n\n" + _PROSE, None),
        ("Related\nBriefing of May 11, 2018\nBriefing of May 10, 2018\nBriefing of May 9, 2018\n" + _PROSE, None),
        # ... but a dateline or a labelled line among them still dates the text
        ("Date: 14 May 2018\nMay 11, 2018\nMay 10, 2018\nMay 9, 2018\n" + _PROSE, "2018-05-14"),
        # one or two date lines are a header
        ("hit tracker\nSaturday, June 22, 2024\nHeadline\n" + _PROSE, "2024-06-22"),
    ],
)
def test_a_list_of_dates_is_not_a_header(text, expected):
    hit = find_text_date(text, today=TODAY)
    assert (hit.as_date().isoformat() if hit else None) == expected


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("MOSCOW, October 26, 2015. /TASS/. Lavrov said.", "dateline"),
        ("Title\n\nDate: June 22, 2024 Time: 16:49:02\n\nText.", "header"),
        ("hit tracker\nSaturday, June 22, 2024\nHeadline", "header"),
        ("Talks with Xi Jinping (May 16, 2024)\n\nText.", "title"),
        ("Published: 2023-04-05\nSome text.", "publication-line"),
    ],
)
def test_text_dates_say_what_evidence_they_are(text, evidence):
    assert find_text_date(text, today=TODAY).evidence == evidence


PUBLISHED = DateHit(2025, 5, 6, "day", "text", evidence="publication-line")
TITLE = DateHit(2018, 5, 14, "day", "text", evidence="title")
META_UPDATED = H(2025, 5, 20, method="metadata")
META_YEAR = H(2019, method="metadata")
HEADER_2019 = H(2019, 6, 15)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # a labelled in-page publication date wins over page metadata that disagrees (an updated date)
        ({"metadata": META_UPDATED, "text_hit": PUBLISHED}, PUBLISHED),
        # a dated title beats a weaker header, loses to metadata
        ({"text_hit": HEADER, "candidates": [TITLE]}, TITLE),
        ({"metadata": META, "candidates": [TITLE]}, META),
        # an agreeing, more precise date refines a coarse one
        ({"metadata": META_YEAR, "text_hit": HEADER_2019}, HEADER_2019),
        ({"metadata": META_YEAR, "text_hit": H(2018, 3, 4)}, META_YEAR),  # disagrees: metadata stands
        # the path's year vetoes a text date of another year, never a publication line
        ({"text_hit": PUBLISHED, "path_hit": PATH}, PUBLISHED),
        ({"candidates": [TITLE], "path_hit": PATH}, PATH),
        # body dates only when asked, and marked as such
        ({"text_hit": BODY, "body_dates": True}, dataclasses.replace(BODY, method="body")),
        ({"text_hit": BODY, "path_hit": PATH, "body_dates": True}, PATH),
        ({"candidates": [None, YEARLESS]}, None),
    ],
)
def test_resolve_date_weighs_evidence(kwargs, expected):
    assert resolve_date(**kwargs) == expected


@pytest.mark.parametrize("value", [0, 1, -1, "0", "1", "-1", 86400, 12345678, "  -1 "])
def test_small_numbers_are_no_unix_times(value):
    assert parse_date_value(value, today=TODAY) is None


def test_a_compact_number_is_a_day():
    assert _d(parse_date_value(20240516, today=TODAY)) == ("2024-05-16", "day")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a short head line that reads as prose: an event, not a header
        ("Remarks at the school\nThe President thanked the teachers. After 1 September 2000, much changed.", None),
        ("Statement\nThe figures are given as of January 1, 2001 for all regions.", None),
        ("Заявление\nЭто изменилось после 1 сентября 2000 года.", None),
        # a long first paragraph opening with a full date is prose too
        ("On 11 September 2001, " + "the world changed and the Assembly met again to speak of it. " * 5, None),
        # hard-wrapped speeches: a later head line of prose, or a sentence opening with a date
        ("Mr President,\nwe meet on the eve of the\nanniversary of the 11 September 2001 terror attacks in\nNew York.",
         None),
        ("Mr President,\nOn 17 December 2010, Tunisia, as the Assembly\nknows, changed.", None),
        # a short line opening with one is a dated announcement
        ("🗓 On May 27-29, 2025, in Moscow, a forum of the ministers.", "2025-05-27"),
        # a header line stays a header
        ("Title\nCategory: Foreign Policy News Friday, 15 June 2018 11:40 Written by X", "2018-06-15"),
    ],
)
def test_prose_in_the_head_is_no_header(text, expected):
    hit = find_text_date(text, today=TODAY)
    assert (hit.as_date().isoformat() if hit else None) == expected


def _infer_by_scanning(hits, today):
    """infer_sequence as it was written before it became linear: a scan either way per post (the reference)."""
    from analysis import dates as d

    today = d._today(today)
    own = [h if h is not None and h.role != "body" and d._valid(h.year, h.month, h.day, today) else None for h in hits]
    full = [(i, h.as_date()) for i, h in enumerate(own) if h is not None and h.year is not None]
    kept = list(own)
    for n, (i, date) in enumerate(full):
        if date is None:
            continue
        prev = next((x for j, x in reversed(full[:n]) if x is not None and kept[j] is not None), None)
        nxt = next((x for _, x in full[n + 1 :] if x is not None), None)
        if prev is not None and (prev - date).days > 366 and (nxt is None or nxt > date):
            kept[i] = None
    own, out = kept, list(kept)
    for i, h in enumerate(own):
        if h is None or h.year is not None:
            continue
        prev = next((out[j].as_date() for j in range(i - 1, -1, -1) if out[j] is not None and out[j].year is not None),
                    None)  # fmt: skip
        nxt = next((own[j].as_date() for j in range(i + 1, len(own)) if own[j] is not None and own[j].year is not None),
                   None)  # fmt: skip
        out[i] = d._complete(h, prev, nxt, today)
    dated = [i for i, h in enumerate(out) if h is not None]
    filled = list(out)
    for left, right in zip(dated, dated[1:], strict=False):
        for j in range(left + 1, right):
            filled[j] = d._gap(out[left], out[right])
    return filled


_POST = st.one_of(
    st.none(),
    st.builds(lambda m, day: DateHit(None, m, day, "day", "text"), st.integers(1, 12), st.integers(1, 28)),
    st.builds(lambda y, m, day: DateHit(y, m, day, "day", "text"), st.integers(1995, 2026), st.integers(1, 12),
              st.integers(1, 28)),
)


@settings(deadline=2000, max_examples=200)
@given(st.lists(_POST, max_size=40))
def test_infer_sequence_in_one_pass_equals_the_scan_per_post(hits):
    today = dt.date(2026, 12, 1)
    assert infer_sequence(hits, today=today) == _infer_by_scanning(hits, today)


# The fast paths of the header scan must find exactly what the plain regular-expression scans find.
_DATE_PIECES = ["15", "June", "JUNE", "2018", "May", "мая", "Мая", "2024-05-16", "16.05.2024", "12.05.24 14:33",
                "27-29", "of", "Sept.", "сент.", "th", "A", "Sunday", ",", " ", "\n", "/", "-", ".", "x1", "١٢",
                "Published", "posted on", "Publication date:", "ДАТА ПУБЛИКАЦИИ", "опубликовано", "Republic",
                "publıshed", "PUBLIÉ le", "Veröffentlicht am", "pubblicato il", "Размещено", "fecha de publicación"]
_pieces = st.lists(st.one_of(st.sampled_from(_DATE_PIECES), st.text(max_size=5)), max_size=40)


@given(_pieces, st.sampled_from(["", " ", "\n"]))
@settings(max_examples=400, deadline=None)
def test_date_matches_are_the_regex_matches(pieces, sep):
    from analysis.dates import _DATE_RE, _date_matches

    text = sep.join(pieces)
    for pos, endpos in ((0, len(text)), (len(text) // 3, len(text)), (0, len(text) // 2)):
        expected = [(m.span(), m.lastgroup) for m in _DATE_RE.finditer(text, pos, endpos)]
        assert [(m.span(), m.lastgroup) for m in _date_matches(text, pos, endpos)] == expected


@given(_pieces, st.sampled_from(["", " ", "\n", "\t"]))
@settings(max_examples=400, deadline=None)
def test_publication_hint_never_misses_a_label(pieces, sep):
    from analysis.dates import _PUBLICATION, _may_hold_publication_label

    text = sep.join(pieces)
    if _PUBLICATION.search(text) is not None:
        assert _may_hold_publication_label(text, 0, len(text))


@pytest.mark.parametrize("label", ["Published", "POSTED ON", "Publication date", "Date of publication",
                                   "Дата публикации", "ДАТА ОПУБЛИКОВАНИЯ", "Опубликовано", "Размещено", "Publié le",
                                   "Publicado el", "Fecha de publicación", "Data de publicação",
                                   "Veröffentlichungsdatum", "Veröffentlicht am", "Data di pubblicazione",
                                   "Pubblicato il", "publıshed"])
def test_publication_hint_sees_every_label(label):
    from analysis.dates import _PUBLICATION, _may_hold_publication_label

    text = f"Statement by the Ministry\n{label}: 6 May 2025\nThe Republic of …"
    assert _PUBLICATION.search(text) is not None
    assert _may_hold_publication_label(text, 0, len(text))
    assert not _may_hold_publication_label("The Republic of Kazakhstan and the public.", 0, 44)
