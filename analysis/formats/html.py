"""Reader for HTML pages: the article's visible text, its title and its publication date."""

from __future__ import annotations

import re

from analysis.records import Record

from . import metadata_date, publisher_name, url_domain
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


def _squeeze(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _parse(html: str):
    """The page as an lxml tree (libxml2's HTML parser: linear time, lenient), or None when it has no elements.

    The text is passed as UTF-8 bytes so that an encoding declaration in it does not matter; NULs and lone
    surrogates, which libxml2 cannot take, are dropped or replaced first.
    """
    from lxml import etree
    from lxml import html as lxml_html

    data = html.replace("\x00", "").encode("utf-8", errors="replace")
    if not data.strip():
        return None
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        return lxml_html.document_fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None


def _tag(element) -> str:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else ""  # comments, entities, processing instructions


def _visible_text(root) -> tuple[str, str | None]:
    """(visible text with one line per block, first ``<h1>`` text) of a parsed page."""
    from lxml import etree

    parts: list[str] = []
    skip = 0
    h1: str | None = None
    # iterwalk, not recursion: a page may nest thousands of elements deep.
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = _tag(element)
        if event == "start":
            if tag in _DROPPED:
                skip += 1
            if skip:
                continue
            if tag in _BLOCK:
                parts.append("\n")
            if tag == "h1" and h1 is None:
                h1 = element.text_content()
            if tag and element.text:
                parts.append(element.text)
        else:
            if tag in _DROPPED:
                skip -= 1
            elif not skip and tag in _BLOCK:
                parts.append("\n")
            if not skip and element.tail:
                parts.append(element.tail)
    return _squeeze("".join(parts)), (_squeeze(h1) or None) if h1 else None


def html_to_text(html: str) -> tuple[str, str | None]:
    """Plain visible text of an HTML page by lxml (the fallback when trafilatura finds nothing).

    Drops ``script``, ``style``, ``nav``, ``header``, ``footer`` and similar chrome; keeps one line per block.
    lxml (libxml2) parses in linear time: Python's html.parser is quadratic on runs of ``</``
    (CVE-2025-6069), so a hostile page could stall a build.

    Arguments:
        html: the page's markup.

    Returns:
        ``(text, title)`` with the title from ``<title>`` or else the first ``<h1>`` (None when neither).
    """
    root = _parse(html)
    if root is None:
        return "", None
    title_element = root.find(".//title")
    title = _squeeze(title_element.text_content()) if title_element is not None else ""
    text, h1 = _visible_text(root)
    return text, title or h1 or None


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


_HEADING_SCAN = 500_000  # a page's <title> and first <h1> are looked for this far into its markup
_HEADING_MAX = 500  # ... and read up to this many characters
_TAG = re.compile(r"<[^<>]{0,2000}+>")


def _heading(html: str, tag: str) -> str | None:
    """The text of the first ``<tag>…</tag>`` (``title``, ``h1``), tags inside dropped; None when absent."""
    import html as html_lib

    head = html[:_HEADING_SCAN]
    lower = head.lower()
    start = lower.find(f"<{tag}")
    while start >= 0 and lower[start + len(tag) + 1 : start + len(tag) + 2] not in (">", " ", "\t", "\n", "\r", "/"):
        start = lower.find(f"<{tag}", start + 1)  # "<h1" is not "<h10>", "<title" not "<titles>"
    if start < 0:
        return None
    open_end = lower.find(">", start)
    close = lower.find(f"</{tag}", open_end)
    if open_end < 0 or close < 0:
        return None
    inner = _TAG.sub(" ", head[open_end + 1 : min(close, open_end + 1 + 4 * _HEADING_MAX)])
    text = " ".join(html_lib.unescape(inner).split())[:_HEADING_MAX]
    return text or None


def _page_dates(html: str, document, dayfirst: bool):
    """The page's metadata date (trafilatura's, else htmldate's) and the dates of its ``<title>`` and first
    ``<h1>`` as ``evidence="title"`` candidates: briefing pages often carry their date only in the title."""
    import dataclasses

    from analysis.dates import find_text_date

    raw_date = getattr(document, "date", None)
    if not raw_date and not getattr(document, "text", None):  # trafilatura read nothing: ask htmldate itself
        raw_date = _find_date(html)
    date = metadata_date(raw_date, dayfirst=dayfirst) if raw_date else None
    candidates = []
    for tag in ("title", "h1"):
        text = _heading(html, tag)
        hit = find_text_date(text, dayfirst=dayfirst) if text else None
        if hit is not None and hit.year is not None:
            candidates.append(dataclasses.replace(hit, start=-1, end=-1, evidence="title"))
    return date, candidates


def _publisher(document, url: str | None) -> tuple[str | None, str | None]:
    """(publisher, method) of a page: its site name (og:site_name, JSON-LD publisher: trafilatura's
    ``sitename``), ``metadata``; else the domain of its canonical URL, ``url-domain``. trafilatura gives the
    URL's host as the site name when the page names none: that counts as ``url-domain``."""
    domain = url_domain(url)
    name = publisher_name(getattr(document, "sitename", None))
    if name and url_domain(name) is None:
        return name, "metadata"
    if domain:
        return domain, "url-domain"
    if name:  # a site name that is itself a host name ("mid.ru"), with no URL to compare it with
        return name.lower().removeprefix("www."), "url-domain"
    return None, None


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
        One ``Record(format="html", segmentable=False)`` with title and metadata date when found (and
        the dates of its ``<title>``/``<h1>`` in ``date_candidates``) and its publisher (see
        ``_publisher``), or ``[]`` when the page has no visible text.
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
    details["extractor"] = "trafilatura"
    if not text:
        text, fallback_title = html_to_text(html)
        title = title or fallback_title
        details["extractor"] = "fallback"
    if title is None:
        title = html_to_text(html)[1]
    if not text:
        return []
    date, date_candidates = _page_dates(html, document, dayfirst)
    url = getattr(document, "url", None) or None
    publisher, method = _publisher(document, url)
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
            date_candidates=date_candidates,
            publisher=publisher,
            publisher_method=method,
        )
    ]
