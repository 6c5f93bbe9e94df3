"""Reader for plain text and Markdown files: one record per file, split into posts later."""

from __future__ import annotations

from analysis.records import Record

from .encoding import decode_bytes

__all__ = ["read_text"]


def read_text(data: bytes, source: str, *, details: dict | None = None) -> list[Record]:
    """Read a ``.txt``/``.md`` file as one segmentable record.

    Arguments:
        data: the file's bytes.
        source: ``Record.source`` (path relative to the input).
        details: a dict that receives ``encoding``.

    Returns:
        One ``Record(format="text", segmentable=True)``, or ``[]`` when the file holds only whitespace.
    """
    text, encoding = decode_bytes(data)
    if details is not None:
        details["encoding"] = encoding
    if not text.strip():
        return []
    return [Record(source=source, text=text, format="text", seq=0, segmentable=True)]
