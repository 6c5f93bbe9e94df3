"""Reader for HTML pages: the article's visible text, its title and its publication date."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from analysis.records import Record

from . import metadata_date
from .encoding import decode_bytes

__all__ = ["html_to_text", "read_html"]

_DATE_PARAMS = {"extensive_search": False, "original_date": True}
# Page chrome removed before extraction: trafilatura's recall mode otherwise keeps menus on small pages.
# A header or footer inside the article itself (its headline, its byline) is kept.
_PRUNE = ["//nav", "//aside", "//header[not(ancestor::article)]", "//footer[not(ancestor::article)]"]
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_DROPPED = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "nav",
        "header",
        "footer",
        "aside",
        "svg",
        "iframe",
        "form",
        "button",
        "select",
        "object",
        "canvas",
        "head",
    }
)
_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
_BLOCK = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "section",
        "article",
        "blockquote",
        "pre",
        "hr",
        "dd",
        "dt",
        "dl",
        "figcaption",
        "main",
        "td",
        "th",
    }
)


class _TextParser(HTMLParser):
    """Visible text of a page without scripts, styles and page chrome; also ``<title>`` and first ``<h1>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self.h1_parts: list[str] = []
        self._skip: list[str] = []
        self._in_title = False
        self._in_h1 = False
        self._h1_done = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _VOID:
            if tag == "br":
                self.parts.append("\n")
            return
        if tag == "title":
            self._in_title = True
        if tag in _DROPPED:
            self._skip.append(tag)
        if tag == "h1" and not self._h1_done:
            self._in_h1 = True
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag == "h1" and self._in_h1:
            self._in_h1 = False
            self._h1_done = True
        if tag in _DROPPED and tag in self._skip:
            while self._skip and self._skip.pop() != tag:
                pass
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
            return
        if self._skip:
            return
        if self._in_h1:
            self.h1_parts.append(data)
        self.parts.append(data)


def _squeeze(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def html_to_text(html: str) -> tuple[str, str | None]:
    """Plain visible text of an HTML page by a simple parser (the fallback when trafilatura finds nothing).

    Drops ``script``, ``style``, ``nav``, ``header``, ``footer`` and similar chrome; keeps one line per block.

    Arguments:
        html: the page's markup.

    Returns:
        ``(text, title)`` with the title from ``<title>`` or else the first ``<h1>`` (None when neither).
    """
    parser = _TextParser()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; anything it still chokes on leaves what was read so far
        pass
    title = _squeeze("".join(parser.title_parts)) or _squeeze("".join(parser.h1_parts)) or None
    return _squeeze("".join(parser.parts)), title


def _trafilatura(html: str):
    import trafilatura

    try:
        return trafilatura.bare_extraction(
            html,
            include_comments=False,
            include_tables=True,
            include_images=False,
            favor_recall=True,
            with_metadata=True,
            prune_xpath=list(_PRUNE),
            date_extraction_params=dict(_DATE_PARAMS),
        )
    except Exception:  # trafilatura failing on odd markup: the simple parser takes over
        return None


def _find_date(html: str) -> str | None:
    import htmldate

    try:
        # No URL is passed and the search is not extensive: only the page's own metadata counts, never
        # today's date or a date in the URL of a link.
        return htmldate.find_date(html, **_DATE_PARAMS)
    except Exception:
        return None


def read_html(
    data: bytes, source: str, *, dayfirst: bool = True, details: dict | None = None
) -> list[Record]:
    """Read an HTML page as one record of its main visible text.

    Arguments:
        data: the page's bytes.
        source: ``Record.source``.
        dayfirst: whether an ambiguous numeric date in the metadata is day-first.
        details: a dict that receives ``encoding`` and ``extractor`` (``trafilatura`` or ``fallback``).

    Returns:
        One ``Record(format="html", segmentable=False)`` with title and metadata date when found, or
        ``[]`` when the page has no visible text.
    """
    details = {} if details is None else details
    html, encoding = decode_bytes(data)
    details["encoding"] = encoding
    html = _XML_DECLARATION.sub("", html, count=1)
    if not html.strip():
        return []
    document = _trafilatura(html)
    text = _squeeze(getattr(document, "text", None) or "")
    title = getattr(document, "title", None) or None
    raw_date = getattr(document, "date", None)
    details["extractor"] = "trafilatura"
    if not text:
        text, fallback_title = html_to_text(html)
        title = title or fallback_title
        details["extractor"] = "fallback"
        raw_date = raw_date or _find_date(html)
    if title is None:
        title = html_to_text(html)[1]
    if not text:
        return []
    date = metadata_date(raw_date, dayfirst=dayfirst) if raw_date else None
    url = getattr(document, "url", None) or None
    return [
        Record(
            source=source,
            text=text,
            format="html",
            seq=0,
            title=" ".join(title.split()) if title else None,
            url=url,
            date=date,
            segmentable=False,
        )
    ]
