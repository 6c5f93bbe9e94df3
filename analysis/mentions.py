"""Finding theme and organisation mentions in documents with the lexicon's patterns."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

import ahocorasick
import pandas as pd

from analysis.lexicon import Context, Lexicon, anchor_of

__all__ = ["MENTION_COLUMNS", "find_mentions", "mentions_summary"]

MENTION_COLUMNS = ["doc_id", "kind", "key", "surface", "start", "end"]

_HYPHENS = "\u2010\u2011"  # folded to "-" before the anchor search; patterns' "-" matches all three
_HYPHEN_CLASS = r"[\-\u2010\u2011]"
_FOLD_HYPHENS = str.maketrans({c: "-" for c in _HYPHENS})
_KIND_ORDER = {"theme": 0, "organisation": 1}
_ACRONYM = re.compile(r"[A-ZА-ЯЁ][A-ZА-ЯЁ\d.]+")
_WORD_RE = re.compile(r"\w+")
_MAX_WORD_CHARS = 30  # a context window of N words reaches at most N * this many characters
# A spelled-out number continues across a hyphen: "Group of Twenty-One" is not the "Group of Twenty".
_NUMBER_WORDS_TEXT = (
    "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty sixty "
    "seventy eighty ninety"
)
_NUMBER_WORDS = frozenset(_NUMBER_WORDS_TEXT.split())
_NUMBER_GOES_ON = re.compile(rf"{_HYPHEN_CLASS}[^\W_]")
# Capitalised words that start sentences or clauses rather than name a body: "The Security Council",
# "Our Charter" are not "another capitalised word" for not_after_name.
_FUNCTION_WORDS_TEXT = (
    "a an and as at because before both but by during each every for from further had has have how "
    "however if in indeed its it last let many may moreover my next no not now of on once only or our "
    "since so such that the their then there these this those through thus to today under unless until we "
    "what when where whether which while who whole why with within without yet are is was were do does did will "
    "would can could should must shall despite although though after all any some organization's organisation's "
    "organization’s organisation’s"
)
_FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())
_PREVIOUS_WORD = re.compile(r"([^\W\d_][\w'’.\-]*)[ \t\u00a0]+$")
_DEFINITION_STOPS = frozenset(
    "of for and the on in at to by de la du des et по и в на для".split()  # noqa: SIM905
)
_BRACKETED = re.compile(r"\(\s*([A-ZА-ЯЁ][A-ZА-ЯЁ\d.]+)\s*\)")
_ROLE_MATCH, _ROLE_EXCLUDE, _ROLE_CONTEXT, _ROLE_CUE, _ROLE_UNLESS, _ROLE_DOCUMENT, _ROLE_DOCUMENT_CUE = range(7)
_SKIPPED_ROLES = (_ROLE_EXCLUDE, _ROLE_CUE, _ROLE_UNLESS, _ROLE_DOCUMENT, _ROLE_DOCUMENT_CUE)


@dataclass(frozen=True)
class _Group:
    """Patterns of one kind that start with the same literal text, tried as one regex at a candidate
    position. Each alternative is a named group ``e<entry index>``; longer patterns come first, so the
    first alternative that matches is (nearly always) the longest match there."""

    regex: re.Pattern
    kind: str
    role: int
    context: int  # index into _Matcher.contexts for context, cue and unless groups; -1 otherwise
    acronym: bool  # the patterns come from an `acronyms` list (case-sensitive)


class _Matcher:
    """All patterns of a lexicon: an Aho-Corasick automaton over the patterns' literal starts, on the
    case-folded text (a case-sensitive start confirmed on the text as it is), finds candidate positions,
    then the regex of the patterns sharing that start confirms a match there. One scan of each text,
    whatever the number of patterns."""

    def __init__(self, lexicon: Lexicon):
        self.entries = lexicon.entries
        self.contexts: list[Context] = []
        self.dated = any(e.date_from or e.date_until for e in self.entries)
        # Content words of each entry's full names: an acronym defined in brackets after other words is
        # another body's.
        self.name_words = [
            {w.lower() for p in e.en + e.ru for w in re.findall(r"[^\W\d_]+", p) if len(w) > 3}
            for e in self.entries
        ]
        grouped: dict[tuple, list[tuple[str, int]]] = {}
        for i, entry in enumerate(self.entries):
            specs = [(p, False, _ROLE_MATCH, -1) for p in entry.en + entry.ru + entry.hashtags]
            specs += [(p, True, _ROLE_MATCH, -1) for p in entry.acronyms]
            # "#SCO" is found for every one-word acronym "SCO".
            specs += [("#" + p, True, _ROLE_MATCH, -1) for p in entry.acronyms if re.fullmatch(r"\w+", p)]
            specs += [(p, False, _ROLE_EXCLUDE, -1) for p in entry.exclude]
            for context in entry.contexts:
                c = len(self.contexts)
                self.contexts.append(context)
                specs += [(p, False, _ROLE_CONTEXT, c) for p in context.en + context.ru]
                specs += [(p, True, _ROLE_CONTEXT, c) for p in context.acronyms]
                specs += [(p, False, _ROLE_CUE, c) for p in context.cues]
                specs += [(p, False, _ROLE_UNLESS, c) for p in context.unless]
                specs += [(p, False, _ROLE_DOCUMENT, c) for p in context.unless_in_document]
                specs += [(p, False, _ROLE_DOCUMENT_CUE, c) for p in context.cues_in_document]
            for pattern, case_sensitive, role, context_id in specs:
                anchor = anchor_of(pattern).translate(_FOLD_HYPHENS)
                # A full name that starts with an acronym ("UN Charter") needs that acronym in capitals:
                # a lower-case "un" hides in every "country" and would be checked there.
                scan_exact = case_sensitive or _ACRONYM.fullmatch(anchor) is not None
                if not scan_exact:
                    anchor = _fold_case(anchor)
                key = (scan_exact, anchor, case_sensitive, entry.kind, role, context_id)
                grouped.setdefault(key, []).append((pattern, i))
        self.groups: list[_Group] = []
        # Cues are looked for only around the context matches of a text (phase 1), not in all of it.
        anchors: dict[tuple[int, bool], dict[str, list[int]]] = {}
        for (scan_exact, anchor, case_sensitive, kind, role, context_id), members in grouped.items():
            members = sorted(set(members), key=lambda m: (-len(m[0].replace("*", "").replace("?", "")), m))
            alternatives = "|".join(f"(?P<e{i}_{n}>{_regex(p)})" for n, (p, i) in enumerate(members))
            regex = re.compile(alternatives, 0 if case_sensitive else re.IGNORECASE)
            # Phase 1: the cues of one context, looked for only around that context's matches.
            phase = context_id + 1 if role in (_ROLE_CUE, _ROLE_UNLESS) else 0
            anchors.setdefault((phase, scan_exact), {}).setdefault(anchor, []).append(len(self.groups))
            self.groups.append(_Group(regex, kind, role, context_id, case_sensitive))
        # One automaton per phase, over the case-folded text: a case-sensitive anchor is found there by its
        # folded form and confirmed on the text as it is (one scan of each text, not one per case).
        # Its values: (length, anchor starts a word, groups of the folded anchor, ((exact anchor, its
        # groups), ...)).
        merged: dict[int, dict[str, tuple[list[int], list[tuple[str, tuple[int, ...]]]]]] = {}
        for (phase, scan_exact), table in sorted(anchors.items()):
            for anchor, gids in table.items():
                folded_gids, exact = merged.setdefault(phase, {}).setdefault(_fold_case(anchor), ([], []))
                if scan_exact:
                    exact.append((anchor, tuple(gids)))
                else:
                    folded_gids.extend(gids)
        self.automata: dict[int, ahocorasick.Automaton] = {}
        for phase, table in merged.items():
            automaton = ahocorasick.Automaton()
            for anchor, (folded_gids, exact) in table.items():
                automaton.add_word(anchor, (len(anchor), _is_word(anchor[0]), tuple(folded_gids), tuple(exact)))
            automaton.make_automaton()
            self.automata[phase] = automaton

    def candidates(
        self, text: str, phase: int = 0, spans: list[tuple[int, int]] | None = None, folded: dict | None = None
    ) -> list[tuple[int, int, int, int]]:
        """(start, end, entry index, group index) of the longest match of each group at each position:
        of the patterns (phase 0) or of the cues of context ``phase - 1``, in all of ``text`` or within ``spans``.
        ``folded`` caches the text with hyphens folded (key True) and also case-folded (key False)."""
        exact_out: list[tuple[int, int, int, int]] = []  # the case-sensitive anchors' matches first, as
        folded_out: list[tuple[int, int, int, int]] = []  # when each case had its own scan
        folded = {} if folded is None else folded
        automaton = self.automata.get(phase)
        if automaton is None:
            return []
        if True not in folded:
            folded[True] = text.translate(_FOLD_HYPHENS) if any(h in text for h in _HYPHENS) else text
        if False not in folded:
            folded[False] = _fold_case(folded[True])
        as_is, haystack = folded[True], folded[False]
        hits = (
            automaton.iter(haystack)
            if spans is None
            else (hit for lo, hi in spans for hit in automaton.iter(haystack, lo, hi))
        )
        for end, (length, wordy, folded_gids, exact) in hits:
            start = end - length + 1
            if wordy and start and _is_word(text[start - 1]):  # inside a word
                continue
            if exact:
                gids = [g for anchor, gs in exact if as_is.startswith(anchor, start) for g in gs]
                if gids:
                    self._confirm(text, start, gids, exact_out)
            if folded_gids:
                self._confirm(text, start, folded_gids, folded_out)
        return exact_out + folded_out

    def _confirm(self, text: str, start: int, gids, out: list) -> None:
        """Append (start, end, entry, group) of each group whose regex matches ``text`` at ``start``."""
        groups = self.groups
        for gid in gids:
            m = groups[gid].regex.match(text, start)
            if m and not _number_goes_on(text, m.end()):
                out.append((start, m.end(), int(m.lastgroup[1:].partition("_")[0]), gid))

    def mentions(self, text: str, date: dt.date | None = None) -> list[tuple[str, str, int, int]]:
        """(kind, key, start, end) of the kept mentions in ``text`` (of a document dated ``date``, or
        undated), by start."""
        folded: dict[bool, str] = {}
        found = self.candidates(text, folded=folded)
        if not found:
            return []
        groups, entries = self.groups, self.entries
        if date is not None and self.dated:
            found = [f for f in found if _in_range(entries[f[2]], date)]
        vetoes: dict[int, list[tuple[int, int]]] = {}
        vetoed_contexts, cued_contexts = set(), set()
        for start, end, entry, gid in found:
            if groups[gid].role == _ROLE_EXCLUDE:
                vetoes.setdefault(entry, []).append((start, end))
            elif groups[gid].role == _ROLE_DOCUMENT:
                vetoed_contexts.add(groups[gid].context)
            elif groups[gid].role == _ROLE_DOCUMENT_CUE:
                cued_contexts.add(groups[gid].context)
        contexts = self.contexts
        cues: dict[tuple[int, int], list[tuple[int, int]]] = {}
        around: dict[int, list[tuple[int, int, int]]] = {}
        for s, e, _, g in found:
            if groups[g].role == _ROLE_CONTEXT and self._needs_cues(groups[g].context, cued_contexts):
                c = groups[g].context
                around.setdefault(c, []).append((s, e, contexts[c].window))
        for c, spans in around.items():
            if c + 1 in self.automata:
                for start, end, _, gid in self.candidates(text, c + 1, _windows(text, spans), folded):
                    cues.setdefault((c, groups[gid].role), []).append((start, end))
        definitions: dict[str, bool] = {}
        brackets: dict[str, list[int]] | None = None
        by_kind: dict[str, list[tuple[int, int, int]]] = {}
        for start, end, entry, gid in found:
            group = groups[gid]
            if group.role in _SKIPPED_ROLES:
                continue
            if vetoes and any(s < end and start < e for s, e in vetoes.get(entry, ())):
                continue
            if group.role == _ROLE_CONTEXT:
                context = self.contexts[group.context]
                if group.context in vetoed_contexts:
                    continue
                if context.not_after_name and _after_name(text, start):
                    continue
                if context.cues or context.cues_in_document or context.unless:
                    near = functools.partial(_near, text, start, end, context.window)
                    if (
                        (context.cues or context.cues_in_document)
                        and group.context not in cued_contexts
                        and not any(map(near, cues.get((group.context, _ROLE_CUE), ())))
                    ):
                        continue
                    if any(map(near, cues.get((group.context, _ROLE_UNLESS), ()))):
                        continue
            if group.acronym and text[start - 1 : start] != "#" and _ACRONYM.fullmatch(text[start:end]):
                surface = text[start:end]
                if surface not in definitions:
                    if brackets is None:
                        brackets = {}
                        if "(" in text:
                            for b in _BRACKETED.finditer(text):
                                brackets.setdefault(b.group(1), []).append(b.start())
                    definitions[surface] = bool(brackets) and self._defined_as_another(
                        text, surface, entry, found, brackets
                    )
                if definitions[surface]:
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

    def _needs_cues(self, context: int, cued_contexts: set[int]) -> bool:
        """Whether a match of this context needs the cues near it looked for."""
        c = self.contexts[context]
        return bool(c.unless) or (bool(c.cues) and context not in cued_contexts)

    def _defined_as_another(
        self, text: str, acronym: str, entry: int, found: list, brackets: dict[str, list[int]]
    ) -> bool:
        """Whether ``text`` defines ``acronym`` in brackets as the name of another body: "Space for
        Climate Observatory (SCO)", where the words before the bracket have the acronym's initials, are
        not one of this entry's names and share no content word with them."""
        letters = acronym.replace(".", "")
        for bracket in brackets.get(acronym, ()):
            before = text[max(0, bracket - 200) : bracket].rstrip()
            name_end = bracket - (min(bracket, 200) - len(before))
            if any(e == name_end and i == entry for _, e, i, _ in found):
                continue  # "Shanghai Cooperation Organisation (SCO)": this entry's own name
            words = re.findall(r"[^\W\d_][\w'’\-]*", before)[-(len(letters) * 2 + 2) :]
            content = [w for w in words if w.lower() not in _DEFINITION_STOPS]
            tail = content[-len(letters) :]
            initials = "".join(w[0] for w in tail)
            if (
                len(tail) == len(letters)
                and initials.upper() == letters.upper()
                and not {w.lower() for w in tail} & self.name_words[entry]
            ):
                return True
        return False


def find_mentions(documents: pd.DataFrame, lexicon: Lexicon) -> pd.DataFrame:
    """Find every theme and organisation mention in the documents.

    Theme patterns and organisations' full names match case-insensitively as whole words; acronyms
    match case-sensitively as whole words (``"UN"`` never inside ``"UNESCO"``, never ``"un"``). A
    spelled-out number goes on across a hyphen ("Group of Twenty-One" is not "Group of Twenty").
    Matches of an entry that overlap one of its ``exclude`` patterns are dropped; matches of its
    context patterns are kept only in their context (cues within N words, no ``unless`` pattern, not
    directly after another capitalised word); an acronym that the document defines in brackets as
    another body's name ("Space for Climate Observatory (SCO)") is dropped in that document; an entry
    with a date range is not looked for in documents dated outside it. Within one kind, overlapping
    matches are resolved leftmost first, then longest ("UN General Assembly" is UNGA only); a theme
    and an organisation may overlap.

    Arguments:
        documents: a DataFrame with columns ``doc_id`` and ``text`` (missing text counts as empty), and
            optionally ``date`` (date, datetime or ISO string; null for undated) for date ranges.
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
    if "date" in documents.columns and matcher.dated:
        dates = [_as_date(d) for d in documents["date"].tolist()]
    else:
        dates = [None] * len(documents)
    texts = documents["text"].tolist()
    for doc_id, text, date in zip(documents["doc_id"].tolist(), texts, dates, strict=True):
        if not isinstance(text, str) or not text:
            continue
        for kind, key, start, end in matcher.mentions(text, date):
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


def _in_range(entry, date: dt.date) -> bool:
    return not (entry.date_from and date < entry.date_from) and not (entry.date_until and date > entry.date_until)


def _as_date(value) -> dt.date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _number_goes_on(text: str, end: int) -> bool:
    """Whether the match ending at ``end`` ends in a spelled-out number that a hyphen continues."""
    if not _NUMBER_GOES_ON.match(text, end):
        return False
    word = re.search(r"[^\W\d_]+$", text[max(0, end - 12) : end])
    return word is not None and word.group().lower() in _NUMBER_WORDS


def _after_name(text: str, start: int) -> bool:
    """Whether the match at ``start`` directly follows another capitalised word (only spaces between):
    "Collective Security Council", "Energy Charter"; not "The Security Council"."""
    m = _PREVIOUS_WORD.search(text, max(0, start - 40), start)
    if not m:
        return False
    word = m.group(1)
    if word.endswith(".") and len(word) > 2 and not word[:-1].isupper():
        return False  # "... Court of Justice. Security Council resolution 385": a sentence ended
    word = word.rstrip(".")
    return word[:1].isupper() and word.lower() not in _FUNCTION_WORDS


def _windows(text: str, matches: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """The merged character spans reaching ``window`` words (plus one) either side of each match, in
    which its cues may lie (a cue starting inside a span is found whole)."""
    spans = []
    for start, end, window in matches:
        reach = (window + 1) * _MAX_WORD_CHARS
        before = [m.start() for m in _WORD_RE.finditer(text, max(0, start - reach), start)]
        lo = before[-(window + 1)] if len(before) > window else max(0, start - reach)
        after = _WORD_RE.finditer(text, end, min(len(text), end + reach))
        hi = end
        for n, m in enumerate(after):
            hi = m.end()
            if n >= window:
                break
        spans.append((lo, hi))
    spans.sort()
    merged = [list(spans[0])]
    for lo, hi in spans[1:]:
        if lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def _near(text: str, start: int, end: int, window: int, span: tuple[int, int]) -> bool:
    """Whether ``span`` is within ``window`` words of the match ``start:end`` (words between them)."""
    s, e = span
    if s >= end:
        gap = text[end:s]
    elif e <= start:
        gap = text[e:start]
    else:
        return True
    if len(gap) <= window * 2:
        return True
    if len(gap) > (window + 1) * _MAX_WORD_CHARS:
        return False
    return len(_WORD_RE.findall(gap)) <= window


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
