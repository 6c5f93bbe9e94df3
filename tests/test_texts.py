"""analysis.query.texts: the texts as a memory-mapped Arrow IPC file, stamped to its documents.parquet."""

from __future__ import annotations

from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.query import texts as texts_module
from analysis.query.texts import TextFile, write_texts

TEXTS = ["", "Shanghai Cooperation Organisation", "ШОС и БРИКС — многополярность", "a\nb\r\nc", "emoji 🇷🇺 ok",
         "x" * 5000, None, "tail"]


def _written(tmp_path, texts, *, row_group_size=3, stamp="s1", batch_bytes=1):
    """``texts`` in a documents.parquet of row groups of ``row_group_size``, written as texts.arrow in batches
    of at least ``batch_bytes`` (1: a batch per row group)."""
    parquet, out = tmp_path / "documents.parquet", tmp_path / "texts.arrow"
    pq.write_table(pa.table({"doc_id": [f"d{i}" for i in range(len(texts))], "text": texts}), parquet,
                   row_group_size=row_group_size)
    with mock.patch.object(texts_module, "_BATCH_BYTES", batch_bytes):
        write_texts(parquet, out, stamp=stamp)
    return out


def test_the_texts_come_back_as_documents_parquet_holds_them(tmp_path):
    out = _written(tmp_path, TEXTS)
    found = TextFile.open(out, stamp="s1", n_rows=len(TEXTS))
    assert found is not None and len(found._texts) == 3  # a batch per row group of three
    # Written again in place (in batches of at least 5,001 bytes: two), while the first is mapped: each
    # reader keeps its own file.
    several = TextFile.open(_written(tmp_path, TEXTS, batch_bytes=5001), stamp="s1", n_rows=len(TEXTS))
    assert len(several._texts) == 2 and several.column(range(len(TEXTS))) == dict(enumerate(TEXTS))
    assert found.column(range(len(TEXTS))) == dict(enumerate(TEXTS))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no part file left
    assert found.column(range(len(TEXTS))) == dict(enumerate(TEXTS))
    assert found.column([7, 0, 7, -1, 8, 100]) == {0: "", 7: "tail"}  # asked twice, or not in the file: once, left out
    assert found.column([]) == {}


@pytest.mark.parametrize(
    ("stamp", "n_rows"),
    [("another build", len(TEXTS)), ("s1", len(TEXTS) - 1), ("s1", len(TEXTS) + 1)],
    ids=["stamped for other parquet files", "fewer rows than documents.parquet", "more rows"],
)
def test_a_file_of_another_build_is_not_used(tmp_path, stamp, n_rows):
    assert TextFile.open(_written(tmp_path, TEXTS), stamp=stamp, n_rows=n_rows) is None


def test_a_missing_corrupt_or_foreign_file_is_not_used(tmp_path):
    assert TextFile.open(tmp_path / "absent.arrow", stamp="s1", n_rows=1) is None
    corrupt = _written(tmp_path, TEXTS)
    corrupt.write_bytes(corrupt.read_bytes()[: 200])  # cut short: no footer
    assert TextFile.open(corrupt, stamp="s1", n_rows=len(TEXTS)) is None
    foreign = tmp_path / "foreign.arrow"
    schema = pa.schema([pa.field("body", pa.string())], metadata={b"diplomatic_themes_stamp": b"s1"})
    with pa.OSFile(str(foreign), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        writer.write_batch(pa.record_batch([pa.array(["a"])], schema=schema))
    assert TextFile.open(foreign, stamp="s1", n_rows=1) is None  # not a text column


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(st.one_of(st.none(), st.text(max_size=40)), max_size=25), size=st.integers(1, 7),
       batch_bytes=st.sampled_from([1, 50, 1 << 26]), rows=st.lists(st.integers(-2, 30), max_size=10))
def test_any_texts_in_any_row_groups_and_batches(tmp_path_factory, texts, size, batch_bytes, rows):
    out = _written(tmp_path_factory.mktemp("texts"), texts, row_group_size=size, batch_bytes=batch_bytes)
    found = TextFile.open(out, stamp="s1", n_rows=len(texts))
    assert found is not None
    assert found.column(rows) == {r: texts[r] for r in rows if 0 <= r < len(texts)}
