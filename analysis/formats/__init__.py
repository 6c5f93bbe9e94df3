"""One reader per input format, and the dispatcher that picks one from a file's name and content."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

__all__ = [
    "ARCHIVE_EXTENSIONS",
    "HTML_EXTENSIONS",
    "TABLE_EXTENSIONS",
    "TEXT_EXTENSIONS",
    "FormatError",
    "NoTextError",
    "metadata_date",
    "publisher_name",
    "read_bytes",
    "url_domain",
]

TEXT_EXTENSIONS = frozenset({".txt", ".text", ".md", ".markdown"})
HTML_EXTENSIONS = frozenset({".html", ".htm", ".xhtml"})
TABLE_EXTENSIONS = frozenset({".csv", ".tsv", ".tab", ".jsonl", ".ndjson", ".json"})
ARCHIVE_EXTENSIONS = frozenset(
    {".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst", ".lz", ".lzma", ".cab"}
)


class FormatError(ValueError):
    """A file that cannot be parsed; the message says what is wrong and how to fix it (status ``failed``)."""


class NoTextError(ValueError):
    """A file that was read but holds no text to analyse; the message says why (status ``skipped``)."""


def metadata_date(value: object, *, dayfirst: bool = True):
    """The date in a metadata field (table cell, Telegram ``date``, HTML meta tag) as a ``DateHit``.

    Arguments:
        value: a string, a ``datetime``/``date``, or a number (a Unix time or a year), as
            ``analysis.dates.parse_date_value`` reads them. Empty values give None.
        dayfirst: whether ambiguous numeric dates (03/04/2024) are day-first.

    Returns:
        A ``DateHit`` with ``method="metadata"``, or None when the value holds no date.
    """
    import dataclasses

    from analysis.dates import parse_date_value

    if isinstance(value, str):
        value = value.strip()
        if not value or len(value) > 200:  # a long cell is text, not a date
            return None
    try:
        hit = parse_date_value(value, dayfirst=dayfirst)
    except Exception:  # one odd date value must not fail a whole file
        return None
    if hit is not None and hit.method != "metadata":
        hit = dataclasses.replace(hit, method="metadata")
    return hit


# Emoji, flags and pictographs that decorate channel names ("Russian MFA 🇷🇺"), and stray punctuation around.
_DECORATION = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\u20e3]+|^[\\s\"'«»“”|•·:,-]+|[\\s\"'«»“”|•·:,-]+$"
)


def publisher_name(value: object) -> str | None:
    """A publisher's name as a reader would write it: spaces collapsed, emoji and flags around it dropped.

    Arguments:
        value: a site name, channel name or table cell.

    Returns:
        The name (at most 120 characters), or None when nothing readable is left.
    """
    if not isinstance(value, str):
        return None
    name = " ".join(_DECORATION.sub(" ", value).split())
    name = _DECORATION.sub("", name).strip()
    return name[:120] or None if any(ch.isalnum() for ch in name) else None


def url_domain(url: object) -> str | None:
    """The host of a URL, lower-case and without ``www.`` (``https://www.mid.ru/ru/x`` -> ``mid.ru``).

    Returns:
        The domain, or None when ``url`` is not an absolute http(s) URL (or a bare ``host/path``).
    """
    if not isinstance(url, str) or not url.strip():
        return None
    from urllib.parse import urlsplit

    text = url.strip()
    if "://" not in text:
        if not re.match(r"^[\w-]+(?:\.[\w-]+)+(?:[/:?#]|$)", text):
            return None
        text = "http://" + text
    try:
        host = (urlsplit(text).hostname or "").lower()
    except ValueError:
        return None
    host = host.removeprefix("www.")
    return host if "." in host and len(host) <= 253 else None


def _sniff(text: str) -> str:
    """``html``, ``json`` or ``text`` for a file whose extension does not tell."""
    head = text.lstrip()[:2048].lower()
    if head.startswith(("<!doctype html", "<html")) or ("<body" in head and "</" in head):
        return "html"
    if head[:1] in "[{":
        return "json"
    return "text"


def read_bytes(
    data: bytes, name: str, source: str, *, dayfirst: bool = True, details: dict | None = None,
    max_row_chars: int | None = None,
) -> tuple[list, str]:
    """Read one file's bytes with the reader its extension (or, failing that, its content) calls for.

    Arguments:
        data: the file's bytes (not empty, not binary: the caller checks).
        name: the file's name or path, for its extension.
        source: ``Record.source`` for the records.
        dayfirst: whether ambiguous numeric dates (03/04/2024) are day-first.
        details: a dict the reader fills with facts for the file's report (``encoding``, ``rows``, …).
        max_row_chars: the longest CSV/TSV/JSON Lines row read (None: ``table.MAX_ROW_CHARS``).

    Returns:
        ``(records, format)`` where format is ``text``, ``html``, ``table`` or ``telegram``.

    Raises:
        FormatError: the file is broken (the report says ``failed``).
        NoTextError: the file holds no text (the report says ``skipped``).
    """
    from . import html, table, text
    from .encoding import decode_bytes

    details = {} if details is None else details
    row_cap = {} if max_row_chars is None else {"max_row_chars": max_row_chars}
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    if suffix in TEXT_EXTENSIONS:
        return text.read_text(data, source, details=details), "text"
    if suffix in HTML_EXTENSIONS:
        return html.read_html(data, source, dayfirst=dayfirst, details=details), "html"
    if suffix in TABLE_EXTENSIONS:
        records = table.read_table(data, source, kind=suffix.lstrip("."), dayfirst=dayfirst, details=details,
                                   **row_cap)
        return records, details.pop("_format", "table")
    decoded, _ = decode_bytes(data[:65536])
    kind = _sniff(decoded)
    if kind == "html":
        return html.read_html(data, source, dayfirst=dayfirst, details=details), "html"
    if kind == "json":
        try:
            records = table.read_table(data, source, kind="json", dayfirst=dayfirst, details=details)
            return records, details.pop("_format", "table")
        except FormatError:
            details.clear()  # not JSON after all: read it as plain text
    return text.read_text(data, source, details=details), "text"
