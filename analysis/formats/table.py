"""Reader for tables of documents: CSV, TSV, JSON Lines and JSON arrays, one record per row.

Columns and keys are chosen once per file: a CSV's on its header, JSON Lines' on the keys of the first
``DETECT_ROWS`` rows (a JSON array's on every row's), and the date column's day/month order and whether its
numbers are Unix times on those rows. What those rows cannot tell is never dropped in silence:

- a JSON row that lacks a chosen key, or that has a key for a role none of the first rows had (a ``date``
  first met on line 5,000, a ``text`` where the first rows had ``body``), is read by its own key for that role:
  counted per role and key in ``fallback_keys`` and noted with the first line; such a later date is read in the
  file's day/month order, and a number in it is not taken for a Unix time (counted in ``date_numbers_not_read``
  with the chosen column's numbers that are no Unix time). A JSON Lines file whose first rows have no text key
  at all is read on (its later rows may have one); it fails only when no row has one;
- a row with no text (none in the key it is read by) is counted in ``rows_skipped`` and
  ``rows_without_text_count``, its line listed in ``rows_without_text`` (the first 100) and the total noted;
- a later date that shows the other day/month order than the one chosen (03/25/2024 in a column read
  day-first) is a warning in the notes (``date_order_contradicted_at_line``): the rows before it were read
  already, the file is not read again, and the note says to check the column or build with ``--month-first``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

from analysis.records import Record

from . import FormatError, NoTextError, metadata_date, publisher_name, url_domain
from .encoding import HEAD_BYTES, TextLines, decode_bytes, detect_encoding

__all__ = ["CHUNK_ROWS", "COLUMN_NAMES", "MAX_ROW_CHARS", "STREAMED_KINDS", "find_columns", "iter_table",
           "read_table"]

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
_MAX_LISTED = 100  # refused rows and broken lines listed in a file's report (all are counted)
# Tables read row by row as a stream (a JSON array is one value: it is parsed whole).
STREAMED_KINDS = frozenset({"csv", "tsv", "tab", "jsonl", "ndjson"})
CHUNK_ROWS = 2_000  # rows per batch of records (ingest.LIMITS: chunk_rows)
MAX_ROW_CHARS = 5_000_000  # the longest row read (ingest.LIMITS: max_row_chars)
# Rows read before the columns are chosen (JSON Lines: the keys of these rows) and the date column's day/month
# order and Unix times are judged: the same whatever the chunk size.
DETECT_ROWS = 1_000
_SKIP_PIECE = 1 << 20  # characters read at a time while skipping the rest of a refused row

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


def _union_columns(rows: list[tuple[int, object]]) -> list[str]:
    columns: dict[str, None] = {}
    for _, row in rows:
        if isinstance(row, dict):
            for key in row:
                columns.setdefault(str(key), None)
    return list(columns)


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


_MIXED = "column mixes both orders; default used"
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
    return default, "default" if not day_first else _MIXED


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
    data: bytes, source: str, *, kind: str = "csv", dayfirst: bool = True, details: dict | None = None,
    max_row_chars: int = MAX_ROW_CHARS,
) -> list[Record]:
    """Read a table of documents held in memory, one record per row with text.

    The text, date, title and URL columns are found by their usual names (see ``COLUMN_NAMES``). A JSON
    file holding a Telegram export (a dict with ``messages``) is handed to the Telegram reader. CSV, TSV and
    JSON Lines are read as :func:`iter_table` streams them (the records of all its chunks).

    Arguments:
        data: the file's bytes.
        source: ``Record.source`` for every row.
        kind: ``csv``, ``tsv``, ``jsonl`` (or ``ndjson``) or ``json``.
        dayfirst: whether ambiguous numeric dates in the date column are day-first.
        details: a dict that receives ``encoding``, ``columns_used``, ``rows``, ``rows_skipped``,
            ``rows_refused`` and ``notes`` (the problems met, such as ``broken JSON on line 3``).
        max_row_chars: the longest CSV/TSV/JSON Lines row read; a longer one is refused and reported.

    Returns:
        One ``Record(format="table")`` per row with non-empty text; ``seq`` is the row's position.

    Raises:
        FormatError: broken JSON, every JSON line broken, or no text column.
        NoTextError: a table without rows, or whose rows all have empty text.
    """
    details = {} if details is None else details
    kind = kind.lower().lstrip(".")
    if kind in STREAMED_KINDS:
        records: list[Record] = []
        for chunk in iter_table(io.BytesIO(data), source, kind=kind, dayfirst=dayfirst, details=details,
                                chunk_rows=max(1, len(data)), max_row_chars=max_row_chars):
            records.extend(chunk)
        return records
    if kind != "json":
        raise ValueError(
            f"The 'kind' parameter must be one of ['csv', 'tsv', 'jsonl', 'json']; got {kind!r}."
        )
    text, encoding = decode_bytes(data)
    details["encoding"] = encoding
    parsed = _rows_from_json(text, details)
    if isinstance(parsed, dict):
        from .telegram import read_telegram_export

        details["_format"] = "telegram"
        return read_telegram_export(parsed, source, dayfirst=dayfirst, details=details)
    columns, rows = parsed
    if not rows:
        raise NoTextError("the table has no rows")
    rows_out = _Rows(source, details, dayfirst)
    rows_out.choose(columns, rows)
    records = rows_out.records(rows)
    rows_out.finish(rows=len(rows), broken=0)
    return records


_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _first_non_ascii(handle: BinaryIO, head: bytes) -> tuple[bytes, bool]:
    """(sample, whether it runs to the end of the file): about ``HEAD_BYTES`` of the file from the start of
    the line holding its first non-ASCII byte, read on from ``handle``; ``head`` when the file is ASCII."""
    tail = head[head.rfind(b"\n") + 1:]  # the head's last line may go on in the next block
    while True:
        block = handle.read(HEAD_BYTES)
        if not block:
            return head, True
        block = tail + block
        if not block.isascii():
            at = _NON_ASCII.search(block).start()
            start = block.rfind(b"\n", 0, at) + 1
            more = handle.read(HEAD_BYTES)
            return block[start:] + more, not more or not handle.read(1)
        tail = block[block.rfind(b"\n") + 1:]


def iter_table(
    handle: BinaryIO, source: str, *, kind: str = "csv", dayfirst: bool = True, details: dict | None = None,
    chunk_rows: int = CHUNK_ROWS, max_row_chars: int = MAX_ROW_CHARS,
) -> Iterator[list[Record]]:
    """Read a CSV, TSV or JSON Lines table from a file as it goes: batches of records, never the whole file.

    The encoding is chosen on the file's first MB (``encoding.detect_encoding``) and the rest decoded line
    by line; the columns (and the date column's day/month order) are chosen once, on the header and the
    first ``DETECT_ROWS`` rows; a later JSON row lacking a chosen key, or with a key for a role the first rows
    lacked, is read by its own (see the module's docstring: ``fallback_keys``, ``rows_without_text``). A row longer than ``max_row_chars`` characters is refused, listed in
    ``details["refused_rows"]`` with its row and line number and the reason, and the rest of the file read;
    a broken JSON line is listed in ``details["broken_lines"]`` and the other lines kept.

    Arguments:
        handle: the file opened in binary mode at its start (seekable: the head is read twice).
        source: ``Record.source`` for every row.
        kind: ``csv``, ``tsv`` (or ``tab``), ``jsonl`` (or ``ndjson``).
        dayfirst: whether ambiguous numeric dates in the date column are day-first.
        details: a dict filled as the file is read, as :func:`read_table` fills it (plus ``chunks``);
            complete when the generator ends.
        chunk_rows: the most records in one batch.
        max_row_chars: the longest row read (CSV: all of its lines, newlines inside quoted cells included).

    Yields:
        Lists of at most ``chunk_rows`` records, in the file's order (never empty).

    Raises:
        FormatError: every JSON line broken, no text column, or a CSV whose header cannot be read, or that
            breaks before its first row.
        NoTextError: a table without rows, or whose rows all have empty text.
    """
    details = {} if details is None else details
    kind = kind.lower().lstrip(".")
    if kind not in STREAMED_KINDS:
        raise ValueError(f"The 'kind' parameter must be one of ['csv', 'tsv', 'jsonl']; got {kind!r}.")
    for name, value in (("chunk_rows", chunk_rows), ("max_row_chars", max_row_chars)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"The '{name}' parameter must be a positive integer; got {value!r} instead.")
    head = handle.read(HEAD_BYTES)
    complete = not handle.read(1)
    sample = head
    if not complete and head.isascii() and b"\x00" not in head:
        # An ASCII head says nothing of the encoding: it is chosen where the first other byte is.
        handle.seek(len(head))
        sample, complete = _first_non_ascii(handle, head)
    handle.seek(0)
    encoding = detect_encoding(sample, complete)
    del head, sample
    details["encoding"] = encoding
    lines = TextLines(handle, encoding)
    out = _Rows(source, details, dayfirst)
    try:
        if kind in ("jsonl", "ndjson"):
            parsed = _jsonl_rows(lines, details, max_row_chars, out)
        else:
            parsed = _csv_rows(lines, kind, details, max_row_chars, out)
        buffered: list[tuple[int, object]] = []
        batch: list[Record] = []
        chunks = 0

        def flushed() -> list[Record]:
            nonlocal batch, chunks
            chunks += 1
            details["chunks"] = chunks
            out.counts()
            done, batch = batch, []
            return done

        def full_batches(pending):
            """The rows' records added to the batch, and every batch that fills up yielded."""
            for line, row in pending:
                record = out.record(line, row)
                if record is not None:
                    batch.append(record)
                    if len(batch) >= chunk_rows:
                        yield flushed()

        for item in parsed:
            if out.used is None:
                buffered.append(item)
                if len(buffered) < DETECT_ROWS:
                    continue
                # Rows after these may still bring keys of their own (JSON Lines): see _Rows._row_columns.
                out.choose(out.header if out.header is not None else _union_columns(buffered), buffered,
                           every_row=out.header is not None)
                pending, buffered = buffered, []
            else:
                pending = [item]
            yield from full_batches(pending)
        if out.used is None and (buffered or out.header):
            if not buffered and not out.broken:
                raise NoTextError("the table has no rows")
            out.choose(out.header if out.header is not None else _union_columns(buffered), buffered)
            yield from full_batches(buffered)
        details.update(lines.notes())
        if batch:
            yield flushed()
        out.finish(rows=out.seq, broken=out.broken)
    finally:
        lines.detach()


class _RowTooLong(Exception):
    def __init__(self, first_line: int, last_line: int, chars: int) -> None:
        super().__init__(first_line, last_line, chars)
        self.first_line, self.last_line, self.chars = first_line, last_line, chars


class _Rows:
    """The columns a table's rows are read by, and each row made a record; the counts for the report."""

    def __init__(self, source: str, details: dict, dayfirst: bool) -> None:
        self.source, self.details, self.dayfirst = source, details, dayfirst
        self.header: list[str] | None = None
        self.used: dict[str, str] | None = None
        self.unix = False
        self.seq = 0  # rows parsed (seq of the next one)
        self.skipped = 0
        self.broken = 0
        self.refused = 0
        self.n_records = 0
        self.first_columns: list[str] = []
        self.order_how = "default"
        self.order_contradicted = False
        self._by_keys: dict[tuple, tuple[dict[str, str], list[tuple[str, str]]]] = {}
        self.fallback: dict[str, dict[str, int]] = {}  # role -> {a row's own key: rows read by it}
        self.without_text = 0  # rows (objects) with no text in the key they are read by
        self.numbers_not_dates = 0  # number-like date cells not read as dates (the column holds no Unix times)

    def refuse(self, row: int, first_line: int, last_line: int, chars: int, limit: int) -> None:
        self.refused += 1
        where = f"line {first_line}" if first_line == last_line else f"lines {first_line}-{last_line}"
        reason = (f"{chars:,} characters, more than max_row_chars ({limit:,}); not read. Check the file's "
                  "quoting, or raise the limit")
        listed = self.details.setdefault("refused_rows", [])
        if len(listed) < _MAX_LISTED:
            listed.append({"row": row, "line": first_line, "reason": reason})
        _note(self.details, f"row {row} ({where}) refused: {reason}")

    def choose(self, columns: list[str], rows: list[tuple[int, object]], *, every_row: bool = True) -> None:
        """Choose the text/date/title/url/publisher columns and the date column's reading from ``columns`` and
        the first rows. FormatError when there is no text column, unless rows not yet seen may still have one
        (``every_row`` False: JSON Lines after its first ``DETECT_ROWS`` rows, each read by its own keys)."""
        used = find_columns(columns)
        self.first_columns = list(columns)
        if "text" not in used:
            if every_row:
                raise self.no_text_column()
            _note(self.details, f"no text key among the keys of the first {DETECT_ROWS:,} rows; each later row "
                                "is read by its own keys")
        self.details["columns_used"] = used
        if "date" in used:
            values = [row.get(used["date"]) for _, row in rows if isinstance(row, dict)]
            self.dayfirst, self.order_how = _date_order(values, self.dayfirst)
            self.details["date_order"] = f"{'day' if self.dayfirst else 'month'}-first ({self.order_how})"
            self.unix = _unix_column(values)
            if self.unix:
                self.details["date_numbers"] = "Unix times"
        self.used = used

    def no_text_column(self) -> FormatError:
        columns = self.first_columns
        shown = ", ".join(columns[:30]) + (", …" if len(columns) > 30 else "") if columns else "(none)"
        return FormatError(
            f"no text column found: expected one of {', '.join(COLUMN_NAMES['text'])}; the table has "
            f"columns: {shown}. Rename the text column to 'text'."
        )

    def _row_columns(self, line: int, row: dict) -> dict[str, str]:
        """The columns one row is read by: the chosen ones, but for a JSON row lacking a chosen key (or a role
        no key was chosen for) the key of that role it has itself (counted in ``fallback_keys``, noted the
        first time with its line). A CSV row always has the header's columns."""
        if self.header is not None:
            return self.used
        keys = tuple(row)
        known = self._by_keys.get(keys)
        if known is None:  # worked out once per set of keys (JSON Lines rows mostly share a few)
            used, own = self.used, find_columns(list(keys))
            mine = {role: key for role, key in used.items() if key in row}
            taken = []
            for role in COLUMN_NAMES:
                key = own.get(role)
                if role not in mine and key is not None and key not in mine.values():
                    mine[role] = key
                    taken.append((role, key))
            known = (mine, taken)
            if len(self._by_keys) < 1024:
                self._by_keys[keys] = known
        mine, taken = known
        for role, key in taken:
            counts = self.fallback.setdefault(role, {})
            if key not in counts:
                counts[key] = 0
                self._note_fallback(line, role, key)
            counts[key] += 1
        return mine

    def _note_fallback(self, line: int, role: str, key: str) -> None:
        where = f"first on line {line}; counted in fallback_keys"
        if role == "date":
            where += (f"; read {'day' if self.dayfirst else 'month'}-first as the file's dates are, and a number "
                      "not as a Unix time")
        if role in self.used:
            message = f"rows without the key '{self.used[role]}' take their {role} from their key '{key}' ({where})"
        else:
            message = (f"the first {DETECT_ROWS:,} rows have no {role} key; the rows that have one take their "
                       f"{role} from '{key}' ({where})")
        _note(self.details, message)

    def _check_order(self, line: int, value: object) -> None:
        """Note the first date that shows the other day/month order than the one chosen on the first rows."""
        m = _NUMERIC_DATE.match(value) if isinstance(value, str) else None
        if m is None:
            return
        first, second = int(m.group(1)), int(m.group(2))
        if (second > 12 >= first) if self.dayfirst else (first > 12 >= second):
            self.order_contradicted = True
            self.details["date_order_contradicted_at_line"] = line
            order = "day" if self.dayfirst else "month"
            _note(self.details, f"the date column was read {order}-first ({self.order_how}, on its first "
                                f"{DETECT_ROWS:,} rows), but the date on line {line} ({value.strip()[:40]!r}) is "
                                f"{'month' if self.dayfirst else 'day'}-first: ambiguous dates such as 03/04/2024 "
                                "may have been read the wrong way round; check the column, and if it is month-first "
                                "build with --month-first")

    def record(self, line: int, row: object) -> Record | None:
        """The record of one row (None for a row without text, counted as skipped)."""
        used = self.used
        seq = self.seq
        self.seq += 1
        if not isinstance(row, dict):
            self.skipped += 1
            _note(self.details, f"row {line} is not an object")
            return None
        used = self._row_columns(line, row)
        body = _cell(row.get(used["text"])).replace("\r\n", "\n").replace("\r", "\n").strip() if "text" in used else ""
        if not body:
            self.skipped += 1
            self.without_text += 1
            listed = self.details.setdefault("rows_without_text", [])
            if len(listed) < _MAX_LISTED:
                listed.append(line)
            return None
        title = _cell(row.get(used["title"])).strip() if "title" in used else ""
        url = _cell(row.get(used["url"])).strip() if "url" in used else ""
        date = None
        if "date" in used:
            value = row.get(used["date"])
            chosen = used["date"] == self.used.get("date")
            if chosen and not self.order_contradicted and self.order_how != _MIXED:
                self._check_order(line, value)
            # A key met only in later rows was not judged for Unix times: its numbers are not read as dates.
            unix = self.unix and chosen
            date = _date_cell(value, self.dayfirst, unix)
            if date is None and not unix and (number := _number(value)) is not None and not _calendar_number(number):
                self.numbers_not_dates += 1
        publisher, method = _publisher(row, used, url, self.source)
        self.n_records += 1
        return Record(source=self.source, text=body, format="table", seq=seq, title=title or None,
                      url=url or None, date=date, segmentable=False, extra={"row": line}, publisher=publisher,
                      publisher_method=method)

    def records(self, rows: list[tuple[int, object]]) -> list[Record]:
        return [record for line, row in rows if (record := self.record(line, row)) is not None]

    def counts(self) -> None:
        """Write the rows read so far (parsed, broken, refused), skipped and refused into the details."""
        details = self.details
        details["rows"] = self.seq + self.broken + self.refused
        details["rows_skipped"] = self.skipped + self.broken
        if self.refused:
            details["rows_refused"] = self.refused
        if self.fallback:
            details["fallback_keys"] = {role: dict(keys) for role, keys in self.fallback.items()}
        if self.without_text:
            details["rows_without_text_count"] = self.without_text
        if self.numbers_not_dates:
            details["date_numbers_not_read"] = self.numbers_not_dates

    def finish(self, *, rows: int, broken: int) -> None:
        """Write the counts into the report's details; NoTextError when no row had text."""
        details = self.details
        self.seq, self.broken = rows, broken
        self.counts()
        if not details.get("broken_lines"):
            details.pop("broken_lines", None)
        if self.used is not None and "text" not in self.used and "text" not in self.fallback:
            raise self.no_text_column()  # no row of the file had a text key
        if self.without_text and self.n_records:
            lines = details["rows_without_text"]
            shown = ", ".join(map(str, lines[:10])) + (", …" if self.without_text > 10 else "")
            column = f"'{self.used['text']}'" if "text" in self.used else "any text key"
            if self.header is None and "text" in self.used:
                column += " nor any other text key"
            rows = f"{self.without_text:,} rows have" if self.without_text != 1 else "1 row has"
            _note(details, f"{rows} no text in {column} and {'were' if self.without_text != 1 else 'was'} not "
                           f"read (line{'s' if self.without_text != 1 else ''} {shown}; see rows_without_text)")
        if self.numbers_not_dates:
            _note(details, f"{self.numbers_not_dates:,} date cells hold numbers that were not read as dates (the "
                           f"date column's first {DETECT_ROWS:,} rows did not hold Unix times)")
        if not self.n_records:
            if not details["rows"]:
                raise NoTextError("the table has no rows")
            if self.refused and not rows:
                raise NoTextError(f"all {self.refused} rows are longer than max_row_chars; see refused_rows")
            column = (self.used or {}).get("text", "text")
            raise NoTextError(f"all {details['rows']} rows have empty text in column '{column}'")


def _jsonl_rows(lines: TextLines, details: dict, limit: int, out: _Rows) -> Iterator[tuple[int, object]]:
    """(line number, parsed value) of each non-blank JSON line; broken and overlong lines are counted in
    ``out`` and listed in ``details``. FormatError at the end when every line was broken."""
    number = parsed = 0
    first_error = ""
    broken: list[int] = details.setdefault("broken_lines", [])
    while True:
        line = lines.readline(limit + 2)
        if not line:
            break
        number += 1
        if len(line) - line.endswith("\n") > limit:
            chars, ends = len(line) - line.endswith("\n"), line.endswith("\n")
            while not ends:
                piece = lines.readline(_SKIP_PIECE)
                if not piece:
                    break
                ends = piece.endswith("\n")
                chars += len(piece) - ends
            out.refuse(number, number, number, chars, limit)
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (ValueError, RecursionError) as error:
            out.broken += 1
            if len(broken) < _MAX_LISTED:
                broken.append(number)
            first_error = first_error or f"line {number}: {error}"
            _note(details, f"broken JSON on line {number}")
            continue
        parsed += 1
        yield number, value
    if out.broken and not parsed and not out.refused:
        raise FormatError(
            f"every line is broken JSON ({out.broken} lines; first error on {first_error}); "
            "JSON Lines needs one JSON object per line."
        )


class _CsvLines:
    """The lines fed to ``csv.reader``, counted, without NUL characters, and each row's length checked:
    a row over the limit is skipped to its end (its last line whose quotes are balanced) and raises
    ``_RowTooLong`` out of the reader, which starts afresh on the next row."""

    def __init__(self, lines: TextLines, limit: int, details: dict) -> None:
        self.lines, self.limit, self.details = lines, limit, details
        self.number = 0  # physical lines read
        self.first: str | None = None  # a line read ahead (the header, for its delimiter)
        self.start_row()

    def start_row(self) -> None:
        self.row_chars = 0
        self.row_quotes = 0
        self.row_start = self.number + 1

    def peek(self) -> str:
        self.first = self._read()
        return self.first

    def _read(self) -> str:
        line = self.lines.readline(self.limit + 2)
        if "\x00" in line:  # the csv module refuses NUL characters; they carry no text
            self.details["nul_characters_removed"] = self.details.get("nul_characters_removed", 0) + line.count(
                "\x00")
            line = line.replace("\x00", "")
        return line

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.first is not None:
            line, self.first = self.first, None
        else:
            line = self._read()
        if not line:
            raise StopIteration
        self.number += 1
        ends = line.endswith("\n")
        self.row_chars += len(line)
        self.row_quotes += line.count('"')
        if self.row_chars - ends > self.limit:
            while not (ends and self.row_quotes % 2 == 0):
                piece = self.lines.readline(_SKIP_PIECE)
                if not piece:
                    break
                if ends:
                    self.number += 1
                ends = piece.endswith("\n")
                self.row_quotes += piece.count('"')
                self.row_chars += len(piece)
            raise _RowTooLong(self.row_start, self.number, self.row_chars - ends)
        return line


def _csv_rows(lines: TextLines, kind: str, details: dict, limit: int, out: _Rows) -> Iterator[tuple[int, dict]]:
    """(line, row) of a CSV/TSV stream's rows with cells; ragged rows are kept and counted in ``details``.

    A row with more cells than the header keeps its extra cells, joined by the delimiter, in its last
    column (an unquoted delimiter inside the last column, the text, is the usual cause); a shorter row
    lacks the missing columns. Both are counted (``rows_ragged``) and noted. A CSV that breaks part way
    keeps the rows read before the break and says where it broke. ``line`` is the row's last line.
    """
    feed = _CsvLines(lines, limit, details)
    delimiter = _delimiter(feed.peek(), kind)
    reader = csv.reader(feed, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except _RowTooLong as error:
        raise FormatError(
            f"the header row has {error.chars:,} characters, more than max_row_chars ({limit:,}); check that "
            "the file is a table with a header line"
        ) from error
    except csv.Error as error:
        raise FormatError(f"the CSV header cannot be read ({error}); check the file's quoting.") from error
    header = [name.strip() for name in header]
    out.header = header
    width = len(header)
    ragged = 0
    row_number = 0
    while True:
        feed.start_row()
        try:
            row = next(reader)
        except StopIteration:
            break
        except _RowTooLong as error:
            row_number += 1
            out.refuse(row_number, error.first_line, error.last_line, error.chars, limit)
            continue
        except csv.Error as error:
            if not row_number:
                raise FormatError(
                    f"the CSV breaks near line {feed.number} ({error}); check for an unclosed quote."
                ) from error
            details["broken_at_line"] = feed.number
            _note(details, f"the CSV breaks near line {feed.number} ({error}); the rows after it were not read")
            break
        if not any(cell.strip() for cell in row):
            continue  # blank line
        row_number += 1
        if len(row) != width:
            ragged += 1
            details["rows_ragged"] = ragged
            _note(details, f"row at line {feed.number} has {len(row)} cells, the header {width}")
            if len(row) > width and width:
                row = [*row[: width - 1], delimiter.join(row[width - 1 :])]
        yield feed.number, dict(zip(header, row, strict=False))
