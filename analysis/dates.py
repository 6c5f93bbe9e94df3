"""Finding dates in metadata, text and paths, and resolving them into one date per document."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import functools
import math
import re
from collections.abc import Iterator, Sequence

from analysis.records import EVIDENCE, DateHit

__all__ = [
    "date_from_path", "find_body_date", "find_text_date", "infer_sequence", "parse_date_value", "resolve_date",
]

_MIN_YEAR = 1900
_PRECISION_RANK = {"year": 0, "month": 1, "day": 2}

# ---------------------------------------------------------------------------------------------------------
# Month names
# ---------------------------------------------------------------------------------------------------------

_EN_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_RU_MONTHS = {
    # nominative, genitive ("15 мая") and prepositional ("в мае 2024")
    "январь": 1, "января": 1, "январе": 1, "февраль": 2, "февраля": 2, "феврале": 2,
    "март": 3, "марта": 3, "марте": 3, "апрель": 4, "апреля": 4, "апреле": 4,
    "май": 5, "мая": 5, "мае": 5, "июнь": 6, "июня": 6, "июне": 6,
    "июль": 7, "июля": 7, "июле": 7, "август": 8, "августа": 8, "августе": 8,
    "сентябрь": 9, "сентября": 9, "сентябре": 9, "октябрь": 10, "октября": 10, "октябре": 10,
    "ноябрь": 11, "ноября": 11, "ноябре": 11, "декабрь": 12, "декабря": 12, "декабре": 12,
    # abbreviations ("янв.", "сент.")
    "янв": 1, "фев": 2, "февр": 2, "мар": 3, "апр": 4, "июн": 6, "июл": 7, "авг": 8,
    "сен": 9, "сент": 9, "окт": 10, "ноя": 11, "нояб": 11, "дек": 12,
}  # fmt: skip


def _month_variants() -> dict[str, int]:
    # English month names are capitalised in running text; lower-case "may"/"march" are verbs.
    out: dict[str, int] = {}
    for name, num in _EN_MONTHS.items():
        out[name.capitalize()] = num
        out[name.upper()] = num
    for name, num in _RU_MONTHS.items():
        out[name] = num
        out[name.capitalize()] = num
        out[name.upper()] = num
    return out


_MONTHS = _month_variants()
_MON = "(?:" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + r")(?!\w)\.?"
_DAY = r"[0-3]?\d(?:st|nd|rd|th|-?го|-?е)?"
_DASH = r"\s*[-–—]\s*"
_RANGE = rf"(?:{_DASH}[0-3]?\d(?:st|nd|rd|th)?)?"
# A four-digit year, possibly glued to a time of day ("17 March 201712:11").
_YEAR4 = r"(?:1[89]|2\d)\d\d"
_YEAR = _YEAR4 + r"(?:(?=\d{1,2}:\d\d)|(?!\d))"
_TS_AHEAD = r"(?=,?\s+\d{1,2}:\d\d)"
_GLUED_TIME = re.compile(r"\d{1,2}:\d\d")

# One alternation scanned once over a text; the group names tell which form matched.
_DATE_RE = re.compile(
    "|".join(
        (
            # 15 June 2018, 27-29 May 2025, 15th of June, 2018, 15 июня 2018 г.
            rf"(?<![\w.,/-])(?P<dmy_d>{_DAY}){_RANGE}\s+(?:of\s+)?(?P<dmy_m>{_MON}),?\s+(?P<dmy_y>{_YEAR})",
            # May 16, 2024; May 27-29, 2025; Sept. 3 2019
            rf"(?<!\w)(?P<mdy_m>{_MON})\s+(?P<mdy_d>{_DAY}){_RANGE}(?!\d),?\s+(?P<mdy_y>{_YEAR})",
            # November 2024, в мае 2024
            rf"(?<!\w)(?P<my_m>{_MON}),?\s+(?P<my_y>{_YEAR})",
            # May 21, October 26 (no year)
            rf"(?<!\w)(?P<md_m>{_MON})\s+(?P<md_d>{_DAY}){_RANGE}(?![\d:])",
            # 26 October, 15 июня (no year)
            rf"(?<![\w.,/-])(?P<dm_d>{_DAY}){_RANGE}\s+(?:of\s+)?(?P<dm_m>{_MON})",
            # 2024-05-16, 2024/05/16, 2021-10-03T12:00:00Z
            rf"(?<![\w.,/-])(?P<iso_y>{_YEAR4})(?P<iso_s>[-/.])(?P<iso_m>[01]?\d)(?P=iso_s)"
            rf"(?P<iso_d>[0-3]?\d)(?![\d.]\d|\d)",
            # 16.05.2024, 05/16/2024, 16-05-2024 (day-first unless told otherwise)
            rf"(?<![\w.,/-])(?P<num_a>[0-3]?\d)(?P<num_s>[./-])(?P<num_b>[0-3]?\d)(?P=num_s)"
            rf"(?P<num_y>{_YEAR})(?![.,/-]\d)",
            # 12.05.24 14:33 (two-digit year: only right before a time of day, as in chat headers)
            rf"(?<![\w.,/-])(?P<ts_a>[0-3]?\d)(?P<ts_s>[./])(?P<ts_b>[0-3]?\d)(?P=ts_s)(?P<ts_y>\d\d){_TS_AHEAD}",
        )
    )
)

# Every form of _DATE_RE starts at a digit or at the first letter of a month name, with no word character
# before it: the positions worth trying, found in one scan (most of a text is neither).
_MATCH_START = re.compile(r"(?<!\w)[\d" + re.escape("".join(sorted({name[0] for name in _MONTHS}))) + "]")


def _date_matches(text: str, pos: int, endpos: int) -> Iterator[re.Match]:
    """The matches of ``_DATE_RE.finditer(text, pos, endpos)``, found by trying _DATE_RE only where a
    date can start (much faster on prose)."""
    while (start := _MATCH_START.search(text, pos, endpos)) is not None:
        m = _DATE_RE.match(text, start.start(), endpos)
        if m is None:
            pos = start.start() + 1
        else:
            yield m
            pos = m.end()


# ---------------------------------------------------------------------------------------------------------
# Matches -> candidate dates
# ---------------------------------------------------------------------------------------------------------


def _today(today: dt.date | None) -> dt.date:
    if today is None:
        return dt.date.today()
    if isinstance(today, dt.datetime):
        return today.date()
    if isinstance(today, dt.date):
        return today
    raise TypeError(
        f"The 'today' parameter must be a datetime.date or None; got {type(today).__name__} "
        f"{today!r} instead. Pass e.g. datetime.date(2025, 1, 31)."
    )


def _valid(year: int | None, month: int | None, day: int | None, today: dt.date) -> bool:
    """A real calendar date (Feb 29 allowed when the year is unknown) not before 1900 nor after today."""
    if month is not None and not 1 <= month <= 12:
        return False
    if day is not None:
        if month is None:
            return False
        last = calendar.monthrange(year if year is not None else 2000, month)[1]
        if not 1 <= day <= last:
            return False
    if year is None:
        return True
    if year < _MIN_YEAR:
        return False
    return dt.date(year, month or 1, day or 1) <= today


def _int(s: str) -> int:
    return int(re.match(r"\d+", s).group())


def _from_match(m: re.Match, dayfirst: bool, today: dt.date) -> tuple[int | None, int | None, int | None, str] | None:
    """(year, month, day, precision) of a `_DATE_RE` match, or None when it is not a valid date."""
    g = m.groupdict()
    if g["dmy_d"] is not None:
        y, mo, d = _int(g["dmy_y"]), _MONTHS[g["dmy_m"].rstrip(".")], _int(g["dmy_d"])
    elif g["mdy_m"] is not None:
        y, mo, d = _int(g["mdy_y"]), _MONTHS[g["mdy_m"].rstrip(".")], _int(g["mdy_d"])
    elif g["my_m"] is not None:
        y, mo, d = _int(g["my_y"]), _MONTHS[g["my_m"].rstrip(".")], None
    elif g["md_m"] is not None:
        y, mo, d = None, _MONTHS[g["md_m"].rstrip(".")], _int(g["md_d"])
    elif g["dm_d"] is not None:
        y, mo, d = None, _MONTHS[g["dm_m"].rstrip(".")], _int(g["dm_d"])
    elif g["iso_y"] is not None:
        y, mo, d = int(g["iso_y"]), int(g["iso_m"]), int(g["iso_d"])
    else:
        if g["num_a"] is not None:
            a, b, y = int(g["num_a"]), int(g["num_b"]), _int(g["num_y"])
        else:
            a, b, y = int(g["ts_a"]), int(g["ts_b"]), 2000 + int(g["ts_y"])
            if y > today.year:
                y -= 100
        d, mo = (a, b) if dayfirst else (b, a)
        if mo > 12 >= d:  # only one reading is a date: 05/16/2024 is May 16 even day-first
            d, mo = mo, d
    if not _valid(y, mo, d, today):
        return None
    return y, mo, d, ("day" if d is not None else "month")


def _hit(m: re.Match, parsed, method: str, role: str, offset: int = 0, evidence: str = "") -> DateHit:
    y, mo, d, precision = parsed
    return DateHit(y, mo, d, precision, method, offset + m.start(), offset + m.end(), m.group(), role, evidence)


# ---------------------------------------------------------------------------------------------------------
# Dates in text
# ---------------------------------------------------------------------------------------------------------

_HEAD_CHARS = 400  # header lines must start within this many characters
_HEAD_LINES = 6  # ... and be among this many first non-empty lines
_HEAD_SCAN = 600  # ... and are read up to this many characters into the text
_STANDALONE_CHARS = 1000  # a line that is only a date ("Saturday, June 22, 2024") may stand this far in
_STANDALONE_LINES = 10
_STANDALONE_MAX = 60  # ... and is at most this long
_LABEL_CHARS = 2000  # "Date: ..." lines and datelines ("MOSCOW, October 26. /TASS/.") this far in
_MAX_LINE = 1000  # header lines are read up to this many characters
_HEAD_LINE_MAX = 200  # a full date in a later head line counts when the line is this short (not prose)

# "Date: …" header lines (publication labels are read by `_publication_lines`, anywhere in the head or tail).
_LABEL = re.compile(r"[\W_]{0,3}(?:date|dated|issued|release date|дата)\b\s*:?", re.IGNORECASE)
# A date right after one of these is when the page changed, not when it was published.
_UPDATED = re.compile(
    r"(?<!\w)(?:last[ \t]+updated|updated|last[ \t]+modified|modified|revised|обновлено|дата[ \t]+обновления|"
    r"изменено|mis[ \t]+à[ \t]+jour|actualizado|aktualisiert|aggiornato)(?!\w)",
    re.IGNORECASE,
)
_UPDATED_REACH = 30  # an "Updated" label this many characters before a date claims it
_DATELINE = re.compile(r"[\W_]{0,3}[A-ZА-ЯЁ][A-ZА-ЯЁ'’.\- ]{1,40}(?:\s*\([^)\n]{1,40}\))?,\s*")
_HASHTAG_LINE = re.compile(r"(?:#\w+\s*)+")
_OPENING = re.compile(r"[\W_]*(?:(?:on|в|от)\s+)?", re.IGNORECASE)  # "🇷🇺🇰🇿 On " before the date
_CLOSING = re.compile(r"\s*(?:[)\]]\.?|[:;!?])?\s*")  # no "." alone: "… of July 8, 2013." ends a sentence
_PAREN_TAIL = re.compile(r"[^()\n]{0,40}\)[\s.,:;!?]*")  # "…, Astana)" after a date in a closing parenthesis
_WEEKDAYS = re.compile(
    r"(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thurs|fri|sat|"
    r"sun|понедельник|вторник|среда|четверг|пятница|суббота|воскресенье)\b"
)
_TIME_OF_DAY = re.compile(r"\d{1,2}:\d\d(?::\d\d)?(?:\s?[AaPp]\.?[Mm]\.?)?|\b(?:г|года?|год)\b\.?")
_WORD = re.compile(r"[^\W\d_]{2,}")


def _lines(text: str, limit: int) -> list[tuple[int, str]]:
    """(offset, line) of the non-empty lines starting within the first `limit` characters."""
    out = []
    pos = 0
    n = len(text)
    while pos < min(n, limit):
        end = text.find("\n", pos)
        if end < 0:
            end = n
        line = text[pos : min(end, pos + _MAX_LINE)]
        if line.strip():
            out.append((pos, line))
        pos = end + 1
    return out


def _standalone(line: str, m: re.Match) -> bool:
    """True when the line is essentially only this date ("📍 Astana, May 21", "Friday, 15 June 2018 11:40")."""
    rest = line[: m.start()] + " " + line[m.end() :]
    rest = _TIME_OF_DAY.sub(" ", _WEEKDAYS.sub(" ", rest))
    words = _WORD.findall(rest)
    # a place name ("Astana"), not "held in" nor "On 21 September 1981" opening a sentence
    return len(words) <= 2 and all(w[0].isupper() and w.casefold() not in _PREPOSITIONS for w in words)


def _title_position(line: str, m: re.Match, parsed) -> bool:
    """True for a date that opens the first line ("On May 20, …", "April 2 marks …") or closes it
    ("…, Moscow, March 17, 2017", "… (Astana, May 21, 2024)", "… (3 July 2024, Astana)")."""
    before, after = line[: m.start()], line[m.end() :]
    if _OPENING.fullmatch(before):
        # "On 11 September 2001, the world …" opening a long paragraph is prose, not a dated title
        return len(line) <= _HEAD_LINE_MAX or parsed[0] is None
    if parsed[2] is None:  # "November 2024" mid-title is no dateline
        return False
    if _CLOSING.fullmatch(after):
        return True
    return before.rfind("(") > before.rfind(")") and bool(_PAREN_TAIL.fullmatch(after))


def _line_matches(line: str, in_head_until: int, short: bool, labelled, dateline):
    """Date matches in the parts of a header line worth reading, without reading a long line whole."""
    seen: set[tuple[int, int]] = set()
    windows = []
    if short:
        windows.append((0, len(line)))
    elif in_head_until > 0:
        windows.append((0, in_head_until))
    if labelled:
        windows.append((labelled.end(), labelled.end() + 80))
    if dateline:
        windows.append((dateline.end(), dateline.end() + 40))
    for pos, endpos in windows:
        if _DIGIT.search(line, pos, endpos) is None:  # every date form has a digit
            continue
        for m in _date_matches(line, pos, endpos):
            if m.span() not in seen:
                seen.add(m.span())
                yield m


# A full date in a short head line is a header ("Category: News Friday, 15 June 2018 11:40"), unless the line
# reads as prose before it: a sentence ended ("… teachers. After 1 September 2000, …") or a word that makes
# it an event ("since 1 January 2001", "as of January 1, 2001", "после 1 сентября 2000").
_SENTENCE_END = re.compile(r"[.!?…][\"'»”)]?\s+[A-ZА-ЯЁ«\"“]")
_EVENT_WORD = re.compile(
    r"(?i:after|since|before|until|till|as\s+of|by|from|when|following|through|после|до|с|со|к|начиная\s+с)\s+$"
)


_PREPOSITIONS = frozenset({
    "on", "in", "of", "at", "since", "after", "before", "until", "till", "by", "from", "during", "as", "through",
    "в", "во", "на", "с", "со", "до", "после", "от", "к",
})  # fmt: skip
_LAST_WORD = re.compile(r"([^\W\d_]++)[\s,]*+$")


def _prose_before(before: str, first_line: bool) -> bool:
    """True when the words before a date on a head line make it prose. Beyond the first line (hard-wrapped
    speeches: "anniversary of the 11 September 2001 terror attacks in") a line that starts in lower case,
    or a date after a lower-case word or a preposition ("On 17 December 2010, Tunisia …"), is prose too."""
    if _SENTENCE_END.search(before) is not None or _EVENT_WORD.search(before[-30:]) is not None:
        return True
    if first_line:
        return False
    start = before.lstrip()
    if start[:1].islower():
        return True
    last = _LAST_WORD.search(before[-40:])
    return last is not None and (last[1].islower() or last[1].casefold() in _PREPOSITIONS)


def _updated(line: str, start: int) -> bool:
    """True when an "Updated"/"Обновлено" label stands just before the date at ``start``."""
    return _UPDATED.search(line, max(0, start - _UPDATED_REACH), start) is not None


def _header_candidates(text: str, dayfirst: bool, today: dt.date):
    """Yield (tier, position, hit, listed) for dates that date the document; lower tier is stronger.

    ``listed`` marks the kinds of candidate a list of dates (a sidebar of other items) is made of: lines
    that are only a date and full dates in the first lines, not labelled lines, datelines or the title.
    """
    lines = _lines(text, _LABEL_CHARS)
    first = next((i for i, (_, line) in enumerate(lines) if not _HASHTAG_LINE.fullmatch(line.strip())), None)
    for i, (off, line) in enumerate(lines):
        in_head = i < _HEAD_LINES and off < _HEAD_CHARS
        short = len(line.strip()) <= _STANDALONE_MAX and i < _STANDALONE_LINES and off < _STANDALONE_CHARS
        labelled = _LABEL.match(line)
        dateline = _DATELINE.match(line)
        if not (in_head or short or labelled or dateline):
            continue
        in_head_until = max(0, _HEAD_SCAN - off) if in_head else 0
        for m in _line_matches(line, in_head_until, short, labelled, dateline):
            parsed = _from_match(m, dayfirst, today)
            if parsed is None or _updated(line, m.start()):
                continue
            full = parsed[0] is not None and parsed[3] == "day"
            is_label = labelled and labelled.end() <= m.start() <= labelled.end() + 20  # "Date: …"
            is_dateline = dateline and m.start() == dateline.end() and parsed[2] is not None  # "MOSCOW, Oct 26."
            if is_label or is_dateline:
                tier, evidence, listed = 0, "header" if is_label else "dateline", False
            elif short and _standalone(line, m):  # "Saturday, June 22, 2024"
                tier, evidence, listed = 0, "header", True
            elif i == first and m.end() <= off + in_head_until and _title_position(line, m, parsed):
                tier, evidence, listed = 1, "title", False
            elif (in_head and full and m.end() <= off + in_head_until and len(line) <= _HEAD_LINE_MAX
                  and not _prose_before(line[: m.start()], i == first)):
                tier, evidence, listed = 2, "header", True
            else:
                continue
            yield tier, off + m.start(), _hit(m, parsed, "text", "header", off, evidence), listed


# Publication lines: "Дата публикации: 6 мая 2025 года, 16:10", "Publication date: …", "Published: …",
# "Опубликовано: …", "Posted on …". The unambiguous labels count anywhere in the head or tail of a text;
# the others ("published", "posted") only with a colon or at the start of a line, since "was published on
# 5 May" in a sentence is prose.
_PUB_STRONG = (
    r"дата[ \t]+публикации|дата[ \t]+опубликования|publication[ \t]+date|date[ \t]+of[ \t]+publication|"
    r"date[ \t]+published|date[ \t]+de[ \t]+publication|fecha[ \t]+de[ \t]+publicaci[oó]n|"
    r"data[ \t]+de[ \t]+publica[cç][aã]o|veröffentlichungsdatum|data[ \t]+di[ \t]+pubblicazione"
)
_PUB_WEAK = (
    r"published(?:[ \t]+on)?|posted(?:[ \t]+on)?|опубликовано|размещено|publié(?:[ \t]+le)?|"
    r"publicado(?:[ \t]+(?:el|em))?|veröffentlicht(?:[ \t]+am)?|pubblicato(?:[ \t]+il)?"
)
_PUBLICATION = re.compile(
    rf"(?<!\w)(?:(?P<strong>{_PUB_STRONG})|(?P<weak>{_PUB_WEAK}))(?!\w)[ \t]*+(?P<colon>:)?", re.IGNORECASE
)
# Between the label and its date: spaces and punctuation, "on"/"в"/"от", a weekday ("Posted on Monday, …").
_PUB_GAP = re.compile(
    r"[\s:,.–—-]{0,6}(?:(?i:on|le|el|em|am|il|в|от)\s{1,3})?(?:" + _WEEKDAYS.pattern + r"[\s,.]{0,3})?"
)
# A word one of these holds in every label of _PUB_STRONG and _PUB_WEAK, case-folded ("publi" alone would
# not do: "Republic" holds it). _FOLD_MORE folds what re.IGNORECASE also matches but str.casefold keeps
# apart (the dotless ı with i, old Cyrillic letter forms).
_PUB_HINTS = ("publication", "published", "publicac", "publicaç", "publicado", "publié", "pubblica",
              "veröffentlich", "posted", "публикации", "опубликован", "размещено")
_FOLD_MORE = str.maketrans({"ı": "i", "ᲀ": "в", "ᲁ": "д", "ᲂ": "о", "ᲃ": "с", "ᲄ": "т", "ᲅ": "т", "ᲆ": "ъ"})
_FOLD_MORE_CHARS = re.compile("[ıᲀ-ᲆ]")


def _may_hold_publication_label(text: str, pos: int, endpos: int) -> bool:
    """False only when no _PUBLICATION label can match in ``text[pos:endpos]`` (checked without it)."""
    span = text[pos:endpos].casefold()
    if any(hint in span for hint in _PUB_HINTS):
        return True
    if span.isascii() or _FOLD_MORE_CHARS.search(span) is None:
        return False
    span = span.translate(_FOLD_MORE)
    return any(hint in span for hint in _PUB_HINTS)


_DIGIT = re.compile(r"\d")
_PUB_CHARS = 3000  # publication lines are looked for this far into the text and this far from its end
_PUB_REACH = 60  # the date starts within this many characters after the label
_LINE_START = re.compile(r"[\W_]{0,3}")
_LIST_MIN = 3  # this many different dates among header lines (or publication lines) are a list, not a header


def _publication_lines(text: str, dayfirst: bool, today: dt.date) -> list[DateHit]:
    """Dates given by labelled publication lines in the first and last `_PUB_CHARS` of the text, in order."""
    n = len(text)
    spans = [(0, min(n, _PUB_CHARS))]
    if n > _PUB_CHARS:
        spans.append((max(_PUB_CHARS, n - _PUB_CHARS), n))
    out = []
    for pos, endpos in spans:
        if not _may_hold_publication_label(text, pos, endpos):  # skip the slower scan
            continue
        for label in _PUBLICATION.finditer(text, pos, endpos):
            if label["weak"] and not label["colon"]:
                line_start = text.rfind("\n", 0, label.start()) + 1
                if not _LINE_START.fullmatch(text, line_start, label.start()):
                    continue
            m = _DATE_RE.search(text, label.end(), min(n, label.end() + _PUB_REACH))
            if m is None or not _PUB_GAP.fullmatch(text, label.end(), m.start()):
                continue
            parsed = _from_match(m, dayfirst, today)
            if parsed is not None and parsed[0] is not None:
                out.append(_range_year(text, _hit(m, parsed, "text", "header", 0, "publication-line"), dayfirst,
                                       today))
    return out


_YEAR_TRIGGER = re.compile(r"(?:1[89]|2\d)\d\d")
_WINDOW = 40  # a full date ends with its year and is shorter than this before it


def _body_date(text: str, dayfirst: bool, today: dt.date) -> DateHit | None:
    # Every full date holds a four-digit year: find those cheaply, then read the date around each.
    for y in _YEAR_TRIGGER.finditer(text):
        ys, ye = y.span()
        if (ys and text[ys - 1].isdigit()) or (ye < len(text) and text[ye].isdigit() and
                                               not _GLUED_TIME.match(text, ye)):  # fmt: skip
            continue
        for m in _DATE_RE.finditer(text, max(0, ys - _WINDOW), ye + 8):
            if not m.start() <= ys < m.end():
                continue
            if m.group("md_m") or m.group("dm_d") or m.group("my_m"):
                break
            parsed = _from_match(m, dayfirst, today)
            if parsed is not None and parsed[0] is not None and parsed[3] == "day":
                return _hit(m, parsed, "text", "body")
            break
    return None


def _distinct(hits) -> set:
    return {(h.year, h.month, h.day) for h in hits}


def find_text_date(
    text: str, *, dayfirst: bool = True, today: dt.date | None = None, body: bool = False
) -> DateHit | None:
    """Find the date that dates a document in its text.

    Strongest first: a labelled publication line anywhere in the first or last 3,000 characters
    ("Дата публикации: 6 мая 2025 года, 16:10", "Publication date: …", "Published: …", "Опубликовано: …",
    "Posted on …"; a date after "Updated"/"Last updated"/"Обновлено" never counts); then, in the head of
    the text only, a labelled line ("Date: June 22, 2024") or a dateline ("MOSCOW, October 26. /TASS/."), a
    line that is only a date ("Saturday, June 22, 2024", "📍 Astana, May 21"), a date in the first line (a
    title ending "(Astana, May 21, 2024)", opening words "On May 20, …"), then a full date in the first few
    lines. Three or more different dates among lines that are only a date (or among the first lines) are
    a list of other items, such as a sidebar, and date nothing; so are three or more different publication
    lines. A header date may lack its year ("May 21": ``year=None``); the caller decides what to do with it.

    Arguments:
        text: the document's text.
        dayfirst: read ambiguous numeric dates (03/04/2024) as day/month.
        today: dates after this day are ignored (default: today).
        body: when no header date is found, fall back to the first full date in the body (`find_body_date`,
            ``role="body"``). Off by default: a date merely mentioned in a text is almost always an event it
            talks about, not its own date.

    Returns:
        A `DateHit` with ``method="text"``, ``role`` ``"header"`` or ``"body"``, ``evidence``
        (``publication-line``, ``dateline``, ``title``, ``header`` or ``body``) and ``start``/``end``/
        ``surface`` locating the date in `text`; None when no date is found.
    """
    if not isinstance(text, str) or not text:
        return None
    today = _today(today)
    published = _publication_lines(text, dayfirst, today)
    if published and len(_distinct(published)) < _LIST_MIN:
        return published[0]
    candidates = list(_header_candidates(text, dayfirst, today))
    if len(_distinct(c[2] for c in candidates if c[3])) >= _LIST_MIN:
        candidates = [c for c in candidates if not c[3]]
    best = min(candidates, key=lambda c: c[:2], default=None)
    if best is not None:
        return _range_year(text, best[2], dayfirst, today)
    return _body_date(text, dayfirst, today) if body else None


def find_body_date(text: str, *, dayfirst: bool = True, today: dt.date | None = None) -> DateHit | None:
    """The first full date (day, month and year) anywhere in a text: a hint, not the document's date.

    Arguments:
        text: the document's text.
        dayfirst: read ambiguous numeric dates (03/04/2024) as day/month.
        today: dates after this day are ignored (default: today).

    Returns:
        A `DateHit` with ``method="text"``, ``role="body"``, ``evidence="body"``, or None.
    """
    if not isinstance(text, str) or not text:
        return None
    return _body_date(text, dayfirst, _today(today))


_RANGE_TO = re.compile(r"\s*(?:[-–—]|to|till|until|through|по|до)\s*", re.IGNORECASE)


def _range_year(text: str, hit: DateHit, dayfirst: bool, today: dt.date) -> DateHit:
    """A year-less date that opens a range across months takes the year of the range's end: "May 30 –
    June 2, 2025" is 30 May 2025, "30 December – 2 January 2025" is 30 December 2024."""
    if hit.year is None and hit.month is not None and hit.end >= 0:
        sep = _RANGE_TO.match(text, hit.end)
        end = _DATE_RE.match(text, sep.end()) if sep else None
        parsed = _from_match(end, dayfirst, today) if end else None
        if parsed is not None and parsed[0] is not None and parsed[1] is not None:
            year = parsed[0] - (1 if hit.month > parsed[1] else 0)
            if _valid(year, hit.month, hit.day, today):
                return dataclasses.replace(hit, year=year, end=end.end(), surface=text[hit.start : end.end()])
    return hit


# ---------------------------------------------------------------------------------------------------------
# Dates in metadata
# ---------------------------------------------------------------------------------------------------------

_ISO_VALUE = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?)?"
    r"(?:[T ]\d{1,2}:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(?:Z|[+-]\d\d:?\d\d|UTC|GMT)?)?"
)
_MONTH_YEAR_NUM = re.compile(r"(?P<m>\d{1,2})[./-](?P<y>\d{4})")
_DATEPARSER_MAX = 64
_DATEPARSER_LANGUAGES = ["en", "ru", "fr", "es", "de", "pt", "it", "uk", "ar", "zh"]
_dateparser = None
_PARSERS: dict[bool, object] = {}  # DateDataParser per dayfirst: building one takes milliseconds


def _metadata_hit(y: int, mo: int | None, d: int | None, today: dt.date, surface: str = "") -> DateHit | None:
    if not _valid(y, mo, d, today):
        return None
    precision = "day" if d is not None else "month" if mo is not None else "year"
    return DateHit(y, mo, d, precision, "metadata", surface=surface)


# A number is read as a Unix time only from this many seconds on (3 March 1973): 0, 1, -1 or 86400 in a
# date column are codes or counters, and reading them as seconds would make up a date in 1970.
_MIN_UNIX_SECONDS = 1e8


def _from_number(value: float, today: dt.date) -> DateHit | None:
    if not math.isfinite(value):
        return None
    if value == int(value) and _MIN_YEAR <= value <= today.year:
        return _metadata_hit(int(value), None, None, today)
    if value == int(value) and 19000101 <= value <= 29991231:  # 20240516
        y, md = divmod(int(value), 10000)
        return _metadata_hit(y, md // 100, md % 100, today)
    if abs(value) < _MIN_UNIX_SECONDS:
        return None
    seconds = value
    for scale in (1e3, 1e3, 1e3):  # milliseconds, microseconds, nanoseconds since the epoch
        if abs(seconds) < 1e11:
            break
        seconds /= scale
    try:
        when = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        return None
    return _metadata_hit(when.year, when.month, when.day, today)


@functools.lru_cache(maxsize=4096)  # table columns repeat their values; a call costs ~2 ms
def _from_dateparser(value: str, dayfirst: bool, today: dt.date) -> DateHit | None:
    global _dateparser
    if _dateparser is None:
        try:
            import dateparser.date
        except ImportError:  # pragma: no cover - dateparser is a requirement
            return None
        _dateparser = dateparser.date
    settings = {
        "DATE_ORDER": "DMY" if dayfirst else "MDY",
        "PREFER_DAY_OF_MONTH": "first",
        "REQUIRE_PARTS": ["year"],
        "PARSERS": ["custom-formats", "absolute-time"],
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    try:
        parser = _PARSERS.get(dayfirst)
        if parser is None:
            parser = _PARSERS[dayfirst] = _dateparser.DateDataParser(
                languages=_DATEPARSER_LANGUAGES, settings=settings
            )
        data = parser.get_date_data(value)
    except Exception:  # dateparser raises assorted errors on odd input; a bad value is just no date
        return None
    if data is None or data.date_obj is None:
        return None
    when = data.date_obj
    period = data.period or "day"
    if period not in _PRECISION_RANK:  # "time", "week": the day is known
        period = "day"
    return _metadata_hit(
        when.year,
        when.month if period != "year" else None,
        when.day if period == "day" else None,
        today,
        value,
    )


def _from_string(value: str, dayfirst: bool, today: dt.date) -> DateHit | None:
    s = " ".join(value.split())
    if not s:
        return None
    m = _ISO_VALUE.fullmatch(s)
    if m:
        y = int(m["y"])
        mo = int(m["m"]) if m["m"] else None
        d = int(m["d"]) if m["d"] else None
        return _metadata_hit(y, mo, d, today, value)
    if re.fullmatch(r"[+-]?\d+(?:\.\d+)?", s):
        return _from_number(float(s), today)
    m = _MONTH_YEAR_NUM.fullmatch(s)
    if m:
        return _metadata_hit(int(m["y"]), int(m["m"]), None, today, value)
    for m in _DATE_RE.finditer(s):
        parsed = _from_match(m, dayfirst, today)
        if parsed is not None and parsed[0] is not None:
            y, mo, d, _ = parsed
            return _metadata_hit(y, mo, d, today, value)
    if len(s) <= _DATEPARSER_MAX and re.search(r"\d", s):
        return _from_dateparser(s, dayfirst, today)
    return None


def parse_date_value(value, *, dayfirst: bool = True, today: dt.date | None = None) -> DateHit | None:
    """Read a date from a metadata value (a table cell, a JSON field, an HTML meta tag).

    Arguments:
        value: a string in any common form ("2021-10-03T12:00:00Z", "2024-05", "16.05.2024",
            "05/16/2024", "May 16, 2024", "16 мая 2024"), a Unix time (seconds or milliseconds, from
            10^8 seconds, March 1973, on: 0, 1 or -1 are codes, not times), a year or a compact date
            (20240516) as a number, a ``datetime``/``date``/pandas ``Timestamp`` or ``numpy.datetime64``.
            None, NaN, NaT and empty strings give None.
        dayfirst: read ambiguous numeric dates (03/04/2024) as day/month.
        today: dates after this day are rejected (default: today).

    Returns:
        A `DateHit` with ``method="metadata"`` and the precision the value gave ("2024-05" → month,
        "2024" → year), or None when the value holds no valid date between 1900 and today.
    """
    today = _today(today)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        try:
            return _from_string(value, dayfirst, today)
        except (ValueError, OverflowError):
            return None
    if isinstance(value, dt.datetime):
        if value != value:  # pandas NaT
            return None
        return _metadata_hit(value.year, value.month, value.day, today)
    if isinstance(value, dt.date):
        return _metadata_hit(value.year, value.month, value.day, today)
    if isinstance(value, int | float):
        return _from_number(float(value), today)
    type_name = type(value).__name__
    if type_name == "datetime64" or type_name == "NaTType":
        try:
            import pandas as pd

            ts = pd.Timestamp(value)
        except (ValueError, OverflowError):
            return None
        return None if ts is pd.NaT else _metadata_hit(ts.year, ts.month, ts.day, today)
    if hasattr(value, "__index__") or hasattr(value, "__float__"):  # numpy numbers
        try:
            return _from_number(float(value), today)
        except (TypeError, ValueError, OverflowError):
            return None
    return None


# ---------------------------------------------------------------------------------------------------------
# Dates in paths
# ---------------------------------------------------------------------------------------------------------

_PATH_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # 2024/05/16/…, 2024-05-16_note.txt, 2024_05_16
    (re.compile(r"(?<!\d)(?P<y>\d{4})[/_.-](?P<m>\d{1,2})[/_.-](?P<d>\d{1,2})(?!\d)"), "ymd"),
    # 16.05.2024_note.txt, 16-05-2024
    (re.compile(r"(?<!\d)(?P<a>\d{1,2})[_.-](?P<b>\d{1,2})[_.-](?P<y>\d{4})(?!\d)"), "dmy"),
    # 20240516_note.txt
    (re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])(?!\d)"), "ymd"),
    # 2024/05/…, 2024-05_report
    (re.compile(r"(?<!\d)(?P<y>\d{4})[/_.-](?P<m>\d{1,2})(?![\d])"), "ym"),
    # report_2019.txt, Session 25 - 1970/USA_25_1970.txt
    (re.compile(r"(?<!\d)(?P<y>\d{4})(?!\d)"), "y"),
)


def date_from_path(path: str, *, dayfirst: bool = True, today: dt.date | None = None) -> DateHit | None:
    """Read a date from a file's path: its folders and file name.

    Arguments:
        path: a relative or absolute path ("txt/Session 25 - 1970/USA_25_1970.txt", "2024/05/16/x.txt",
            "2024-05-16_note.txt", "report_2019.txt"); ``\\`` separators are accepted.
        dayfirst: read ambiguous "03-04-2024" as day-month.
        today: dates after this day are rejected (default: today).

    Returns:
        A `DateHit` with ``method="path"`` and ``surface`` the part of the path that gave it: the most
        precise date, and among those the innermost (nearest the file name); None when there is none.
    """
    if not isinstance(path, str) or not path:
        return None
    today = _today(today)
    s = path.replace("\\", "/")
    dot = s.rfind(".")
    if dot > s.rfind("/") and len(s) - dot <= 6:  # drop the extension (".txt", ".json")
        s = s[:dot]
    best: tuple[int, int, DateHit] | None = None
    for pattern, form in _PATH_PATTERNS:
        for m in pattern.finditer(s):
            g = m.groupdict()
            if form == "ymd":
                y, mo, d = int(g["y"]), int(g["m"]), int(g["d"])
            elif form == "dmy":
                a, b, y = int(g["a"]), int(g["b"]), int(g["y"])
                d, mo = (a, b) if dayfirst else (b, a)
                if mo > 12 >= d:
                    d, mo = mo, d
            elif form == "ym":
                y, mo, d = int(g["y"]), int(g["m"]), None
            else:
                y, mo, d = int(g["y"]), None, None
            if not _valid(y, mo, d, today):
                continue
            precision = "day" if d is not None else "month" if mo is not None else "year"
            key = (_PRECISION_RANK[precision], m.end())
            if best is None or key > best[:2]:
                best = (*key, DateHit(y, mo, d, precision, "path", surface=m.group()))
    return best[2] if best else None


# ---------------------------------------------------------------------------------------------------------
# Resolution
# ---------------------------------------------------------------------------------------------------------


# How much each kind of evidence is trusted (see `analysis.records.EVIDENCE`): higher wins.
_STRENGTH = {name: len(EVIDENCE) - i for i, name in enumerate(EVIDENCE)}
# Dates read from the text (or inferred from neighbours) whose year the path contradicts lose to the path.
_PATH_CHECKED = frozenset({"dateline", "title", "header", "inferred"})


def resolve_date(
    *,
    metadata: DateHit | None = None,
    text_hit: DateHit | None = None,
    path_hit: DateHit | None = None,
    candidates: Sequence[DateHit | None] = (),
    body_dates: bool = False,
) -> DateHit | None:
    """Choose a document's date among the dates found for it: one rule, by the strength of the evidence.

    Strength, strongest first: ``publication-line`` (a labelled in-page publication date, which wins
    over metadata that disagrees, since page metadata may hold an update or a related item's date),
    ``metadata``, ``dateline``, ``title``, ``header``, ``inferred``, ``path``, ``body``. A date from the
    text (dateline, title, header, inferred) whose year disagrees with the path's year loses to the path.
    Body dates count only with ``body_dates`` and then come back with ``method="body"``. Dates without a
    year never win. When a weaker date agrees with the winner and is more precise (a header's
    "15 June 2019" under a metadata year 2019), the more precise one is taken.

    Arguments:
        metadata: from `parse_date_value` (a record's metadata date).
        text_hit: from `find_text_date` (or `infer_sequence`).
        path_hit: from `date_from_path`.
        candidates: further dates, such as an HTML page's dated ``<title>`` (``evidence="title"``).
        body_dates: let a body date (``evidence="body"``) date the document when nothing else does.

    Returns:
        The winning `DateHit` (unchanged, except ``method="body"`` for a body date), or None.
    """
    pool = [h for h in (metadata, text_hit, path_hit, *candidates) if h is not None and h.year is not None]
    if not body_dates:
        pool = [h for h in pool if h.evidence != "body"]
    paths = [h for h in pool if h.evidence == "path"]
    if paths:
        year = paths[0].year
        pool = [h for h in pool if h.evidence not in _PATH_CHECKED or h.year == year]
    if not pool:
        return None
    order = {id(h): i for i, h in enumerate(pool)}
    best = max(pool, key=lambda h: (_STRENGTH.get(h.evidence, 0), -order[id(h)]))
    finer = [h for h in pool if _PRECISION_RANK[h.precision] > _PRECISION_RANK[best.precision] and
             h.year == best.year and (best.month is None or h.month == best.month) and h.evidence != "body"]
    if finer:
        best = max(finer, key=lambda h: (_STRENGTH.get(h.evidence, 0), -order[id(h)]))
    if best.evidence == "body":
        return dataclasses.replace(best, method="body")
    return best


_SLACK = dt.timedelta(days=30)


def _complete(hit: DateHit, prev: dt.date | None, nxt: dt.date | None, today: dt.date) -> DateHit | None:
    """Give a year-less hit the year that fits its neighbours (see `infer_sequence`)."""
    month, day = hit.month, hit.day
    if month is None:
        return None
    if prev is not None:
        years = range(prev.year - 1, prev.year + 10)
        year = next((y for y in years if _valid(y, month, day, dt.date.max) and
                     dt.date(y, month, day or 1) >= prev - _SLACK), None)  # fmt: skip
    elif nxt is not None:
        years = range(nxt.year, nxt.year - 10, -1)
        year = next((y for y in years if _valid(y, month, day, dt.date.max) and
                     dt.date(y, month, day or 1) <= nxt), None)  # fmt: skip
    else:
        return None
    if year is None or not _valid(year, month, day, today):
        return None
    precision = "day" if day is not None else "month"
    return DateHit(year, month, day, precision, "inferred", hit.start, hit.end, hit.surface, hit.role)


def _gap(before: DateHit, after: DateHit) -> DateHit | None:
    """The date shared by two neighbours at the finest precision both have, or None."""
    a, b = before, after
    rank = min(_PRECISION_RANK[a.precision], _PRECISION_RANK[b.precision])
    if a.year != b.year:
        return None
    if rank >= 2 and (a.month, a.day) == (b.month, b.day):
        return DateHit(a.year, a.month, a.day, "day", "inferred")
    if rank >= 1 and a.month == b.month:
        return DateHit(a.year, a.month, None, "month", "inferred")
    return DateHit(a.year, None, None, "year", "inferred")


def _drop_backward_outliers(own: list[DateHit | None]) -> list[DateHit | None]:
    """Posts run forward: a full date more than a year before the previous dated post and before the next
    one too is a date the post merely opens or closes with ("… the events of 12 March 2001"), not its own."""
    full = [(i, h.as_date()) for i, h in enumerate(own) if h is not None and h.year is not None]
    full = [(i, date) for i, date in full if date is not None]
    out = list(own)
    prev = None  # the last full date kept: one pass, linear in the posts
    for n, (i, date) in enumerate(full):
        nxt = full[n + 1][1] if n + 1 < len(full) else None
        if prev is not None and (prev - date).days > 366 and (nxt is None or nxt > date):
            out[i] = None
        else:
            prev = date
    return out


def infer_sequence(hits: Sequence[DateHit | None], *, today: dt.date | None = None) -> list[DateHit | None]:
    """Complete the dates of the posts of one dump, in order, from their dated neighbours.

    Posts of a dump run forward in time. (1) A year-less date gets the smallest year that puts it no
    earlier than the previous dated post (30 days of slack: a post may report a slightly earlier
    event); with no previous dated post, the largest year that puts it no later than the next one.
    (2) An undated post between two dated posts gets their common day, else their common month (first
    of the month, ``month`` precision), else their common year; else it stays undated. Posts with a
    dated neighbour on one side only stay undated. Completed dates have ``method="inferred"``.

    Arguments:
        hits: one entry per post, in order: the post's own `DateHit` or None. Body dates
            (``role="body"``) and dates after `today` are treated as None: a post is dated by its header.
        today: no date after this day is produced (default: today).

    Returns:
        A new list of the same length.
    """
    today = _today(today)
    own: list[DateHit | None] = []
    for h in hits:
        if h is not None and not isinstance(h, DateHit):
            raise TypeError(
                f"The 'hits' parameter must hold DateHit or None items; got {type(h).__name__} instead. "
                "Pass the results of find_text_date() for each post."
            )
        keep = h is not None and h.role != "body" and _valid(h.year, h.month, h.day, today)
        own.append(h if keep else None)
    own = _drop_backward_outliers(own)

    # The next post's own full date, for every post, found in one pass from the end (linear, not a scan per
    # post: a dump of 16,000 year-less posts took seconds that way).
    following: list[dt.date | None] = [None] * (len(own) + 1)
    for j in range(len(own) - 1, -1, -1):
        h = own[j]
        following[j] = h.as_date() if h is not None and h.year is not None else following[j + 1]
    out = list(own)
    prev = None  # the previous post's full date, own or completed
    for i, h in enumerate(own):
        if h is not None and h.year is None:
            out[i] = _complete(h, prev, following[i + 1], today)
        if out[i] is not None and out[i].year is not None:
            prev = out[i].as_date()

    dated = [i for i, h in enumerate(out) if h is not None]
    filled = list(out)
    for left, right in zip(dated, dated[1:], strict=False):
        if right - left > 1:
            common = _gap(out[left], out[right])
            for j in range(left + 1, right):
                filled[j] = common
    return filled
