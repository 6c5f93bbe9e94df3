"""Writing a build atomically and reading it back: the tables of the contract plus the manifest."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .documents import OPTIONAL_TEXT_COLUMNS, none_for_missing

if TYPE_CHECKING:
    from .topic_state import TopicState

__all__ = ["BUILD_FILES", "SCHEMAS", "TOOL", "TOPIC_MODEL_FILE", "Build", "BuildError", "build_lock", "check_build",
           "check_out", "check_schemas", "read_build", "write_build"]

TOOL = "diplomatic-themes"  # manifest.json's "tool": only a folder that says so may be replaced by a build

BUILD_FILES = (
    "documents.parquet",
    "mentions.parquet",
    "clusters.parquet",
    "entities.parquet",
    "ingest_report.json",
    "manifest.json",
)
_REQUIRED = ("documents.parquet", "mentions.parquet", "clusters.parquet", "manifest.json")
TOPIC_MODEL_FILE = "topic_model.npz"  # optional: builds of earlier versions have none


class BuildError(ValueError):
    """A folder is not a readable build."""


# The columns of each table that every reader relies on (../shared/CONTRACT.md) and their type families:
# checked on the parquet files' schemas (no data read) whenever a build is opened, so a damaged or foreign
# file is refused with the column named instead of failing somewhere in a chart. Other columns may follow.
SCHEMAS: dict[str, dict[str, str]] = {
    "documents.parquet": {
        "doc_id": "string", "source": "string", "seq": "integer", "title": "string", "date": "date",
        "date_precision": "string", "date_method": "string", "language": "string", "text": "string",
        "n_words": "integer", "duplicate_of": "string", "cluster_id": "integer",
    },
    "mentions.parquet": {
        "doc_id": "string", "kind": "string", "key": "string", "surface": "string", "start": "integer",
        "end": "integer",
    },
    "clusters.parquet": {"cluster_id": "integer", "label": "string", "top_terms": "list of strings",
                         "size": "integer"},
}  # fmt: skip
_OPTIONAL_TYPES = {"x": "number", "y": "number", "url": "string", "publisher": "string", "date_evidence": "string"}


def _is_string(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or (
        pa.types.is_dictionary(t) and _is_string(t.value_type))


_FAMILIES = {
    "string": _is_string,
    "integer": pa.types.is_integer,
    "number": lambda t: pa.types.is_integer(t) or pa.types.is_floating(t),
    "date": lambda t: pa.types.is_date(t) or pa.types.is_timestamp(t),
    "list of strings": lambda t: (pa.types.is_list(t) or pa.types.is_large_list(t)) and (
        _is_string(t.value_type) or pa.types.is_null(t.value_type)),
}


def check_schemas(path: str | Path) -> None:
    """Check the tables of the build in ``path`` against :data:`SCHEMAS` (their footers only).

    Raises:
        BuildError: a table cannot be read as parquet, lacks a column, or holds one of another type; the
            message names the file, the column, what was expected and what was found.
    """
    path = Path(path)
    rebuild = f"Rebuild it with `python -m analysis build INPUT --out {path}`."
    for name, columns in SCHEMAS.items():
        try:
            schema = pq.read_schema(path / name)
        except (OSError, pa.ArrowException) as error:
            raise BuildError(f"The build's {name} in '{path}' cannot be read as parquet ({error}). {rebuild}"
                             ) from None
        found = {field.name: field.type for field in schema}
        missing = [c for c in columns if c not in found]
        if missing:
            raise BuildError(
                f"The build's {name} in '{path}' lacks the column(s) {', '.join(missing)} that every build has; "
                f"it holds {', '.join(found) or 'none'}. It was made by another tool or version. {rebuild}"
            )
        expected = {**{c: t for c, t in _OPTIONAL_TYPES.items() if c in found}, **columns}
        for column, family in expected.items():
            kind = found[column]
            if not (pa.types.is_null(kind) or _FAMILIES[family](kind)):
                raise BuildError(
                    f"The build's {name} in '{path}' has the column '{column}' of type {kind}; expected "
                    f"{'an' if family[0] in 'aeiou' else 'a'} {family} column. {rebuild}"
                )


@dataclass
class Build:
    """A build read from disk (or just written).

    ``documents``, ``mentions`` and ``clusters`` follow docs/ARCHITECTURE.md (``documents.date`` is
    datetime64, NaT when unknown); ``entities`` has kind, key, label, category, description for every theme
    and organisation of the lexicon the build used. ``topic_model`` is the fitted topic model's state
    (``analysis.topic_state.TopicState``) when it was read (``read_build(..., topic_model=True)``) or written.
    """

    path: Path
    documents: pd.DataFrame
    mentions: pd.DataFrame
    clusters: pd.DataFrame
    entities: pd.DataFrame
    report: dict
    manifest: dict
    topic_model: TopicState | None = None

    @property
    def build_hash(self) -> str:
        return str(self.manifest.get("build_hash", ""))


# Rows of documents.parquet per row group: about this many bytes of text each, so that a reader fetching one
# document's text (analysis.query.Corpus) decompresses a small row group, not the whole column.
TEXT_ROW_GROUP_BYTES = 1_000_000


def text_row_group_rows(table: pa.Table) -> int:
    """The row group length (rows) that holds about TEXT_ROW_GROUP_BYTES of text, between 16 and 65,536."""
    if "text" not in table.column_names or table.num_rows == 0:
        return 65_536
    mean = max(1.0, table.column("text").nbytes / table.num_rows)
    return int(min(65_536, max(16, TEXT_ROW_GROUP_BYTES // mean)))


def _documents_to_arrow(documents: pd.DataFrame) -> pa.Table:
    docs = documents.copy()
    # The contract's `date` is a date, not a timestamp.
    docs["date"] = pd.to_datetime(docs["date"]).dt.date
    docs["date"] = docs["date"].astype(object).where(docs["date"].notna(), None)
    table = pa.Table.from_pandas(docs, preserve_index=False)
    # A column that is null in every row of this build (no URLs, no duplicates) keeps its type, so that
    # readers of another build see the same schema.
    for i, field in enumerate(table.schema):
        if pa.types.is_null(field.type) and field.name in OPTIONAL_TEXT_COLUMNS:
            table = table.set_column(i, pa.field(field.name, pa.string()), table.column(i).cast(pa.string()))
        elif pa.types.is_null(field.type) and field.name == "date":
            table = table.set_column(i, pa.field("date", pa.date32()), table.column(i).cast(pa.date32()))
    return table


def _manifest_tool(folder: Path) -> str | None:
    """The ``tool`` named by a folder's manifest.json, or None when it has none or it cannot be read."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest.get("tool") if isinstance(manifest, dict) else None


def check_out(out: str | Path, inputs: Sequence[str | Path] = ()) -> Path:
    """Check, before a build starts, that ``out`` may receive a build; it is left untouched.

    A folder may be replaced only when it is missing, empty, or an earlier build of this tool (its
    ``manifest.json`` says ``"tool": "diplomatic-themes"``); never the current folder or one of its parents,
    and never a folder that holds one of the ``inputs``.

    Returns:
        ``out`` as a Path.

    Raises:
        BuildError: saying why ``out`` cannot be used and what to pass instead.
    """
    out = Path(out)
    if isinstance(inputs, str | Path):
        inputs = [inputs]
    if not out.name or out.name in (".", ".."):
        raise BuildError(
            f"--out '{out}' names no folder of its own (the build folder is replaced whole); "
            "pass a new folder such as build/mycorpus."
        )
    resolved = out.resolve()
    if resolved == Path.cwd().resolve() or resolved in Path.cwd().resolve().parents:
        raise BuildError(
            f"--out '{out}' is the current folder or one of its parents, which a build would replace whole; "
            "pass a new folder such as build/mycorpus."
        )
    for item in inputs:
        item = Path(item).resolve()
        if item == resolved or resolved in item.parents:
            raise BuildError(
                f"--out '{out}' holds the input '{item}', which replacing the build folder would delete; "
                "pass an --out outside the inputs."
            )
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise BuildError(f"The output '{out}' exists and is not a folder; expected a folder. Choose another --out.")
    if out.is_dir():
        try:
            empty = not any(out.iterdir())
        except OSError as error:
            raise BuildError(f"The output folder '{out}' cannot be read ({error.strerror}); choose another --out.") from None
        if not empty and _manifest_tool(out) != TOOL:
            raise BuildError(
                f"The output folder '{out}' is not empty and holds no earlier build of this tool (no manifest.json "
                f'with "tool": "{TOOL}"); refusing to replace it. Choose an empty or new folder for --out.'
            )
    return out


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    ok = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0
    return ok


_HELD = threading.local()  # the build folders whose lock this thread holds (build_lock may nest write_build)


@contextlib.contextmanager
def _locked(out: Path, *, reentrant: bool = False):
    """Hold an exclusive lock on ``out`` (a sibling lock file) or raise BuildError when another build has it.

    Only a lock taken with ``reentrant=True`` (by :func:`build_lock`) lets the same thread's
    :func:`write_build` through; any other holder, this thread's included, is another build."""
    key = out.resolve()
    held = _HELD.__dict__.setdefault("paths", set())
    if key in held:  # this thread holds it by build_lock (an update that reads, then writes, under one lock)
        yield
        return
    lock_path = out.with_name(f".{out.name}.lock")
    handle = open(lock_path, "a+")  # noqa: SIM115 - closed below
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BuildError(
                f"Another build is writing into '{out}' right now; wait for it to finish or choose another --out."
            ) from None
        if reentrant:
            held.add(key)
        try:
            yield
        finally:
            held.discard(key)
    finally:
        handle.close()


def build_lock(out: str | Path):
    """A context manager holding the lock of the build folder ``out`` (the one :func:`write_build` takes), so
    that reading a build, changing it and writing it back (``analysis update``) is not interleaved with another
    build or update of the same folder; :func:`write_build` inside it does not lock again.

    Raises:
        BuildError: another build or update holds the lock.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    return _locked(out, reentrant=True)


def _remove_leftovers(out: Path) -> None:
    """Temporary and old folders that an interrupted build left beside ``out`` (called under the lock)."""
    for pattern in (f".{out.name}.tmp-*", f".{out.name}.old-*"):
        for leftover in out.parent.glob(pattern):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)


def write_build(
    out: str | Path,
    *,
    documents: pd.DataFrame,
    mentions: pd.DataFrame,
    clusters: pd.DataFrame,
    entities: pd.DataFrame,
    report: dict,
    manifest: dict,
    topic_model: TopicState | None = None,
    extra_files: dict[str, bytes | Callable[[Path], None]] | None = None,
) -> Path:
    """Write a build into ``out`` atomically: an earlier build there is replaced whole, never half-written.

    The files are written into a temporary sibling folder, which then takes the place of ``out`` in one
    step (the two are exchanged, so readers always find a whole build); on any error the temporary folder
    is removed and ``out`` is left as it was. A lock file beside ``out`` keeps two builds from writing into
    it at once; leftovers of an interrupted build are removed. ``manifest["tool"]`` is set to this tool.
    ``topic_model`` (a ``TopicState``), when given, is saved as ``topic_model.npz``; ``extra_files`` are
    written as they are (``{"events.toml": bytes}``), or by a function given the file's path (for a big file
    that is not to be held in memory whole), inside the same atomic swap.

    Returns:
        The path of the build folder.

    Raises:
        BuildError: ``out`` may not be replaced (see :func:`check_out`) or another build is writing into it.
    """
    out = check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    manifest = {"tool": TOOL, **manifest}
    with _locked(out):
        _remove_leftovers(out)
        check_out(out)  # again under the lock: the folder may have changed while this build ran
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        try:
            table = _documents_to_arrow(documents)
            pq.write_table(table, tmp / "documents.parquet", row_group_size=text_row_group_rows(table))
            mentions.to_parquet(tmp / "mentions.parquet", index=False)
            clusters.to_parquet(tmp / "clusters.parquet", index=False)
            entities.to_parquet(tmp / "entities.parquet", index=False)
            if topic_model is not None:
                topic_model.save(tmp / TOPIC_MODEL_FILE)
            for name, data in (extra_files or {}).items():
                if Path(name).name != name or name in BUILD_FILES or name == TOPIC_MODEL_FILE:
                    raise ValueError(f"extra_files names a file of its own in the build folder; got {name!r}.")
                if callable(data):
                    data(tmp / name)
                else:
                    (tmp / name).write_bytes(data)
            (tmp / "ingest_report.json").write_text(
                json.dumps(report, indent=2, ensure_ascii=False, default=str), encoding="utf-8", errors="replace"
            )
            (tmp / "manifest.json").write_text(
                json.dumps(manifest, indent=2, ensure_ascii=False, default=str), encoding="utf-8", errors="replace"
            )
            if out.exists() and _exchange(tmp, out):
                shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the earlier build
            else:
                old = None
                if out.exists():
                    old = out.with_name(f".{out.name}.old-{os.getpid()}")
                    out.rename(old)
                tmp.rename(out)
                if old is not None:
                    shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return out


def check_build(path: str | Path) -> Path:
    """The path of a build folder, checked without reading its data: its files are there and its tables have
    the columns and types of :data:`SCHEMAS` (read from the parquet footers).

    Raises:
        BuildError: when the folder is missing, lacks one of the build's files, or a table lacks a column or
            holds one of another type, saying what and how to make it again.
    """
    path = Path(path)
    if not path.is_dir():
        raise BuildError(
            f"No build at '{path}': expected a folder made by `python -m analysis build INPUT --out {path}`."
        )
    missing = [name for name in _REQUIRED if not (path / name).exists()]
    if missing:
        raise BuildError(
            f"The folder '{path}' is not a complete build: missing {', '.join(missing)}. "
            f"Rebuild it with `python -m analysis build INPUT --out {path}`."
        )
    check_schemas(path)
    return path


def read_build(path: str | Path, *, topic_model: bool = False, text: bool = True) -> Build:
    """Read a build folder written by :func:`write_build`.

    Arguments:
        path: the build folder.
        topic_model: also read and check its ``topic_model.npz`` into ``Build.topic_model`` (None when the
            build has none: builds of earlier versions); the dashboard does not need it.
        text: False leaves the documents' ``text`` column on disk (most of a build's size), for readers that
            fetch texts only for the documents they show.

    Raises:
        BuildError: when the folder is missing or lacks one of the build's files (see :func:`check_build`),
            or a file of it, the topic model included, cannot be read.
    """
    path = check_build(path)
    try:
        build = _read(path, text=text)
        if topic_model:
            build.topic_model = _read_topic_model(path)
        return build
    except BuildError:
        raise
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as error:
        raise BuildError(
            f"The build in '{path}' cannot be read ({type(error).__name__}: {error}); a file of it is corrupt or "
            f"was not written by this tool. Rebuild it with `python -m analysis build INPUT --out {path}`."
        ) from None


def _read_topic_model(path: Path) -> TopicState | None:
    from .topic_state import TopicState, TopicStateError

    if not (path / TOPIC_MODEL_FILE).is_file():
        return None
    try:
        return TopicState.load(path / TOPIC_MODEL_FILE)
    except TopicStateError as error:
        raise BuildError(
            f"The topic model of the build in '{path}' cannot be used: {error} Rebuild it with "
            f"`python -m analysis build INPUT --out {path}`, or refit it with `python -m analysis update {path} "
            "INPUT --refit`."
        ) from None


def _read(path: Path, *, text: bool = True) -> Build:
    columns = None if text else [c for c in pq.read_schema(path / "documents.parquet").names if c != "text"]
    documents = pd.read_parquet(path / "documents.parquet", columns=columns)
    documents["date"] = pd.to_datetime(documents["date"])
    none_for_missing(documents)
    mentions = pd.read_parquet(path / "mentions.parquet")
    clusters = pd.read_parquet(path / "clusters.parquet")
    if "top_terms" in clusters:
        clusters["top_terms"] = clusters["top_terms"].map(list)
    entities_path = path / "entities.parquet"
    entities = (
        pd.read_parquet(entities_path)
        if entities_path.exists()
        else pd.DataFrame(columns=["kind", "key", "label", "category", "description"])
    )
    report_path = path / "ingest_report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {"files": [], "totals": {}}
    manifest = json.loads((path / "manifest.json").read_text())
    if not isinstance(manifest, dict) or not isinstance(report, dict):
        raise BuildError(
            f"The manifest.json or ingest_report.json of '{path}' is not a JSON object; rebuild the folder with "
            f"`python -m analysis build INPUT --out {path}`."
        )
    return Build(path, documents, mentions, clusters, entities, report, manifest)
