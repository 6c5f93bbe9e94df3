"""Language of a text from its script and its commonest words (ISO 639-1 codes)."""

from __future__ import annotations

import re

__all__ = ["detect_language"]

_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
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


# word -> the languages it is a function word of: one pass over the words scores every language.
_LANGS_OF: dict[str, tuple[str, ...]] = {}
for _lang, _words in _STOPWORDS.items():
    for _w in _words:
        _LANGS_OF[_w] = (*_LANGS_OF.get(_w, ()), _lang)


def detect_language(text: str, *, sample_chars: int = 2000) -> str | None:
    """Guess the language of ``text``: ``ru``/``uk`` from Cyrillic script, else by function words.

    Returns None when the text is too short or no language scores clearly.
    """
    sample = text[:sample_chars]
    if sample.isascii():  # the common case, counted in C: no Cyrillic, Latin letters are A-Z and a-z
        n_cyr, n_lat = 0, len(sample) - len(sample.encode("ascii").translate(None, _ASCII_LETTERS))
    else:
        n_cyr = len(_CYRILLIC.findall(sample))
        n_lat = len(_LATIN.findall(sample))
    if n_cyr + n_lat < 10:
        return None
    if n_cyr > n_lat:
        return "uk" if len(_UKRAINIAN.findall(sample)) > 0.01 * n_cyr else "ru"
    words = _WORD.findall(sample.lower())
    if not words:
        return None
    scores = dict.fromkeys(_STOPWORDS, 0)
    for word in words:
        for lang in _LANGS_OF.get(word, ()):
            scores[lang] += 1
    best = max(scores, key=scores.get)
    return best if scores[best] >= max(2, 0.03 * len(words)) else None
