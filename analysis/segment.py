"""Chrome removal and splitting of scraped channel dumps into their posts."""

from __future__ import annotations

import re

from .records import Post

__all__ = [
    "Post",
    "clean_chrome",
    "forwarded_from",
    "header_channel",
    "heading_channel",
    "split_posts",
    "split_posts_detailed",
]

# Unicode spaces that scraped pages use instead of a plain space (NBSP, thin, narrow, ideographic, ...).
_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u2060\ufeff]")

# Emoji and pictographs, as character-class ranges (Python's re has no \p{Emoji}).
_EMOJI = (
    "\U0001f000-\U0001faff"  # pictographs, emoticons, flags (regional indicators), symbols
    "\u2600-\u27bf"  # miscellaneous symbols and dingbats
    "\u2b00-\u2bff"  # arrows, stars
    "\u2300-\u23ff"  # technical (⌚, ⏰)
    "\u2190-\u21ff"  # arrows
    "\u2100-\u214f"  # letterlike symbols (ℹ)
    "\u3030\u303d\u3297\u3299\u00a9\u00ae\u203c\u2049"
    "\ufe0f\u200d\u20e3"  # variation selector, zero-width joiner, keycap
)

# One line of page or channel chrome, matched against the whole stripped line (spaces normalised).
# Only lines that match in full are dropped, so prose that merely contains these words is kept.
_I = re.IGNORECASE
_CHROME_TABLE: tuple[tuple[str, int], ...] = (
    # Telegram web preview (t.me/s/...) buttons and notices
    (r"read in full", _I),
    (r"media is too big", _I),
    (r"view in telegram", _I),
    (r"please open telegram to view this post", _I),
    (r"download telegram", _I),
    (r"open in telegram", _I),
    (r"this post is not available in your country", _I),
    # reaction and view counters: a short line of only counts and emoji ("2", "👍41", "1👍1", "1.2K👁")
    (rf"(?>\d{{1,3}}+(?:[.,]\d{{1,2}}+)?+(?!\d)[KkMm]?+|[{_EMOJI}]| ){{1,16}}+", 0),
    # channel counters ("2.95K subscribers", "4.1K photos", "747 videos", "9 files", "3.13K links")
    (
        r"\d++(?:[.,]\d++)?+(?: ?[KkMm])?+ ++(?:subscribers?|members?|photos?|videos?|files?|links?|audios?"
        r"|voice messages?|online|views?)",
        _I,
    ),
    # news-site menus and breadcrumbs ("All news", "HomeLatest News…", "Home › World › …")
    (r"all news", _I),
    (r"Home(?:[A-Z]|\s*+[›»>/|]\s*+)\S.*", 0),
    # web-analytics leftovers
    (r"hit tracker", _I),
    # language switchers ("• en-GB1 ru-RU1")
    # (atomic: "en-GB" and 24 spaces eight times, then "é", would otherwise backtrack for ever)
    (r"[•·|]?+ *+(?>[a-z]{2}[-_][A-Z]{2}\d*+ *+[|/•·]?+ *+){1,8}+", 0),
)
# All of them as one alternation: one fullmatch per line instead of one per pattern (texts with hard-wrapped
# lines have hundreds of short lines each).
_CHROME_LINE = re.compile(
    "|".join(f"(?i:{pattern})" if flags & re.IGNORECASE else f"(?:{pattern})" for pattern, flags in _CHROME_TABLE)
)

_MAX_CHROME_CHARS = 240
_BLANK_RUN = re.compile(r"\n(?:[ \t\u00a0]*+\n){2,}")


def _norm_line(line: str) -> str:
    if line.isascii():  # the common case, without regexes: runs of spaces and tabs become one space
        return " ".join(line.split())
    return _SPACES.sub(" ", _ZERO_WIDTH.sub("", line)).strip()


def _bare(line: str) -> str:
    """A normalised line without Markdown emphasis around it ("**Mr President,**")."""
    return line.strip("*_ ")


def _is_chrome(line: str) -> bool:
    if len(line) > _MAX_CHROME_CHARS:  # paragraphs are never chrome; this keeps long texts fast
        return False
    return _is_chrome_norm(_norm_line(line))


def _is_chrome_norm(norm: str) -> bool:
    """Whether a line already normalised (``_norm_line``) is chrome."""
    return bool(norm) and _CHROME_LINE.fullmatch(norm) is not None


def _without_chrome(lines: list[str], chrome: list[bool]) -> str:
    """The lines not marked as chrome, joined, every run of two or more blank lines made one blank line."""
    return _BLANK_RUN.sub("\n\n", "\n".join(line for line, c in zip(lines, chrome, strict=True) if not c))


def clean_chrome(text: str) -> str:
    """Remove page and channel chrome lines and collapse runs of blank lines.

    Arguments:
        text: plain text of a page, a channel dump or a post.

    Returns:
        The text without whole lines that are recognisable chrome (Telegram buttons, reaction and
        subscriber counters, site menus, language switchers), with every run of two or more blank
        lines collapsed to one blank line. Other lines are kept exactly as they were.
    """
    lines = text.split("\n")
    return _without_chrome(lines, [_is_chrome(line) for line in lines])


# Possessive quantifiers and atomic groups (Python 3.11) throughout: no pattern here may backtrack over
# the same characters in more than one way, so a hostile line costs linear time (tests/test_hostile.py).

# Header lines whose SHAPE marks the start of a post; the variable parts differ from post to post.
_TS = r"\d{1,2}+[./-]\d{1,2}+[./-]\d{2,4}+,?+\s++\d{1,2}+:\d{2}(?::\d{2})?+(?:\s?[AaPp][Mm])?+"
# Each with a character its lines must hold (a cheap test before the regex), or None.
_HEADER_SHAPES: tuple[tuple[re.Pattern[str], str | None], ...] = (
    # Telegram "Forwarded from <channel>"
    (re.compile(r"(?:forwarded from|переслано от|пересланное сообщение от)\s*+:?+\s*+\S.{0,80}", re.IGNORECASE),
     None),
    # Telegram Desktop copy: "Channel name, [12.05.24 14:33]"
    (re.compile(rf"[^\[\]\n]{{1,80}}?,\s*+\[{_TS}\]"), "["),
    # Telegram web copy: "[12.05.2024 14:33] Channel name:" (the post may go on after the colon)
    (re.compile(rf"\[{_TS}\]\s*+[^:\n]{{1,80}}+:(?:\s.*)?"), "["),
)
# The "[ts] Channel:" shape carries the post's first words after the colon; they belong to the post.
_INLINE_HEADER = re.compile(rf"(\[{_TS}\]\s*+[^:\n]{{1,80}}+:)\s?(.*)")
# A line that varies only in its digits and carries a time (e.g. "12 May 2024, 14:33 Channel").
_TIME = re.compile(r"\d{1,2}:\d{2}")
_DIGITS = re.compile(r"\d")
# Speaker labels and list headings that repeat inside one document.
_LABELS = re.compile(
    r"(?:question|answer|q|a|reply|comment|interviewer|moderator|host|вопрос|ответ|note|update)\b.{0,3}"
    # forms of address that open the paragraphs of a speech
    r"|(?:mr\.?|madam|madame|mister|monsieur|señor|господин|госпожа|уважаемый)\s++\w++(?:[- ]\w++)?+\W{0,2}"
    r"|(?:excellenc(?:y|ies)|ladies and gentlemen|dear (?:colleagues|friends)|colleagues|friends)\W{0,2}",
    re.IGNORECASE,
)
_SENTENCE_END = (".", "!", "?", ":", ";", "…", ",")
_MIN_REPEATS = 3
_MIN_SHAPE_REPEATS = 2
_MAX_DIGIT_KINDS = 32
_MAX_HEADER_CHARS = 60
_MIN_MEAN_POST_CHARS = 40
_MAX_PREAMBLE_LINE = 300  # a longer line before the first header is prose: the text is no dump
_MAX_PREAMBLE_CHARS = 600


def _line_facts(lines: list[str]) -> tuple[list[str], list[bool]]:
    """(each line normalised, "" for a line too long to be a header; whether each line is chrome)."""
    norms = [_norm_line(line) if len(line) <= _MAX_CHROME_CHARS else "" for line in lines]  # long: no header
    return norms, [_is_chrome_norm(n) for n in norms]


def _header_kinds(norms: list[str], chrome: list[bool]) -> list[tuple[str, list[int]]]:
    """Candidate header kinds, each with the indices of its lines, strongest kind first (``norms`` and
    ``chrome``: ``_line_facts`` of the lines)."""
    kinds: list[tuple[str, list[int]]] = []
    short = [i for i, n in enumerate(norms) if n and len(n) <= 200]
    for pattern, needle in _HEADER_SHAPES:
        idx = [i for i in short if (needle is None or needle in norms[i]) and pattern.fullmatch(norms[i])]
        if len(idx) >= _MIN_SHAPE_REPEATS:
            kinds.append((f"shape:{pattern.pattern}", idx))

    digit_shapes: dict[str, list[int]] = {}
    same: dict[str, list[int]] = {}
    for i, n in enumerate(norms):
        if not n or chrome[i] or len(n) > 80:
            continue
        if _TIME.search(n):
            digit_shapes.setdefault(_DIGITS.sub("0", n), []).append(i)
        same.setdefault(n, []).append(i)
    repeated = [(shape, idx) for shape, idx in digit_shapes.items()
                if len(idx) >= _MIN_REPEATS and len({norms[i] for i in idx}) > 1]
    # Each kind is tried over the rest of the text (_is_dump): without a cap, thousands of repeated shapes
    # ("aaa 1:00", "aab 1:00", …) made a 100 KB text take half a minute to split. A dump's headers take a
    # few shapes (one a month name at most); the first _MAX_DIGIT_KINDS, in the text's order, are tried.
    kinds.extend((f"digits:{shape}", idx) for shape, idx in repeated[:_MAX_DIGIT_KINDS])

    recurring = {n: idx for n, idx in same.items() if len(idx) >= _MIN_REPEATS and _short_label(_bare(n))}
    if len(recurring) == 1:  # two or more short lines taking turns are a transcript, not a dump
        ((line, idx),) = recurring.items()
        if _plausible_title(_bare(line)):
            kinds.append((f"same:{line}", idx))
    return kinds


def _short_label(line: str) -> bool:
    """A short line that is not a sentence: a header, a speaker label ("Question:"), a heading."""
    return (
        len(line) <= _MAX_HEADER_CHARS
        and not line.endswith((".", "!", "?", ";", "…", ","))
        and not line.startswith("#")
        and any(ch.isalpha() for ch in line)
    )


def _plausible_title(line: str) -> bool:
    """A line that could head every post: short, not a sentence, not a label, hashtag or ornament."""
    return (
        len(line) <= _MAX_HEADER_CHARS
        and not line.endswith(_SENTENCE_END)
        and not line.startswith("#")
        and any(ch.isalpha() for ch in line)
        and not _LABELS.fullmatch(line)
    )


def _pieces(lines: list[str], idx: list[int]) -> list[tuple[str, str]]:
    """(header, raw post text) for each header line index."""
    out = []
    bounds = [*idx, len(lines)]
    for k, i in enumerate(idx):
        header = lines[i]
        body = lines[i + 1 : bounds[k + 1]]
        m = _INLINE_HEADER.fullmatch(_norm_line(header))
        if m and m.group(2):
            header, body = m.group(1), [m.group(2), *body]
        out.append((_norm_line(header), "\n".join(body)))
    return out


def _is_dump(lines: list[str], idx: list[int], kind: str) -> bool:
    pieces = [clean_chrome(body).strip() for _, body in _pieces(lines, idx)]
    if sum(1 for p in pieces if p) < max(2, len(idx) - len(idx) // 4):
        return False  # headers must start posts, not stand on their own
    total = sum(len(p) for p in pieces)
    if total / len(pieces) < _MIN_MEAN_POST_CHARS:
        return False
    if kind.startswith("shape:"):
        return True
    # Before the first header stands channel chrome (title, counters, description), not prose.
    preamble = [line for line in lines[: idx[0]] if line.strip()]
    if any(len(line) > _MAX_PREAMBLE_LINE for line in preamble) or sum(map(len, preamble)) > max(
        _MAX_PREAMBLE_CHARS, total / len(pieces)
    ):
        return False
    # A post starts right below its header; a refrain or a closing line stands apart, followed by a blank.
    followed = sum(1 for i in idx if i + 1 < len(lines) and _norm_line(lines[i + 1]))
    if followed < 0.75 * len(idx):
        return False
    # Identical or digit-shaped lines must also be spread over the text, not bunched in one corner.
    after_first = sum(len(lines[j]) + 1 for j in range(idx[0], len(lines)))
    span = sum(len(lines[j]) + 1 for j in range(idx[0], idx[-1]))
    return span >= 0.4 * after_first


def split_posts_detailed(text: str) -> list[Post]:
    """Split a dump of many posts into `Post`s; a text that is not a dump gives one `Post`.

    A dump is recognised by header lines that start its posts: lines of a known shape ("Forwarded
    from <channel>", "<channel>, [12.05.24 14:33]", "[12.05.2024 14:33] <channel>:") repeated at least
    twice, a line with a time that repeats with only its digits changing, or one short line that is
    not a sentence repeated at least three times and spread over the text. Text before the first
    header is channel chrome (title, counters, description) and is dropped.

    Arguments:
        text: plain text.

    Returns:
        The posts in order, each cleaned of chrome and stripped, empty ones dropped; for a text that
        is not a dump, ``[Post(clean_chrome(text).strip(), None)]`` (or ``[]`` when that is empty).
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    norms, chrome = _line_facts(lines)
    for kind, idx in _header_kinds(norms, chrome):
        if _is_dump(lines, idx, kind):
            posts = [Post(clean_chrome(body).strip(), header) for header, body in _pieces(lines, idx)]
            return [p for p in posts if p.text]
    # clean_chrome(text), from the chrome lines found above; but clean_chrome keeps a line's own "\r", which
    # the lines split here have lost.
    cleaned = (clean_chrome(text) if "\r" in text else _without_chrome(lines, chrome)).strip()
    return [Post(cleaned, None)] if cleaned else []


def split_posts(text: str) -> list[str]:
    """Split a dump of many posts into the posts' texts (see `split_posts_detailed`).

    Arguments:
        text: plain text.

    Returns:
        One cleaned string per post, in order; a text that is not a dump gives a one-item list with
        the cleaned text (an empty list when nothing is left after cleaning).
    """
    return [p.text for p in split_posts_detailed(text)]


_FORWARDED = re.compile(r"(?:forwarded from|переслано от|пересланное сообщение от)\s*+:?+\s*+(\S.{0,80})", re.IGNORECASE)
_COUNTER = re.compile(r"\d++(?:[.,]\d++)?+(?: ?[KkMm])?+ ++(?:subscribers?|members?|подписчик\w*+|участник\w*+)", re.IGNORECASE)
_HEADING_LINES = 6


def forwarded_from(header: str | None) -> str | None:
    """The channel a "Forwarded from <channel>" header names (as written, decorations kept), else None."""
    if not header:
        return None
    match = _FORWARDED.fullmatch(_norm_line(header))
    return match.group(1).strip() if match else None


_DESKTOP_HEADER = re.compile(rf"([^\[\]\n]{{1,80}}?),\s*+\[{_TS}\]")
_WEB_HEADER = re.compile(rf"\[{_TS}\]\s*+([^:\n]{{1,80}}+):")


def header_channel(header: str | None) -> str | None:
    """The channel a copied post's header names ("Russian MFA, [12.05.24 14:33]", "[12.05.2024 14:33]
    Russian MFA:"), else None."""
    if not header:
        return None
    line = _norm_line(header)
    match = _DESKTOP_HEADER.fullmatch(line) or _WEB_HEADER.fullmatch(line)
    return match.group(1).strip() if match else None


def heading_channel(text: str) -> str | None:
    """The channel that heads a scraped channel page: the line right above its subscriber counter among the
    first lines ("Russian Embassy in Lebanon" above "2.95K subscribers"), else None.

    Arguments:
        text: plain text of a page or a dump, as read.

    Returns:
        The channel's name as written, or None when the text does not open with a channel's heading.
    """
    lines = [n for n in (_norm_line(line) for line in text[:4000].splitlines()[:40]) if n][:_HEADING_LINES]
    for above, line in zip(lines, lines[1:], strict=False):
        if _COUNTER.fullmatch(line) and not _is_chrome(above) and len(above) <= 80:
            return above
    return None
