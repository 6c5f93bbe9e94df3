"""Tests for analysis.export: formula-safe CSV bytes and file names."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest

from analysis.export import csv_filename, to_csv_bytes

BOM = b"\xef\xbb\xbf"


def _text(data: bytes) -> str:
    assert data.startswith(BOM)
    return data[len(BOM) :].decode("utf-8")


def _csv(*lines: str) -> str:
    """Expected CSV text: each line ends with CRLF (RFC 4180)."""
    return "".join(line + "\r\n" for line in lines)


def test_expected_csv_exactly():
    df = pd.DataFrame(
        {
            "period": pd.to_datetime(["2024-05-01", "2024-06-01"]),
            "key": ["NATO", '=HYPERLINK("http://x")'],
            "mentions": [3, 0],
            "share_pct": [12.5, -3.5],
            "top_terms": [["security", "nato", "alliance"], []],
            "partial": [True, False],
        }
    )
    expected = _csv(
        "period,key,mentions,share_pct,top_terms,partial",
        "2024-05-01,NATO,3,12.5,security; nato; alliance,True",
        '2024-06-01,"\'=HYPERLINK(""http://x"")",0,-3.5,,False',
    )
    assert _text(to_csv_bytes(df)) == expected


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+7 495 123", "'+7 495 123"),
        ("-3.5", "'-3.5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", '"\'\rcmd"'),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", '""'),
        ("ШОС", "ШОС"),
    ],
)
def test_text_cells_starting_a_formula_are_escaped(cell, written):
    data = _text(to_csv_bytes(pd.DataFrame({"text": [cell]})))
    assert data == _csv("text", written)


@pytest.mark.parametrize("dtype", ["int64", "float64", "Int64", "Float64"])
def test_numeric_columns_are_never_escaped(dtype):
    df = pd.DataFrame({"value": pd.array([-3, 5], dtype=dtype)})
    lines = _text(to_csv_bytes(df)).split("\r\n")
    assert lines[1].lstrip("'") == lines[1]
    assert lines[1].startswith("-3")


def test_numbers_inside_a_text_column_stay_numbers_but_text_is_escaped():
    df = pd.DataFrame({"mixed": pd.Series([-2, "-2", None], dtype=object), "n": [1, 2, 3]})
    assert _text(to_csv_bytes(df)) == _csv("mixed,n", "-2,1", "'-2,2", ",3")


def test_bom_present_and_utf8():
    data = to_csv_bytes(pd.DataFrame({"name": ["Шанхайская организация сотрудничества"]}))
    assert data.startswith(BOM)
    assert "Шанхайская".encode() in data


def test_datetimes_are_iso_dates_and_missing_values_empty():
    df = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-05-16", None]),
            "day": [dt.date(2024, 5, 16), None],
            "stamp": pd.to_datetime(["2024-05-16 10:30", "2024-05-17 00:00"]),
        }
    )
    assert _text(to_csv_bytes(df)) == _csv(
        "date,day,stamp", "2024-05-16,2024-05-16,2024-05-16T10:30:00", ",,2024-05-17T00:00:00"
    )


def test_index_not_written_and_input_not_modified():
    df = pd.DataFrame({"key": ["=x"], "terms": [["a", "b"]]}, index=[42])
    before = df.copy()
    assert _text(to_csv_bytes(df)) == _csv("key,terms", "'=x,a; b")
    pd.testing.assert_frame_equal(df, before)


def test_round_trip_through_read_csv():
    df = pd.DataFrame(
        {
            "key": ["NATO", "EU", "ШОС"],
            "mentions": [3, 0, 12],
            "share_pct": [12.5, 0.0, -3.25],
            "label": ["security · nato", "a, b\r\nc", 'say "hi"'],
        }
    )
    back = pd.read_csv(io.BytesIO(to_csv_bytes(df)), encoding="utf-8-sig")
    assert list(back.columns) == list(df.columns)
    assert back["mentions"].tolist() == [3, 0, 12]
    assert back["share_pct"].tolist() == [12.5, 0.0, -3.25]
    assert back["label"].tolist() == df["label"].tolist()
    assert back["key"].tolist() == df["key"].tolist()


def test_empty_frame_gives_header_only():
    df = pd.DataFrame({"a": pd.Series([], dtype="str"), "b": pd.Series([], dtype=np.int64)})
    assert _text(to_csv_bytes(df)) == _csv("a,b")


def test_rejects_non_frames():
    with pytest.raises(TypeError, match="to_csv_bytes expects a pandas DataFrame; got list instead"):
        to_csv_bytes([1, 2])


@pytest.mark.parametrize(
    ("what", "desc", "expected"),
    [
        (
            "theme-timeline_month_share",
            "2024-01-01–2024-12-31",
            "theme-timeline_month_share_2024-01-01_2024-12-31.csv",
        ),
        ("theme timeline", "", "theme_timeline.csv"),
        ("Ranking", "NATO, 2017-01-01–2018-12-31", "ranking_nato_2017-01-01_2018-12-31.csv"),
        ("concordance", "ШОС | BRICS", "concordance_шос_brics.csv"),
        ("docs/../../etc", "a:b*c?", "docs_etc_a_b_c.csv"),
        ("", "", "export.csv"),
        ("table.csv", "", "table.csv"),
    ],
)
def test_csv_filename(what, desc, expected):
    assert csv_filename(what, desc) == expected


def test_csv_filename_is_at_most_120_characters():
    name = csv_filename("organisation-timeline", ", ".join(f"organisation number {i}" for i in range(40)))
    assert len(name) <= 120
    assert name.endswith(".csv")
    assert not name[:-4].endswith(("_", "-"))
