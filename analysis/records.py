"""Plain record types passed between ingestion, segmentation and dating."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["EVIDENCE", "PUBLISHER_METHODS", "DateHit", "FileReport", "Post", "Record"]

PRECISIONS = ("day", "month", "year")
METHODS = ("metadata", "text", "path", "inferred", "body")
# Why a date was taken, strongest first (see `analysis.dates.resolve_date`): a labelled publication line
# ("Дата публикации: 6 мая 2025 года", "Published: …"), the source's metadata (a table's date column, a
# Telegram message's date, an HTML page's date metadata), a dateline ("MOSCOW, October 26, 2015. /TASS/."),
# a dated title or headline, a header line ("Date: …", a line that is only a date, a full date in the first
# lines), a date inferred from the neighbouring posts of a dump, the file's path, a date in the body.
EVIDENCE = ("publication-line", "metadata", "dateline", "title", "header", "inferred", "path", "body")
# How a document's publisher was found (the documents table's ``publisher_method``): an HTML page's site name
# (og:site_name, JSON-LD publisher), a Telegram export's channel, the channel a dump post was forwarded from,
# a table's publisher column, the domain of the page's or row's URL, the folder or the name of the file, a
# publisher the text names unambiguously (a "/TASS/" dateline, the channel heading a dump), the user's
# ``--publisher``.
PUBLISHER_METHODS = ("metadata", "channel", "forwarded", "column", "url-domain", "folder", "file", "text", "override")


@dataclass(frozen=True)
class DateHit:
    """A date found for a document, possibly incomplete (a year-less "May 21" has ``year=None``).

    ``precision`` is what the source told: ``day``, ``month`` or ``year``. ``method`` is where it came
    from: ``metadata``, ``text``, ``path`` or ``inferred``. ``start``/``end``/``surface`` locate the date
    in the document's text when it was read from the text (``-1``/``""`` otherwise). ``role`` is
    ``header`` for a date that dates the document (dateline, header, publication line) and ``body`` for a
    date merely mentioned in the body. ``evidence`` is the finer reason (one of ``EVIDENCE``); when not
    given it follows from ``method`` and ``role`` (``metadata``, ``path``, ``inferred``, ``header``, ``body``).
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
    evidence: str = ""

    def __post_init__(self) -> None:
        if not self.evidence:
            derived = self.method if self.method in ("metadata", "path", "inferred") else self.role
            object.__setattr__(self, "evidence", derived if derived in EVIDENCE else "header")

    def as_date(self) -> dt.date | None:
        """The date as a ``datetime.date`` (first of the month/year for coarser precision), or None when
        the year is unknown."""
        if self.year is None:
            return None
        try:
            return dt.date(self.year, self.month or 1, self.day or 1)
        except ValueError:
            return None


@dataclass(frozen=True)
class Post:
    """One post of a dump: its cleaned ``text`` and the ``header`` line that introduced it (or None)."""

    text: str
    header: str | None = None


@dataclass
class Record:
    """One raw document as read from an input, before segmentation and dating.

    ``source`` is the path relative to the named INPUT (inside a zip: ``archive.zip/member``).
    ``seq`` is the record's position within its source (row of a table, message of a Telegram export).
    ``date`` holds a date from metadata (table column, Telegram message, HTML meta tags), if any.
    ``segmentable`` is True for free text that may be a dump of many posts (plain text files); ``posts`` is
    its split into posts (`analysis.segment.split_posts_detailed`) when the reader made it within the file's
    time budget, else None (the document stage splits it). A text that is one post without chrome is
    marked ``segmentable=False`` by the reader instead: its one post is its stripped text.
    ``date_candidates`` holds further dates the reader found outside the text (an HTML page's dated
    ``<title>`` or ``<h1>``), weighed beside ``date`` by `analysis.dates.resolve_date`.
    ``publisher`` is who published it as the reader found it, ``publisher_method`` how (one of
    ``PUBLISHER_METHODS``); ``forwarded_by`` the channel that forwarded a message published by another.
    Ingestion fills a missing publisher from the folder or the file; `analysis.documents.document_rows`
    refines it per post.
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
    date_candidates: list[DateHit] = field(default_factory=list)
    publisher: str | None = None
    publisher_method: str | None = None
    forwarded_by: str | None = None
    posts: list[Post] | None = None


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
