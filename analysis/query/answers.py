"""Answers a build stores: what the dashboard's first view asks of the whole build, kept in ``query.duckdb``.

A build's first view (the sidebar's counts, the Overview's summary, timeline and ranking, with no filter set)
asks the same few questions of every document and every mention: a second or more at a million documents,
on every first load. ``Corpus`` methods marked as storable (``ranking``, ``summary``, ``timeline`` …) record
their answers for the whole build (filters :data:`WHOLE_BUILD`) while the build asks them once
(:func:`analysis.query.corpus.write_query_file`); a Corpus opened later reads them back instead of asking
DuckDB.

An answer is stored only when it comes back exactly as it went in (:func:`encode` checks: values, dtypes,
index, ``attrs``, the type of every value of an object column); anything else is asked afresh. Stored answers
are tied to the code and library versions that made them (:func:`fingerprint`): after an upgrade, or any
change of the query code, they are ignored and the questions asked again. Frames are Arrow IPC streams,
other values tagged JSON; nothing is unpickled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.documents import none_for_missing
from analysis.timeline import Filters

__all__ = ["WHOLE_BUILD", "decode", "encode", "fingerprint", "load", "question", "store"]

# The filter states whose answers are stored: no filter, without and with duplicates.
WHOLE_BUILD = (Filters(), Filters(include_duplicates=True))
_TABLE, _STAMP = "answers", "answers_stamp"
# The modules whose code makes the answers (a change in any of them makes stored answers stale).
_CODE = ("query/corpus.py", "query/counting.py", "query/rows.py", "query/answers.py", "timeline.py", "vocabulary.py")


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """A hash of the query code and of the versions of the libraries that shape its answers."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for name in _CODE:
        digest.update((root / name).read_bytes())
    for version in (duckdb.__version__, pd.__version__, pa.__version__, np.__version__):
        digest.update(version.encode())
    return digest.hexdigest()


def question(method: str, arguments: dict) -> str | None:
    """The text that names a method's question (its name and arguments), or None when an argument is of a
    kind that cannot name one (the answer is then never stored)."""
    canon = {}
    for name, value in arguments.items():
        if isinstance(value, Filters):
            canon[name] = repr(value)
        elif value is None or isinstance(value, (str, bool, int)):
            canon[name] = value
        elif isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
            canon[name] = list(value)
        else:
            return None
    return json.dumps([method, canon], sort_keys=True)


# ----------------------------------------------------------------------------------------- encoding
def _tagged(value):
    """``value`` as JSON-able data, dates tagged; raises TypeError for anything else."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, pd.Timestamp):
        return {"$ts": value.isoformat()}
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return {"$list" if isinstance(value, list) else "$tuple": [_tagged(v) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"$dict": {k: _tagged(v) for k, v in value.items()}}
    raise TypeError(type(value).__name__)


def _untagged(value):
    if not isinstance(value, dict):
        return value
    (tag, inner), = value.items()
    if tag == "$ts":
        return pd.Timestamp(inner)
    if tag == "$dt":
        return dt.datetime.fromisoformat(inner)
    if tag == "$d":
        return dt.date.fromisoformat(inner)
    if tag == "$list":
        return [_untagged(v) for v in inner]
    if tag == "$tuple":
        return tuple(_untagged(v) for v in inner)
    return {k: _untagged(v) for k, v in inner.items()}


def _same(a, b) -> bool:
    """Equal in value and type, all the way down (1 is not True, a Timestamp not a datetime, NaN is NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True, check_index_type=True, check_column_type=True,
                                          check_frame_type=True, check_flags=True, check_freq=True)
        except AssertionError:
            return False
        objects = [c for c in a.columns if a[c].dtype == object]
        return _same(a.attrs, b.attrs) and all(
            [type(v) for v in a[c]] == [type(v) for v in b[c]] for c in objects)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and np.isnan(a):
        return bool(np.isnan(b))
    return a == b


def _encode(value) -> bytes:
    if isinstance(value, pd.DataFrame):
        sink = io.BytesIO()
        table = pa.Table.from_pandas(value)  # a RangeIndex as metadata, any other index as columns
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        objects = [str(c) for c in value.columns if value[c].dtype == object]
        head = json.dumps({"frame": True, "attrs": _tagged(dict(value.attrs)), "objects": objects}).encode()
        return len(head).to_bytes(4, "little") + head + sink.getvalue()
    head = json.dumps({"frame": False, "value": _tagged(value)}).encode()
    return len(head).to_bytes(4, "little") + head


def decode(blob: bytes):
    """The value :func:`encode` made ``blob`` of."""
    size = int.from_bytes(blob[:4], "little")
    head = json.loads(blob[4 : 4 + size])
    if not head["frame"]:
        return _untagged(head["value"])
    frame = pa.ipc.open_stream(blob[4 + size :]).read_all().to_pandas()
    none_for_missing(frame, head["objects"])  # Arrow reads text back as str columns, missing values as NaN
    frame.attrs.update(_untagged(head["attrs"]))
    return frame


def encode(value) -> bytes | None:
    """``value`` (a DataFrame, or plain data: numbers, strings, dates, lists, dicts) as bytes, or None when it
    would not come back exactly as it is."""
    try:
        blob = _encode(value)
        back = decode(blob)
    except (TypeError, ValueError, pa.ArrowException):
        return None
    return blob if _same(value, back) else None


# ------------------------------------------------------------------------------------------ storing
def store(db: duckdb.DuckDBPyConnection, answers: dict[str, Any]) -> int:
    """Write into ``db`` (a build's query database, open for writing) the answers that encode exactly, with
    the fingerprint of the code that made them; returns how many were stored."""
    rows = [(q, blob) for q, value in answers.items() if (blob := encode(value)) is not None]
    db.execute(f"CREATE OR REPLACE TABLE {_TABLE} (question VARCHAR PRIMARY KEY, answer BLOB)")
    if rows:
        db.executemany(f"INSERT INTO {_TABLE} VALUES (?, ?)", rows)
    db.execute(f"CREATE OR REPLACE TABLE {_STAMP} AS SELECT ?::VARCHAR AS fingerprint", [fingerprint()])
    return len(rows)


def load(db: duckdb.DuckDBPyConnection) -> dict[str, bytes]:
    """The answers stored in ``db`` (question -> encoded answer) when the code that made them is this code;
    ``{}`` when there are none, or they are stale."""
    try:
        if db.sql(f"SELECT fingerprint FROM {_STAMP}").fetchall() != [(fingerprint(),)]:
            return {}
        return {q: bytes(blob) for q, blob in db.sql(f"SELECT question, answer FROM {_TABLE}").fetchall()}
    except duckdb.Error:
        return {}
