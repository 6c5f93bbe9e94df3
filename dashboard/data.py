"""Loading builds for the dashboard: the only module with st.cache_data / st.cache_resource."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from analysis import compare as cmp
from analysis import explain as ex
from analysis import surfaces as sf
from analysis import timeline as tl
from analysis.store import Build, BuildError, read_build

__all__ = [
    "DEFAULT_BUILD",
    "MAX_UPLOAD_BUILDS",
    "MAX_UPLOAD_MB",
    "SAMPLE_INPUT",
    "UploadTooLarge",
    "analysis_table",
    "build_default",
    "build_hash",
    "build_uploads",
    "document",
    "entity_labels",
    "events",
    "events_file",
    "save_events_upload",
    "load_build",
    "map_points",
    "publishers",
    "resolve_data_dir",
    "sources",
]

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUILD = ROOT / "build" / "sample"
SAMPLE_INPUT = ROOT / "data" / "sample"
# Keep in step with server.maxUploadSize in .streamlit/config.toml (Streamlit enforces it per file; the
# app checks the total of one upload against it).
MAX_UPLOAD_MB = 200
_UPLOAD_ROOT = Path(tempfile.gettempdir()) / "diplomatic-themes-uploads"
# Upload builds kept on disk at once: the oldest beyond this are removed (a session's own build is removed
# when the session ends or uploads again).
MAX_UPLOAD_BUILDS = 8
_LEASE_KEY = "upload_lease"

Progress = Callable[[str, float], None]


class UploadTooLarge(ValueError):
    """The files of one upload are larger together than the cap."""


def resolve_data_dir(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The build folder to open: ``--data DIR`` (after ``--`` on the streamlit command line), else the
    ``DT_DATA`` environment variable, else build/sample.

    Arguments:
        argv: the script's arguments (``sys.argv[1:]``); unknown arguments are ignored.
        environ: the environment (``os.environ``).
    """
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--data", default=None)
    try:
        args, _ = parser.parse_known_args(list(argv or []))
        data = args.data
    except SystemExit:  # e.g. "--data" without a value
        data = None
    environ = os.environ if environ is None else environ
    data = data or environ.get("DT_DATA") or None
    return Path(data).expanduser() if data else DEFAULT_BUILD


_HASHES: dict[tuple[str, int, int], str] = {}


def build_hash(path: str | Path) -> str:
    """The build's hash from its manifest.json ("" when absent) and the file's modification time.

    Called on every rerun: the manifest (megabytes on a large corpus) is parsed only when it changed.

    Raises:
        BuildError: the folder has no readable manifest.json.
    """
    manifest = Path(path) / "manifest.json"
    try:
        stat = manifest.stat()
    except FileNotFoundError:
        raise BuildError(
            f"No build at '{path}': manifest.json is missing. Build one with "
            f"`python -m analysis build INPUT --out {path}`."
        ) from None
    except OSError as exc:
        raise BuildError(f"The manifest.json of '{path}' cannot be read ({exc}); rebuild the folder.") from None
    memo = (str(manifest), stat.st_mtime_ns, stat.st_size)
    if memo not in _HASHES:
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BuildError(
                f"The manifest.json of '{path}' cannot be read ({exc}); rebuild the folder."
            ) from None
        # The modification time guards against two builds with the same inputs written to one folder.
        _HASHES[memo] = f"{data.get('build_hash', '')}:{stat.st_mtime_ns}"
    return _HASHES[memo]


@st.cache_resource(show_spinner=False, max_entries=8)
def _cached_build(path: str, key: str) -> Build:
    del key  # part of the cache key only
    return read_build(path)


@st.cache_resource(show_spinner=False, max_entries=8)
def _cached_cluster_mentions(path: str, key: str) -> pd.DataFrame:
    build = _cached_build(path, key)
    return pd.concat(
        [build.mentions, tl.cluster_mentions(build.documents, build.clusters)], ignore_index=True
    )


def load_build(path: str | Path) -> Build:
    """The build in ``path``, read once per (path, build hash) and shared by all sessions.

    Raises:
        BuildError: the folder is not a build.
    """
    resolved = str(Path(path).resolve())
    return _cached_build(resolved, build_hash(resolved))


_TABLES = {
    "timeline": tl.timeline,
    "ranking": tl.ranking,
    "crosstab": tl.crosstab,
    "concordance": tl.concordance,
    "summary": tl.summary,
    "documents_table": tl.documents_table,
    "filter_documents": tl.filter_documents,
    "empty_reason": tl.empty_reason,
    "choose_granularity": tl.choose_granularity,
    "top_groups": tl.top_groups,
    "top_surfaces": sf.top_surfaces,
    "surface_samples": sf.surface_samples,
    "surge_table": ex.surge_table,
    "surge_explanation": ex.surge_explanation,
    "compare_two": cmp.compare_two,
}


def _freeze(value):
    if isinstance(value, list):
        return tuple(value)
    return value


def _shallow(value):
    """What a cache hands out: a frame shares its data with the cached one (pandas copy-on-write keeps the
    cached frame unchanged whatever the caller does with its copy); other values are copied shallowly."""
    if isinstance(value, pd.DataFrame):
        out = value.copy(deep=False)
        out.attrs = dict(value.attrs)
        return out
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value


# cache_resource, not cache_data: cache_data pickles every result in and out on every call, which costs
# more than computing small tables and far more for the documents of a large build.
# Tables that read only the mentions of the kinds they are asked about (and of the filters' kinds): they
# get only those rows, which halves the work on a build with hundreds of thousands of mentions.
_KIND_ARGS = {
    "timeline": ("kind",), "ranking": ("kind",), "crosstab": ("row_kind", "col_kind"), "concordance": ("kind",),
    "filter_documents": (), "choose_granularity": (), "top_surfaces": ("kind",), "surface_samples": ("kind",),
    "surge_table": ("kind",), "surge_explanation": ("kind",), "compare_two": ("kind",),
}
_DEFAULT_KIND = {"timeline": "theme", "ranking": "organisation", "crosstab": None, "surge_table": "theme",
                 "surge_explanation": "theme", "compare_two": "theme"}


def _kinds_needed(name: str, kwargs: dict) -> tuple[str, ...] | None:
    """The mention kinds a table reads, or None when it may read any (summary, documents_table, …)."""
    if name not in _KIND_ARGS:
        return None
    kinds = set()
    for arg in _KIND_ARGS[name]:
        kind = kwargs.get(arg, _DEFAULT_KIND.get(name) if arg == "kind" else
                          ("organisation" if arg == "row_kind" else "theme"))
        if kind is None:  # concordance of every kind
            return None
        kinds.add(kind)
    filters = kwargs.get("filters") or tl.Filters()
    if filters.organisations:
        kinds.add("organisation")
    if filters.themes:
        kinds.add("theme")
    return tuple(sorted(kinds))


@st.cache_resource(show_spinner=False, max_entries=32)
def _cached_kind_mentions(path: str, key: str, kinds: tuple[str, ...]) -> pd.DataFrame:
    mentions = _cached_cluster_mentions(path, key) if "cluster" in kinds else _cached_build(path, key).mentions
    return mentions[mentions["kind"].isin(kinds)].reset_index(drop=True)


# Tables computed on the filtered documents and their mentions only (see _cached_subset); the others
# (concordance reads texts, empty_reason tells why the filtered documents give nothing) get the whole build.
_ON_SUBSET = {"timeline", "ranking", "crosstab", "summary", "documents_table", "choose_granularity", "top_groups",
              "surge_table"}


def _residual(filters: tl.Filters) -> tl.Filters:
    """What is left of the filters once the documents are filtered: the date bounds, which also set the
    periods a timeline covers (applying them again keeps the same documents)."""
    return tl.Filters(start=filters.start, end=filters.end, include_duplicates=True, include_inferred=True)


@st.cache_resource(show_spinner=False, max_entries=64, hash_funcs={tl.Filters: repr})
def _cached_subset(path: str, key: str, filters: tl.Filters, kinds: tuple[str, ...] | None,
                   with_clusters: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The filtered documents (without their texts) and the mentions (of ``kinds``, or all): only those in
    these documents when they are few.

    Every table of one filter state is then computed on these, instead of filtering a build of hundreds of
    thousands of mentions again for each table; the results are the same.
    """
    build = _cached_build(path, key)
    mentions, doc_rows = _cached_mention_rows(path, key, kinds, with_clusters)
    documents = _cached_documents_without_text(path, key)
    docs = tl.filter_documents(documents, build.mentions, filters)
    if len(docs) * 3 > len(documents):
        # The analysis functions ignore mentions of documents they are not given: copying most of the
        # mentions would cost more than it saves.
        return docs, mentions
    chosen = np.zeros(len(documents) + 1, dtype=bool)  # the last slot: mentions of unknown documents
    chosen[documents.index.get_indexer(docs.index)] = True
    return docs, mentions[chosen[doc_rows]].reset_index(drop=True)


@st.cache_resource(show_spinner=False, max_entries=8)
def _cached_documents_without_text(path: str, key: str) -> pd.DataFrame:
    documents = _cached_build(path, key).documents
    return documents[[c for c in documents.columns if c != "text"]]


@st.cache_resource(show_spinner=False, max_entries=32)
def _cached_mention_rows(path: str, key: str, kinds: tuple[str, ...] | None,
                         with_clusters: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """The mentions (of ``kinds``, or all) and the row of the documents table each belongs to (the
    number of documents for an unknown doc_id)."""
    build = _cached_build(path, key)
    if kinds is not None:
        mentions = _cached_kind_mentions(path, key, kinds)
    else:
        mentions = _cached_cluster_mentions(path, key) if with_clusters else build.mentions
    rows = pd.Index(build.documents["doc_id"].astype("str")).get_indexer(mentions["doc_id"].astype("str"))
    return mentions, np.where(rows < 0, len(build.documents), rows)


@st.cache_resource(show_spinner=False, max_entries=1024, hash_funcs={tl.Filters: repr})
def _cached_table(path: str, key: str, name: str, with_clusters: bool, kwargs: tuple):
    build = _cached_build(path, key)
    arguments = dict(kwargs)
    kinds = _kinds_needed(name, arguments)
    if name in _ON_SUBSET:
        filters = arguments.get("filters") or tl.Filters()
        documents, mentions = _cached_subset(path, key, filters, kinds, with_clusters)
        arguments["filters"] = _residual(filters)
        return _TABLES[name](documents, mentions, **arguments)
    if kinds is not None:
        mentions = _cached_kind_mentions(path, key, kinds)
    else:
        mentions = _cached_cluster_mentions(path, key) if with_clusters else build.mentions
    return _TABLES[name](build.documents, mentions, **arguments)


def _key(build: Build) -> tuple[str, str]:
    path = str(Path(build.path).resolve())
    return path, build_hash(path)


def analysis_table(build: Build, name: str, **kwargs):
    """A call of an analysis.timeline function on the build's tables, cached per build and arguments.

    Arguments:
        build: from load_build.
        name: one of timeline, ranking, crosstab, concordance, summary, documents_table, filter_documents,
            empty_reason, choose_granularity, top_surfaces, surface_samples (analysis.surfaces),
            surge_table, surge_explanation (analysis.explain), compare_two (analysis.compare).
        kwargs: the function's keyword arguments (``filters=Filters(...)``, ``kind=...``); kind "cluster"
            uses the build's mentions plus its cluster memberships (analysis.timeline.cluster_mentions).

    Returns:
        What the function returns (a shallow copy: the cached value itself never changes).
    """
    if name not in _TABLES:
        raise ValueError(f"The 'name' parameter must be one of {sorted(_TABLES)}; got {name!r} instead.")
    with_clusters = "cluster" in (kwargs.get("kind"), kwargs.get("row_kind"), kwargs.get("col_kind"))
    frozen = tuple(sorted((k, _freeze(v)) for k, v in kwargs.items()))
    path, key = _key(build)
    return _shallow(_cached_table(path, key, name, with_clusters, frozen))


def events_file(build: Build, uploaded: str | Path | None = None) -> str:
    """The calendar of events a build's timelines show: one the user uploaded this session, else the build's
    own (``events.toml`` written by ``build --events``), else the bundled ``data/events.toml``."""
    if uploaded and Path(uploaded).is_file():
        return str(uploaded)
    own = Path(build.path) / "events.toml"
    return str(own if own.is_file() else ex.DEFAULT_EVENTS)


MAX_EVENTS_UPLOAD_MB = 2


def save_events_upload(content: bytes, root: str | Path | None = None) -> str:
    """Check an uploaded calendar of events and keep it in a file of its own; returns its path.

    Raises:
        EventsError: the file is over MAX_EVENTS_UPLOAD_MB or does not follow the format of data/events.toml
            (the message names the entry and its line).
    """
    if len(content) > MAX_EVENTS_UPLOAD_MB * 1_000_000:
        raise ex.ev.EventsError(
            f"The events file is {len(content) / 1e6:.1f} MB, over the {MAX_EVENTS_UPLOAD_MB} MB a calendar may "
            "hold; keep only the events you need."
        )
    folder = Path(root or _UPLOAD_ROOT) / "events"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(content).hexdigest()[:16]}.toml"
    path.write_bytes(content)
    try:
        ex.events_table(path)
    except ex.ev.EventsError:
        path.unlink(missing_ok=True)
        raise
    return str(path)


def events(path: str, start=None, end=None) -> pd.DataFrame:
    """The events of a calendar file overlapping start..end (analysis.explain.events_table, which caches the
    file per modification time)."""
    return ex.events_table(path, start=start, end=end)


@st.cache_resource(show_spinner=False, max_entries=8)
def _cached_labels(path: str, key: str) -> dict[str, dict[str, str]]:
    build = _cached_build(path, key)
    return {kind: tl.entity_labels(build.entities, kind) for kind in ("theme", "organisation")}


def entity_labels(build: Build, kind: str) -> dict[str, str]:
    """key -> human label for themes or organisations of the build (analysis.timeline.entity_labels);
    ``{}`` for clusters, whose keys are labels already."""
    if kind == "cluster":
        return {}
    path, key = _key(build)
    return dict(_cached_labels(path, key)[kind])


@st.cache_resource(show_spinner=False, max_entries=8)
def _cached_doc_index(path: str, key: str) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    build = _cached_build(path, key)
    positions = {str(d): i for i, d in enumerate(build.documents["doc_id"])}
    doc_ids = build.mentions["doc_id"].astype("str").to_numpy(dtype=object)
    order = np.argsort(doc_ids, kind="stable")
    return positions, order, doc_ids[order]


def document(build: Build, doc_id: str) -> tuple[pd.Series | None, pd.DataFrame]:
    """One document's row and its mentions (kind, key, start, end), found through a cached index.

    Returns:
        (the documents-table row or None when the id is unknown, the document's mentions).
    """
    path, key = _key(build)
    positions, order, sorted_ids = _cached_doc_index(path, key)
    pos = positions.get(str(doc_id))
    lo, hi = np.searchsorted(sorted_ids, str(doc_id), side="left"), np.searchsorted(sorted_ids, str(doc_id), side="right")
    mentions = build.mentions.iloc[order[lo:hi]]
    return (None if pos is None else build.documents.iloc[pos]), mentions


@st.cache_resource(show_spinner=False, max_entries=8)
def _cached_sources(path: str, key: str) -> tuple[str, ...]:
    return tuple(sorted(_cached_build(path, key).documents["source"].astype(str).unique()))


def sources(build: Build) -> tuple[str, ...]:
    """The build's source files, sorted."""
    return _cached_sources(*_key(build))


@st.cache_resource(show_spinner=False, max_entries=8)
def _cached_publishers(path: str, key: str) -> tuple[str, ...]:
    documents = _cached_build(path, key).documents
    if "publisher" not in documents:  # a build made before publishers were found
        return ()
    return tuple(sorted(documents["publisher"].dropna().astype(str).unique()))


def publishers(build: Build) -> tuple[str, ...]:
    """The build's publishers, sorted (empty for a build made before publishers were found)."""
    return _cached_publishers(*_key(build))


_MAP_COLUMNS = ["doc_id", "title", "date", "source", "cluster_id", "x", "y"]


@st.cache_resource(show_spinner=False, max_entries=64, hash_funcs={tl.Filters: repr})
def _cached_map_points(path: str, key: str, filters: tl.Filters, limit: int) -> tuple[pd.DataFrame, int]:
    build = _cached_build(path, key)
    docs = tl.filter_documents(build.documents, build.mentions, filters)
    docs = docs[docs["x"].notna() & docs["y"].notna()][_MAP_COLUMNS]
    total = len(docs)
    if total > limit:
        # A fixed seed: the same filters always draw the same points.
        keep = np.sort(np.random.default_rng(0).choice(total, size=limit, replace=False))
        docs = docs.iloc[keep]
    return docs.reset_index(drop=True), total


def map_points(build: Build, filters: tl.Filters, limit: int) -> tuple[pd.DataFrame, int]:
    """The documents to draw on the document map: at most ``limit`` of the filtered ones with map
    coordinates (a fixed random sample beyond that).

    Returns:
        (doc_id, title, date, source, cluster_id, x, y of the points to draw, in the documents' order;
        how many filtered documents have coordinates).
    """
    path, key = _key(build)
    points, total = _cached_map_points(path, key, filters, int(limit))
    return _shallow(points), total


def build_default(out: str | Path = DEFAULT_BUILD, progress: Progress | None = None) -> Build:
    """Build data/sample into ``out`` (the default build, made on first start when missing)."""
    from analysis.pipeline import run_build

    return run_build([SAMPLE_INPUT], out, progress=progress)


_SAFE_NAME = re.compile(r"[^\w.\- ]+")


def _safe_name(name: str, i: int) -> str:
    base = Path(str(name).replace("\\", "/")).name
    base = _SAFE_NAME.sub("_", base).strip(" .") or f"upload_{i}"
    return base[:150]


class _Lease:
    """One session's hold on an upload build: when the last holder is gone the folder is removed.

    Stored in the session's state, so it is dropped with the session (or replaced by the next upload);
    a finalizer then releases the folder.
    """

    _holders: dict[str, int] = {}
    _lock = threading.Lock()

    def __init__(self, folder: Path) -> None:
        self.folder = str(folder)
        with self._lock:
            self._holders[self.folder] = self._holders.get(self.folder, 0) + 1
        weakref.finalize(self, _Lease._release, self.folder)

    @classmethod
    def _release(cls, folder: str) -> None:
        with cls._lock:
            left = cls._holders.get(folder, 1) - 1
            if left > 0:
                cls._holders[folder] = left
                return
            cls._holders.pop(folder, None)
        shutil.rmtree(folder, ignore_errors=True)

    @classmethod
    def held(cls, folder: Path) -> bool:
        with cls._lock:
            return cls._holders.get(str(folder), 0) > 0


def _hold(folder: Path) -> None:
    """Give the current session a lease on ``folder`` (outside a Streamlit session: nothing to hold)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return  # no session (a script or a test calling build_uploads): the bound on their number applies
    st.session_state[_LEASE_KEY] = _Lease(folder)


def prune_uploads(root: str | Path | None = None, keep: int = MAX_UPLOAD_BUILDS) -> list[Path]:
    """Remove the oldest upload builds beyond ``keep`` (by last use) that no live session holds.

    Returns:
        The folders removed.
    """
    base = Path(root or _UPLOAD_ROOT)
    if not base.is_dir():
        return []
    folders = [p for p in base.iterdir() if p.is_dir() and not p.is_symlink()]
    folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    removed = []
    for folder in folders[keep:]:
        if not _Lease.held(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def build_uploads(
    files: Sequence[tuple[str, bytes]],
    *,
    max_mb: float = MAX_UPLOAD_MB,
    progress: Progress | None = None,
    root: str | Path | None = None,
    limits: Mapping[str, int] | None = None,
) -> Build:
    """Build uploaded files (plain files or .zip archives) into a temporary build folder.

    The same set of files (by content) maps to the same folder, so uploading them again reuses the build.
    The build is read under ``analysis.ingest.UPLOAD_LIMITS`` (uncompressed size, text a build may hold,
    time per file); at most ``MAX_UPLOAD_BUILDS`` upload builds are kept, and a session's own build is
    removed when the session ends.

    Arguments:
        files: (file name, content) pairs as uploaded; names are reduced to a safe base name.
        max_mb: the cap on the total size, in megabytes.
        progress: called with (stage message, fraction done).
        root: where upload builds live (default: a folder in the system's temp dir).
        limits: reading limits instead of ``UPLOAD_LIMITS`` (by name, see ``analysis.ingest.LIMITS``).

    Returns:
        The Build.

    Raises:
        UploadTooLarge: the files together exceed ``max_mb``.
        ValueError: no file was given.
        analysis.pipeline.NoDocumentsError: nothing usable was found in them.
    """
    from analysis.ingest import UPLOAD_LIMITS
    from analysis.pipeline import run_build

    if not files:
        raise ValueError("No files were uploaded: choose one or more text, HTML, CSV, JSON or .zip files.")
    total = sum(len(data) for _, data in files)
    if total > max_mb * 1024 * 1024:
        raise UploadTooLarge(
            f"The uploaded files total {total / 1024 / 1024:.1f} MB, over the {max_mb:g} MB limit. "
            "Upload fewer files at once, or build a large corpus with `python -m analysis build` and open it "
            "with `streamlit run dashboard/app.py -- --data DIR`."
        )
    digest = hashlib.sha256()
    for name, data in sorted(files, key=lambda f: f[0]):
        digest.update(name.encode("utf-8", "replace") + b"\0" + hashlib.sha256(data).digest())
    base = Path(root or _UPLOAD_ROOT)
    folder = base / digest.hexdigest()[:16]
    out = folder / "build"
    _hold(folder)
    if (out / "manifest.json").exists():
        try:
            os.utime(folder)  # last use, for prune_uploads
            return load_build(out)
        except (BuildError, OSError):
            pass
    inputs = folder / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    for i, (name, data) in enumerate(files):
        safe = _safe_name(name, i)
        while safe in used:
            safe = f"{i}_{safe}"
        used.add(safe)
        (inputs / safe).write_bytes(data)
    prune_uploads(base)
    # run_build stays in one process here (Streamlit runs the script in a thread of its server).
    return run_build([inputs], out, progress=progress, limits=dict(UPLOAD_LIMITS if limits is None else limits))
