"""Plain record types passed between ingestion, segmentation and dating."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["DateHit", "FileReport", "Record"]

PRECISIONS = ("day", "month", "year")
METHODS = ("metadata", "text", "path", "inferred")


@dataclass(frozen=True)
class DateHit:
    """A date found for a document, possibly incomplete (a year-less "May 21" has ``year=None``).

    ``precision`` is what the source told: ``day``, ``month`` or ``year``. ``method`` is where it came
    from: ``metadata``, ``text``, ``path`` or ``inferred``. ``start``/``end``/``surface`` locate the date
    in the document's text when it was read from the text (``-1``/``""`` otherwise). ``role`` is
    ``header`` for a date that dates the document (dateline, header, publication line) and ``body`` for a
    date merely mentioned in the body.
    """

    year: int | None
    month: int | None
    day: int | None
    precision: str
    method: str
    start: int = -1
    end: int = -1
    surface: str = ""
    role: str = "header"

    def as_date(self) -> dt.date | None:
        """The date as a ``datetime.date`` (first of the month/year for coarser precision), or None when
        the year is unknown."""
        if self.year is None:
            return None
        try:
            return dt.date(self.year, self.month or 1, self.day or 1)
        except ValueError:
            return None


@dataclass
class Record:
    """One raw document as read from an input, before segmentation and dating.

    ``source`` is the path relative to the named INPUT (inside a zip: ``archive.zip/member``).
    ``seq`` is the record's position within its source (row of a table, message of a Telegram export).
    ``date`` holds a date from metadata (table column, Telegram message, HTML meta tags), if any.
    ``segmentable`` is True for free text that may be a dump of many posts (plain text files).
    """

    source: str
    text: str
    format: str  # "text" | "html" | "table" | "telegram"
    seq: int = 0
    title: str | None = None
    url: str | None = None
    date: DateHit | None = None
    segmentable: bool = False
    extra: dict = field(default_factory=dict)


@dataclass
class FileReport:
    """What happened to one input file: ``parsed``, ``skipped`` or ``failed``, with the reason."""

    path: str
    status: str  # "parsed" | "skipped" | "failed"
    reason: str | None = None
    documents: int = 0
    encoding: str | None = None
    format: str | None = None
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {
            "path": self.path,
            "status": self.status,
            "reason": self.reason,
            "documents": self.documents,
            "encoding": self.encoding,
            "format": self.format,
        }
        out.update(self.details)
        return out
