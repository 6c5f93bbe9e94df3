"""analysis.query.rows: rows of a parquet file read by position, across row groups."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.query.rows import RowReader

N = 17


@pytest.fixture(scope="module")
def reader(tmp_path_factory) -> RowReader:
    path = tmp_path_factory.mktemp("rows") / "documents.parquet"
    table = pa.table({"doc_id": [f"d{i}" for i in range(N)], "text": [None if i == 5 else f"text {i}" * i
                                                                      for i in range(N)]})
    pq.write_table(table, path, row_group_size=4)  # five row groups, the last of one row
    assert pq.ParquetFile(path).metadata.num_row_groups == 5
    return RowReader(path)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.integers(-3, N + 3), max_size=12))
def test_a_column_of_any_rows_in_any_order(reader, rows):
    want = {r: (None if r == 5 else f"text {r}" * r) for r in rows if 0 <= r < N}
    assert reader.column(rows, "text") == want


@pytest.mark.parametrize("row", [0, 3, 4, 15, 16])
def test_one_whole_row(reader, row):
    table = reader.row(row)
    assert table.to_pylist() == [{"doc_id": f"d{row}", "text": f"text {row}" * row}]


def test_a_row_the_file_does_not_have_is_empty(reader):
    assert reader.row(N).num_rows == 0 and reader.row(N).column_names == ["doc_id", "text"]
    assert reader.column([], "text") == {}
