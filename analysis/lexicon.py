"""Loading and validating the theme and organisation dictionaries (``themes.toml``, ``organisations.toml``)."""

from __future__ import annotations

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
        "optional": ("en", "ru", "acronyms", "exclude"),
    },
    "organisation": {
        "table": "organisation",
        "required": ("key", "label", "category"),
        "optional": ("description", "en", "ru", "acronyms", "hashtags", "exclude"),
    },
}

# A pattern is words of letters/digits (plus . , & ' ’ +) joined by spaces, hyphens or `?` (an optional
# hyphen or space); a word may end with `*` (any ending); a hashtag starts with `#`.
_WORD = r"[\w.,&'’+]+\*?"
_PATTERN_RE = re.compile(rf"#?{_WORD}(?:(?: +|-|\?){_WORD})*")
_MIN_ANCHOR = 2


class LexiconError(ValueError):
    """A theme or organisation file cannot be read or does not follow the schema."""


@dataclass(frozen=True)
class Entry:
    """One theme or organisation with the patterns that find it.

    ``en``, ``ru`` and ``hashtags`` are matched case-insensitively (except that a name starting with an
    acronym, "UN Charter", needs that acronym in capitals); ``acronyms`` case-sensitively. ``exclude``
    patterns (case-insensitive) veto any match of this entry that overlaps them. ``line`` is the
    entry's line in its file, for error messages.
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
    line: int | None = None

    @property
    def patterns(self) -> tuple[str, ...]:
        """All patterns that find this entry (not the exclusions)."""
        return self.en + self.ru + self.acronyms + self.hashtags


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
        """A sha256 hex digest of the lexicon's content (not of file names or line numbers)."""
        content = []
        for e in self.entries:
            d = asdict(e)
            d.pop("line")
            content.append(d)
        blob = json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")
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
        if not any(lists.get(f) for f in _PATTERN_FIELDS):
            raise LexiconError(
                prefix
                + f"no patterns: give at least one pattern in {[f for f in _PATTERN_FIELDS if f in allowed]}."
            )
        entries.append(
            Entry(
                kind=kind,
                key=key,
                label=item["label"],
                description=description,
                category=item.get("category"),
                line=line,
                **lists,
            )
        )
    return tuple(entries)


def _key_line(raw: str, key: str) -> int | None:
    m = re.search(rf"""^[ \t]*key[ \t]*=[ \t]*(["']){re.escape(key)}\1""", raw, flags=re.MULTILINE)
    return raw.count("\n", 0, m.start()) + 1 if m else None
