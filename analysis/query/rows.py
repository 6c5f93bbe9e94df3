"""Rows of a build's documents.parquet read by position, through pyarrow: only the row groups that hold them.

DuckDB's ``read_parquet(...) WHERE file_row_number IN (...)`` reads far more than those row groups (on the
950k archive's build, 156 ms for the texts of 50 adjacent rows and 225 ms for one whole row, against 5 ms
here); a concordance, a surfaces sample and the reader ask for a few rows at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["RowReader", "locate"]


def locate(rows: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct rows asked that exist, ascending; the part each lies in) for a file cut into parts whose
    first rows are ``starts`` (the row count last): row groups of a parquet file, batches of an IPC file."""
    rows = np.unique(np.asarray(rows, dtype=np.int64))
    rows = rows[(rows >= 0) & (rows < starts[-1])]
    return rows, np.searchsorted(starts, rows, side="right") - 1


class RowReader:
    """Reads rows of one parquet file by their position in it (safe to share between threads)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._footer: tuple[pq.FileMetaData, np.ndarray] | None = None

    def _groups(self) -> tuple[pq.FileMetaData, np.ndarray]:
        """The file's metadata and each row group's first row (and the number of rows, last), read once."""
        with self._lock:
            if self._footer is None:
                metadata = pq.ParquetFile(self.path).metadata
                sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
                self._footer = metadata, np.cumsum([0, *sizes])
            return self._footer

    def _read(self, rows: np.ndarray, columns: list[str] | None) -> tuple[np.ndarray, pa.Table]:
        """(the rows asked that the file has, ascending; their values of ``columns`` (None: all), in that
        order)."""
        metadata, starts = self._groups()
        rows, group_of = locate(rows, starts)
        file = pq.ParquetFile(self.path, metadata=metadata)
        parts = []
        for group in np.unique(group_of):
            within = rows[group_of == group] - starts[group]
            parts.append(file.read_row_group(int(group), columns=columns).take(pa.array(within)))
        if not parts:
            return rows, file.schema_arrow.empty_table().select(columns) if columns else file.schema_arrow.empty_table()
        return rows, pa.concat_tables(parts)

    def column(self, rows: Iterable[int], name: str) -> dict[int, object]:
        """``{row: value}`` of one column for these rows (rows the file does not have are left out)."""
        found, table = self._read(np.fromiter((int(r) for r in rows), dtype=np.int64), [name])
        return dict(zip(found.tolist(), table.column(0).to_pylist(), strict=True))

    def row(self, row: int, columns: list[str] | None = None) -> pa.Table:
        """Every column of one row, or those of ``columns`` (an empty table when the file has no such row)."""
        return self._read(np.array([int(row)], dtype=np.int64), columns)[1]

    def num_rows(self) -> int:
        """The rows of the file."""
        return int(self._groups()[1][-1])
