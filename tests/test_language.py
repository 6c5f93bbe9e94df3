"""Tests for analysis.language."""

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
