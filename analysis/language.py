"""Language of a text from its script and its commonest words (ISO 639-1 codes)."""

from __future__ import annotations

import functools
import re
from collections import Counter

import numpy as np

__all__ = ["detect_language"]

_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")
_WORD = re.compile(r"[^\W\d_]+")
_ASCII_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# A handful of the commonest function words per language: enough to tell these apart on a paragraph.
_STOPWORDS = {
    "en": {"the", "and", "of", "to", "in", "is", "that", "for", "with", "on", "are", "we", "this", "it", "our"},
    "fr": {"le", "la", "les", "et", "des", "du", "est", "que", "une", "pour", "dans", "nous", "qui", "sur"},
    "es": {"el", "la", "los", "las", "y", "de", "que", "en", "por", "una", "con", "para", "del", "es"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "mit", "sich", "auf", "für", "wir", "ein", "eine"},
    "pt": {"o", "os", "as", "e", "de", "que", "em", "um", "uma", "para", "com", "não", "do", "da"},
    "it": {"il", "lo", "gli", "e", "di", "che", "per", "una", "con", "non", "sono", "del", "della"},
}


# word -> the languages it is a function word of; the same with the words as bytes, for ASCII samples (most
# texts), whose words are split in C.
_LANGS_OF: dict[str, tuple[str, ...]] = {}
for _lang, _words in _STOPWORDS.items():
    for _w in _words:
        _LANGS_OF[_w] = (*_LANGS_OF.get(_w, ()), _lang)
_LANGS_OF_ASCII = {w.encode(): langs for w, langs in _LANGS_OF.items() if w.isascii()}
# Every byte but a-z becomes a space: an ASCII sample's words (letter runs, as _WORD finds them) are then
# ``lowered.translate(_LETTERS_ONLY).split()``.
_LETTERS_ONLY = bytes(b if 97 <= b <= 122 else 32 for b in range(256))


def _script_counts(sample: str) -> tuple[int, int]:
    """(Cyrillic letters, Latin letters) of ``sample``: its characters in U+0400-U+04FF, and in A-Z, a-z
    or U+00C0-U+024F, counted on all code points at once."""
    codes = np.frombuffer(sample.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cyrillic = (codes >= 0x400) & (codes <= 0x4FF)
    folded = codes | 32  # A-Z onto a-z; no other code point lands there
    latin = ((folded >= 97) & (folded <= 122)) | ((codes >= 0xC0) & (codes <= 0x24F))
    return int(cyrillic.sum()), int(latin.sum())


@functools.lru_cache(maxsize=8192)
def _is_letter(code: int) -> bool:
    return _WORD.fullmatch(chr(code)) is not None


def _has_non_ascii_letter(text: str) -> bool:
    """True when a character of ``text`` beyond ASCII is one _WORD counts as a letter (é, ж), not a
    separator (’, —)."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return any(_is_letter(int(c)) for c in np.unique(codes[codes >= 128]))


def _scores(words: list, langs_of: dict) -> dict[str, int]:
    """Function words of each language among ``words``."""
    counts = Counter(words)
    scores = dict.fromkeys(_STOPWORDS, 0)
    for word in counts.keys() & langs_of.keys():
        for lang in langs_of[word]:
            scores[lang] += counts[word]
    return scores


def detect_language(text: str, *, sample_chars: int = 2000) -> str | None:
    """Guess the language of ``text``: ``ru``/``uk`` from Cyrillic script, else by function words.

    Returns None when the text is too short or no language scores clearly.
    """
    sample = text[:sample_chars]
    if sample.isascii():  # the common case, counted in C: no Cyrillic, Latin letters are A-Z and a-z
        n_cyr, n_lat = 0, len(sample) - len(sample.encode("ascii").translate(None, _ASCII_LETTERS))
    else:
        n_cyr, n_lat = _script_counts(sample)
    if n_cyr + n_lat < 10:
        return None
    if n_cyr > n_lat:
        return "uk" if len(_UKRAINIAN.findall(sample)) > 0.01 * n_cyr else "ru"
    lowered = sample.lower()
    if lowered.isascii() or not _has_non_ascii_letter(lowered):
        # Every letter is a-z: the other characters (curly quotes, dashes) only separate words.
        words = lowered.encode("ascii", "replace").translate(_LETTERS_ONLY).split()
        langs_of = _LANGS_OF_ASCII
    else:
        words = _WORD.findall(lowered)
        langs_of = _LANGS_OF
    if not words:
        return None
    scores = _scores(words, langs_of)
    best = max(scores, key=scores.get)
    return best if scores[best] >= max(2, 0.03 * len(words)) else None
