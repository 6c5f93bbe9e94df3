"""Tests for analysis.language."""

import hypothesis
import hypothesis.strategies as st
import pytest

from analysis.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Foreign Minister said that the talks with the delegation were constructive and useful.", "en"),
        ("Министр иностранных дел заявил, что переговоры с делегацией были конструктивными.", "ru"),
        ("Міністр закордонних справ заявив, що переговори були конструктивними і корисними.", "uk"),
        ("Le ministre a déclaré que les négociations avec la délégation sont utiles pour nous et pour la paix.", "fr"),
        ("El ministro dijo que las negociaciones con la delegación son útiles para la paz y el desarrollo.", "es"),
        ("Der Minister sagte, dass die Gespräche mit der Delegation für uns und für den Frieden wichtig sind.", "de"),
        ("", None),
        ("12345 !!! ...", None),
        ("SCO BRICS", None),
    ],
)
def test_detect_language(text, expected):
    assert detect_language(text) == expected


def test_mixed_text_follows_the_majority_script():
    text = "Лавров: " + "Россия и Китай работают вместе в рамках ШОС и БРИКС. " * 3 + "#SCO #BRICS"
    assert detect_language(text) == "ru"


def _reference(text: str, sample_chars: int = 2000):
    """detect_language as first written, one regular-expression match at a time: the fast version must agree."""
    import re

    from analysis.language import _STOPWORDS

    sample = text[:sample_chars]
    n_cyr = len(re.findall(r"[\u0400-\u04FF]", sample))
    n_lat = len(re.findall(r"[A-Za-z\u00C0-\u024F]", sample))
    if n_cyr + n_lat < 10:
        return None
    if n_cyr > n_lat:
        return "uk" if len(re.findall(r"[іїєґІЇЄҐ]", sample)) > 0.01 * n_cyr else "ru"
    words = re.findall(r"[^\W\d_]+", sample.lower())
    if not words:
        return None
    scores = dict.fromkeys(_STOPWORDS, 0)
    for word in words:
        for lang, stopwords in _STOPWORDS.items():
            scores[lang] += word in stopwords
    best = max(scores, key=scores.get)
    return best if scores[best] >= max(2, 0.03 * len(words)) else None


_WORDS = ["the", "and", "of", "le", "la", "et", "der", "und", "não", "für", "della", "Ça", "crêpes", "KELVIN",
          "\u212a", "İstanbul", "ǅ", "Ⅻ", "ⓐ", "’", "—", "«", "»", "x²", "naïve", "и", "ї", "SCO", "2024", "_"]


@hypothesis.given(st.lists(st.one_of(st.sampled_from(_WORDS), st.text(max_size=8)), max_size=80),
                  st.sampled_from([" ", "\n", ", ", "’ ", " — "]))
@hypothesis.settings(max_examples=300, deadline=None)
def test_detect_language_agrees_with_the_plain_regex_version(words, sep):
    text = sep.join(words)
    assert detect_language(text) == _reference(text)


@pytest.mark.parametrize("text", [
    "The talks “were useful” — and the delegation’s view is that the SCO is on track for 2025 and beyond.",
    "Le ministre a déclaré que les négociations sont utiles pour nous et pour la paix, et que le dialogue est clé.",
    "The \u212aelvin sign and the dotless ı in the text of this speech, in a sample that is English.",
    "Surrogate \udcff bytes and the text of the speech in English, with the words of the language here.",
])
def test_detect_language_on_mixed_scripts_and_separators(text):
    assert detect_language(text) == _reference(text)
