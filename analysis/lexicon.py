"""Loading and validating the theme and organisation dictionaries (``themes.toml``, ``organisations.toml``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

__all__ = [
    "CATEGORIES",
    "DATA_DIR",
    "Context",
    "Entry",
    "Lexicon",
    "LexiconError",
    "anchor_of",
    "load_lexicon",
    "validate_pattern",
]

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEFAULT_THEMES = DATA_DIR / "themes.toml"
DEFAULT_ORGANISATIONS = DATA_DIR / "organisations.toml"

CATEGORIES = ("security", "economic", "un_system", "regional", "western", "parties_ngos")

# Fields each kind of entry may carry; `required` must be present and non-empty.
_PATTERN_FIELDS = ("en", "ru", "acronyms", "hashtags")
_SCHEMA = {
    "theme": {
        "table": "theme",
        "required": ("key", "label", "description"),
        "optional": ("en", "ru", "acronyms", "exclude", "context", "from", "until"),
    },
    "organisation": {
        "table": "organisation",
        "required": ("key", "label", "category"),
        "optional": ("description", "en", "ru", "acronyms", "hashtags", "exclude", "context", "from", "until"),
    },
}
# Fields of one [[theme.context]] / [[organisation.context]] table.
_CONTEXT_PATTERNS = ("en", "ru", "acronyms")
_CONTEXT_FIELDS = (*_CONTEXT_PATTERNS, "cues", "cues_in_document", "unless", "unless_in_document", "window",
                   "not_after_name")
_MAX_WINDOW = 50
DEFAULT_WINDOW = 8

# A pattern is words of letters/digits (plus . , & ' ’ +) joined by spaces, hyphens or `?` (an optional
# hyphen or space); a word may end with `*` (any ending); a hashtag starts with `#`.
_WORD = r"[\w.,&'’+]+\*?"
_PATTERN_RE = re.compile(rf"#?{_WORD}(?:(?: +|-|\?){_WORD})*")
_MIN_ANCHOR = 2


class LexiconError(ValueError):
    """A theme or organisation file cannot be read or does not follow the schema."""


@dataclass(frozen=True)
class Context:
    """Patterns of an entry that count only in the right context (a ``[[theme.context]]`` table).

    ``en``/``ru``/``acronyms`` match as the entry's own fields do. A match counts only when one of the
    ``cues`` is within ``window`` words of it or one of the ``cues_in_document`` is anywhere in the
    document (when either is given: "General Assembly" marks a UN text), none of the ``unless`` patterns is
    within ``window`` words, none of the ``unless_in_document`` patterns is anywhere in the document
    (a text that names Russia's "Security Council Secretary" speaks of that council), and, with
    ``not_after_name``, it does not directly follow another capitalised word ("Collective Security
    Council", "Energy Charter"). Cues and ``unless`` patterns
    match case-insensitively, except that one starting with an acronym in capitals needs the capitals.
    """

    en: tuple[str, ...] = ()
    ru: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    cues_in_document: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    unless_in_document: tuple[str, ...] = ()
    window: int = DEFAULT_WINDOW
    not_after_name: bool = False


@dataclass(frozen=True)
class Entry:
    """One theme or organisation with the patterns that find it.

    ``en``, ``ru`` and ``hashtags`` are matched case-insensitively (except that a name starting with an
    acronym, "UN Charter", needs that acronym in capitals); ``acronyms`` case-sensitively. ``exclude``
    patterns (case-insensitive) veto any match of this entry that overlaps them; ``contexts`` hold
    patterns that count only in a given context. ``date_from``/``date_until`` (inclusive) bound the
    documents in which the entry is looked for ("G8" from 1997): a document dated outside them has no
    mention of it; an undated document is searched. ``line`` is the entry's line in its file, for error
    messages.
    """

    kind: str
    key: str
    label: str
    description: str = ""
    category: str | None = None
    en: tuple[str, ...] = ()
    ru: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    contexts: tuple[Context, ...] = ()
    date_from: dt.date | None = None
    date_until: dt.date | None = None
    line: int | None = None

    @property
    def patterns(self) -> tuple[str, ...]:
        """All patterns that find this entry (not the exclusions nor the cues), context patterns included."""
        out = self.en + self.ru + self.acronyms + self.hashtags
        for c in self.contexts:
            out += c.en + c.ru + c.acronyms
        return out


@dataclass(frozen=True)
class Lexicon:
    """The themes and organisations to look for, as loaded from the two TOML files."""

    themes: tuple[Entry, ...]
    organisations: tuple[Entry, ...]

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self.themes + self.organisations

    def entities(self) -> pd.DataFrame:
        """One row per theme and organisation: ``kind``, ``key``, ``label``, ``category``, ``description``."""
        rows = [
            {
                "kind": e.kind,
                "key": e.key,
                "label": e.label,
                "category": e.category,
                "description": e.description,
            }
            for e in self.entries
        ]
        return pd.DataFrame(rows, columns=["kind", "key", "label", "category", "description"])

    def fingerprint(self) -> str:
        """A sha256 hex digest of what decides the lexicon's mentions: each entry's kind, key, patterns,
        contexts and dates, not its label, description or category, nor file names or line numbers (a
        relabelled dictionary finds the same mentions: a build made with it can be updated with the other)."""
        content = []
        for e in self.entries:
            d = asdict(e)
            for shown in ("line", "label", "description", "category"):
                d.pop(shown)
            content.append(d)
        blob = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()


def load_lexicon(
    themes_path: str | Path | None = None, organisations_path: str | Path | None = None
) -> Lexicon:
    """Load and validate the theme and organisation dictionaries.

    Arguments:
        themes_path: a themes TOML file; the bundled ``data/themes.toml`` when None.
        organisations_path: an organisations TOML file; the bundled ``data/organisations.toml`` when None.

    Returns:
        A ``Lexicon``.

    Raises:
        LexiconError: a file is missing, is not valid TOML, or does not follow the schema; the message
        names the file, the entry and its line.
    """
    themes = _load_file(Path(themes_path) if themes_path else DEFAULT_THEMES, "theme")
    organisations = _load_file(
        Path(organisations_path) if organisations_path else DEFAULT_ORGANISATIONS, "organisation"
    )
    return Lexicon(themes=themes, organisations=organisations)


def validate_pattern(pattern: object) -> str | None:
    """Why ``pattern`` is not a valid pattern, or None when it is."""
    if not isinstance(pattern, str):
        return f"a pattern must be a string; got {pattern!r}"
    if not pattern.strip():
        return "a pattern must not be empty"
    if pattern != pattern.strip():
        return f"pattern {pattern!r} has leading or trailing spaces"
    if not _PATTERN_RE.fullmatch(pattern):
        return (
            f"pattern {pattern!r} is not valid: use words joined by spaces, '-' or '?', a '*' only at the "
            "end of a word and '#' only at the start"
        )
    if len(anchor_of(pattern)) < _MIN_ANCHOR:
        return f"pattern {pattern!r} must start with at least {_MIN_ANCHOR} literal characters"
    return None


def anchor_of(pattern: str) -> str:
    """The literal text a pattern's matches always start with: up to the first space, `?`, `*` or
    apostrophe (a hyphen is kept: matching folds the Unicode hyphens U+2010/U+2011 to '-')."""
    return re.split(r"[ ?*'’]", pattern, maxsplit=1)[0]


def _load_file(path: Path, kind: str) -> tuple[Entry, ...]:
    what = "themes" if kind == "theme" else "organisations"
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LexiconError(
            f"The {what} file '{path}' does not exist. Pass the path of an existing TOML file."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LexiconError(f"The {what} file '{path}' cannot be read as UTF-8 text: {exc}.") from None
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(
            f"The {what} file '{path}' is not valid TOML: {exc}. Fix the syntax at that line."
        ) from None
    return _parse(data, raw, path, kind)


def _parse(data: dict, raw: str, path: Path, kind: str) -> tuple[Entry, ...]:
    schema = _SCHEMA[kind]
    table = schema["table"]
    unknown_top = sorted(set(data) - {table})
    if unknown_top:
        raise LexiconError(
            f"The file '{path}' must hold only [[{table}]] tables; got top-level {unknown_top} instead."
        )
    items = data.get(table)
    if not isinstance(items, list) or not items:
        raise LexiconError(f"The file '{path}' has no [[{table}]] entries; add at least one.")
    header_lines = [
        i + 1 for i, ln in enumerate(raw.splitlines()) if re.match(rf"\s*\[\[\s*{table}\s*\]\]", ln)
    ]
    allowed = set(schema["required"]) | set(schema["optional"])
    seen: dict[str, int | None] = {}
    entries = []
    for n, item in enumerate(items):
        line = header_lines[n] if n < len(header_lines) else None
        key = item.get("key") if isinstance(item, dict) else None
        if isinstance(key, str) and key.strip():
            line = _key_line(raw, key) or line
        where = f"{table} #{n + 1}" + (f" (key {key!r})" if isinstance(key, str) else "")
        where += f" at line {line}" if line else ""
        prefix = f"In '{path}', {where}: "
        if not isinstance(item, dict):
            raise LexiconError(prefix + f"expected a table; got {type(item).__name__}.")
        unknown = sorted(set(item) - allowed)
        if unknown:
            raise LexiconError(
                prefix + f"unknown field(s) {unknown}; the allowed fields are {sorted(allowed)}."
            )
        for field in schema["required"]:
            value = item.get(field)
            if not isinstance(value, str) or not value.strip():
                raise LexiconError(
                    prefix + f"the field '{field}' is missing or empty; it must be a non-empty string."
                )
        if key in seen:
            raise LexiconError(
                prefix + f"duplicate key {key!r} (first defined at line {seen[key]}); keys must be unique."
            )
        seen[key] = line
        if kind == "organisation" and item["category"] not in CATEGORIES:
            raise LexiconError(
                prefix
                + f"the 'category' must be one of {list(CATEGORIES)}; got {item['category']!r} instead."
            )
        description = item.get("description", "")
        if not isinstance(description, str):
            raise LexiconError(prefix + "the field 'description' must be a string.")
        lists = {}
        for field in (*_PATTERN_FIELDS, "exclude"):
            if field not in allowed:
                continue
            value = item.get(field, [])
            if not isinstance(value, list):
                raise LexiconError(prefix + f"the field '{field}' must be a list of strings; got {value!r}.")
            for p in value:
                problem = validate_pattern(p)
                if problem:
                    raise LexiconError(prefix + f"in '{field}', {problem}.")
            if field == "hashtags" and any(not p.startswith("#") for p in value):
                raise LexiconError(prefix + "every hashtag must start with '#'.")
            lists[field] = tuple(value)
        contexts = _parse_contexts(item.get("context", []), prefix)
        if not any(lists.get(f) for f in _PATTERN_FIELDS) and not contexts:
            raise LexiconError(
                prefix
                + f"no patterns: give at least one pattern in {[f for f in _PATTERN_FIELDS if f in allowed]}"
                " or in a [[" + table + ".context]] table."
            )
        date_from = _parse_date(item.get("from"), "from", prefix, end=False)
        date_until = _parse_date(item.get("until"), "until", prefix, end=True)
        if date_from and date_until and date_from > date_until:
            raise LexiconError(
                prefix + f"'from' ({date_from}) is after 'until' ({date_until}); swap them or drop one."
            )
        entries.append(
            Entry(
                kind=kind,
                key=key,
                label=item["label"],
                description=description,
                category=item.get("category"),
                line=line,
                contexts=contexts,
                date_from=date_from,
                date_until=date_until,
                **lists,
            )
        )
    return tuple(entries)


def _parse_contexts(value: object, prefix: str) -> tuple[Context, ...]:
    if not isinstance(value, list) or any(not isinstance(c, dict) for c in value):
        raise LexiconError(
            prefix + "'context' must be a list of tables: write each as [[theme.context]] (or "
            "[[organisation.context]]) after its entry."
        )
    out = []
    for n, table in enumerate(value):
        where = prefix + f"in context table #{n + 1}, "
        unknown = sorted(set(table) - set(_CONTEXT_FIELDS))
        if unknown:
            raise LexiconError(
                where + f"unknown field(s) {unknown}; the allowed fields are {sorted(_CONTEXT_FIELDS)}."
            )
        lists = {}
        for field in (*_CONTEXT_PATTERNS, "cues", "cues_in_document", "unless", "unless_in_document"):
            patterns = table.get(field, [])
            if not isinstance(patterns, list):
                raise LexiconError(where + f"the field '{field}' must be a list of strings; got {patterns!r}.")
            for p in patterns:
                problem = validate_pattern(p)
                if problem:
                    raise LexiconError(where + f"in '{field}', {problem}.")
            lists[field] = tuple(patterns)
        if not any(lists[f] for f in _CONTEXT_PATTERNS):
            raise LexiconError(where + f"no patterns: give at least one pattern in {list(_CONTEXT_PATTERNS)}.")
        window = table.get("window", DEFAULT_WINDOW)
        if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= _MAX_WINDOW:
            raise LexiconError(
                where + f"'window' must be a whole number of words from 1 to {_MAX_WINDOW}; got {window!r}."
            )
        not_after_name = table.get("not_after_name", False)
        if not isinstance(not_after_name, bool):
            raise LexiconError(where + f"'not_after_name' must be true or false; got {not_after_name!r}.")
        conditions = ("cues", "cues_in_document", "unless", "unless_in_document")
        if not (any(lists[f] for f in conditions) or not_after_name):
            raise LexiconError(
                where + "it sets no condition: give 'cues', 'cues_in_document', 'unless', 'unless_in_document' or "
                "'not_after_name = true' (or move "
                "its patterns to the entry's own fields)."
            )
        out.append(Context(window=window, not_after_name=not_after_name, **lists))
    return tuple(out)


def _parse_date(value: object, field: str, prefix: str, *, end: bool) -> dt.date | None:
    """A year (1997), a TOML date (1997-06-20) or such a string; a year is its first day (or, for
    'until', its last)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return dt.date(value, 12, 31) if end else dt.date(value, 1, 1)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise LexiconError(
        prefix + f"'{field}' must be a year (1997) or a date (1997-06-20); got {value!r} instead."
    )


def _key_line(raw: str, key: str) -> int | None:
    m = re.search(rf"""^[ \t]*key[ \t]*=[ \t]*(["']){re.escape(key)}\1""", raw, flags=re.MULTILINE)
    return raw.count("\n", 0, m.start()) + 1 if m else None
