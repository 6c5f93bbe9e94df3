"""Records -> the documents table: split dumps into posts, date every post, give stable ids, mark duplicates."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
from collections.abc import Iterable

import pandas as pd
import pyarrow as pa

from .dates import date_from_path, find_body_date, find_text_date, infer_sequence, resolve_date
from .formats import publisher_name
from .language import detect_language
from .records import DateHit, Record
from .segment import Post, forwarded_from, header_channel, heading_channel, split_posts_detailed

__all__ = ["DOCUMENT_COLUMNS", "OPTIONAL_TEXT_COLUMNS", "build_documents", "concat_columns", "document_rows",
           "duplicates_of", "first_copies", "none_for_missing", "row_columns"]

DOCUMENT_COLUMNS = [
    "doc_id", "source", "seq", "title", "date", "date_precision", "date_method", "language", "text",
    "n_words", "duplicate_of", "cluster_id", "url", "format", "date_surface", "date_evidence", "date_hint",
    "date_hint_surface", "publisher", "publisher_method", "forwarded_by",
]

# Text columns that may be missing in a row: None there (not NaN or pandas' NA), in memory and when read back.
OPTIONAL_TEXT_COLUMNS = ("title", "date_precision", "date_method", "language", "duplicate_of", "url",
                         "date_surface", "date_evidence", "date_hint", "date_hint_surface", "publisher",
                         "publisher_method", "forwarded_by")

_TITLE_MAX = 200
_TITLE_WORD = re.compile(r"[^\W\d_]{2,}")
# Emoji, flags, bullets and other symbols that open many channel posts, but not a hashtag's "#".
_LEADING_SYMBOLS = re.compile(r"^[^\w#\"'«“(\[]+")


def none_for_missing(frame: pd.DataFrame, columns=OPTIONAL_TEXT_COLUMNS) -> pd.DataFrame:
    """``frame`` with the missing values of ``columns`` (those it has) as None in object columns; in place."""
    for col in columns:
        if col in frame:
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def _doc_id(source: str, seq: int, text: str) -> str:
    digest = hashlib.sha256(f"{source}\x00{seq}\x00{text}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:16]


def _text_key(text: str, words: list[str] | None = None) -> str:
    """Texts that differ only in case and runs of whitespace share this key (for ``duplicate_of``);
    ``words`` is ``text.split()`` when the caller has it already."""
    words = text.split() if words is None else words
    return hashlib.sha1(" ".join(words).casefold().encode("utf-8", "surrogatepass")).hexdigest()


_QUICK_WORDS = 40


def _quick_key(words: list[str]) -> str:
    """A key that texts sharing a :func:`_text_key` share too (their number of words and their first and
    last words, case-folded), made without going over the whole text: most texts have one of their own,
    and only those that share one are compared by :func:`_text_key` (see :func:`first_copies`)."""
    ends = " ".join(words[:_QUICK_WORDS]) + "\x00" + " ".join(words[-_QUICK_WORDS:])
    return f"{len(words)}:" + hashlib.sha1(ends.casefold().encode("utf-8", "surrogatepass")).hexdigest()


def first_copies(doc_ids: pd.Series, texts: pd.Series, quick_keys: pd.Series | None = None) -> pd.Series:
    """For each row, the ``doc_id`` of the first row whose text is the same ignoring case and runs of
    whitespace (its own for a first or only copy), in the rows' order and index. ``quick_keys``: the rows'
    :func:`_quick_key`, when the document rows carry them (``text_key``); else they are made here."""
    if quick_keys is None:
        quick_keys = texts.map(lambda t: _quick_key(t.split() if isinstance(t, str) else []))
    keys = quick_keys.astype(object).to_numpy(copy=True)
    shared = pd.Series(keys).duplicated(keep=False).to_numpy()
    if shared.any():  # the same ends and length: told apart by their whole texts
        keys[shared] = ["=" + _text_key(t if isinstance(t, str) else "") for t in texts.to_numpy()[shared]]
    return doc_ids.groupby(keys, sort=False).transform("first")


def _title(text: str, date_surface: str | None = None) -> str | None:
    """The first line that reads like a headline: three words or more besides the date that dates the
    document, so that a bare date line ("17 March 201712:11", "Москва, 8 мая 2025 года 10:10"), a hashtag
    or a menu item ("All news") is passed over; leading emoji and bullets dropped."""
    fallback = None
    for line in text.splitlines():
        line = _LEADING_SYMBOLS.sub("", " ".join(line.split()))  # runs of whitespace as one space
        if not line:
            continue
        fallback = fallback or line
        words = line.replace(date_surface, " ") if date_surface else line
        if len(list(itertools.islice(_TITLE_WORD.finditer(words), 3))) == 3:
            return _shorten(line)
    return _shorten(fallback) if fallback else None


def _shorten(line: str) -> str:
    return line if len(line) <= _TITLE_MAX else line[: _TITLE_MAX - 1].rstrip() + "…"


# A news agency's dateline names it: "MOSCOW, October 26. /TASS/.", "МОСКВА, 12 мая. /ТАСС/.",
# "МОСКВА, 12 мая - РИА Новости." (a photo credit, "Artyom Korotayev/TASS", is not one).
# Each with the names one of which its matches hold (a cheap test before the regex).
_DATELINE_AGENCIES = (
    (re.compile(r"(?m)^[^\n]{0,80}?\S\s*+/(?:TASS|ТАСС)/"), "TASS", ("/TASS/", "/ТАСС/")),
    (re.compile(r"(?m)^[^\n]{0,80}?\S\s*+[-–—]\s*+(?:RIA Novosti|РИА Новости)\b"), "RIA Novosti",
     ("RIA Novosti", "РИА Новости")),
)
_DATELINE_SCAN = 3000
# Publishers found by a reader outside the text outrank one the text names; a folder or a file name do not.
_WEAK_METHODS = (None, "folder", "file")


def _text_publisher(text: str) -> str | None:
    """The publisher a text names unambiguously: the channel heading a scraped channel page, else the one
    news agency whose dateline opens it; None when it names none, or more than one."""
    channel = publisher_name(heading_channel(text))
    if channel:
        return channel
    head = text[:_DATELINE_SCAN]
    found = {name for pattern, name, needles in _DATELINE_AGENCIES
             if any(n in head for n in needles) and pattern.search(head)}
    return found.pop() if len(found) == 1 else None


def _publishers(record: Record, detailed: list[Post]) -> list[tuple[str | None, str | None, str | None]]:
    """(publisher, publisher_method, forwarded_by) of each post of a record.

    The user's override stands; else a post "Forwarded from X" in a dump is X's (``forwarded``), forwarded
    by the dump's own publisher; else the record's reader's publisher, or when that is only a folder or a
    file name, the one the text names (``text``): the channel a copied post's header names, the channel
    heading the page, a dateline's agency."""
    publisher, method = record.publisher, record.publisher_method
    weak = method in _WEAK_METHODS and record.format == "text"
    if weak:
        named = _text_publisher(record.text)
        if named:
            publisher, method = named, "text"
    if publisher is None:
        publisher, method = record.source.rsplit("/", 1)[-1] or record.source, "file"
    out = []
    for post in detailed:
        forwarded = publisher_name(forwarded_from(post.header)) if method != "override" else None
        named = publisher_name(header_channel(post.header)) if weak else None
        if forwarded:
            out.append((forwarded, "forwarded", publisher))
        elif named:
            out.append((named, "text", record.forwarded_by))
        else:
            out.append((publisher, method, record.forwarded_by))
    return out


def _post_date(post: Post, dayfirst: bool, today: dt.date | None) -> DateHit | None:
    # A post header such as "Channel, [12.05.24 14:33]" dates the post better than anything in its text.
    # (Offsets of a header date point into the header line, which is not part of the post's text.)
    if post.header:
        hit = find_text_date(post.header, dayfirst=dayfirst, today=today, body=False)
        if hit is not None and hit.year is not None:
            return hit
    # In a dump, a date merely mentioned in a post's body says nothing about when the post was written.
    return find_text_date(post.text, dayfirst=dayfirst, today=today, body=False)


def document_rows(record: Record, *, dayfirst: bool = True, today: dt.date | None = None,
                  body_dates: bool = False) -> list[dict]:
    """One record -> rows of the documents table (several when the record is a dump of posts).

    Every row has the columns of DOCUMENT_COLUMNS except ``duplicate_of`` and ``cluster_id``, which need
    the whole corpus. A document left undated keeps the first full date its text mentions as a hint
    (``date_hint``, ISO ``YYYY-MM-DD``, and ``date_hint_surface``); with ``body_dates`` that date dates it
    instead, with ``date_method="body"``. ``publisher``, ``publisher_method`` and ``forwarded_by`` come from
    the record, refined per post (see ``_publishers``).
    """
    if record.posts is not None:  # split by the reader, within the file's time budget
        detailed = record.posts
    elif record.segmentable:
        detailed = split_posts_detailed(record.text)
    else:
        detailed = [Post(record.text.strip(), None)]
    detailed = [p for p in detailed if p.text.strip()]
    posts = [p.text for p in detailed]
    path_hit = date_from_path(record.extra.get("path", record.source))
    if len(posts) > 1:
        text_hits = infer_sequence([_post_date(p, dayfirst, today) for p in detailed], today=today)
    else:
        text_hits = [find_text_date(p, dayfirst=dayfirst, today=today) for p in posts]
    candidates = record.date_candidates if len(posts) == 1 else ()
    publishers = _publishers(record, detailed)
    rows = []
    for i, (post, text_hit, (publisher, method, forwarded_by)) in enumerate(
        zip(posts, text_hits, publishers, strict=True)
    ):
        seq = record.seq + i if not (record.segmentable or record.posts is not None) else i
        hit = resolve_date(metadata=record.date, text_hit=text_hit, path_hit=path_hit, candidates=candidates)
        # A date merely mentioned in the text is kept as a hint; it dates the document only when asked.
        hint = find_body_date(post, dayfirst=dayfirst, today=today) if hit is None else None
        if hint is not None and body_dates:
            hit, hint = resolve_date(text_hit=hint, body_dates=True), None
        date = hit.as_date() if hit is not None else None
        words = post.split()
        rows.append(
            {
                "doc_id": _doc_id(record.source, seq, post),
                "source": record.source,
                "seq": seq,
                "title": record.title if record.title and len(posts) == 1 else _title(post, hit and hit.surface),
                "date": date,
                "date_precision": hit.precision if date else None,
                "date_method": hit.method if date else None,
                "language": detect_language(post),
                "text": post,
                "n_words": len(words),
                "url": record.url,
                "format": record.format,
                "date_surface": (hit.surface or None) if date else None,
                "date_evidence": hit.evidence if date else None,
                "date_hint": hint.as_date().isoformat() if hint is not None else None,
                "date_hint_surface": hint.surface if hint is not None else None,
                "publisher": publisher,
                "publisher_method": method,
                "forwarded_by": forwarded_by,
                "text_key": _quick_key(words),  # see first_copies
            }
        )
    return rows


_ROW_COLUMNS = [c for c in DOCUMENT_COLUMNS if c not in ("duplicate_of", "cluster_id")] + ["text_key"]


# Columns that always hold a string: a worker sends them as Arrow arrays (one buffer each, no Python object
# per value to pickle, unpickle and keep), and the table keeps them that way (pandas' "str" columns).
_ARROW_COLUMNS = ("doc_id", "source", "text", "format", "text_key")
_STR = pd.Series(["x"]).dtype  # the dtype pandas gives a column of strings
_STR_IS_ARROW = isinstance(_STR, pd.StringDtype) and _STR.storage == "pyarrow"


def row_columns(rows: Iterable[dict], *, arrow: bool = False) -> dict[str, list]:
    """Rows from :func:`document_rows` as columns (column -> values in row order), the form
    :func:`build_documents` takes without the per-row dictionaries (much less memory for a big corpus).
    With ``arrow``, the string columns of _ARROW_COLUMNS are ``pyarrow`` arrays instead of lists."""
    rows = list(rows)
    columns = {c: [row[c] for row in rows] for c in (rows[0] if rows else _ROW_COLUMNS)}
    if arrow:
        for c in _ARROW_COLUMNS:
            if c in columns and all(type(v) is str for v in columns[c]):
                columns[c] = pa.array(columns[c], type=pa.large_string())
    return columns


def concat_columns(parts: list[dict]) -> dict:
    """Chunks of columns (from :func:`row_columns`) -> one set of columns: Arrow chunks of a column as one
    pandas string array without copying them, anything else as one list."""
    out = {}
    for c in parts[0] if parts else _ROW_COLUMNS:
        chunks = [part[c] for part in parts]
        if chunks and all(isinstance(v, pa.Array) for v in chunks) and _STR_IS_ARROW:
            out[c] = pd.array(pa.chunked_array(chunks, type=pa.large_string()), dtype=_STR)
        else:
            out[c] = [v for chunk in chunks for v in (chunk.to_pylist() if isinstance(chunk, pa.Array) else chunk)]
    return out


def build_documents(rows: Iterable[dict] | dict[str, list]) -> pd.DataFrame:
    """Rows from :func:`document_rows` (or those rows as columns, :func:`row_columns`) -> the documents
    table, with ``duplicate_of`` and ``cluster_id``.

    ``duplicate_of`` is the ``doc_id`` of the first earlier document whose text is the same (ignoring case
    and runs of whitespace); ``cluster_id`` starts at -1 (the topic model fills it).
    """
    columns = rows if isinstance(rows, dict) else row_columns(rows)
    docs = pd.DataFrame({c: columns[c] for c in _ROW_COLUMNS})
    if docs.empty:
        docs = pd.DataFrame({c: pd.Series(dtype=object) for c in _ROW_COLUMNS})
    docs["date"] = pd.to_datetime(docs["date"])
    docs["seq"] = docs["seq"].astype("int64")
    docs["n_words"] = docs["n_words"].astype("int64")
    first = first_copies(docs["doc_id"], docs["text"], docs["text_key"])
    docs["duplicate_of"] = first.where(first != docs["doc_id"])
    docs["cluster_id"] = -1
    return none_for_missing(docs[DOCUMENT_COLUMNS].reset_index(drop=True))


def duplicates_of(documents: pd.DataFrame) -> pd.Series:
    """The ``duplicate_of`` column of a documents table in its row order, as :func:`build_documents` finds
    it (for a table put together from parts, such as an updated build): the ``doc_id`` of the first earlier
    row whose text is the same, ignoring case and runs of whitespace, else None."""
    first = first_copies(documents["doc_id"], documents["text"])
    out = first.where(first != documents["doc_id"])
    return out.astype(object).where(out.notna(), None)
