"""Text the page shows from a corpus or the URL: escaped Markdown, documents with their mentions marked."""

from __future__ import annotations

import html
import re

__all__ = ["MARK_STYLE", "escape_md", "highlight_html"]

MARK_STYLE = "background: #fbe7a1; padding: 0 1px; border-radius: 2px"


def highlight_html(text: str, spans: list[tuple[int, int, str]]) -> str:
    """A document's text as HTML with its mentions in <mark>; every piece of corpus text is escaped.

    Arguments:
        text: the document text.
        spans: (start, end, title) of each mention; overlapping spans after the first are skipped.

    Returns:
        HTML made only of escaped text, <mark> tags and one wrapping <div>.
    """
    out, pos = [], 0
    for start, end, title in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < pos or end <= start or end > len(text):
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f'<mark style="{MARK_STYLE}" title="{html.escape(title, quote=True)}">{html.escape(text[start:end])}</mark>')
        pos = end
    out.append(html.escape(text[pos:]))
    body = "".join(out)
    return (
        '<div style="white-space: pre-wrap; font-family: Georgia, serif; font-size: 0.95rem; '
        'line-height: 1.55; max-height: 32rem; overflow-y: auto; padding: 0.75rem 1rem; '
        f'border: 1px solid #e3e6ea; border-radius: 0.4rem; background: #fcfcfb">{body}</div>'
    )


def escape_md(text: str) -> str:
    """Text safe inside st.markdown/st.info/st.caption: no live Markdown, links, images or HTML.

    Link, emphasis, code, HTML and Streamlit syntax characters are escaped everywhere (":" too, so that
    ":red[…]" is not coloured); list, heading and quote markers only where a line starts; an invisible word
    joiner (U+2060) goes inside "://", "www." and before "@", so no bare URL or address is linked.
    """
    text = _MD_WWW.sub(lambda m: m.group(1) + _WORD_JOINER, str(text))
    text = text.replace("://", ":" + _WORD_JOINER + "//").replace("@", _WORD_JOINER + "@")
    escaped = "".join("\\" + ch if ch in _MD_SPECIALS else ch for ch in text)
    return _MD_LINE_START.sub(lambda m: m.group(1) + "".join("\\" + ch if not ch.isdigit() else ch
                                                               for ch in m.group(2)), escaped)


_MD_SPECIALS = frozenset("\\`*_{}[]()<>!|~$&^:@.")
# Streamlit's renderer links bare URLs, "www." and e-mail addresses in the text it shows, whatever escapes
# the Markdown held: an invisible word joiner inside "://", "www." and before "@" keeps them plain text.
_WORD_JOINER = "\u2060"
_MD_WWW = re.compile(r"(?i)\b(www)(?=\.)")
_MD_LINE_START = re.compile(r"(?m)^([ \t]*)([-+=#]+|\d+[.)])")
