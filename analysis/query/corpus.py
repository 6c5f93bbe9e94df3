"""``Corpus``: a build opened through DuckDB, answering the typed questions every chart and table asks.

On opening, the documents (every column but ``text``) and the mentions are loaded into an in-memory DuckDB
database, with what every query needs precomputed once: each document's period start at every granularity
and its date-precision rank, an id per (kind, key) (sorted, so id order is key order) and the ``pairs``
table (one row per document and key it mentions, with the number of mentions), which is what timelines,
rankings, cross-tabs and the theme/organisation filters count. A filter state is evaluated once into the
rows of the documents it keeps (cached per ``Filters``); every chart of that state joins those rows. Only
the small aggregated result comes back to Python, where it is laid out exactly as analysis.timeline lays
out the same table. ``text`` stays in ``documents.parquet`` (written in row groups of about 1 MB of text)
and is read only for the documents a concordance shows or the reader opens.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analysis import timeline as tl
from analysis.documents import none_for_missing
from analysis.store import BuildError, check_build
from analysis.timeline import Filters
from analysis.vocabulary import ENTITY_KINDS, GRANULARITIES, KINDS, check_choice, cluster_keys

from . import answers as stored
from .counting import Counting, as_date
from .rows import RowReader
from .texts import TEXTS_FILE, TextFile, write_texts

__all__ = ["DOCUMENT_SORTS", "Corpus", "DocumentsPage"]

# The finest date precision (rank) a document needs to be placed in a period of each granularity.
_NEEDED_PRECISION = {"day": 0, "week": 0, "month": 1, "quarter": 1, "year": 2}
_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q-DEC", "year": "Y-DEC"}
_NO_GROUP = "(unknown)"
# The columns a page of the documents table can be sorted by (themes and organisations are made per page).
DOCUMENT_SORTS = ("date", "title", "source", "language", "n_words", "date_precision", "date_method", "doc_id",
                  "cluster_id", "duplicate_of")  # fmt: skip
_DEFAULT_ORDER = "d.date ASC NULLS LAST, d.source ASC NULLS LAST, d.seq ASC NULLS LAST, d._row"
_SELECTIONS = 32  # filter states whose document rows are kept
# The rank of a date precision (day 0, month 1, year 2; unknown or missing counts as day), as
# analysis.timeline ranks it.
PRECISION_RANK_SQL = "(CASE date_precision WHEN 'month' THEN 1 WHEN 'year' THEN 2 ELSE 0 END)"
_REQUIRED = ("doc_id", "source", "seq", "date", "date_precision", "date_method", "language", "n_words",
             "duplicate_of")  # fmt: skip


@dataclass(frozen=True)
class DocumentsPage:
    """One page of the documents table: its rows (the columns of analysis.timeline.documents_table), how
    many documents pass the filters (and the search) in all, and where the page starts."""

    rows: pd.DataFrame
    total: int
    offset: int


def _check_filters(filters) -> Filters:
    if filters is None:
        return Filters()
    if not isinstance(filters, Filters):
        raise TypeError(
            f"The 'filters' parameter must be an analysis.timeline.Filters; got {type(filters).__name__} "
            "instead. Build one with Filters(start=..., organisations=(...))."
        )
    return filters


def _as_keys(name: str, value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    try:
        return tuple(str(v) for v in value)
    except TypeError:
        raise TypeError(
            f"The {name!r} argument must be a sequence of strings; got {type(value).__name__} instead."
        ) from None


def _frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow result as analysis.store.read_build types the documents: ``date`` as datetime64, missing
    optional texts as None in object columns."""
    frame = table.to_pandas()
    if "date" in frame:
        frame["date"] = pd.to_datetime(frame["date"])
    none_for_missing(frame)
    return frame


def _quote(path: str) -> str:
    """A path inside a SQL string literal."""
    return path.replace("'", "''")


def _check_count(name: str, value, *, none: bool = False) -> None:
    if none and value is None:
        return
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
        allowed = "None or an integer >= 0" if none else "an integer >= 0"
        raise ValueError(f"The {name!r} parameter must be {allowed}; got {value!r} instead.")


QUERY_FILE = "query.duckdb"  # the query tables a build stores (write_query_file), attached by Corpus.open


def _stamp(folder: Path) -> str:
    """What ties a build's query tables to its parquet files: their sizes and a hash of their last megabyte
    (the footer: every column chunk's offsets and statistics), read in a millisecond."""
    parts = []
    for name in ("documents.parquet", "mentions.parquet"):
        with open(folder / name, "rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - (1 << 20)))
            parts.append(f"{size}:{hashlib.sha256(handle.read()).hexdigest()[:32]}")
    return ";".join(parts)


def _doc_columns(folder: Path) -> dict[str, str]:
    """documents.parquet's columns and their DuckDB types (from the file's footer)."""
    schema = duckdb.sql("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))",
                        params=[str(folder / "documents.parquet")]).fetchall()
    return {name: str(kind) for name, kind in schema}


def _clusters(folder: Path) -> pd.DataFrame:
    """The build's clusters.parquet, ``top_terms`` as lists (as analysis.store.read_build gives them)."""
    clusters = pd.read_parquet(folder / "clusters.parquet")
    if "top_terms" in clusters:
        clusters["top_terms"] = clusters["top_terms"].map(list)
    return clusters


def write_query_file(file: str | Path, questions: Callable[[Corpus], object] | None = None) -> None:
    """Write into the DuckDB file ``file`` the tables :meth:`Corpus.open` queries (documents without their
    text, mentions, keys, document-key pairs), made from the parquet files in the same folder: a build stores
    them (``analysis.pipeline.finish_build``), so that opening it attaches them instead of making them from
    the parquet files each time (half a second at 119k documents, several at a million).

    ``questions(corpus)``, when given, asks a Corpus over these tables what a first view asks; its answers for
    the whole build are stored beside the tables (analysis.query.answers) and read back by later Corpora."""
    file = Path(file)
    folder = file.parent
    doc_columns, clusters = _doc_columns(folder), _clusters(folder)
    file.unlink(missing_ok=True)  # made whole, never added to
    db = duckdb.connect(str(file))
    try:
        db.execute("SET enable_progress_bar = false")  # a build reports its own progress
        _make_tables(db, folder, doc_columns, clusters)
        if questions is not None:
            corpus = Corpus._on(folder, db, doc_columns, clusters, manifest={}, report={})
            corpus._recorded = {}
            questions(corpus)
            stored.store(db, corpus._recorded)
        db.execute("CREATE TABLE stamp AS SELECT ?::VARCHAR AS stamp", [_stamp(folder)])
        db.execute("CHECKPOINT")
    finally:
        db.close()


def write_texts_file(file: str | Path) -> None:
    """Write the texts of documents.parquet, in the same folder, into ``file`` (analysis.query.texts), stamped
    as the query tables are: a Corpus reads a document's text or a passage from it without decompressing a
    row group."""
    file = Path(file)
    write_texts(file.parent / "documents.parquet", file, stamp=_stamp(file.parent))


def _stored_tables(folder: Path, stamp: str | None = None) -> duckdb.DuckDBPyConnection | None:
    """The build's stored query tables, opened read-only, when they were made from its parquet files as they
    are; else None (none stored, another build's, or unreadable: the tables are then made afresh)."""
    file = folder / QUERY_FILE
    if not file.is_file():
        return None
    db = None
    try:
        db = duckdb.connect(str(file), read_only=True)
        if db.sql("SELECT stamp FROM stamp").fetchall() == [(stamp or _stamp(folder),)]:
            return db
    except (duckdb.Error, OSError):
        pass
    if db is not None:
        db.close()
    return None


def _make_tables(db: duckdb.DuckDBPyConnection, folder: Path, doc_columns: dict[str, str],
                 clusters: pd.DataFrame) -> None:
    """Make in ``db`` the tables a Corpus queries, from the build's parquet files: ``docs`` (every column but
    the text, with its row, date rank and period starts), ``mentions`` (with their row in mentions.parquet,
    their document's row and their key's id; cluster memberships as kind ``cluster``), ``keys``, ``kinds``
    (the kinds in key-id order) and ``pairs`` (mentions per document and key)."""
    docs_file, mentions_file = str(folder / "documents.parquet"), str(folder / "mentions.parquet")
    text = "EXCLUDE (text)" if "text" in doc_columns else ""
    periods = ", ".join(f"date_trunc('{g}', date)::DATE AS _p_{g}" for g in GRANULARITIES)
    db.execute(f"""CREATE TABLE docs AS SELECT file_row_number::INTEGER AS _row, * {text},
                       {PRECISION_RANK_SQL}::TINYINT AS _rank, {periods}
                   FROM read_parquet('{_quote(docs_file)}', file_row_number = true)""")
    # Mentions keep their row in mentions.parquet (_mrow: analysis.timeline keeps that order) and get
    # the row of their document (_row); mentions of unknown documents, or without kind or key, have no
    # place in any table and are left out.
    db.execute(
        f"""CREATE TEMP TABLE _raw AS
        SELECT m.file_row_number AS _mrow, d._row, m.kind, m.key, m.surface, m.start, m."end"
        FROM read_parquet('{_quote(mentions_file)}', file_row_number = true) m JOIN docs d USING (doc_id)
        WHERE m.kind IS NOT NULL AND m.key IS NOT NULL"""
    )
    ids = ([int(i) for (i,) in db.sql("SELECT DISTINCT cluster_id FROM docs WHERE cluster_id >= 0").fetchall()]
           if "cluster_id" in doc_columns else [])
    labels = zip(clusters["cluster_id"], clusters["label"], strict=True) if len(clusters) else ()
    cluster_key = cluster_keys(labels, ids)
    found: dict[str, set[str]] = {}
    for kind, key in db.sql("SELECT DISTINCT kind, key FROM _raw").fetchall():
        found.setdefault(kind, set()).add(key)
    found.pop("cluster", None)  # cluster memberships come from documents.cluster_id
    found["cluster"] = set(cluster_key.values())
    order = [k for k in KINDS if k in found] + sorted(k for k in found if k not in KINDS)
    keys = {kind: tuple(sorted(found[kind])) for kind in order}
    rows = [(i, kind, key) for i, (kind, key) in enumerate((kind, key) for kind in order for key in keys[kind])]
    db.register("_keys", pa.table({"key_id": pa.array([r[0] for r in rows], pa.int32()),
                                    "kind": pa.array([r[1] for r in rows], pa.string()),
                                    "key": pa.array([r[2] for r in rows], pa.string())}))
    db.execute("CREATE TABLE keys AS SELECT * FROM _keys")
    db.unregister("_keys")
    db.register("_kinds", pa.table({"pos": pa.array(range(len(order)), pa.int32()), "kind": pa.array(order, pa.string())}))
    db.execute("CREATE TABLE kinds AS SELECT * FROM _kinds")
    db.unregister("_kinds")
    db.register("_cluster_keys", pa.table({"cluster_id": pa.array(list(cluster_key), pa.int64()),
                                            "key": pa.array(list(cluster_key.values()), pa.string())}))
    # Cluster memberships follow the mentions as kind "cluster", in the documents' order (as
    # analysis.timeline.cluster_mentions makes them).
    db.execute(
        """CREATE TABLE mentions AS
        SELECT r._mrow, r._row, k.key_id, r.surface, r.start, r."end"
        FROM _raw r JOIN keys k USING (kind, key) WHERE r.kind <> 'cluster'
        UNION ALL
        SELECT (SELECT coalesce(max(_mrow), -1) FROM _raw) + row_number() OVER (ORDER BY d._row),
               d._row, k.key_id, '', 0, 0
        FROM docs d JOIN _cluster_keys c USING (cluster_id) JOIN keys k ON k.kind = 'cluster' AND k.key = c.key
        ORDER BY 1"""
    )
    db.unregister("_cluster_keys")
    db.execute("DROP TABLE _raw")
    db.execute("""CREATE TABLE pairs AS SELECT _row, key_id, count(*)::INTEGER AS n FROM mentions
                  GROUP BY _row, key_id ORDER BY key_id, _row""")


def _storable(method):
    """Mark a Corpus method whose answers for the whole build (filters ``answers.WHOLE_BUILD``) a build stores
    (analysis.query.answers): read back from the build when stored, recorded while a build asks them."""
    signature = inspect.signature(method)
    name = method.__name__
    filtered = "filters" in signature.parameters  # else a question about the whole build by nature

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not self._answers and self._recorded is None:
            return method(self, *args, **kwargs)
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        del arguments["self"]
        if filtered:
            if arguments["filters"] is None:
                arguments["filters"] = Filters()  # what every method takes None for
            if arguments["filters"] not in stored.WHOLE_BUILD:
                return method(self, *args, **kwargs)
        question = stored.question(name, arguments)
        blob = self._answers.get(question) if question else None
        if blob is not None:
            return stored.decode(blob)
        value = method(self, *args, **kwargs)
        if self._recorded is not None and question:
            self._recorded[question] = value
        return value

    return wrapper


class Corpus:
    """A build, opened for queries. Make one with ``Corpus.open(build_dir)``; it is safe to share between
    threads (each thread queries through its own cursor)."""

    def __init__(self, path: Path, connection: duckdb.DuckDBPyConnection, *, doc_columns: dict[str, str],
                 keys: dict[str, tuple[str, ...]], clusters: pd.DataFrame, entities: pd.DataFrame, manifest: dict,
                 report: dict) -> None:  # fmt: skip
        self.path = path
        self._db = connection
        self._local = threading.local()
        self._doc_columns = doc_columns  # column -> DuckDB type, "text" included
        self.clusters = clusters
        self.entities = entities
        self.manifest = manifest
        self.report = report
        self._labels: dict[str, dict[str, str]] = {}
        # Key ids: each kind's keys sorted, kinds one after another; _range[kind] = (first id, last id + 1).
        self._keys = keys
        self._range: dict[str, tuple[int, int]] = {}
        self._ids: dict[str, dict[str, int]] = {}
        names, kinds, first = [], [], 0
        for kind, kind_keys in keys.items():
            self._range[kind] = (first, first + len(kind_keys))
            self._ids[kind] = {k: first + i for i, k in enumerate(kind_keys)}
            names.extend(kind_keys)
            kinds.extend([kind] * len(kind_keys))
            first += len(kind_keys)
        self._key_names = np.array(names, dtype=object)
        self._key_kinds = np.array(kinds, dtype=object)
        self._selections: OrderedDict[Filters, pa.Table] = OrderedDict()
        self._masks: OrderedDict[Filters, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._counting: Counting | None = None
        self._documents_file = RowReader(path / "documents.parquet")
        self._text_file: TextFile | None = None  # the build's texts.arrow, when it has one made from these files
        self._counting_lock = threading.Lock()
        self._n_documents: int | None = None
        self._answers: dict[str, bytes] = {}  # the build's stored answers (analysis.query.answers)
        self._recorded: dict | None = None  # answers being recorded (write_query_file)

    # ------------------------------------------------------------------------------------------- opening
    @classmethod
    def open(cls, path: str | Path) -> Corpus:
        """Open the build in ``path`` (made by ``python -m analysis build``).

        Raises:
            BuildError: the folder is not a complete, readable build.
        """
        path = check_build(path)
        try:
            return cls._open(Path(path))
        except BuildError:
            raise
        except (OSError, ValueError, KeyError, TypeError, duckdb.Error, pa.ArrowException) as error:
            reason = (str(error).strip().splitlines() or [""])[0]  # DuckDB appends the query's text
            raise BuildError(
                f"The build in '{path}' cannot be read ({type(error).__name__}: {reason}); a file of it is corrupt "
                f"or was not written by this tool. Rebuild it with `python -m analysis build INPUT --out {path}`."
            ) from None

    @classmethod
    def _open(cls, path: Path) -> Corpus:
        doc_columns = _doc_columns(path)
        missing = [c for c in _REQUIRED if c not in doc_columns]
        if missing:
            raise BuildError(
                f"The documents.parquet of '{path}' lacks the columns {missing}; rebuild it with "
                f"`python -m analysis build INPUT --out {path}`."
            )
        clusters = _clusters(path)
        stamp = _stamp(path)
        db = _stored_tables(path, stamp)
        answers = stored.load(db) if db is not None else {}
        if db is None:  # a build without its query tables (older, or updated by hand): made here, in memory
            db = duckdb.connect(":memory:")
            _make_tables(db, path, doc_columns, clusters)
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        report_path = path / "ingest_report.json"
        report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else {}
        if not isinstance(manifest, dict) or not isinstance(report, dict):
            raise BuildError(f"The manifest.json or ingest_report.json of '{path}' is not a JSON object; rebuild it.")
        corpus = cls._on(path, db, doc_columns, clusters, manifest=manifest, report=report)
        corpus._answers = answers
        corpus._text_file = TextFile.open(path / TEXTS_FILE, stamp=stamp, n_rows=corpus._documents_file.num_rows())
        return corpus

    @classmethod
    def _on(cls, path: Path, db: duckdb.DuckDBPyConnection, doc_columns: dict[str, str], clusters: pd.DataFrame, *,
            manifest: dict, report: dict) -> Corpus:
        """A Corpus over the query tables in ``db`` (made by _make_tables)."""
        keys: dict[str, list[str]] = {kind: [] for (kind,) in db.sql("SELECT kind FROM kinds ORDER BY pos").fetchall()}
        for kind, key in db.sql("SELECT kind, key FROM keys ORDER BY key_id").fetchall():
            keys[kind].append(key)
        entities_path = path / "entities.parquet"
        entities = (pd.read_parquet(entities_path) if entities_path.exists()
                    else pd.DataFrame(columns=["kind", "key", "label", "category", "description"]))
        return cls(path, db, doc_columns=doc_columns, keys={k: tuple(v) for k, v in keys.items()},
                   clusters=clusters, entities=entities, manifest=manifest, report=report)

    def close(self) -> None:
        """Close the database (the Corpus cannot answer afterwards)."""
        self._db.close()

    @property
    def build_hash(self) -> str:
        return str(self.manifest.get("build_hash", ""))

    # ------------------------------------------------------------------------------------------ helpers
    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self._db.cursor()
        return cursor

    def _run(self, query: str, params: list | None, sel: pa.Table | None):
        cursor = self._cursor()
        if sel is not None:
            cursor.register("sel", sel)
        return cursor.sql(query, params=params or None)

    def _sql(self, query: str, params: list | None = None, sel: pa.Table | None = None) -> pa.Table:
        return self._run(query, params, sel).to_arrow_table()

    def _rows(self, query: str, params: list | None = None, sel: pa.Table | None = None) -> list[tuple]:
        return self._run(query, params, sel).fetchall()

    def _key_ids(self, kind: str, keys: Sequence[str]) -> list[int]:
        ids = self._ids.get(kind, {})
        return [ids[k] for k in dict.fromkeys(keys) if k in ids]

    def _kind_sql(self, kind: str, column: str = "p.key_id") -> str:
        lo, hi = self._range.get(kind, (0, 0))
        return f"{column} >= {lo} AND {column} < {hi}"

    def _per_state(self, cache: OrderedDict, filters, make: Callable[[Filters], object]):
        """``make(filters)``, kept in ``cache`` for the last _SELECTIONS filter states."""
        filters = _check_filters(filters)
        with self._lock:
            found = cache.get(filters)
            if found is not None:
                cache.move_to_end(filters)
                return found
        found = make(filters)
        with self._lock:
            cache[filters] = found
            while len(cache) > _SELECTIONS:
                cache.popitem(last=False)
        return found

    def _select(self, filters) -> pa.Table:
        """The rows (``_row``, ascending) of the documents that pass the filters, as the table ``sel`` the
        documents queries join: made once per state from its mask."""
        return self._per_state(self._selections, filters, lambda f: pa.table(
            {"_row": pa.array(np.flatnonzero(self._mask(f)).astype(np.int32))}))

    @property
    def _counts(self) -> Counting:
        """The pairs and per-document numbers as arrays (analysis.query.counting), read on first use."""
        if self._counting is None:
            with self._counting_lock:
                if self._counting is None:
                    self._counting = Counting.load(self._db.cursor(), self._doc_columns, len(self._key_names))
        return self._counting

    def _mask(self, filters) -> np.ndarray:
        """The documents that pass the filters as a boolean mask over the rows (Counting.where): made once
        per state."""
        return self._per_state(self._masks, filters, lambda f: self._counts.where(
            f, key_ids=self._key_ids, doc_rows=self._doc_rows, has_publisher="publisher" in self._doc_columns))

    def _doc_rows(self, doc_ids: Sequence[str]) -> np.ndarray:
        """The rows of the documents with these ids (a chart selection: a few to thousands)."""
        table = self._sql("SELECT _row FROM docs WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))",
                          [[str(v) for v in doc_ids]])
        return table.column("_row").to_numpy()

    def _column(self, name: str) -> str:
        """The SQL of a documents column; NULL when the build lacks it (-1 for a missing cluster_id)."""
        if name in self._doc_columns and name != "text":
            return f'd."{name}"'
        return "-1::BIGINT" if name == "cluster_id" else "NULL"

    # ------------------------------------------------------------------------------------------- lists
    @property
    def n_documents(self) -> int:
        """How many documents the build has (duplicates included): counted once, the tables never change."""
        if self._n_documents is None:
            self._n_documents = int(self._rows("SELECT count(*) FROM docs")[0][0])
        return self._n_documents

    def _distinct(self, column: str) -> tuple[str, ...]:
        if column not in self._doc_columns:
            return ()
        values = self._rows(f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM docs WHERE "{column}" IS NOT NULL')
        return tuple(sorted(v for (v,) in values))

    @_storable
    def sources(self) -> tuple[str, ...]:
        """The build's source files, sorted."""
        return self._distinct("source")

    @_storable
    def publishers(self) -> tuple[str, ...]:
        """The build's publishers, sorted (empty for a build made before publishers were found)."""
        return self._distinct("publisher")

    @_storable
    def languages(self) -> tuple[str, ...]:
        """The languages of the build's documents (ISO codes), sorted; undetected ones left out."""
        return self._distinct("language")

    def has_column(self, name: str) -> bool:
        """Whether the build's documents table has this column (``publisher`` is missing from older builds)."""
        return name in self._doc_columns

    @_storable
    def publisher_count(self, filters: Filters | None = None) -> int:
        """How many publishers the filtered documents have (0 for a build without publishers)."""
        if "publisher" not in self._doc_columns:
            return 0
        return len(self._counts.distinct("publisher", self._mask(filters)))

    def keys(self, kind: str) -> tuple[str, ...]:
        """Every key of ``kind`` mentioned anywhere in the build (cluster keys for ``cluster``), sorted."""
        check_choice("kind", kind, KINDS)
        return self._keys.get(kind, ())

    def entity_labels(self, kind: str) -> dict[str, str]:
        """key -> human label (analysis.timeline.entity_labels); ``{}`` for clusters."""
        check_choice("kind", kind, KINDS)
        if kind not in self._labels:
            self._labels[kind] = tl.entity_labels(self.entities, kind) if kind in ENTITY_KINDS else {}
        return dict(self._labels[kind])

    # ---------------------------------------------------------------------------------------- documents
    def doc_ids(self, filters: Filters | None = None) -> tuple[str, ...]:
        """The doc_ids of the documents that pass the filters, in the documents table's order."""
        table = self._sql("SELECT d.doc_id FROM sel JOIN docs d USING (_row) ORDER BY d._row",
                          sel=self._select(filters))
        return tuple(table.column(0).to_pylist())

    def rows(self, filters: Filters | None = None, *, present: Sequence[str] = ()) -> np.ndarray:
        """The rows (positions in documents.parquet, ascending, int64) of the documents that pass the filters:
        ``filter_documents`` of the build's documents table as positions (``documents.iloc[rows]``); with
        ``present``, only those where these number columns hold a number (neither missing nor NaN: pandas'
        ``notna``)."""
        sel = self._select(filters)
        if not present:
            return sel.column("_row").to_numpy().astype(np.int64)
        missing = [c for c in present if c not in self._doc_columns]
        if missing:
            raise ValueError(f"The documents table has no columns {missing}; it has {list(self._doc_columns)}.")
        where = " AND ".join(f'coalesce(NOT isnan(d."{c}"::DOUBLE), FALSE)' for c in present)
        table = self._sql(f"SELECT _row FROM sel JOIN docs d USING (_row) WHERE {where} ORDER BY _row", sel=sel)
        return table.column("_row").to_numpy().astype(np.int64)

    def documents_at(self, rows, columns=None) -> pd.DataFrame:
        """The documents at these rows (positions in documents.parquet), without their text, as
        :meth:`documents` gives them (columns, types), in row order with a fresh index."""
        chosen = pa.table({"_row": pa.array(np.unique(np.asarray(rows, dtype=np.int64)).astype(np.int32))})
        return self._documents_of(chosen, columns)

    def count(self, filters: Filters | None = None) -> int:
        """How many documents pass the filters."""
        return self._select(filters).num_rows

    def documents(self, filters: Filters | None = None, columns=None) -> pd.DataFrame:
        """The filtered documents without their text (analysis.timeline.filter_documents less ``text``), in
        the documents table's order with a fresh index.

        Arguments:
            columns: the columns to return (None: every column but ``text``); unknown ones are left out.
        """
        return self._documents_of(self._select(filters), columns)

    def _documents_of(self, sel: pa.Table, columns) -> pd.DataFrame:
        names = [c for c in self._doc_columns if c != "text"] if columns is None else [
            c for c in dict.fromkeys(columns) if c in self._doc_columns and c != "text"]
        select = ", ".join(f'd."{c}"' for c in names) or "d.doc_id"
        return _frame(self._sql(f"SELECT {select} FROM sel JOIN docs d USING (_row) ORDER BY d._row", sel=sel))

    def documents_page(self, filters: Filters | None = None, *, offset: int = 0, limit: int = 1000,
                       sort: str | None = None, descending: bool = False, search: str | None = None) -> DocumentsPage:
        """One page of the documents table (analysis.timeline.documents_table), sorted, with the total.

        Arguments:
            offset, limit: the page: rows ``offset`` to ``offset + limit - 1`` of the sorted table.
            sort: a column of DOCUMENT_SORTS to sort by (None: by date, undated last, then source and seq,
                the table's own order); ties keep the table's own order, missing values go last.
            descending: sort ``sort`` from the largest value.
            search: keep only documents whose title, doc_id or source contains these words (ignoring case).

        Returns:
            A DocumentsPage: ``rows`` has the columns of analysis.timeline.DOCUMENTS_TABLE_COLUMNS (themes and
            organisations joined by ", "), ``total`` the number of matching documents.
        """
        _check_count("offset", offset)
        _check_count("limit", limit)
        if sort is not None:
            check_choice("sort", sort, DOCUMENT_SORTS)
        sel = self._select(filters)
        where, params = "TRUE", []
        if search is not None and search.strip():
            where = (f"strpos(lower(coalesce({self._column('title')}, '') || ' ' || d.doc_id || ' ' || d.source), "
                     "lower(?)) > 0")
            params = [search.strip()]
        order = _DEFAULT_ORDER
        if sort is not None:
            order = f"{self._column(sort)} {'DESC' if descending else 'ASC'} NULLS LAST, {order}"
        total = (sel.num_rows if where == "TRUE" else
                 int(self._rows(f"SELECT count(*) FROM sel JOIN docs d USING (_row) WHERE {where}", params, sel)[0][0]))
        if where == "TRUE" and sort is None:
            # In the table's own order (by date first), only the documents that can be on the page are sorted.
            rows = sel.column("_row").to_numpy()
            first = self._counts.first_by_date(rows, np.ones(len(rows), dtype=np.int64), int(offset) + int(limit))
            sel = pa.table({"_row": pa.array(first.astype(np.int32))})
        columns = [c for c in tl.DOCUMENTS_TABLE_COLUMNS if c not in ("themes", "organisations", "date_label")]
        select = ", ".join(f'{self._column(c)} AS "{c}"' for c in columns)
        table = self._sql(f"""SELECT d._row, {select} FROM sel JOIN docs d USING (_row) WHERE {where}
                              ORDER BY {order} LIMIT ? OFFSET ?""", [*params, int(limit), int(offset)], sel)
        rows = table.column("_row").to_numpy()
        page = _frame(table.drop_columns(["_row"]))
        page["date_label"] = tl.date_labels(page["date"], page["date_precision"])
        keys = self._keys_of(rows)
        for kind, column in (("theme", "themes"), ("organisation", "organisations")):
            page[column] = pd.array([keys.get((int(r), kind), "") for r in rows], dtype="str")
        return DocumentsPage(page[list(tl.DOCUMENTS_TABLE_COLUMNS)], total, int(offset))

    def _keys_of(self, rows: np.ndarray) -> dict[tuple[int, str], str]:
        """(document row, kind) -> the keys of that kind it mentions, in key order, joined by ", ", for a few
        documents."""
        out: dict[tuple[int, str], list[str]] = {}
        for kind in ("theme", "organisation"):
            found_rows, found_keys = self._counts.keys_of(rows, *self._range.get(kind, (0, 0)))
            for row, key_id in zip(found_rows.tolist(), found_keys.tolist(), strict=True):
                out.setdefault((row, kind), []).append(self._key_names[key_id])
        return {where: ", ".join(keys) for where, keys in out.items()}

    def document(self, doc_id: str) -> tuple[pd.Series | None, pd.DataFrame]:
        """One document with its text, and its mentions of themes and organisations.

        Returns:
            (the document's row, every column of documents.parquet, named by its position in the table; or
            None when the id is unknown), (its mentions: doc_id, kind, key, surface, start, end, in the
            mentions table's order, indexed by their row there).
        """
        found = self._rows("SELECT _row FROM docs WHERE doc_id = ? ORDER BY _row LIMIT 1", [str(doc_id)])
        if not found:
            empty = {c: pd.Series([], dtype="str") for c in ("doc_id", "kind", "key", "surface")}
            return None, pd.DataFrame({**empty, "start": pd.Series([], dtype="int64"),
                                       "end": pd.Series([], dtype="int64")})
        row = int(found[0][0])
        if self._text_file is None:
            frame = _frame(self._documents_file.row(row))
        else:  # the other columns from documents.parquet, the text (most of a row group's bytes) from texts.arrow
            others = [c for c in self._doc_columns if c != "text"]
            frame = _frame(self._documents_file.row(row, columns=others))
            frame.insert(list(self._doc_columns).index("text"), "text",
                         pd.array([self._text_file.column([row]).get(row)], dtype="str"))
        frame.index = pd.Index([row])
        mentions = self._sql(
            f"""SELECT m._mrow, ? AS doc_id, k.kind, k.key, m.surface, m.start, m."end"
                FROM mentions m JOIN keys k USING (key_id)
                WHERE m._row = ? AND (({self._kind_sql('theme', 'm.key_id')})
                      OR ({self._kind_sql('organisation', 'm.key_id')}))
                ORDER BY m._mrow""",
            [str(doc_id), row],
        ).to_pandas()
        mentions = mentions.set_index("_mrow").rename_axis(None)
        return frame.iloc[0], mentions.astype({"start": "int64", "end": "int64"})

    def texts(self, rows) -> dict[int, str]:
        """The texts of the documents at these rows of the documents table: from the build's texts.arrow
        (analysis.query.texts), else from documents.parquet (only the row groups that hold them)."""
        if self._text_file is not None:
            return self._text_file.column(rows)
        return self._documents_file.column(rows, "text")

    # ----------------------------------------------------------------------------------------- summaries
    @_storable
    def summary(self, filters: Filters | None = None) -> dict:
        """Counts describing the filtered documents (analysis.timeline.summary's keys and values)."""
        mask, counts = self._mask(filters), self._counts
        dated = mask & counts.dated
        days = counts.day[dated]
        first, last = (as_date(days.min()), as_date(days.max())) if len(days) else (None, None)
        documents, hinted, body = (int(np.count_nonzero(m)) for m in (mask, mask & counts.hinted, mask & counts.body))
        sources = len(counts.distinct("source", mask))
        languages = counts.distinct("language", mask)
        mentions = counts.mentions(mask, skip=self._range.get("cluster", (0, 0)))
        return {
            "documents": int(documents),
            "dated": len(days),
            "undated": documents - len(days),
            "undated_with_hint": int(hinted),
            "body_dated": int(body),
            "first_date": first,
            "last_date": last,
            "sources": int(sources),
            "languages": sorted(str(v) for v in languages),
            "mentions": int(mentions),
        }

    @_storable
    def dating_gaps(self, filters: Filters | None = None) -> pd.DataFrame:
        """The filtered documents a timeline cannot trust (analysis.timeline.dating_gaps): undated ones, then
        those dated by a date their text mentions, by source and seq."""
        columns = tl.DATING_GAP_COLUMNS
        select = ", ".join(f'{self._column(c)} AS "{c}"' for c in columns)
        table = self._sql(
            f"""SELECT {select} FROM sel JOIN docs d USING (_row) WHERE d.date IS NULL OR d.date_method = 'body'
                ORDER BY (d.date IS NOT NULL), d.source ASC NULLS LAST, d.seq ASC NULLS LAST, d._row""",
            sel=self._select(filters),
        )
        docs = _frame(table)
        none_for_missing(docs, ("title", "date_method", "date_evidence", "date_hint", "date_hint_surface"))
        return docs[list(columns)].reset_index(drop=True)

    @_storable
    def choose_granularity(self, filters: Filters | None = None) -> str:
        """The automatic period length for the filtered documents (analysis.timeline.choose_granularity)."""
        spans = self._counts.spans(self._mask(filters))
        if not spans.count:
            return tl.auto_granularity(None, None)
        total = sum(spans.count.values())
        first, last = as_date(min(spans.first.values())), as_date(max(spans.last.values()))
        by_rank = spans.count
        precision, below = "year", 0
        for name, rank in (("day", 0), ("month", 1), ("year", 2)):
            below += by_rank.get(rank, 0)
            if np.float64(below) / np.float64(total) >= 0.5:  # analysis.timeline.common_precision's test
                precision = name
                break
        return tl.auto_granularity(first, last, precision=precision, documents=int(total))

    @_storable
    def top_groups(self, *, by: str = "source", filters: Filters | None = None, n: int = 8) -> list[str]:
        """The ``n`` values of ``source``, ``publisher`` or ``language`` with the most dated filtered documents,
        most first, ties by value (analysis.timeline.top_groups)."""
        allowed = sorted(c for c in ("source", "publisher", "language") if c in self._doc_columns)
        if by not in allowed:
            raise ValueError(f"The 'by' parameter must be one of {allowed}; got {by!r} instead.")
        codes, values = self._counts.codes(by)
        dated = codes[self._mask(filters) & self._counts.dated]
        found = np.bincount(dated[dated >= 0], minlength=len(values))
        ranked = sorted(((values[i], int(found[i])) for i in np.flatnonzero(found)),
                        key=lambda item: (-item[1], item[0]))
        return [value for value, _ in ranked[:n]]

    # ------------------------------------------------------------------------------------------ timeline
    @_storable
    def timeline(self, *, kind: str = "theme", keys=None, granularity: str = "month",
                 filters: Filters | None = None, by: str | None = None) -> pd.DataFrame:
        """Mentions of themes, organisations or clusters per calendar period: the table of
        analysis.timeline.timeline (same columns, order, numbers and ``attrs``), with cluster keys as
        analysis.timeline.cluster_mentions names them.

        Arguments:
            kind: ``theme``, ``organisation`` or ``cluster``.
            keys: the keys to report, in that order; None for every key mentioned in the placed documents.
            granularity: one of GRANULARITIES.
            filters: a Filters.
            by: a text or integer documents column (``source``, ``language``, ``publisher``, …) to split by.
        """
        check_choice("kind", kind, KINDS)
        check_choice("granularity", granularity, GRANULARITIES)
        filters = _check_filters(filters)
        groupable = [c for c, t in self._doc_columns.items() if c != "text" and (t == "VARCHAR" or "INT" in t)]
        if by is not None and (by not in groupable or by in tl.TIMELINE_COLUMNS):
            allowed = [c for c in ("source", "language", "format", "date_method") if c in self._doc_columns]
            raise ValueError(
                f"The 'by' parameter must be None or a documents column such as {allowed}; got {by!r} instead."
            )
        if keys is not None:
            keys = tuple(dict.fromkeys(_as_keys("keys", keys)))
        counts, mask = self._counts, self._mask(filters)
        needed = _NEEDED_PRECISION[granularity]
        spans = counts.spans(mask)
        placed_ranks = [rank for rank in spans.count if rank <= needed]
        attrs = {
            "undated": spans.undated,
            "excluded_coarse": int(sum(n for rank, n in spans.count.items() if rank > needed)),
            "kind": kind,
            "granularity": granularity,
        }
        if not placed_ranks:
            return _empty_timeline(by, attrs)
        placed = mask & counts.dated & (counts.rank <= needed)
        lo, hi = self._range.get(kind, (0, 0))
        if keys is None:
            found, _, _ = counts.per_key(lo, hi, placed)
            keys = tuple(self._key_names[found])  # id order is key order
        n_keys = len(keys)
        if n_keys == 0:
            return _empty_timeline(by, attrs)

        freq = _FREQ[granularity]
        data_start = pd.Timestamp(as_date(min(spans.first[rank] for rank in placed_ranks)))
        ends = []
        for rank in placed_ranks:
            last = pd.Timestamp(as_date(spans.last[rank]))
            ends.append(last if rank == 0 else pd.Period(last, "M" if rank == 1 else "Y-DEC").end_time.normalize())
        data_end = max(ends)
        cover_start = pd.Timestamp(filters.start) if filters.start is not None else data_start
        cover_end = pd.Timestamp(filters.end) if filters.end is not None else data_end
        periods = pd.period_range(pd.Period(cover_start, freq), pd.Period(cover_end, freq), freq=freq)
        n_periods = len(periods)
        period = counts.periods(freq) - periods[0].ordinal

        if by is None:
            groups, group = np.array([""]), np.zeros(counts.n_docs, dtype=np.int64)
        else:
            codes, values = counts.codes(by)
            # NULL is the group _NO_GROUP (merged with a value of that name, as coalesce does); groups sorted.
            labels = np.append(values, _NO_GROUP).astype(object).astype(str)
            names, label_group = np.unique(labels, return_inverse=True)
            doc_group = label_group[np.where(codes >= 0, codes, len(values))]
            present = np.unique(doc_group[placed])
            groups = names[present]
            position = np.full(len(names), -1, dtype=np.int64)
            position[present] = np.arange(len(present))
            group = position[doc_group]
        n_groups = len(groups)
        docs_total, words_total = counts.period_cells(placed, period, group, n_periods, n_groups)

        ids = self._ids.get(kind, {})
        mention_counts, docs_mentioning = counts.timeline_cells([ids.get(key, -1) for key in keys], placed, period,
                                                                group, n_periods, n_groups)

        return tl.timeline_rows(periods, granularity, keys, groups, by, mention_counts, docs_mentioning,
                                docs_total, words_total, cover_start, cover_end, attrs)

    # ---------------------------------------------------------------------------------- ranking, crosstab
    @_storable
    def ranking(self, *, kind: str = "organisation", filters: Filters | None = None) -> pd.DataFrame:
        """How often each key of a kind is mentioned in the filtered documents (analysis.timeline.ranking):
        ``key``, ``mentions``, ``documents_mentioning``, ``share_pct``, most documents first, then by key."""
        check_choice("kind", kind, KINDS)
        mask = self._mask(filters)
        ids, documents_mentioning, mentions = self._counts.per_key(*self._range.get(kind, (0, 0)), mask)
        out = pd.DataFrame(
            {
                "key": pd.array(self._key_names[ids], dtype="str"),
                "mentions": mentions,
                "documents_mentioning": documents_mentioning,
                "share_pct": (documents_mentioning / max(int(np.count_nonzero(mask)), 1) * 100.0).astype(np.float64),
            }
        )
        out = out.sort_values(["documents_mentioning", "key"], ascending=[False, True], kind="stable")
        return out.reset_index(drop=True)

    @_storable
    def crosstab(self, *, row_kind: str = "organisation", col_kind: str = "theme",
                 filters: Filters | None = None) -> pd.DataFrame:
        """Co-occurrence of two kinds of keys in the filtered documents (analysis.timeline.crosstab): every
        (row key, column key) pair, zeros included, with ``documents``, ``row_documents``, ``share_pct``."""
        check_choice("row_kind", row_kind, KINDS)
        check_choice("col_kind", col_kind, KINDS)
        mask, counts = self._mask(filters), self._counts
        rows, cols = self._range.get(row_kind, (0, 0)), self._range.get(col_kind, (0, 0))
        row_ids, row_docs, _ = counts.per_key(*rows, mask)
        col_ids = row_ids if rows == cols else counts.per_key(*cols, mask)[0]
        n_rows, n_cols = len(row_ids), len(col_ids)
        both = (counts.co_occurrence(rows, cols, row_ids, col_ids, mask) if n_rows and n_cols
                else np.zeros(n_rows * n_cols, dtype=np.int64))
        row_idx = np.repeat(np.arange(n_rows), n_cols)
        col_idx = np.tile(np.arange(n_cols), n_rows)
        row_total = row_docs[row_idx]
        share = np.where(row_total > 0, both / np.maximum(row_total, 1) * 100.0, 0.0)
        return pd.DataFrame(
            {
                "row_key": pd.array(self._key_names[row_ids][row_idx], dtype="str"),
                "col_key": pd.array(self._key_names[col_ids][col_idx], dtype="str"),
                "documents": both,
                "row_documents": row_total,
                "share_pct": share.astype(np.float64),
            }
        )

    # ---------------------------------------------------------------------------------------- concordance
    def key_mentions(self, *, kind: str, key: str, filters: Filters | None = None,
                     surfaces: Sequence[str] | None = None) -> pd.DataFrame:
        """The mentions of one theme or organisation in the filtered documents: ``doc_id``, ``kind``, ``key``,
        ``surface``, ``start``, ``end``, in the order of mentions.parquet and indexed by their row there (as
        ``mentions[...]`` of the whole table gives them: what analysis.surfaces samples from); with
        ``surfaces``, only the mentions with one of these surfaces (as matched)."""
        check_choice("kind", kind, KINDS[:2])
        ids = self._key_ids(kind, (key,))
        sel = self._select(filters)
        among, params = "", [kind, key, ids[0] if ids else -1]
        if surfaces is not None:
            among, params = " AND m.surface IN (SELECT unnest(?::VARCHAR[]))", [*params, [str(x) for x in surfaces]]
        table = self._sql(
            f"""SELECT m._mrow, d.doc_id, ? AS kind, ? AS key, m.surface, m.start::BIGINT AS start,
                       m."end"::BIGINT AS "end"
                FROM mentions m JOIN sel USING (_row) JOIN docs d USING (_row)
                WHERE m.key_id = ?{among} ORDER BY m._mrow""",
            params, sel)
        # Straight from Arrow (the text columns as pandas' Arrow-backed "str"): tens of thousands of rows for
        # a common theme, which a round trip through Python lists cost tens of milliseconds.
        out = pd.DataFrame({name: table.column(name).to_pandas().array
                            for name in ("doc_id", "kind", "key", "surface", "start", "end")})
        out.index = pd.Index(table.column("_mrow").to_numpy(), name=None)
        return out

    def surface_counts(self, *, kind: str, key: str, filters: Filters | None = None,
                       groups: Sequence[Sequence[str]] | None = None) -> pd.DataFrame:
        """How often one theme or organisation is matched as each surface in the filtered documents, counted
        in the engine (its mentions are not fetched): ``surface`` (as matched), ``mentions``, ``documents``
        (documents with that surface), by surface; with ``groups`` (lists of surfaces), one row per group in
        their order, ``group`` (its position), ``mentions`` and ``documents`` with any surface of the group
        (what analysis.surfaces.top_surfaces_counted merges surfaces that differ only in whitespace with)."""
        check_choice("kind", kind, KINDS[:2])
        ids = self._key_ids(kind, (key,))
        key_id = ids[0] if ids else -1
        sel = self._select(filters)
        if groups is None:
            table = self._sql(
                """SELECT m.surface, count(*)::BIGINT AS mentions, count(DISTINCT m._row)::BIGINT AS documents
                   FROM mentions m JOIN sel USING (_row) WHERE m.key_id = ? GROUP BY m.surface ORDER BY m.surface""",
                [key_id], sel)
            return pd.DataFrame({"surface": pd.array(table.column("surface").to_pylist(), dtype="str"),
                                 "mentions": table.column("mentions").to_numpy(),
                                 "documents": table.column("documents").to_numpy()})
        members = [(str(surface), i) for i, group in enumerate(groups) for surface in group]
        cursor = self._cursor()
        cursor.register("_groups", pa.table({"surface": pa.array([m[0] for m in members], pa.string()),
                                             "grp": pa.array([m[1] for m in members], pa.int64())}))
        try:
            table = self._sql(
                """SELECT g.grp, count(*)::BIGINT AS mentions, count(DISTINCT m._row)::BIGINT AS documents
                   FROM mentions m JOIN sel USING (_row) JOIN _groups g ON m.surface = g.surface
                   WHERE m.key_id = ? GROUP BY g.grp""",
                [key_id], sel)
        finally:
            cursor.unregister("_groups")
        found = dict(zip(table.column("grp").to_pylist(),
                         zip(table.column("mentions").to_pylist(), table.column("documents").to_pylist(), strict=True),
                         strict=True))
        counts = [found.get(i, (0, 0)) for i in range(len(groups))]
        return pd.DataFrame({"group": np.arange(len(groups), dtype=np.int64),
                             "mentions": np.array([c[0] for c in counts], dtype=np.int64),
                             "documents": np.array([c[1] for c in counts], dtype=np.int64)})

    def concordance(self, *, kind: str | None = None, key=None, filters: Filters | None = None, width: int = 120,
                    limit: int | None = None) -> pd.DataFrame:
        """The passage around each mention in the filtered documents (analysis.timeline.concordance: the same
        rows, order and sentence-aware contexts); only the texts of the rows returned are read."""
        if kind is not None:
            check_choice("kind", kind, KINDS)
        if not isinstance(width, (int, np.integer)) or isinstance(width, bool) or width < 0:
            raise ValueError(f"The 'width' parameter must be a non-negative integer; got {width!r} instead.")
        _check_count("limit", limit, none=True)
        sel = self._select(filters)
        if kind is None:
            lo, hi = self._range.get("cluster", (0, 0))
            conditions, params = [f"NOT (m.key_id >= {lo} AND m.key_id < {hi})"], []
        else:
            conditions, params = [self._kind_sql(kind, "m.key_id")], []
        if key is not None:
            wanted = _as_keys("key", key)
            kinds = [kind] if kind is not None else list(self._ids)
            conditions.append("m.key_id IN (SELECT unnest(?::INTEGER[]))")
            params.append([i for k in kinds if k != "cluster" or kind == "cluster" for i in self._key_ids(k, wanted)])
        limit_sql = f"LIMIT {int(limit)}" if limit is not None else ""
        if limit is not None:
            # Only the documents that can hold the first `limit` passages by date are joined and sorted.
            if key is not None:
                ids = params[-1]
            elif kind is None:
                ids = [i for i in range(len(self._key_names)) if not lo <= i < hi]
            else:
                ids = range(*self._range.get(kind, (0, 0)))
            counts = self._counts
            rows, weights = counts.mentions_per_row(ids, self._mask(filters))
            sel = pa.table({"_row": pa.array(counts.first_by_date(rows, weights, int(limit)).astype(np.int32))})
        table = self._sql(
            f"""SELECT d._row, d.doc_id, {self._column('title')} AS title, d.date, d.date_precision, d.source,
                       m.key_id, m.start, m."end"
                FROM mentions m JOIN sel USING (_row) JOIN docs d USING (_row)
                WHERE {' AND '.join(conditions)}
                ORDER BY d.date ASC NULLS LAST, d.doc_id, m.start, m._mrow {limit_sql}""",
            params,
            sel,
        )
        rows = table.column("_row").to_numpy()
        key_ids = table.column("key_id").to_numpy()
        texts = self.texts(rows)
        merged = _frame(table.drop_columns(["_row", "key_id"]))
        left, match, right = [], [], []
        for row, start, end in zip(rows, merged["start"], merged["end"], strict=True):
            text = texts.get(int(row))
            text = text if isinstance(text, str) else ""
            start, end = int(start), int(end)
            left.append(tl._collapse(tl._left_context(text, start, width)).lstrip())
            match.append(tl._collapse(text[start:end]))
            right.append(tl._collapse(tl._right_context(text, end, width)).rstrip())
        out = merged.assign(
            kind=pd.array(self._key_kinds[key_ids], dtype="str"),
            key=pd.array(self._key_names[key_ids], dtype="str"),
            left=pd.array(left, dtype="str"),
            match=pd.array(match, dtype="str"),
            right=pd.array(right, dtype="str"),
        )
        return out.astype({"start": "int64", "end": "int64"})[list(tl.CONCORDANCE_COLUMNS)]


def _empty_timeline(by: str | None, attrs: dict) -> pd.DataFrame:
    out = tl._empty_timeline(by)
    out.attrs.update(attrs)
    return out
