"""Finding theme and organisation mentions in documents with the lexicon's patterns."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import ahocorasick
import pandas as pd

from analysis.lexicon import Lexicon, anchor_of

__all__ = ["MENTION_COLUMNS", "find_mentions", "mentions_summary"]

MENTION_COLUMNS = ["doc_id", "kind", "key", "surface", "start", "end"]

_HYPHENS = "\u2010\u2011"  # folded to "-" before the anchor search; patterns' "-" matches all three
_HYPHEN_CLASS = r"[\-\u2010\u2011]"
_FOLD_HYPHENS = str.maketrans({c: "-" for c in _HYPHENS})
_KIND_ORDER = {"theme": 0, "organisation": 1}
_ACRONYM = re.compile(r"[A-ZА-ЯЁ][A-ZА-ЯЁ\d.]+")


@dataclass(frozen=True)
class _Group:
    """Patterns of one kind that start with the same literal text, tried as one regex at a candidate
    position. Each alternative is a named group ``e<entry index>``; longer patterns come first, so the
    first alternative that matches is (nearly always) the longest match there."""

    regex: re.Pattern
    kind: str
    exclude: bool


class _Matcher:
    """All patterns of a lexicon: two Aho-Corasick automata over the patterns' literal starts (one on
    case-folded text, one on the text as it is) find candidate positions, then the regex of the patterns
    sharing that start confirms a match there. One scan of each text, whatever the number of patterns."""

    def __init__(self, lexicon: Lexicon):
        self.entries = lexicon.entries
        grouped: dict[tuple, list[tuple[str, int]]] = {}
        for i, entry in enumerate(self.entries):
            specs = [(p, False, False) for p in entry.en + entry.ru + entry.hashtags]
            specs += [(p, True, False) for p in entry.acronyms]
            # "#SCO" is found for every one-word acronym "SCO".
            specs += [("#" + p, True, False) for p in entry.acronyms if re.fullmatch(r"\w+", p)]
            specs += [(p, False, True) for p in entry.exclude]
            for pattern, case_sensitive, exclude in specs:
                anchor = anchor_of(pattern).translate(_FOLD_HYPHENS)
                # A full name that starts with an acronym ("UN Charter") needs that acronym in capitals:
                # a lower-case "un" hides in every "country" and would be checked there.
                scan_exact = case_sensitive or _ACRONYM.fullmatch(anchor) is not None
                if not scan_exact:
                    anchor = _fold_case(anchor)
                key = (scan_exact, anchor, case_sensitive, entry.kind, exclude)
                grouped.setdefault(key, []).append((pattern, i))
        self.groups: list[_Group] = []
        anchors: dict[bool, dict[str, list[int]]] = {False: {}, True: {}}
        for (scan_exact, anchor, case_sensitive, kind, exclude), members in grouped.items():
            members = sorted(set(members), key=lambda m: (-len(m[0].replace("*", "").replace("?", "")), m))
            alternatives = "|".join(f"(?P<e{i}_{n}>{_regex(p)})" for n, (p, i) in enumerate(members))
            regex = re.compile(alternatives, 0 if case_sensitive else re.IGNORECASE)
            anchors[scan_exact].setdefault(anchor, []).append(len(self.groups))
            self.groups.append(_Group(regex, kind, exclude))
        self.automata = {}
        for scan_exact, table in anchors.items():
            if not table:
                continue
            automaton = ahocorasick.Automaton()
            for anchor, gids in table.items():
                automaton.add_word(anchor, (len(anchor), _is_word(anchor[0]), tuple(gids)))
            automaton.make_automaton()
            self.automata[scan_exact] = automaton

    def candidates(self, text: str) -> list[tuple[int, int, int, int]]:
        """(start, end, entry index, group index) of the longest match of each group at each position."""
        out = []
        groups = self.groups
        folded_hyphens = text.translate(_FOLD_HYPHENS) if any(h in text for h in _HYPHENS) else text
        for scan_exact, automaton in self.automata.items():
            haystack = folded_hyphens if scan_exact else _fold_case(folded_hyphens)
            for end, (length, wordy, gids) in automaton.iter(haystack):
                start = end - length + 1
                if wordy and start and _is_word(text[start - 1]):
                    continue
                for gid in gids:
                    m = groups[gid].regex.match(text, start)
                    if m:
                        entry = int(m.lastgroup[1:].partition("_")[0])
                        out.append((start, m.end(), entry, gid))
        return out

    def mentions(self, text: str) -> list[tuple[str, str, int, int]]:
        """(kind, key, start, end) of the kept mentions in ``text``, by start."""
        found = self.candidates(text)
        if not found:
            return []
        vetoes: dict[int, list[tuple[int, int]]] = {}
        for start, end, entry, gid in found:
            if self.groups[gid].exclude:
                vetoes.setdefault(entry, []).append((start, end))
        by_kind: dict[str, list[tuple[int, int, int]]] = {}
        for start, end, entry, gid in found:
            group = self.groups[gid]
            if group.exclude:
                continue
            if vetoes and any(s < end and start < e for s, e in vetoes.get(entry, ())):
                continue
            by_kind.setdefault(group.kind, []).append((start, end, entry))
        kept = []
        for kind, spans in by_kind.items():
            # Leftmost first, then longest: "UN Security Council" is UNSC, not also UN.
            spans.sort(key=lambda s: (s[0], -s[1]))
            last_end = -1
            for start, end, entry in spans:
                if start >= last_end:
                    kept.append((kind, self.entries[entry].key, start, end))
                    last_end = end
        kept.sort(key=lambda m: (m[2], _KIND_ORDER.get(m[0], 9), m[3]))
        return kept


def find_mentions(documents: pd.DataFrame, lexicon: Lexicon) -> pd.DataFrame:
    """Find every theme and organisation mention in the documents.

    Theme patterns and organisations' full names match case-insensitively as whole words; acronyms
    match case-sensitively as whole words (``"UN"`` never inside ``"UNESCO"``, never ``"un"``). Matches
    of a theme that overlap one of its ``exclude`` patterns are dropped. Within one kind, overlapping
    matches are resolved leftmost first, then longest ("UN General Assembly" is UNGA only); a theme
    and an organisation may overlap.

    Arguments:
        documents: a DataFrame with columns ``doc_id`` and ``text`` (missing text counts as empty).
        lexicon: the themes and organisations, from ``load_lexicon``.

    Returns:
        A DataFrame with columns ``doc_id``, ``kind`` (``theme``/``organisation``), ``key``,
        ``surface``, ``start``, ``end`` (int64, ``text[start:end] == surface``), sorted by the documents'
        order, then ``start``.
    """
    if not isinstance(documents, pd.DataFrame):
        raise TypeError(
            f"The 'documents' parameter must be a pandas DataFrame; got {type(documents).__name__} instead."
        )
    missing = [c for c in ("doc_id", "text") if c not in documents.columns]
    if missing:
        raise ValueError(
            f"The 'documents' table must have the columns ['doc_id', 'text']; it lacks {missing} "
            f"(got columns {list(documents.columns)})."
        )
    if not isinstance(lexicon, Lexicon):
        raise TypeError(
            f"The 'lexicon' parameter must be a Lexicon from load_lexicon(); got {type(lexicon).__name__} instead."
        )
    matcher = _matcher(lexicon)
    rows: dict[str, list] = {c: [] for c in MENTION_COLUMNS}
    for doc_id, text in zip(documents["doc_id"].tolist(), documents["text"].tolist(), strict=True):
        if not isinstance(text, str) or not text:
            continue
        for kind, key, start, end in matcher.mentions(text):
            rows["doc_id"].append(doc_id)
            rows["kind"].append(kind)
            rows["key"].append(key)
            rows["surface"].append(text[start:end])
            rows["start"].append(start)
            rows["end"].append(end)
    out = pd.DataFrame(
        {
            "doc_id": pd.Series(rows["doc_id"], dtype=documents["doc_id"].dtype),
            "kind": pd.Series(rows["kind"], dtype="str"),
            "key": pd.Series(rows["key"], dtype="str"),
            "surface": pd.Series(rows["surface"], dtype="str"),
            "start": pd.Series(rows["start"], dtype="int64"),
            "end": pd.Series(rows["end"], dtype="int64"),
        }
    )
    return out[MENTION_COLUMNS]


def mentions_summary(mentions: pd.DataFrame) -> pd.DataFrame:
    """Count mentions and documents per theme or organisation.

    Arguments:
        mentions: a table from ``find_mentions``.

    Returns:
        A DataFrame with columns ``kind``, ``key``, ``mentions`` (int), ``documents`` (int: documents
        with at least one mention), sorted by ``mentions`` descending, then ``kind`` and ``key``.
    """
    if mentions.empty:
        return pd.DataFrame(
            {
                "kind": pd.Series(dtype="str"),
                "key": pd.Series(dtype="str"),
                "mentions": pd.Series(dtype="int64"),
                "documents": pd.Series(dtype="int64"),
            }
        )
    grouped = mentions.groupby(["kind", "key"], sort=True)
    out = pd.DataFrame(
        {"mentions": grouped.size().astype("int64"), "documents": grouped["doc_id"].nunique().astype("int64")}
    ).reset_index()
    return out.sort_values(["mentions", "kind", "key"], ascending=[False, True, True], ignore_index=True)


@functools.lru_cache(maxsize=8)
def _matcher(lexicon: Lexicon) -> _Matcher:
    return _Matcher(lexicon)


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _fold_case(text: str) -> str:
    """Lower-case ``text`` without changing its length (so offsets hold), with ё read as е."""
    low = text.lower()
    if len(low) != len(text):
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return low.replace("ё", "е")


def _regex(pattern: str) -> str:
    """The regex source of one pattern (whole words; compile it with re.IGNORECASE for case-insensitive
    patterns: a capital Е/Ё in the pattern then matches either case too)."""
    parts = []
    if _is_word(pattern[0]):
        parts.append(r"(?<!\w)")
    for char in pattern:
        if char == " ":
            if parts[-1] != r"\s+":
                parts.append(r"\s+")
        elif char == "-":
            parts.append(_HYPHEN_CLASS)
        elif char == "?":
            parts.append(rf"(?:{_HYPHEN_CLASS}|\s+)?")
        elif char == "*":
            parts.append(r"\w*")
        elif char in "'’":
            parts.append("['’]")
        elif char in "еёЕЁ":
            # ё is often written е.
            parts.append("[ЕЁ]" if char.isupper() else "[её]")
        else:
            parts.append(re.escape(char))
    if _is_word(pattern[-1]) or pattern[-1] == "*":
        parts.append(r"(?!\w)")
    return "".join(parts)
