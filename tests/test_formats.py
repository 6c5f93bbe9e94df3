"""Tests for the readers in analysis.formats: text, HTML, tables (CSV/TSV/JSON/JSONL) and Telegram exports."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.formats import FormatError, NoTextError, read_bytes
from analysis.formats.html import html_to_text, read_html
from analysis.formats.table import find_columns, read_table
from analysis.formats.telegram import flatten_text, read_telegram, read_telegram_export
from analysis.formats.text import read_text

SHARED = Path(__file__).resolve().parents[2] / "shared"
KREMLIN = SHARED / "corpora" / "kremlin_en" / "kremlin_putin_en.csv"


# --- text -----------------------------------------------------------------------------------------------


def test_read_text_one_segmentable_record():
    details: dict = {}
    records = read_text("Заголовок\r\n\r\nТекст поста.".encode("cp1251"), "a/b.txt", details=details)
    assert len(records) == 1
    record = records[0]
    assert (record.source, record.format, record.seq, record.title, record.segmentable) == (
        "a/b.txt",
        "text",
        0,
        None,
        True,
    )
    assert record.text == "Заголовок\n\nТекст поста."
    assert details["encoding"] == "cp1251"


def test_read_text_whitespace_only_gives_nothing():
    assert read_text(b"  \n\t\n", "x.txt") == []


# --- HTML -----------------------------------------------------------------------------------------------

PAGE = b"""<!DOCTYPE html>
<html><head>
<title>Lavrov meets Wang Yi | Ministry</title>
<meta property="article:published_time" content="2021-03-04T10:00:00">
<style>.evil { color: red }</style>
<script>var tracking = "SECRET_SCRIPT";</script>
</head>
<body>
<nav><a href="/">Home</a> <a href="/news/2019/01/02/old-story">NAVLINK old story</a></nav>
<header>SITE HEADER CHROME</header>
<article>
<h1>Lavrov meets Wang Yi</h1>
<p>The ministers discussed cooperation within the SCO and BRICS at length in Moscow on Thursday.</p>
<p>They agreed to meet again. <script>alert(1)</script><img src=x onerror=alert(1)> The talks were constructive.</p>
<p>Written as text: &lt;script&gt;not code&lt;/script&gt; stays visible.</p>
</article>
<footer>FOOTER COPYRIGHT 2024</footer>
</body></html>"""


def test_read_html_keeps_article_text_only():
    details: dict = {}
    [record] = read_html(PAGE, "page.html", details=details)
    assert record.format == "html" and record.segmentable is False
    assert "The ministers discussed cooperation within the SCO and BRICS" in record.text
    assert "The talks were constructive." in record.text
    for chrome in ("SECRET_SCRIPT", "alert(1)", "onerror", "color: red", "NAVLINK", "SITE HEADER", "FOOTER"):
        assert chrome not in record.text
    assert "<script>not code</script>" in record.text  # escaped text stays text
    assert record.title and "Lavrov meets Wang Yi" in record.title
    assert details["encoding"] == "utf-8"


def test_read_html_date_from_metadata_not_from_links():
    [record] = read_html(PAGE, "page.html")
    assert record.date is not None
    assert (record.date.year, record.date.month, record.date.day) == (2021, 3, 4)
    assert record.date.method == "metadata"


@pytest.mark.parametrize(
    "page",
    [
        b"<html><body><p>The ministers met in Moscow and discussed many things.</p>"
        b"<a href='/2019/01/02/story'>story</a></body></html>",
        b"<html><head><title>No date</title></head><body><p>Plain text without any date at all.</p></body></html>",
    ],
)
def test_read_html_no_guessed_date(page):
    [record] = read_html(page, "p.html")
    assert record.date is None


def test_read_html_tiny_page_falls_back_and_drops_scripts():
    page = b"<html><head><title>T</title></head><body><script>alert(1)</script><p>Hi</p></body></html>"
    records = read_html(page, "tiny.html")
    assert [r.text for r in records] == ["Hi"]
    assert records[0].title == "T"


def test_read_html_without_visible_text_gives_nothing():
    assert read_html(b"<html><head><script>alert(1)</script></head><body></body></html>", "x.html") == []


def test_html_to_text_drops_chrome():
    text, title = html_to_text(
        "<html><head><title> My  page </title><style>p{}</style></head><body><nav>menu</nav>"
        "<h1>Head</h1><p>One<br>Two</p><footer>foot</footer><script>x()</script></body></html>"
    )
    assert text == "Head\nOne\nTwo"
    assert title == "My page"


# --- tables ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["Text", "Date"], {"text": "Text", "date": "Date"}),
        (
            ["link", "headline", "date", "location", "summary", "body"],
            {"text": "body", "date": "date", "title": "headline", "url": "link"},
        ),
        (["summary", "published_at", "URL"], {"text": "summary", "date": "published_at", "url": "URL"}),
        (
            ["full_text", "pub_date", "subject", "permalink"],
            {"text": "full_text", "date": "pub_date", "title": "subject", "url": "permalink"},
        ),
        (["message", "timestamp"], {"text": "message", "date": "timestamp"}),
        (
            [" Content ", "created_at", "name", "href"],
            {"text": " Content ", "date": "created_at", "title": "name", "url": "href"},
        ),
        (["a", "b"], {}),
    ],
)
def test_find_columns(columns, expected):
    assert find_columns(columns) == expected


def test_read_csv_with_quoted_multiline_bodies_and_dates():
    data = (
        b"link,headline,date,summary,body\n"
        b'http://x/1,First,2022-06-24T17:30:00Z,short,"Line one\nline two, with a comma"\n'
        b'http://x/2,Second,03/04/2024,short,"He said ""hello""."\n'
        b'http://x/3,Empty,2024-01-01,short,"   "\n'
    )
    details: dict = {}
    records = read_table(data, "k.csv", kind="csv", details=details)
    assert [r.text for r in records] == ["Line one\nline two, with a comma", 'He said "hello".']
    assert [r.seq for r in records] == [0, 1]
    assert [r.title for r in records] == ["First", "Second"]
    assert [r.url for r in records] == ["http://x/1", "http://x/2"]
    assert [(r.date.year, r.date.month, r.date.day) for r in records] == [(2022, 6, 24), (2024, 4, 3)]
    assert all(r.date.method == "metadata" and r.format == "table" and not r.segmentable for r in records)
    assert details["columns_used"] == {"text": "body", "date": "date", "title": "headline", "url": "link"}
    assert (details["rows"], details["rows_skipped"]) == (3, 1)


def test_read_csv_dayfirst_false():
    data = b"text,date\nhello,03/04/2024\n"
    [record] = read_table(data, "t.csv", kind="csv", dayfirst=False)
    assert (record.date.month, record.date.day) == (3, 4)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"title;text;date\nA;Body with, commas;2024-05-16\nB;Second body;2024-05-17\n", "csv"),
        (b"title\ttext\tdate\nA\tBody with, commas\t2024-05-16\nB\tSecond body\t2024-05-17\n", "tsv"),
        (b"title\ttext\tdate\nA\tBody with, commas\t2024-05-16\nB\tSecond body\t2024-05-17\n", "csv"),
    ],
)
def test_read_delimited_tables(data, kind):
    records = read_table(data, "t." + kind, kind=kind)
    assert [(r.title, r.text, r.date.day) for r in records] == [
        ("A", "Body with, commas", 16),
        ("B", "Second body", 17),
    ]


def test_table_without_text_column_fails_with_its_columns():
    with pytest.raises(
        FormatError,
        match=r"no text column found: expected one of text, body, .*the table has columns: a, b, c\. Rename the text column to 'text'\.",
    ):
        read_table(b"a,b,c\n1,2,3\n", "t.csv", kind="csv")


def test_jsonl_with_broken_line_keeps_the_others():
    data = b'{"text": "one", "date": "2024-05-16"}\n{"text": "two"}\n{"text": broken\n\n{"text": "four"}\n'
    details: dict = {}
    records = read_table(data, "t.jsonl", kind="jsonl", details=details)
    assert [r.text for r in records] == ["one", "two", "four"]
    assert details["broken_lines"] == [3]
    assert "broken JSON on line 3" in details["notes"]
    assert (details["rows"], details["rows_skipped"]) == (4, 1)


def test_jsonl_all_lines_broken_fails():
    with pytest.raises(FormatError, match=r"every line is broken JSON \(2 lines; first error on line 1"):
        read_table(b"{oops\n[nope\n", "t.jsonl", kind="jsonl")


@pytest.mark.parametrize(
    "payload",
    [
        [{"content": "alpha", "published": "2024-05-16"}, {"content": "beta"}, "not an object"],
        {"data": [{"content": "alpha", "published": "2024-05-16"}, {"content": "beta"}]},
    ],
)
def test_json_array_or_data_key(payload):
    details: dict = {}
    records = read_table(json.dumps(payload).encode(), "t.json", kind="json", details=details)
    assert [r.text for r in records] == ["alpha", "beta"]
    assert records[0].date.year == 2024 and records[1].date is None
    assert details["columns_used"] == {"text": "content", "date": "published"}


@pytest.mark.parametrize(
    ("data", "kind", "error", "match"),
    [
        (b"{not json", "json", FormatError, r"broken JSON"),
        (b"42", "json", FormatError, r"the JSON holds a int, not documents"),
        (b"text,date\n", "csv", NoTextError, r"the table has no rows"),
        (b"text,date\n  ,2024-01-01\n", "csv", NoTextError, r"all 1 rows have empty text in column 'text'"),
    ],
)
def test_table_errors(data, kind, error, match):
    with pytest.raises(error, match=match):
        read_table(data, "t." + kind, kind=kind)


def test_table_bad_kind():
    with pytest.raises(ValueError, match=r"The 'kind' parameter must be one of"):
        read_table(b"text\nx\n", "t.xls", kind="xls")


@pytest.mark.corpora
def test_kremlin_csv_gives_816_dated_records():
    if not KREMLIN.exists():
        pytest.skip(f"../shared/corpora not found: {KREMLIN} is absent")
    details: dict = {}
    records = read_table(KREMLIN.read_bytes(), KREMLIN.name, kind="csv", details=details)
    assert len(records) == 816
    assert all(r.date is not None for r in records)
    assert details["columns_used"]["text"] == "body"


# --- Telegram -------------------------------------------------------------------------------------------

EXPORT = {
    "name": "Russian MFA",
    "type": "public_channel",
    "id": 1234,
    "messages": [
        {"id": 1, "type": "service", "date": "2024-05-15T10:00:00", "action": "create_channel", "text": ""},
        {
            "id": 2,
            "type": "message",
            "date": "2024-05-16T12:00:00",
            "date_unixtime": "1715860800",
            "text": [
                "Talks in Beijing ",
                {"type": "hashtag", "text": "#SCO"},
                " ",
                {"type": "bold", "text": "Lavrov"},
                ": see ",
                {"type": "link", "text": "https://mid.ru"},
                " and ",
                {"type": "text_link", "text": "the statement", "href": "https://mid.ru/statement"},
            ],
            "text_entities": [],
            "forwarded_from": "Russian MFA",
        },
        {"id": 3, "type": "message", "date": "2024-05-16T13:00:00", "photo": "photos/p.jpg", "text": ""},
        {"id": 4, "type": "message", "date": "2024-05-17T09:30:00", "text": "Plain text post"},
        {"id": 5, "type": "message", "date": "2024-05-17T10:00:00", "media_type": "video_file", "text": []},
    ],
}


def test_telegram_export_flattens_and_counts():
    details: dict = {}
    records = read_telegram(json.dumps(EXPORT).encode(), "result.json", details=details)
    assert [r.text for r in records] == [
        "Talks in Beijing #SCO Lavrov: see https://mid.ru and the statement",
        "Plain text post",
    ]
    assert [r.seq for r in records] == [0, 1]
    assert [(r.date.year, r.date.month, r.date.day, r.date.method) for r in records] == [
        (2024, 5, 16, "metadata"),
        (2024, 5, 17, "metadata"),
    ]
    assert all(r.format == "telegram" and r.source == "result.json" and r.url is None for r in records)
    assert records[0].extra["forwarded_from"] == "Russian MFA"
    assert details == {
        "encoding": "utf-8",
        "messages": 5,
        "service_skipped": 1,
        "media_only_skipped": 2,
        "channel": "Russian MFA",
    }


def test_telegram_urls_when_username_known():
    records = read_telegram_export({**EXPORT, "username": "MFARussia"}, "result.json")
    assert [r.url for r in records] == ["https://t.me/MFARussia/2", "https://t.me/MFARussia/4"]
    records = read_telegram_export(EXPORT, "result.json", username="mfa_rus")
    assert records[1].url == "https://t.me/mfa_rus/4"


def test_telegram_export_is_routed_from_json_by_content():
    details: dict = {}
    records, fmt = read_bytes(json.dumps(EXPORT).encode(), "result.json", "result.json", details=details)
    assert fmt == "telegram"
    assert len(records) == 2 and details["service_skipped"] == 1


def test_telegram_without_text_messages():
    export = {
        "name": "C",
        "messages": [{"id": 1, "type": "service"}, {"id": 2, "type": "message", "text": ""}],
    }
    with pytest.raises(NoTextError, match=r"no message with text \(2 messages: 1 service, 1 media-only\)"):
        read_telegram_export(export, "result.json")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        (["a", {"type": "bold", "text": "b"}, {"type": "text_link", "text": "c", "href": "h"}], "abc"),
        (None, ""),
        ([{"type": "x"}, 5], ""),
    ],
)
def test_flatten_text(value, expected):
    assert flatten_text(value) == expected


# --- dispatch by content ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "expected_format"),
    [
        (b"<!DOCTYPE html><html><body><p>Hello there, world.</p></body></html>", "page", "html"),
        (b'[{"text": "hello"}]', "dump.data", "table"),
        (b"{ not json but text", "notes.log", "text"),
        (b"Just words.", "README", "text"),
        (b"text\nhello\n", "t.tsv", "table"),
    ],
)
def test_read_bytes_dispatch(data, name, expected_format):
    records, fmt = read_bytes(data, name, name)
    assert fmt == expected_format
    assert records


# --- robustness ----------------------------------------------------------------------------------------

READERS = [
    lambda data: read_text(data, "x.txt"),
    lambda data: read_html(data, "x.html"),
    lambda data: read_table(data, "x.csv", kind="csv"),
    lambda data: read_table(data, "x.tsv", kind="tsv"),
    lambda data: read_table(data, "x.jsonl", kind="jsonl"),
    lambda data: read_table(data, "x.json", kind="json"),
    lambda data: read_telegram(data, "result.json"),
]


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=600),
        st.text(max_size=300).map(str.encode),
        st.sampled_from(
            [b"text,date\n", b"[{}]", b'{"messages": [1, null, {}]}', b'{"data": 3}', b"[[[[", b"<p>"]
        ),
    )
)
def test_readers_never_raise_undocumented_errors(data):
    for reader in READERS:
        try:
            records = reader(data)
        except (FormatError, NoTextError):
            continue
        assert isinstance(records, list)


@pytest.mark.parametrize(
    ("dates", "dayfirst", "expected", "order"),
    [
        # 25/03 can only be day-first: the whole column is read so, 03/04 included
        (["03/04/2024", "25/03/2024"], False, ["2024-04-03", "2024-03-25"], "day-first (detected from the column)"),
        # 03/25 can only be month-first
        (["03/04/2024", "03/25/2024"], True, ["2024-03-04", "2024-03-25"], "month-first (detected from the column)"),
        (["03/04/2024", "05/06/2024"], True, ["2024-04-03", "2024-06-05"], "day-first (default)"),
        (["03/04/2024", "05/06/2024"], False, ["2024-03-04", "2024-05-06"], "month-first (default)"),
    ],
)
def test_one_day_month_order_per_table(dates, dayfirst, expected, order):
    rows = "\n".join(f"{d},Text number {i}" for i, d in enumerate(dates))
    details: dict = {}
    records = read_table(f"date,text\n{rows}\n".encode(), "t.csv", kind="csv", dayfirst=dayfirst, details=details)
    assert [r.date.as_date().isoformat() for r in records] == expected
    assert details["date_order"] == order


# --- dates you can trust: HTML titles and publication lines, number-like table dates -----------------------

_BRIEFING = """<html><head><title>Foreign Ministry Spokesperson Lu Kang's Regular Press Conference on May 14, 2018</title>
</head><body><div class="content">
<p>Other briefings:</p><p>May 11, 2018</p><p>May 10, 2018</p><p>May 9, 2018</p><p>May 8, 2018</p>
<h1>Foreign Ministry Spokesperson Lu Kang's Regular Press Conference on May 14, 2018</h1>
<p>Q: The DPRK announced that it will dismantle its nuclear test site. What is your comment on that?</p>
<p>A: We welcome the announcement and hope all parties will work together for lasting peace on the Peninsula.</p>
</div></body></html>"""

_UPDATED_METADATA = """<html><head><title>Meeting with Government members</title>
<meta property="article:published_time" content="2025-05-20T10:00:00+03:00"></head>
<body><article><h1>Meeting with Government members</h1>
<p>10 мая Владимир Путин проведёт совещание с членами Правительства. The President will hold a meeting.</p>
<p>The main topic will be the development of the economy in the regions and the social programmes.</p>
<p>Publication date: 6 May 2025, 16:10</p></article></body></html>"""


def _dated(record) -> tuple:
    from analysis.documents import document_rows

    [row] = document_rows(record)
    return (row["date"].isoformat() if row["date"] else None), row["date_evidence"]


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        # the date only in the title; the page lists other briefings' dates, which must not win
        (_BRIEFING, ("2018-05-14", "title")),
        # the page's metadata holds another (updated) date; its "Publication date" line wins
        (_UPDATED_METADATA, ("2025-05-06", "publication-line")),
        # an <h1> alone dates the page too (htmldate reads this one as well: the two agree)
        ("<html><body><h1>Statement (Astana, 3 July 2024)</h1><p>The ministers met and talked about the "
         "region's security for a long time.</p></body></html>", ("2024-07-03", "metadata")),
        # an undated title gives nothing
        ("<html><head><title>Statement</title></head><body><p>The ministers met and talked about the region "
         "for a long time.</p></body></html>", (None, None)),
    ],
)
def test_html_title_and_publication_line_date_the_page(page, expected):
    [record] = read_html(page.encode(), "page.html")
    assert _dated(record) == expected


def test_html_title_dates_are_candidates_beside_the_metadata():
    [record] = read_html(_BRIEFING.encode(), "page.html")
    assert record.date is None
    assert {(h.as_date().isoformat(), h.evidence, h.surface) for h in record.date_candidates} == {
        ("2018-05-14", "title", "May 14, 2018")
    }


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        # codes and counters in a date column are no dates (not 1970-01-01 / 1969-12-31)
        (["0", "1", "-1"], [None, None, None]),
        (["2024-05-16", "0", "-1"], ["2024-05-16", None, None]),
        # a column of Unix times is read as such; a stray Unix time in a column of dates is not
        (["1715817600", "1715904000", "1715990400"], ["2024-05-16", "2024-05-17", "2024-05-18"]),
        (["1715817600000", "1715904000000"], ["2024-05-16", "2024-05-17"]),
        (["2024-05-16", "1715904000", "16.05.2024", "16 May 2024"], ["2024-05-16", None, "2024-05-16", "2024-05-16"]),
        # years and compact dates are dates in any column
        (["2019", "0", "20240516"], ["2019-01-01", None, "2024-05-16"]),
    ],
)
def test_number_like_date_cells(dates, expected):
    rows = "\n".join(f"{d},Text number {i}" for i, d in enumerate(dates))
    records = read_table(f"date,text\n{rows}\n".encode(), "t.csv", kind="csv")
    assert [r.date.as_date().isoformat() if r.date else None for r in records] == expected


def test_number_like_date_cells_in_json():
    payload = [{"text": "one", "date": 0}, {"text": "two", "date": -1}, {"text": "three", "date": 1}]
    records = read_table(json.dumps(payload).encode(), "t.json", kind="json")
    assert [r.date for r in records] == [None, None, None]


# --- tables read as a stream (iter_table) ----------------------------------------------------------------


def _chunks(data: bytes, kind: str, chunk_rows: int, **kwargs) -> tuple[list[list], dict]:
    import io

    from analysis.formats.table import iter_table

    details: dict = {}
    chunks = list(iter_table(io.BytesIO(data), "t." + kind, kind=kind, chunk_rows=chunk_rows, details=details,
                             **kwargs))
    return chunks, details


def _fields(records) -> list[tuple]:
    return [(r.text, r.seq, r.title, r.url, r.date, r.extra, r.publisher, r.publisher_method) for r in records]


def _csv_bytes(rows: list[dict], delimiter: str = ",") -> bytes:
    import csv
    import io

    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
@pytest.mark.parametrize(("n_rows", "sizes"), [(4, [4]), (5, [4, 1]), (8, [4, 4]), (3, [3])])
def test_chunks_of_exactly_n_and_n_plus_one_rows(kind, n_rows, sizes):
    rows = [{"text": f"Post number {i}.", "date": f"2024-01-{i + 1:02d}"} for i in range(n_rows)]
    data = (_csv_bytes(rows) if kind == "csv" else
            "".join(json.dumps(row) + "\n" for row in rows).encode())
    chunks, details = _chunks(data, kind, 4)
    assert [len(chunk) for chunk in chunks] == sizes
    records = [r for chunk in chunks for r in chunk]
    assert [r.text for r in records] == [row["text"] for row in rows]
    assert [r.seq for r in records] == list(range(n_rows))
    assert (details["rows"], details["rows_skipped"], details["chunks"]) == (n_rows, 0, len(sizes))
    assert _fields(records) == _fields(read_table(data, "t." + kind, kind=kind))


def test_quoted_csv_field_with_newlines_across_a_chunk_boundary():
    data = (b'title,text\nA,"one"\nB,"two\nlines"\nC,"three\n\nparagraphs\r\nhere"\nD,four\n')
    chunks, details = _chunks(data, "csv", 2)
    assert [[r.text for r in chunk] for chunk in chunks] == [
        ["one", "two\nlines"], ["three\n\nparagraphs\nhere", "four"]]
    assert [r.extra["row"] for chunk in chunks for r in chunk] == [2, 4, 8, 9]  # the row's last line
    assert details["rows"] == 4 and "rows_ragged" not in details


def test_broken_jsonl_line_in_the_middle_keeps_the_others_across_chunks():
    lines = [json.dumps({"text": f"Post {i}."}) for i in range(1, 7)]
    lines[3] = '{"text": "cut in the mid'
    chunks, details = _chunks(("\n".join(lines) + "\n").encode(), "jsonl", 2)
    assert [[r.text for r in chunk] for chunk in chunks] == [["Post 1.", "Post 2."], ["Post 3.", "Post 5."],
                                                             ["Post 6."]]
    assert [r.extra["row"] for chunk in chunks for r in chunk] == [1, 2, 3, 5, 6]
    assert details["broken_lines"] == [4]
    assert (details["rows"], details["rows_skipped"]) == (6, 1)
    assert details["notes"] == ["broken JSON on line 4"]


_CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=30)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.fixed_dictionaries({"text": _CELL, "title": _CELL, "date": st.sampled_from(
    ["", "2024-05-16", "03/04/2021", "25/12/2020", "1715817600", "May 2019"])}), min_size=1, max_size=25),
    kind=st.sampled_from(["csv", "tsv", "jsonl"]), chunk_rows=st.integers(1, 7))
def test_chunked_reading_gives_the_records_of_whole_reading(rows, kind, chunk_rows):
    if kind == "jsonl":
        data = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows).encode("utf-8")
    else:
        data = _csv_bytes(rows, "\t" if kind == "tsv" else ",")
    try:
        whole = read_table(data, "t." + kind, kind=kind)
    except NoTextError:
        with pytest.raises(NoTextError):
            _chunks(data, kind, chunk_rows)
        return
    chunks, _ = _chunks(data, kind, chunk_rows)
    assert all(0 < len(chunk) <= chunk_rows for chunk in chunks)
    assert _fields([r for chunk in chunks for r in chunk]) == _fields(whole)
    assert [r.text for r in whole] == [row["text"].strip() for row in rows if row["text"].strip()]


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_row_over_max_row_chars_is_refused_with_its_number_and_the_rest_kept(kind):
    long_text = "word " * 30  # 150 characters
    rows = [{"text": "short one"}, {"text": long_text}, {"text": "short two"}]
    data = (_csv_bytes(rows) if kind == "csv" else "".join(json.dumps(r) + "\n" for r in rows).encode())
    chunks, details = _chunks(data, kind, 1, max_row_chars=100)
    assert [r.text for chunk in chunks for r in chunk] == ["short one", "short two"]
    line = 3 if kind == "csv" else 2
    chars = len(long_text) + (0 if kind == "csv" else len('{"text": ""}'))
    reason = (f"{chars:,} characters, more than max_row_chars (100); not read. Check the file's quoting, or "
              "raise the limit")
    assert details["refused_rows"] == [{"row": 2, "line": line, "reason": reason}]
    assert details["notes"] == [f"row 2 (line {line}) refused: {reason}"]
    assert (details["rows"], details["rows_refused"], details["rows_skipped"]) == (3, 1, 0)


def test_an_overlong_quoted_csv_row_is_skipped_to_its_end():
    body = "\n".join(["a line of a very long quoted body"] * 20)
    data = f'text,title\n"kept before",x\n"{body}",long\n"kept after ""quoted""",y\n'.encode()
    chunks, details = _chunks(data, "csv", 10, max_row_chars=200)
    assert [r.text for chunk in chunks for r in chunk] == ["kept before", 'kept after "quoted"']
    [refused] = details["refused_rows"]
    assert (refused["row"], refused["line"]) == (2, 3)
    assert len(f'"{body}",long') == 686
    assert details["notes"][0].startswith("row 2 (lines 3-22) refused: 686 characters, more than max_row_chars (200)")
    assert [r.extra["row"] for chunk in chunks for r in chunk] == [2, 23]


def test_every_row_refused_is_no_text():
    with pytest.raises(NoTextError, match=r"^all 2 rows are longer than max_row_chars; see refused_rows$"):
        _chunks(b'{"text": "long enough"}\n{"text": "long enough"}\n', "jsonl", 5, max_row_chars=10)


def test_streamed_table_errors_are_pinned():
    with pytest.raises(FormatError, match=r"^the header row has 30 characters, more than max_row_chars \(10\)"):
        _chunks(b"text," + b"x" * 25 + b"\nbody,1\n", "csv", 5, max_row_chars=10)
    with pytest.raises(ValueError, match=r"^The 'chunk_rows' parameter must be a positive integer; got 0 instead"):
        _chunks(b"text\nbody\n", "csv", 0)
    with pytest.raises(ValueError, match=r"^The 'kind' parameter must be one of \['csv', 'tsv', 'jsonl'\]; got 'json'"):
        _chunks(b"[]", "json", 5)
    with pytest.raises(NoTextError, match=r"^the table has no rows$"):
        _chunks(b"text,date\n", "csv", 5)
    with pytest.raises(FormatError, match=r"^every line is broken JSON \(2 lines; first error on line 1: "):
        _chunks(b"{nope\n\n{nope\n", "jsonl", 5)


def test_streamed_encoding_is_chosen_on_the_head(monkeypatch):
    import analysis.formats.table as table

    monkeypatch.setattr(table, "HEAD_BYTES", 256)  # the head: a small part of the file (3 of 40 rows)
    rows = [{"text": f"{RUSSIAN_POST} {i}", "date": "2024-05-16"} for i in range(40)]
    cp1251 = _csv_bytes(rows).decode("utf-8").encode("cp1251")
    chunks, details = _chunks(cp1251, "csv", 7)
    assert details["encoding"] == "cp1251"
    assert [r.text for chunk in chunks for r in chunk] == [row["text"] for row in rows]
    bom = codecs.BOM_UTF8 + _csv_bytes(rows).replace(b"\n", b"\r\n")
    chunks, details = _chunks(bom, "csv", 7)
    assert details["encoding"] == "utf-8-sig" and details["columns_used"]["text"] == "text"
    assert [r.text for chunk in chunks for r in chunk] == [row["text"] for row in rows]
    # An ASCII head, then cp1251 far into the file: the encoding is chosen where the Cyrillic is, nothing is
    # replaced (the head alone would say UTF-8 and lose every Cyrillic byte).
    for ascii_rows in (20, 200):
        late = (b'{"text": "plain ascii line"}\n' * ascii_rows
                + f'{{"text": "{RUSSIAN_POST}"}}\n'.encode("cp1251") + b'{"text": "ascii again"}\n')
        chunks, details = _chunks(late, "jsonl", 7)
        texts = [r.text for chunk in chunks for r in chunk]
        assert texts[-2:] == [RUSSIAN_POST, "ascii again"] and details.get("bytes_replaced", 0) == 0
        assert details["encoding"] == "cp1251"
    # ASCII throughout, longer than the head: UTF-8 (ASCII is UTF-8).
    chunks, details = _chunks(b'{"text": "plain ascii line"}\n' * 50, "jsonl", 7)
    assert details["encoding"] in ("utf-8", "ascii") and sum(len(c) for c in chunks) == 50


RUSSIAN_POST = "Министр иностранных дел России провёл переговоры"


# --- streamed tables: keys met after the first DETECT_ROWS rows -----------------------------------------------


def _jsonl_bytes(rows: list) -> bytes:
    return ("\n".join(json.dumps(row) for row in rows) + "\n").encode()


def _every_record(data: bytes, kind: str = "jsonl", chunk_rows: int = 700) -> tuple[list, dict]:
    chunks, details = _chunks(data, kind, chunk_rows)
    return [record for chunk in chunks for record in chunk], details


def test_later_jsonl_rows_with_another_text_key_are_read_by_it_and_the_report_says_so():
    rows = [{"body": f"Early post {i}."} for i in range(1_000)] + [{"text": f"Late post {i}."} for i in range(5)]
    records, details = _every_record(_jsonl_bytes(rows))
    assert len(records) == 1_005 and records[-1].text == "Late post 4." and records[-1].extra["row"] == 1_005
    assert details["columns_used"] == {"text": "body"}
    assert details["fallback_keys"] == {"text": {"text": 5}}
    assert ("rows without the key 'body' take their text from their key 'text' (first on line 1001; counted in "
            "fallback_keys)") in details["notes"]
    assert details["rows_skipped"] == 0 and "rows_without_text" not in details


def test_a_date_key_first_met_after_the_first_rows_dates_the_rows_that_have_it():
    rows = [{"text": f"Post {i}."} for i in range(1_000)] + [{"text": "Dated.", "date": "25/12/2023"},
                                                            {"text": "A Unix time.", "date": 1715817600}]
    records, details = _every_record(_jsonl_bytes(rows))
    dated = records[1_000].date
    assert (dated.year, dated.month, dated.day, dated.method) == (2023, 12, 25, "metadata")
    assert records[1_001].date is None  # a number in a key no first row had is no date: never a guess
    assert details["fallback_keys"] == {"date": {"date": 2}}
    assert details["date_numbers_not_read"] == 1
    assert ("the first 1,000 rows have no date key; the rows that have one take their date from 'date' (first on "
            "line 1001; counted in fallback_keys; read day-first as the file's dates are, and a number not as a "
            "Unix time)") in details["notes"]
    assert ("1 date cells hold numbers that were not read as dates (the date column's first 1,000 rows did not hold "
            "Unix times)") in details["notes"]


def test_jsonl_whose_first_rows_have_no_text_key_is_read_from_the_rows_that_have_one():
    rows = [{"id": i, "kind": "service"} for i in range(1_000)] + [{"id": 1_000, "message": "The SCO met."}]
    records, details = _every_record(_jsonl_bytes(rows))
    assert [r.text for r in records] == ["The SCO met."]
    assert details["rows_without_text_count"] == 1_000 and details["rows_without_text"][:3] == [1, 2, 3]
    assert len(details["rows_without_text"]) == 100  # listed up to 100, all counted
    assert details["notes"][0] == ("no text key among the keys of the first 1,000 rows; each later row is read by "
                                   "its own keys")
    assert ("1,000 rows have no text in any text key and were not read (lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, …; see "
            "rows_without_text)") in details["notes"]
    with pytest.raises(FormatError, match=r"no text column found: expected one of text, body, .*; the table has "
                                          r"columns: id, kind\. Rename the text column to 'text'\."):
        _every_record(_jsonl_bytes([{"id": i, "kind": "service"} for i in range(1_001)]))
    with pytest.raises(NoTextError, match=r"all 1001 rows have empty text in column 'text'"):
        _every_record(_jsonl_bytes([{"id": i} for i in range(1_000)] + [{"text": " "}]))


def test_a_later_row_without_text_is_counted_listed_and_noted():
    rows = [{"text": f"Post {i}.", "title": "T"} for i in range(1_000)] + [{"title": "no text"}, {"text": ""},
                                                                         {"text": "Last."}]
    records, details = _every_record(_jsonl_bytes(rows))
    assert len(records) == 1_001 and records[-1].text == "Last."
    assert (details["rows"], details["rows_skipped"]) == (1_003, 2)
    assert details["rows_without_text"] == [1_001, 1_002] and details["rows_without_text_count"] == 2
    assert ("2 rows have no text in 'text' nor any other text key and were not read (lines 1001, 1002; see "
            "rows_without_text)") in details["notes"]
    csv_rows = "text,title\n" + "".join(f"Post {i},T\n" for i in range(3)) + ",empty\n"
    _, details = _every_record(csv_rows.encode(), kind="csv")
    assert details["rows_without_text"] == [5]
    assert "1 row has no text in 'text' and was not read (line 5; see rows_without_text)" in details["notes"]


def test_a_later_date_of_the_other_order_is_a_warning():
    rows = [{"text": f"Post {i}.", "date": "03/04/2024"} for i in range(1_000)] + [
        {"text": "Late.", "date": "03/25/2024"}, {"text": "Later.", "date": "04/26/2024"}]
    records, details = _every_record(_jsonl_bytes(rows))
    assert details["date_order"] == "day-first (default)"
    assert (records[0].date.month, records[0].date.day) == (4, 3)
    assert (records[1_000].date.month, records[1_000].date.day) == (3, 25)  # unambiguous: read as it is
    assert details["date_order_contradicted_at_line"] == 1_001
    [warning] = [n for n in details["notes"] if n.startswith("the date column was read day-first")]
    assert warning == ("the date column was read day-first (default, on its first 1,000 rows), but the date on line "
                       "1001 ('03/25/2024') is month-first: ambiguous dates such as 03/04/2024 may have been read the "
                       "wrong way round; check the column, and if it is month-first build with --month-first")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(
    st.dictionaries(st.sampled_from(["text", "body", "Date", "published", "title", "url", "id"]),
                    st.one_of(st.text(max_size=8), st.integers(), st.none()), max_size=4),
    st.integers(), st.text(max_size=5)), min_size=1, max_size=12))
def test_every_jsonl_row_is_a_record_or_reported(rows):
    from unittest import mock

    import analysis.formats.table as table

    with mock.patch.object(table, "DETECT_ROWS", 3):
        try:
            records, details = _every_record(_jsonl_bytes(rows), chunk_rows=2)
        except (FormatError, NoTextError):
            return
    not_objects = sum(1 for row in rows if not isinstance(row, dict))
    assert details["rows"] == len(rows)
    assert len(records) + details.get("rows_without_text_count", 0) + not_objects == len(rows)
    assert details["rows_skipped"] == len(rows) - len(records)
    for record in records:  # a row's text is the first usual text key it has with text, or the chosen one
        row = rows[record.extra["row"] - 1]
        # (with its line endings made "\n", as the reader makes them)
        assert record.text in {str(v).replace("\r\n", "\n").replace("\r", "\n").strip() for v in row.values()}
