"""Tests for analysis.documents: records -> the documents table."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.documents import DOCUMENT_COLUMNS, _title, build_documents, document_rows
from analysis.records import DateHit, Record

TODAY = dt.date(2026, 1, 1)


def _docs(*records):
    rows = [row for record in records for row in document_rows(record, today=TODAY)]
    return build_documents(rows)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("17 March 201712:11\n\nForeign Minister Sergey Lavrov's opening remarks at a meeting", "Foreign Minister Sergey Lavrov's opening remarks at a meeting"),
        ("All news\n\nRussia FM: Role of Alliance of Civilizations grows", "Russia FM: Role of Alliance of Civilizations grows"),
        ("#FamilyPhoto\n\n📸 Heads of delegations took part", "Heads of delegations took part"),
        ("🇷🇺🇨🇳 Russia's President met President of China", "Russia's President met President of China"),
        ("«Цитата» министра иностранных дел", "«Цитата» министра иностранных дел"),
        ("Short", "Short"),
        ("   \n\n  ", None),
        ("word " * 100, ("word " * 100).strip()[:199].rstrip() + "…"),
    ],
)
def test_title(text, title):
    assert _title(text) == title


@pytest.mark.parametrize(
    ("text", "surface", "title"),
    [
        ("Москва, 8 мая 2025 года 10:10\n\nНекоммерческие организации играют роль.", "8 мая 2025",
         "Некоммерческие организации играют роль."),
        ("Remarks at a meeting, Moscow, March 17, 2017\n\nGood afternoon.", "March 17, 2017",
         "Remarks at a meeting, Moscow, March 17, 2017"),
    ],
)
def test_title_passes_over_a_line_that_is_only_the_date(text, surface, title):
    assert _title(text, surface) == title


def test_columns_and_types():
    docs = _docs(Record("a.txt", "3 July 2024\n\nThe SCO summit opened in Astana today.", "text", segmentable=True))
    assert list(docs.columns) == DOCUMENT_COLUMNS
    row = docs.iloc[0]
    assert (row["date"], row["date_precision"], row["date_method"]) == (pd.Timestamp("2024-07-03"), "day", "text")
    assert row["n_words"] == 10 and row["cluster_id"] == -1 and row["duplicate_of"] is None
    assert row["language"] == "en"


def test_metadata_date_wins_over_text():
    meta = DateHit(2021, 10, 3, "day", "metadata")
    docs = _docs(Record("k.csv", "3 July 2024\n\nText of the item.", "table", seq=4, date=meta))
    assert docs.iloc[0]["date"] == pd.Timestamp("2021-10-03")
    assert docs.iloc[0]["date_method"] == "metadata"
    assert docs.iloc[0]["seq"] == 4


def test_path_gives_the_year_when_the_text_has_none():
    record = Record("USA_25_1970.txt", "Mr. President, allow me to congratulate you.", "text", segmentable=True,
                    extra={"path": "Session 25 - 1970/USA_25_1970.txt"})
    row = _docs(record).iloc[0]
    assert (row["date"], row["date_precision"], row["date_method"]) == (pd.Timestamp("1970-01-01"), "year", "path")


def test_lone_yearless_date_gives_no_date():
    row = _docs(Record("tass.txt", "MOSCOW, October 26. /TASS/. Russia will strengthen ties.", "text",
                       segmentable=True)).iloc[0]
    assert pd.isna(row["date"]) and row["date_precision"] is None and row["date_method"] is None


def test_duplicates_ignore_case_and_whitespace_and_point_to_the_first():
    docs = _docs(
        Record("a.txt", "The SCO met.\nIn Astana.", "text"),
        Record("b.txt", "the sco met. in   astana.", "text"),
        Record("c.txt", "Something else entirely.", "text"),
    )
    assert docs["duplicate_of"].tolist() == [None, docs["doc_id"][0], None]


def test_ids_are_stable_and_depend_on_content():
    a = _docs(Record("a.txt", "Text one.", "text"))["doc_id"][0]
    b = _docs(Record("a.txt", "Text one.", "text"))["doc_id"][0]
    c = _docs(Record("a.txt", "Text two.", "text"))["doc_id"][0]
    assert a == b != c


def test_dump_posts_are_dated_from_their_headers_and_neighbours():
    dump = "\n".join(
        [
            "Channel",
            "Forwarded from Ministry",
            "The minister met colleagues (Astana, May 20, 2024)",
            "Forwarded from Ministry",
            "📍 Astana, May 21",
            "Forwarded from Ministry",
            "Undated remarks on cooperation, mentioning events of 12 March 2001 in passing.",
            "Forwarded from Ministry",
            "📍 Astana, May 21",
        ]
    )
    docs = _docs(Record("dump.txt", dump, "text", segmentable=True))
    assert docs["seq"].tolist() == [0, 1, 2, 3]
    assert docs["date"].dt.date.tolist() == [dt.date(2024, 5, 20), dt.date(2024, 5, 21), dt.date(2024, 5, 21),
                                           dt.date(2024, 5, 21)]
    assert docs["date_method"].tolist() == ["text", "inferred", "inferred", "inferred"]


def test_empty_input_gives_an_empty_table_with_the_columns():
    docs = build_documents([])
    assert docs.empty and list(docs.columns) == DOCUMENT_COLUMNS


@pytest.mark.parametrize(
    ("text", "body_dates", "expected"),
    [
        # a bare text whose only full date is an event it talks about: undated, the date kept as a hint
        ("Remarks at a meeting\n\n" + "The sides discussed trade and energy at length. " * 10
         + "Everything changed very vividly on August 31, 1998, when the North Koreans launched a rocket.",
         False, (None, None, None, "1998-08-31", "August 31, 1998")),
        ("Remarks at a meeting\n\n" + "The sides discussed trade and energy at length. " * 10
         + "Everything changed very vividly on August 31, 1998, when the North Koreans launched a rocket.",
         True, (dt.date(1998, 8, 31), "body", "body", None, None)),
        # a publication line at the end dates it, whatever the text opens with
        ("Переговоры\n\n10 мая Владимир Путин проведёт переговоры. " + "Текст. " * 40
         + "\nДата публикации: 6 мая 2025 года, 16:10", False, (dt.date(2025, 5, 6), "text", "publication-line", None, None)),
    ],
)
def test_date_evidence_and_hint(text, body_dates, expected):
    [row] = document_rows(Record("a.txt", text, "text", segmentable=True), today=TODAY, body_dates=body_dates)
    assert (row["date"], row["date_method"], row["date_evidence"], row["date_hint"], row["date_hint_surface"]) == expected


def test_a_record_s_title_candidates_date_it():
    title = DateHit(2018, 5, 14, "day", "text", surface="May 14, 2018", evidence="title")
    record = Record("p.html", "Q: Your comment?\nA: We welcome it.", "html", date_candidates=[title])
    [row] = document_rows(record, today=TODAY)
    assert (row["date"], row["date_method"], row["date_evidence"], row["date_surface"]) == (
        dt.date(2018, 5, 14), "text", "title", "May 14, 2018")


def test_hints_and_evidence_survive_the_table():
    docs = _docs(Record("a.txt", "Remarks\n\nWe recall that on 15 February 2023 he stood trial. " + "Text. " * 50,
                        "text"),
                 Record("b.txt", "3 July 2024\n\nThe SCO summit opened in Astana today.", "text"))
    assert docs["date_evidence"].tolist() == [None, "header"]
    assert docs["date_hint"].tolist() == ["2023-02-15", None]


def test_duplicates_of_a_table_put_together_from_parts():
    import pandas as pd

    from analysis.documents import duplicates_of

    table = pd.DataFrame({"doc_id": ["a", "b", "c", "d"],
                          "text": ["The SCO met.", "BRICS met.", "the  SCO\nmet.", "BRICS met."]})
    assert duplicates_of(table).tolist() == [None, None, "a", "b"]
    assert duplicates_of(table.iloc[::-1]).tolist() == [None, None, "d", "c"]  # the first row in order wins


@given(st.lists(st.one_of(st.sampled_from(["Talks", "in", "Moscow", "15 June 2018", "✅", "#SCO", "\u2003", "\x1c",
                                            "\u00a0", "\n", "\t", " ", "“", "a", "Рабочий", "визит"]),
                          st.text(max_size=6)), max_size=30),
       st.sampled_from([None, "15 June 2018"]))
@settings(max_examples=300, deadline=None)
def test_title_matches_the_regex_normalisation(pieces, surface):
    import re

    from analysis.documents import _LEADING_SYMBOLS, _TITLE_WORD, _shorten, _title

    def reference(text):
        fallback = None
        for line in text.splitlines():
            line = _LEADING_SYMBOLS.sub("", re.sub(r"\s+", " ", line).strip())
            if not line:
                continue
            fallback = fallback or line
            words = line.replace(surface, " ") if surface else line
            if len(_TITLE_WORD.findall(words)) >= 3:
                return _shorten(line)
        return _shorten(fallback) if fallback else None

    text = " ".join(pieces)
    assert _title(text, surface) == reference(text)


@pytest.mark.parametrize("chunk_sizes", [(3,), (2, 1), (1, 1, 1), (0, 3)])
def test_documents_from_arrow_column_chunks_equal_documents_from_rows(chunk_sizes):
    from analysis.documents import concat_columns, row_columns

    records = [
        Record("a.txt", "Talks in Moscow\n\nThe SCO and BRICS met on 15 June 2018.", "text"),
        Record("b.txt", "Заявление МИД России\n\nШОС и БРИКС.", "text", title="Заявление"),
        Record("c.txt", "Talks in Moscow\n\nThe SCO and BRICS met on 15 June 2018.", "text"),  # a duplicate
    ]
    rows = [row for record in records for row in document_rows(record, today=TODAY)]
    expected = build_documents(rows)
    parts, at = [], 0
    for size in chunk_sizes:
        parts.append(row_columns(rows[at : at + size], arrow=True))
        at += size
    got = build_documents(concat_columns(parts))
    pd.testing.assert_frame_equal(got, expected)
    assert got["duplicate_of"].tolist() == [None, None, expected["doc_id"][0]]


def test_a_string_column_with_a_missing_value_in_one_chunk_stays_a_python_column():
    import pyarrow as pa

    from analysis.documents import concat_columns

    parts = [{"title": pa.array(["A"], type=pa.large_string())}, {"title": [None]}]
    assert concat_columns(parts)["title"] == ["A", None]


def test_texts_that_share_their_ends_and_length_are_told_apart_by_their_whole_text():
    ends = " ".join(f"w{i}" for i in range(50))
    same_ends = [f"{ends} middle one {ends}", f"{ends} middle two {ends}", f"{ends.upper()} MIDDLE ONE {ends}"]
    docs = _docs(*(Record(f"{i}.txt", text, "text") for i, text in enumerate(same_ends)))
    assert docs["duplicate_of"].tolist() == [None, None, docs["doc_id"][0]]


@given(st.lists(st.lists(st.sampled_from(["SCO", "sco", "met", "MET", "in", "Astana", "ǅ", "ß", "SS", "\u00a0", "\n"]),
                         max_size=90).map(" ".join), min_size=1, max_size=12))
@settings(max_examples=200, deadline=None)
def test_first_copies_are_the_first_rows_with_the_same_normalised_text(texts):
    from analysis.documents import _text_key, first_copies

    table = pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(texts))], "text": texts})
    expected = table["doc_id"].groupby(table["text"].map(_text_key).to_numpy(), sort=False).transform("first")
    assert first_copies(table["doc_id"], table["text"]).tolist() == expected.tolist()
