"""Tests for analysis.npz: a build's plain-array files read without pickle, text stored as lines."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.npz import lines_array, read_arrays, split_lines


class Refused(ValueError):
    pass


@pytest.mark.parametrize("values", [[], ["a"], ["grain", "ШОС", "g20", ""], ["über", "x" * 300]])
def test_lines_round_trip(values):
    stored = lines_array(values)
    assert stored.dtype == np.uint8 and stored.ndim == 1
    assert split_lines(stored) == (values if values != [""] else [])


@pytest.mark.parametrize(
    ("value", "message"),
    [(np.array([1.5]), r"^must be UTF-8 bytes \(uint8\); got float64$"),
     (np.frombuffer(b"\xff\xfe", dtype=np.uint8), r"^is not UTF-8 text$"),
     (np.zeros((2, 2), dtype=np.uint8), r"^must be UTF-8 bytes")],
)
def test_split_lines_refuses_what_is_not_utf8_bytes(value, message):
    with pytest.raises(ValueError, match=message):
        split_lines(value)


def test_read_arrays_reads_plain_arrays(tmp_path):
    path = tmp_path / "a.npz"
    np.savez(path, x=np.arange(3), t=lines_array(["a", "b"]))
    arrays = read_arrays(path, what="thing", error=Refused, max_bytes=10_000)
    assert sorted(arrays) == ["t", "x"] and arrays["x"].tolist() == [0, 1, 2]


def test_read_arrays_refuses_a_bad_file(tmp_path):
    path = tmp_path / "a.npz"
    path.write_bytes(b"not a zip")
    with pytest.raises(Refused, match=r"'.*a.npz' is not a readable thing file"):
        read_arrays(path, what="thing", error=Refused, max_bytes=10_000)
    np.savez(path, x=np.zeros(1000))
    with pytest.raises(Refused, match=r"declares [\d,]+ bytes of arrays, more than the 100 a thing file may hold"):
        read_arrays(path, what="thing", error=Refused, max_bytes=100)
    np.savez(path, x=np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(Refused, match=r"cannot be read as a thing file .*allow_pickle"):
        read_arrays(path, what="thing", error=Refused, max_bytes=10_000)
