"""Turning the bytes of an input file into text: BOMs, UTF-8, legacy code pages, binary sniffing."""

from __future__ import annotations

import codecs
import io
import threading
import unicodedata
from collections import deque
from typing import BinaryIO

__all__ = ["TextLines", "decode_bytes", "decoding_notes", "detect_encoding", "looks_binary", "normalise_newlines"]

_SAMPLE = 8192
_SCORE_SAMPLE = 65536

# Signatures of common binary formats that a text sniffer could otherwise let through.
_MAGIC = (
    b"%PDF",
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"\x89PNG",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ\x00",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # OLE2: .doc, .xls, .msg
    b"\x7fELF",
    b"MZ",
    b"OggS",
    b"ID3",
    b"RIFF",
    b"SQLite format 3\x00",
    b"PAR1",
)
_TEXT_CONTROLS = {0x09, 0x0A, 0x0C, 0x0D, 0x1B}
_CONTROL_BYTES = bytes(byte for byte in range(0x20) if byte not in _TEXT_CONTROLS)

# Legacy code pages tried against charset-normalizer's guess: it misreads short Cyrillic texts.
_FALLBACK_CANDIDATES = ("cp1251", "koi8_r", "cp1252")


def normalise_newlines(text: str) -> str:
    """Text with ``\\r\\n`` and lone ``\\r`` turned into ``\\n`` and a leading BOM character removed."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _bom_encoding(data: bytes) -> tuple[str, int] | None:
    # UTF-32 LE's BOM starts with UTF-16 LE's, so it is checked first.
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", len(codecs.BOM_UTF8)
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32", 0
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", 0
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` for BOM-less UTF-16 of an alphabetic script.

    In such text every other byte is the high byte of a code point from one or two blocks (``00`` for
    Latin, ``04`` for Cyrillic), so one parity of bytes takes very few distinct values, some of them
    control bytes, while the other parity varies.
    """
    sample = data[: _SAMPLE - _SAMPLE % 2]
    if len(sample) < 4 or len(data) % 2 or len(sample.translate(None, _CONTROL_BYTES)) == len(sample):
        return None
    for encoding, high, low in (
        ("utf-16-le", sample[1::2], sample[0::2]),
        ("utf-16-be", sample[0::2], sample[1::2]),
    ):
        distinct = set(high)
        if len(distinct) <= 4 and min(distinct) < 0x20 and len(set(low)) > len(distinct):
            try:
                data.decode(encoding)
            except UnicodeDecodeError:
                continue
            return encoding
    return None


def looks_binary(data: bytes) -> bool:
    """Whether ``data`` looks like a binary file rather than text.

    Arguments:
        data: the file's bytes (only the first 8 KiB are looked at).

    Returns:
        True for known binary signatures (PDF, ZIP, images, …), NUL bytes outside UTF-16/32 text, or a
        high proportion of control characters.
    """
    if not data:
        return False
    if _bom_encoding(data) is not None:
        return False
    sample = data[:_SAMPLE]
    if sample.startswith(_MAGIC):
        return True
    if b"\x00" in sample:
        if _utf16_without_bom(data) is not None:
            return False
        # A stray NUL or two in a text file (a bad copy, a padded export) does not make it binary.
        if sample.count(0) > max(2, len(sample) // 1000):
            return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > 0.05 * len(sample)


_CJK_SCRIPTS = {"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "KATAKANA-HIRAGANA"}


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    script = name.split(" ", 1)[0] if name else "?"
    # Japanese mixes kanji and kana inside one "word" (no spaces): treat them as one script.
    return "CJK" if script in _CJK_SCRIPTS else script


def _plausibility(text: str) -> float:
    """Share of non-space characters that sit in well-formed words or are ordinary punctuation/digits.

    A well-formed word uses one script and one of the casings lower / Capitalised / UPPER; a Latin word
    made mostly of accented letters, halfwidth katakana, replacement and control characters count as
    mojibake. Used to choose between code pages that all decode without error.
    """
    text = text[:_SCORE_SAMPLE]
    total = 0
    good = 0
    word: list[str] = []

    def flush() -> int:
        if not word:
            return 0
        scripts = {_script(c) for c in word}
        if len(scripts) != 1:
            return 0
        script = scripts.pop()
        if script == "HALFWIDTH":
            return 0
        if script == "LATIN" and len(word) >= 3 and sum(1 for c in word if ord(c) > 0x7F) * 2 > len(word):
            return 0
        tail = word[1:]
        cased = (
            all(not c.isupper() for c in word)
            or all(not c.islower() for c in word)
            or all(not c.isupper() for c in tail)
        )
        return len(word) if cased else 0

    for char in text:
        if char.isalpha():
            word.append(char)
            total += 1
            continue
        good += flush()
        word = []
        if char.isspace():
            continue
        total += 1
        category = unicodedata.category(char)
        if (char != "\ufffd" and category[0] in "NP") or char in "$%&+<=>@^`|~§°№«»€":
            good += 1
    good += flush()
    return good / total if total else 0.0


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a file's bytes to text, guessing the encoding.

    Order: a byte-order mark (UTF-8, UTF-16, UTF-32), BOM-less UTF-16, strict UTF-8, then the best of
    charset-normalizer's guess and the legacy code pages cp1251, koi8-r and cp1252, scored by how
    plausible the decoded words look. Never raises: cp1252/latin-1 decode any bytes.

    Arguments:
        data: the raw bytes.

    Returns:
        ``(text, encoding)``: the text with newlines normalised to ``\\n`` and without a leading BOM, and
        the encoding's name (``utf-8``, ``utf-8-sig``, ``utf-16``, ``cp1251``, …).
    """
    if not data:
        return "", "utf-8"
    bom = _bom_encoding(data)
    if bom is not None:
        encoding, skip = bom
        codec = "utf-8" if encoding == "utf-8-sig" else encoding
        return normalise_newlines(data[skip:].decode(codec, errors="replace")), encoding
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return normalise_newlines(data.decode(utf16, errors="replace")), utf16
    try:
        return normalise_newlines(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    mostly_utf8 = _mostly_utf8(data)
    if mostly_utf8 is not None:
        return mostly_utf8
    return _guess_legacy(data)


# A file is read as UTF-8 with replacement when its invalid bytes are at most this share of its non-ASCII
# sequences (one bad byte in a long UTF-8 file); above it, lines are decoded part by part when some of them
# are valid UTF-8 with non-ASCII text (a UTF-8 file with cp1251 pasted in), else the legacy code pages win.
_MAX_REPLACED_SHARE = 0.05
_MIN_UTF8_LINE_SHARE = 0.10


def _count_invalid(data: bytes) -> tuple[int, int]:
    """(invalid bytes, valid non-ASCII characters) when ``data`` is read as UTF-8."""
    # "ignore" drops exactly the bytes "surrogateescape" would turn into lone surrogates, and the valid
    # characters it keeps encode back to the same bytes, so both counts come from C-speed calls: no Python
    # loop (nor a list of one string per character) over a file that may hold 200 MB of non-ASCII text.
    valid_text = data.decode("utf-8", errors="ignore")
    invalid = len(data) - len(valid_text.encode("utf-8"))
    return invalid, len(valid_text) - len(valid_text.encode("ascii", errors="ignore"))


def _mostly_utf8(data: bytes) -> tuple[str, str] | None:
    """UTF-8 with replacement, or UTF-8 and a legacy code page line by line, or None (not UTF-8 at all)."""
    invalid, valid = _count_invalid(data)
    if valid == 0:
        return None
    if invalid <= _MAX_REPLACED_SHARE * (valid + invalid):
        return normalise_newlines(data.decode("utf-8", errors="replace")), "utf-8"
    lines = data.split(b"\n")
    utf8_lines, other_lines = [], []
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines.append(line)
        except UnicodeDecodeError:
            other_lines.append(line)
    if len(utf8_lines) < max(1, _MIN_UTF8_LINE_SHARE * (len(utf8_lines) + len(other_lines))):
        return None
    _, legacy = _guess_legacy(b"\n".join(other_lines))
    codec = legacy.replace("-", "_")
    parts = []
    for line in lines:
        try:
            parts.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            parts.append(line.decode(codec, errors="replace"))
    return normalise_newlines("\n".join(parts)), f"utf-8+{legacy}"


def decoding_notes(data: bytes, encoding: str | None) -> dict:
    """Facts for a file's report on how ``decode_bytes`` read it: bytes replaced, lines per encoding.

    Arguments:
        data: the file's bytes.
        encoding: the encoding ``decode_bytes`` returned for them.

    Returns:
        ``{"bytes_replaced": n}`` for UTF-8 read with replacement characters, ``{"lines_by_encoding":
        {"utf-8": n, "cp1251": m}}`` for a file read part by part, ``{"nul_bytes": n}`` for stray NULs;
        else ``{}``.
    """
    notes: dict = {}
    if encoding == "utf-8":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            notes["bytes_replaced"] = _count_invalid(data)[0]
    elif encoding and encoding.startswith("utf-8+"):
        counts = {"utf-8": 0, encoding.split("+", 1)[1]: 0}
        for line in data.split(b"\n"):
            if not line.isascii():
                try:
                    line.decode("utf-8")
                    counts["utf-8"] += 1
                except UnicodeDecodeError:
                    counts[encoding.split("+", 1)[1]] += 1
        notes["lines_by_encoding"] = counts
    if encoding and not encoding.startswith(("utf-16", "utf-32")) and b"\x00" in data:
        notes["nul_bytes"] = data.count(0)
    return notes


def _guess_legacy(data: bytes) -> tuple[str, str]:
    candidates: list[tuple[str, str]] = []
    try:
        import charset_normalizer

        best = charset_normalizer.from_bytes(data[: 4 * _SCORE_SAMPLE]).best()
        if best is not None and best.encoding:
            candidates.append((best.encoding, data.decode(best.encoding, errors="replace")))
    except Exception:  # a guesser failure must not make a file unreadable
        pass
    for encoding in _FALLBACK_CANDIDATES:
        try:
            candidates.append((encoding, data.decode(encoding)))
        except UnicodeDecodeError:
            continue
    if not candidates:
        return normalise_newlines(data.decode("latin-1")), "latin-1"
    scored = [(_plausibility(text), index) for index, (_, text) in enumerate(candidates)]
    top = max(score for score, _ in scored)
    # charset-normalizer's guess (index 0) wins ties: it also knows multi-byte encodings.
    chosen = next(index for score, index in scored if score >= top - 0.02)
    encoding, text = candidates[chosen]
    return normalise_newlines(text), encoding.replace("_", "-")


# ------------------------------------------------------------------------------------- decoding a stream
# A table too big to hold is decoded as it is read: the encoding is chosen on its head (the first HEAD_BYTES,
# cut at a line end), then the rest is decoded incrementally in that encoding.
HEAD_BYTES = 1 << 20
_REPLACED = threading.local()
_COUNTING = "diplomatic-themes-count"


def _count_and_replace(error: UnicodeDecodeError) -> tuple[str, int]:
    _REPLACED.n = getattr(_REPLACED, "n", 0) + (error.end - error.start)
    return "\ufffd", error.end


codecs.register_error(_COUNTING, _count_and_replace)


def detect_encoding(head: bytes, complete: bool) -> str:
    """The encoding ``decode_bytes`` would choose, from a file's first bytes.

    Arguments:
        head: the first bytes of the file (all of it when ``complete``).
        complete: whether ``head`` is the whole file; when not, it is cut at its last line end first so that
            no character is cut in two.

    Returns:
        The encoding's name as ``decode_bytes`` gives it (``utf-8``, ``utf-8-sig``, ``utf-16``, ``cp1251``,
        ``utf-8+cp1251`` …).
    """
    if complete or not head:
        return decode_bytes(head)[1]
    even = head[: len(head) - len(head) % 2]
    bom = _bom_encoding(even)
    if bom is not None:
        return bom[0]
    utf16 = _utf16_without_bom(even)
    if utf16 is not None:
        return utf16
    cut = head.rfind(b"\n")
    return decode_bytes(head[: cut + 1] if cut > 0 else head)[1]


class TextLines:
    """The lines of a binary file decoded incrementally, newlines normalised to ``\\n`` as ``decode_bytes``
    does (``\\r\\n`` and a lone ``\\r`` end a line), a leading BOM dropped; never more than one line (or
    ``limit`` characters of it) decoded at a time.

    Arguments:
        handle: the file, opened in binary mode, at its start.
        encoding: an encoding as ``detect_encoding`` names it; ``utf-8+LEGACY`` decodes each line as UTF-8
            when it is valid UTF-8, else in the legacy code page.
    """

    def __init__(self, handle: BinaryIO, encoding: str) -> None:
        self.encoding = encoding
        self._replaced = 0
        self._nul = 0
        self._mixed: dict[str, int] | None = None
        self._pending: deque[str] = deque()
        if encoding.startswith("utf-8+"):
            self._legacy = encoding.split("+", 1)[1].replace("-", "_")
            self._mixed = {"utf-8": 0, encoding.split("+", 1)[1]: 0}
            self._binary = handle
            self._text = None
        else:
            self._text = io.TextIOWrapper(handle, encoding=encoding, errors=_COUNTING, newline=None)

    def readline(self, limit: int = -1) -> str:
        """The next line with its ``\\n`` (the last may lack it), at most ``limit`` characters of it (the rest
        comes with the next calls); ``""`` at the end of the file."""
        if self._text is not None:
            before = getattr(_REPLACED, "n", 0)
            line = self._text.readline(limit)
            self._replaced += getattr(_REPLACED, "n", 0) - before
        else:
            line = self._mixed_line(limit)
        if "\x00" in line:
            self._nul += line.count("\x00")
        return line

    def _mixed_line(self, limit: int) -> str:
        if not self._pending:
            raw = self._binary.readline(limit if limit > 0 else -1)
            if not raw:
                return ""
            if raw.isascii():
                text = raw.decode("ascii")
            else:
                try:
                    text = raw.decode("utf-8")
                    self._mixed["utf-8"] += 1
                except UnicodeDecodeError:
                    text = raw.decode(self._legacy, errors="replace")
                    self._mixed[next(iter(self._mixed.keys() - {"utf-8"}))] += 1
            text = text.replace("\r\n", "\n")
            if "\r" in text:
                text = text.replace("\r", "\n")
            parts = text.split("\n")
            self._pending.extend(part + "\n" for part in parts[:-1])
            if parts[-1]:
                self._pending.append(parts[-1])
        return self._pending.popleft()

    def notes(self) -> dict:
        """Facts for the file's report, as ``decoding_notes`` gives them for a file decoded whole:
        ``bytes_replaced``, ``lines_by_encoding``, ``nul_bytes`` (only those that apply)."""
        notes: dict = {}
        if self._replaced:
            notes["bytes_replaced"] = self._replaced
        if self._mixed is not None:
            notes["lines_by_encoding"] = dict(self._mixed)
        if self._nul and not self.encoding.startswith(("utf-16", "utf-32")):
            notes["nul_bytes"] = self._nul
        return notes

    def detach(self) -> None:
        """Leave the underlying file open (it belongs to the caller)."""
        if self._text is not None:
            self._text.detach()
