"""The documents' texts again, as an uncompressed Arrow IPC file that a Corpus memory-maps (``texts.arrow``).

documents.parquet holds the texts compressed in row groups of about a megabyte: a passage of one document
costs decompressing its whole row group (2–9 ms each on the UNGDC build, ~190 of them for a concordance page
of the 950k archive). In the IPC file a text is a slice of the mapped file, read without decoding anything
else; the operating system keeps in memory only the pages read. A build writes it after documents.parquet
(``analysis.pipeline.finish_build``), stamped with what ties it to that file; a Corpus whose build has no
such file, or one made from other parquet files, reads the texts from documents.parquet as before.
Deleting the file saves its disk space (the texts' size, uncompressed) and costs only that speed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .rows import locate

__all__ = ["TEXTS_FILE", "TextFile", "write_texts"]

TEXTS_FILE = "texts.arrow"
_STAMP_KEY = b"diplomatic_themes_stamp"


_BATCH_BYTES = 64 << 20  # text per record batch: few batches to find on opening, one bounded buffer writing


def write_texts(parquet: str | Path, out: str | Path, *, stamp: str) -> None:
    """Write the ``text`` column of the parquet file ``parquet`` into the IPC file ``out``, in record batches
    of about _BATCH_BYTES (row groups read one at a time), with ``stamp`` in the schema's metadata. The file
    is written beside ``out`` and then takes its place: a Corpus that maps an earlier one keeps reading it."""
    source = pq.ParquetFile(str(parquet))
    schema = pa.schema([pa.field("text", pa.large_string())], metadata={_STAMP_KEY: stamp.encode()})
    out = Path(out)
    part = out.with_name(f".{out.name}.part")
    try:
        _write_batches(source, part, schema)
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)


def _write_batches(source: pq.ParquetFile, out: Path, schema: pa.Schema) -> None:
    with pa.OSFile(str(out), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        held: list[pa.Array] = []
        for group in range(source.num_row_groups):
            text = source.read_row_group(group, columns=["text"]).column("text")
            held.append(text.cast(pa.large_string()).combine_chunks())
            last = group == source.num_row_groups - 1
            if last or sum(a.nbytes for a in held) >= _BATCH_BYTES:
                writer.write_batch(pa.record_batch([pa.concat_arrays(held)], schema=schema))
                held.clear()


class TextFile:
    """A build's ``texts.arrow``, memory-mapped: the texts of rows by their position in documents.parquet
    (safe to share between threads: the batches are read-only views of the mapped file)."""

    def __init__(self, batches: list[pa.RecordBatch]) -> None:
        self._texts = [batch.column(0) for batch in batches]
        self._starts = np.cumsum([0, *(len(batch) for batch in batches)])

    @classmethod
    def open(cls, path: str | Path, *, stamp: str, n_rows: int) -> TextFile | None:
        """The file at ``path`` when it holds ``n_rows`` texts and carries ``stamp``; else None (no such
        file, another build's, or unreadable: the texts are then read from documents.parquet)."""
        try:
            reader = pa.ipc.open_file(pa.memory_map(str(path), "r"))
            metadata = reader.schema.metadata or {}
            if metadata.get(_STAMP_KEY) != stamp.encode() or reader.schema.names != ["text"]:
                return None
            batches = [reader.get_batch(i) for i in range(reader.num_record_batches)]
        except (OSError, pa.ArrowInvalid):
            return None
        found = cls(batches)
        return found if found._starts[-1] == n_rows else None

    def column(self, rows: Iterable[int]) -> dict[int, str | None]:
        """``{row: text}`` for these rows (rows the file does not have are left out)."""
        rows, batch_of = locate(np.fromiter((int(r) for r in rows), dtype=np.int64), self._starts)
        return {int(row): self._texts[b][int(row - self._starts[b])].as_py()
                for row, b in zip(rows.tolist(), batch_of.tolist(), strict=True)}
