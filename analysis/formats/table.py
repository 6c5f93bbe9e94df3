"""Reader for tables of documents: CSV, TSV, JSON Lines and JSON arrays, one record per row."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from pathlib import PurePosixPath

from analysis.records import Record

from . import FormatError, NoTextError, metadata_date, publisher_name, url_domain
from .encoding import decode_bytes

__all__ = ["COLUMN_NAMES", "find_columns", "read_table"]

# Usual names of each role's column, best first (case-insensitive). "body" beats "summary".
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "text": (
        "text",
        "body",
        "content",
        "full_text",
        "fulltext",
        "message",
        "article",
        "summary",
        "description",
    ),
    "date": (
        "date",
        "datetime",
        "published",
        "published_at",
        "pub_date",
        "pubdate",
        "timestamp",
        "time",
        "created_at",
    ),
    "title": ("title", "headline", "subject", "name"),
    "url": ("url", "link", "href", "permalink"),
    "publisher": ("publisher", "source", "outlet", "channel", "site", "author_org"),
}
_JSON_CONTAINER_KEYS = ("data", "items", "records", "rows", "documents", "articles", "posts", "results")
_MAX_NOTES = 20

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def find_columns(columns: list[str]) -> dict[str, str]:
    """Map each role (``text``, ``date``, ``title``, ``url``) to the first usual column name present.

    Arguments:
        columns: the table's column names, in order.

    Returns:
        ``{role: column}`` for the roles found (the column as spelled in the table).
    """
    by_key: dict[str, str] = {}
    for column in columns:
        if isinstance(column, str):
            by_key.setdefault(column.strip().lower(), column)
    found: dict[str, str] = {}
    for role, names in COLUMN_NAMES.items():
        for name in names:
            if name in by_key and by_key[name] not in found.values():
                found[role] = by_key[name]
                break
    return found


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # e.g. Telegram-style lists of text fragments
        return "".join(_cell(item.get("text")) if isinstance(item, dict) else _cell(item) for item in value)
    return str(value)


def _note(details: dict, message: str) -> None:
    notes = details.setdefault("notes", [])
    if len(notes) < _MAX_NOTES:
        notes.append(message)
    elif len(notes) == _MAX_NOTES:
        notes.append("… more problems not listed")


def _delimiter(text: str, kind: str) -> str:
    if kind in ("tsv", "tab"):
        return "\t"
    # The header line tells the delimiter more reliably than csv.Sniffer, which is confused by long
    # quoted bodies with newlines.
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _rows_from_csv(text: str, kind: str, details: dict | None = None) -> tuple[list[str], list[tuple[int, dict]]]:
    """(header, [(line, row)]) of a CSV/TSV text; ragged rows are kept and counted in ``details``.

    A row with more cells than the header keeps its extra cells, joined by the delimiter, in its last
    column (an unquoted delimiter inside the last column, the text, is the usual cause); a shorter row
    lacks the missing columns. Both are counted (``rows_ragged``) and noted. A CSV that breaks part way
    (an unclosed quote) keeps the rows read before the break and says where it broke.
    """
    details = {} if details is None else details
    delimiter = _delimiter(text, kind)
    if "\x00" in text:  # the csv module refuses NUL characters; they carry no text
        details["nul_characters_removed"] = text.count("\x00")
        text = text.replace("\x00", "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return [], []
    except csv.Error as error:
        raise FormatError(f"the CSV header cannot be read ({error}); check the file's quoting.") from error
    header = [name.strip() for name in header]
    width = len(header)
    rows: list[tuple[int, dict]] = []
    ragged = 0
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank line
            if len(row) != width:
                ragged += 1
                _note(details, f"row at line {reader.line_num} has {len(row)} cells, the header {width}")
                if len(row) > width and width:
                    row = [*row[: width - 1], delimiter.join(row[width - 1 :])]
            rows.append((reader.line_num, dict(zip(header, row, strict=False))))
    except csv.Error as error:
        if not rows:
            raise FormatError(
                f"the CSV breaks near line {reader.line_num} ({error}); check for an unclosed quote."
            ) from error
        details["broken_at_line"] = reader.line_num
        _note(details, f"the CSV breaks near line {reader.line_num} ({error}); the rows after it were not read")
    if ragged:
        details["rows_ragged"] = ragged
    return header, rows


def _union_columns(rows: list[tuple[int, object]]) -> list[str]:
    columns: dict[str, None] = {}
    for _, row in rows:
        if isinstance(row, dict):
            for key in row:
                columns.setdefault(str(key), None)
    return list(columns)


def _rows_from_jsonl(text: str, details: dict) -> tuple[list[str], list[tuple[int, object]]]:
    rows: list[tuple[int, object]] = []
    broken: list[int] = []
    first_error = ""
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except (ValueError, RecursionError) as error:
            broken.append(number)
            first_error = first_error or f"line {number}: {error}"
            _note(details, f"broken JSON on line {number}")
    if broken and not rows:
        raise FormatError(
            f"every line is broken JSON ({len(broken)} lines; first error on {first_error}); "
            "JSON Lines needs one JSON object per line."
        )
    details["broken_lines"] = broken[:100]
    details["lines_broken"] = len(broken)
    return _union_columns(rows), rows


def _rows_from_json(text: str, details: dict) -> tuple[list[str], list[tuple[int, object]]] | dict:
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise FormatError(f"broken JSON ({error}); fix the file or export it again.") from error
    if isinstance(obj, dict):
        if isinstance(obj.get("messages"), list) or isinstance(obj.get("chats"), dict):
            return obj  # a Telegram export
        for key in _JSON_CONTAINER_KEYS:
            if isinstance(obj.get(key), list):
                obj = obj[key]
                break
        else:
            obj = [obj]
    if not isinstance(obj, list):
        raise FormatError(
            f"the JSON holds a {type(obj).__name__}, not documents; expected an array of objects, "
            '{"data": [...]} or a Telegram export with "messages".'
        )
    rows = list(enumerate(obj, start=1))
    return _union_columns(rows), rows


_NUMERIC_DATE = re.compile(r"\s*(\d{1,2})[./-](\d{1,2})[./-]\d{2,4}\b")


def _date_order(values: list, default: bool) -> tuple[bool, str]:
    """One day/month order for a whole date column: the one its unambiguous dates show (a first number
    above 12 is a day: 25/03/2024; a second one above 12 is a day: 03/25/2024), else ``default``."""
    day_first = month_first = False
    for value in values:
        m = _NUMERIC_DATE.match(value) if isinstance(value, str) else None
        if m:
            day_first |= int(m.group(1)) > 12
            month_first |= int(m.group(2)) > 12
    if day_first != month_first:
        return day_first, "detected from the column"
    return default, "default" if not day_first else "column mixes both orders; default used"


_NUMBER = re.compile(r"\s*+[+-]?\d++(?:\.\d++)?\s*+")
_UNIX_SHARE = 0.9  # a column holds Unix times when this share of its cells (years aside) are such numbers
_UNIX_MIN = 1e8  # seconds since 1970 (3 March 1973): smaller numbers are codes or counters, not times


def _number(value: object) -> float | None:
    """The value as a number when it is one or a string of one ("1715817600", "-1"), else None."""
    if isinstance(value, bool):
        return None
    is_text_number = isinstance(value, str) and len(value) <= 40 and _NUMBER.fullmatch(value) is not None
    if not (isinstance(value, int | float) or is_text_number):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _calendar_number(number: float) -> bool:
    """A year (2019) or a compact date (20240516): numbers that are dates without being Unix times."""
    return number == int(number) and (1900 <= number <= 2999 or 19000101 <= number <= 29991231)


def _unix_column(values: list) -> bool:
    """True when the date column as a whole holds Unix times (seconds, milliseconds …): then its number-like
    cells are read as such; otherwise a number-like cell (0, 1, -1, a row count) is no date at all."""
    cells = [v for v in values if v is not None and not (isinstance(v, str) and not v.strip())]
    numbers = [_number(v) for v in cells]
    others = [v for v, n in zip(cells, numbers, strict=True) if n is None or not _calendar_number(n)]
    times = sum(n is not None and not _calendar_number(n) and abs(n) >= _UNIX_MIN for n in numbers)
    return times > 0 and times >= _UNIX_SHARE * len(others)


def _date_cell(value: object, dayfirst: bool, unix: bool):
    number = _number(value)
    if number is not None and not unix and not _calendar_number(number):
        return None
    return metadata_date(value, dayfirst=dayfirst)


def _publisher(row: dict, used: dict[str, str], url: str, source: str) -> tuple[str, str]:
    """(publisher, method) of a row: its publisher column (``column``), else its URL's domain
    (``url-domain``), else the file's name (``file``)."""
    if "publisher" in used:
        name = publisher_name(_cell(row.get(used["publisher"])))
        if name:
            return name, "column"
    domain = url_domain(url)
    if domain:
        return domain, "url-domain"
    return PurePosixPath(source).name or source, "file"


def read_table(
    data: bytes, source: str, *, kind: str = "csv", dayfirst: bool = True, details: dict | None = None
) -> list[Record]:
    """Read a table of documents, one record per row with text.

    The text, date, title and URL columns are found by their usual names (see ``COLUMN_NAMES``). A JSON
    file holding a Telegram export (a dict with ``messages``) is handed to the Telegram reader.

    Arguments:
        data: the file's bytes.
        source: ``Record.source`` for every row.
        kind: ``csv``, ``tsv``, ``jsonl`` (or ``ndjson``) or ``json``.
        dayfirst: whether ambiguous numeric dates in the date column are day-first.
        details: a dict that receives ``encoding``, ``columns_used``, ``rows``, ``rows_skipped`` and
            ``notes`` (the problems met, such as ``broken JSON on line 3``).

    Returns:
        One ``Record(format="table")`` per row with non-empty text; ``seq`` is the row's position.

    Raises:
        FormatError: broken JSON, every JSON line broken, or no text column.
        NoTextError: a table without rows, or whose rows all have empty text.
    """
    details = {} if details is None else details
    text, encoding = decode_bytes(data)
    details["encoding"] = encoding
    kind = kind.lower().lstrip(".")
    if kind in ("jsonl", "ndjson"):
        columns, rows = _rows_from_jsonl(text, details)
    elif kind == "json":
        parsed = _rows_from_json(text, details)
        if isinstance(parsed, dict):
            from .telegram import read_telegram_export

            details["_format"] = "telegram"
            return read_telegram_export(parsed, source, dayfirst=dayfirst, details=details)
        columns, rows = parsed
    elif kind in ("csv", "tsv", "tab"):
        columns, rows = _rows_from_csv(text, kind, details)
    else:
        raise ValueError(
            f"The 'kind' parameter must be one of ['csv', 'tsv', 'jsonl', 'json']; got {kind!r}."
        )

    broken = details.pop("lines_broken", 0)
    if not rows and not broken:
        raise NoTextError("the table has no rows")
    used = find_columns(columns)
    if "text" not in used:
        shown = ", ".join(columns[:30]) + (", …" if len(columns) > 30 else "") if columns else "(none)"
        raise FormatError(
            f"no text column found: expected one of {', '.join(COLUMN_NAMES['text'])}; the table has "
            f"columns: {shown}. Rename the text column to 'text'."
        )
    details["columns_used"] = used
    unix = False
    if "date" in used:
        values = [row.get(used["date"]) for _, row in rows if isinstance(row, dict)]
        dayfirst, how = _date_order(values, dayfirst)
        details["date_order"] = f"{'day' if dayfirst else 'month'}-first ({how})"
        unix = _unix_column(values)
        if unix:
            details["date_numbers"] = "Unix times"
    records: list[Record] = []
    skipped = broken
    for seq, (line, row) in enumerate(rows):
        if not isinstance(row, dict):
            skipped += 1
            _note(details, f"row {line} is not an object")
            continue
        body = _cell(row.get(used["text"])).replace("\r\n", "\n").replace("\r", "\n").strip()
        if not body:
            skipped += 1
            continue
        title = _cell(row.get(used["title"])).strip() if "title" in used else ""
        url = _cell(row.get(used["url"])).strip() if "url" in used else ""
        date = _date_cell(row.get(used["date"]), dayfirst, unix) if "date" in used else None
        publisher, method = _publisher(row, used, url, source)
        records.append(
            Record(
                source=source,
                text=body,
                format="table",
                seq=seq,
                title=title or None,
                url=url or None,
                date=date,
                segmentable=False,
                extra={"row": line},
                publisher=publisher,
                publisher_method=method,
            )
        )
    details["rows"] = len(rows) + broken
    details["rows_skipped"] = skipped
    if not details.get("broken_lines"):
        details.pop("broken_lines", None)
    if not records:
        raise NoTextError(f"all {details['rows']} rows have empty text in column '{used['text']}'")
    return records
