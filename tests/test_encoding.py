"""Tests for analysis.formats.encoding: BOMs, UTF-8, legacy code pages and binary sniffing."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.formats.encoding import decode_bytes, looks_binary, normalise_newlines

RUSSIAN = (
    "Министр иностранных дел России Сергей Лавров провёл переговоры с коллегой из Китая. "
    "Стороны обсудили сотрудничество в рамках ШОС и БРИКС."
)
RUSSIAN_SHORT = "Москва, 17 марта. Встреча прошла в конструктивной атмосфере."
FRENCH = "Déclaration de la République française sur la coopération, été 1999."


@pytest.mark.parametrize(
    ("data", "expected_text", "expected_encoding"),
    [
        (b"plain ascii", "plain ascii", "utf-8"),
        ("naïve café".encode(), "naïve café", "utf-8"),
        (codecs.BOM_UTF8 + "Привет".encode(), "Привет", "utf-8-sig"),
        ("Привет, мир".encode("utf-16"), "Привет, мир", "utf-16"),
        (codecs.BOM_UTF16_BE + "Hello".encode("utf-16-be"), "Hello", "utf-16"),
        ("Hello world".encode("utf-32"), "Hello world", "utf-32"),
        ("Hello world, no BOM".encode("utf-16-le"), "Hello world, no BOM", "utf-16-le"),
        ("Привет, мир без BOM".encode("utf-16-be"), "Привет, мир без BOM", "utf-16-be"),
        (RUSSIAN.encode("cp1251"), RUSSIAN, "cp1251"),
        (RUSSIAN_SHORT.encode("cp1251"), RUSSIAN_SHORT, "cp1251"),
        ("Привет, мир! Как дела?".encode("cp1251"), "Привет, мир! Как дела?", "cp1251"),
        (RUSSIAN_SHORT.encode("koi8-r"), RUSSIAN_SHORT, "koi8-r"),
        (b"a\r\nb\rc\n", "a\nb\nc\n", "utf-8"),
        (b"", "", "utf-8"),
    ],
)
def test_decode_bytes(data, expected_text, expected_encoding):
    text, encoding = decode_bytes(data)
    assert text == expected_text
    assert encoding == expected_encoding


def test_decode_bytes_latin_text_is_not_read_as_cyrillic():
    text, encoding = decode_bytes(FRENCH.encode("cp1252"))
    assert text == FRENCH
    assert encoding not in ("cp1251", "koi8-r")


def test_decode_bytes_strips_bom_character_and_normalises_newlines():
    text, encoding = decode_bytes(codecs.BOM_UTF8 + b"line one\r\nline two")
    assert (text, encoding) == ("line one\nline two", "utf-8-sig")
    assert normalise_newlines("\ufeffa\r\nb") == "a\nb"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", False),
        (b"Just some text.\n\tIndented.\n", False),
        ("Привет".encode("utf-16"), False),
        ("Hello there".encode("utf-16-le"), False),
        (RUSSIAN.encode("cp1251"), False),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", True),
        (b"PK\x03\x04\x14\x00\x00\x00", True),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", True),
        (b"text with a NUL\x00 in the middle of it, once", False),  # one stray NUL: still text
        (b"many\x00NULs\x00are\x00binary\x00", True),
        (bytes(range(1, 9)) * 50, True),
    ],
)
def test_looks_binary(data, expected):
    assert looks_binary(data) is expected


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_decode_bytes_never_raises(data):
    text, encoding = decode_bytes(data)
    assert isinstance(text, str)
    assert isinstance(encoding, str) and encoding
    assert "\r" not in text
    assert not text.startswith("\ufeff")
    assert isinstance(looks_binary(data), bool)


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")) | st.sampled_from("\n\t"), max_size=500))
def test_utf8_round_trip(text):
    decoded, _ = decode_bytes(text.encode("utf-8"))
    assert decoded == normalise_newlines(text)


@settings(max_examples=500)
@given(st.binary(max_size=300) | st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_invalid_utf8_is_counted_as_a_byte_by_byte_reading_counts_it(data):
    from analysis.formats.encoding import _count_invalid

    # The count a file's report gives (bytes_replaced) and the valid non-ASCII characters beside it, as
    # reading every character of the surrogateescape'd text would count them (without holding a list of them).
    text = data.decode("utf-8", errors="surrogateescape")
    invalid = sum(1 for char in text if "\udc80" <= char <= "\udcff")
    assert _count_invalid(data) == (invalid, sum(1 for char in text if ord(char) > 0x7F) - invalid)
