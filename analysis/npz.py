"""The plain-array files of a build (``topic_model.npz``, ``term_counts.npz``): read with ``allow_pickle=False``
after checking their declared size, with text stored as one UTF-8 string of lines (no object arrays), since a
build folder can come from anyone and nothing in it is ever unpickled."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["lines_array", "read_arrays", "split_lines"]


def read_arrays(path: Path, *, what: str, error: type[Exception], max_bytes: int) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` at ``path``, by name.

    Raises:
        error: the file is not a zip archive, declares more than ``max_bytes`` uncompressed, or its arrays
            cannot be read without pickle; the message names the file and ``what`` it should be.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile, ValueError) as problem:
        raise error(f"'{path}' is not a readable {what} file ({problem}).") from None
    if declared > max_bytes:
        raise error(f"'{path}' declares {declared:,} bytes of arrays, more than the {max_bytes:,} a {what} file "
                    "may hold; it was not written by this tool.")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as problem:
        raise error(f"'{path}' cannot be read as a {what} file ({problem}).") from None


def lines_array(values: Sequence[str]) -> np.ndarray:
    """``values`` as one UTF-8 string, a value a line (for values that never hold a line break)."""
    return np.frombuffer("\n".join(values).encode("utf-8"), dtype=np.uint8)


def split_lines(value: np.ndarray) -> list[str]:
    """The values :func:`lines_array` stored.

    Raises:
        ValueError: ``value`` is not a 1-D uint8 array ("must be UTF-8 bytes (uint8); got …") or not UTF-8
            ("is not UTF-8 text").
    """
    if value.dtype != np.uint8 or value.ndim != 1:
        raise ValueError(f"must be UTF-8 bytes (uint8); got {value.dtype}")
    try:
        text = value.tobytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("is not UTF-8 text") from None
    return text.split("\n") if text else []
