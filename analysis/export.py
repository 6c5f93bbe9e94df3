"""Tidy table to formula-safe CSV bytes for spreadsheets, and descriptive file names for them."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata

import numpy as np
import pandas as pd

__all__ = ["FORMULA_PREFIXES", "LIST_SEPARATOR", "csv_filename", "to_csv_bytes"]

# OWASP "CSV Injection": cells starting with these characters are read as formulas by spreadsheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = "; "
_MAX_FILENAME = 120


def _escape_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _format_datetime(value) -> str:
    ts = pd.Timestamp(value)
    if ts == ts.normalize():
        return ts.strftime("%Y-%m-%d")
    return ts.isoformat()


def _cell(value):
    """One cell of a text (object/string) column, as written: lists joined, dates ISO, text escaped."""
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Series)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        return _escape_text(LIST_SEPARATOR.join("" if item is None else str(item) for item in items))
    if isinstance(value, str):
        return _escape_text(value)
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return None if pd.isna(value) else _format_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
        # A real number inside a text column stays a number.
        return None if pd.isna(value) else value
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    return _escape_text(str(value))


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for name in df.columns:
        column = df[name]
        dtype = column.dtype
        if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
            values = pd.Series(column)
            has_time = bool((values.dropna() != values.dropna().dt.normalize()).any())
            text = values.map(lambda v: v.isoformat()) if has_time else values.dt.strftime("%Y-%m-%d")
            out[name] = text.astype(object).where(values.notna(), None)
        elif isinstance(dtype, pd.PeriodDtype):
            out[name] = column.astype(str).where(column.notna(), None)
        elif pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            out[name] = column  # numeric dtypes are never escaped
        else:
            out[name] = pd.Series([_cell(v) for v in column], index=df.index, dtype=object)
    return pd.DataFrame(out, index=df.index, columns=df.columns)


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """Write a table as CSV bytes that spreadsheets open safely.

    Arguments:
        df: any DataFrame; it is not modified.

    Returns:
        UTF-8 bytes with a byte-order mark (so Excel detects the encoding), header row, no index, CRLF
        line ends (RFC 4180; a cell holding a line break is quoted). Text cells that start with ``= + - @``, a tab or a carriage return are prefixed with a
        single quote (OWASP's advice against CSV injection); columns of numeric or boolean dtype are
        written as they are, so ``-3.5`` stays a number. Lists (``top_terms``) are written ``"a; b; c"``;
        datetimes as ISO dates (``2024-05-16``, or a full ISO timestamp when there is a time of day);
        missing values as empty cells.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            f"to_csv_bytes expects a pandas DataFrame; got {type(df).__name__} instead. "
            "Wrap the data in pandas.DataFrame(...) first."
        )
    buffer = io.StringIO()
    _prepare(df).to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).lower()
    text = re.sub(r"[^\w-]+", "_", text)  # \w keeps letters of any script (ШОС) and digits
    return re.sub(r"_{2,}", "_", text).strip("_-")


def csv_filename(what: str, filters_desc: str = "") -> str:
    """A safe, descriptive CSV file name such as ``theme-timeline_month_share_2024-01-01_2024-12-31.csv``.

    Arguments:
        what: what the table holds, e.g. ``"theme-timeline month share"``.
        filters_desc: a short description of the filters, e.g. ``"NATO, 2017-01-01–2018-12-31"``.

    Returns:
        Lower-case name made of letters (of any script), digits, ``-`` and ``_``; any other run of
        characters (spaces, commas, dots, dashes between dates, slashes) becomes ``_``. At most 120 characters including
        ``.csv``; ``export.csv`` when nothing is left.
    """
    what = re.sub(r"\.csv$", "", str(what), flags=re.IGNORECASE)
    stem = "_".join(part for part in (_slug(what), _slug(filters_desc)) if part) or "export"
    stem = stem[: _MAX_FILENAME - len(".csv")].rstrip("_-") or "export"
    return stem + ".csv"
