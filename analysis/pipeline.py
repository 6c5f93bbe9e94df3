"""The whole build as one function: inputs -> documents, mentions, clusters -> a build folder.

``run_build`` is the local engine; its parts are reusable by another engine or an update of a build:
``prepare_build`` (everything that fails fast) -> ``read_stage`` -> ``document_stage`` -> ``require_documents``
-> ``mentions_and_topics`` -> ``apply_topics`` -> ``finish_build`` (report, manifest, the atomic write)."""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import functools
import gc
import hashlib
import itertools
import json
import multiprocessing as mp
import os
import platform
import resource
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from . import __version__
from .documents import build_documents, concat_columns, document_rows, row_columns
from .events import load_events
from .ingest import IngestResult, load_publisher_map, read_inputs
from .lexicon import Lexicon, load_lexicon
from .mentions import find_mentions
from .panels import first_view
from .query.corpus import QUERY_FILE, write_query_file, write_texts_file
from .query.texts import TEXTS_FILE
from .store import TOPIC_MODEL_FILE, Build, check_out, write_build
from .term_store import FILE_NAME as TERM_COUNTS_FILE
from .term_store import TermStore, TermStoreBuilder
from .topic_state import TopicState
from .topics import _CHUNK as _ASSIGN_CHUNK
from .topics import TermCounts, TopicModel, count_terms

__all__ = ["NoDocumentsError", "PreparedBuild", "apply_topics", "document_stage", "finish_build", "mentions_and_topics",
           "prepare_build", "publisher_counts", "read_stage", "release_memory", "require_documents", "run_build",
           "texts_at"]

Progress = Callable[[str, float], None]

# Below this many records (and this many characters of text) the process pool costs more than it saves.
_PARALLEL_MIN_RECORDS = 400
_PARALLEL_MIN_CHARS = 2_000_000
# Records go to the workers in chunks of at most this many records or characters, whichever comes first: a
# big table is many chunks, and a few long texts do not all land on one worker.
_CHUNK_RECORDS = 200
_CHUNK_CHARS = 1_000_000
# While a list of records is drained into the documents, its freed memory is handed back every this many chunks.
_TRIM_EVERY = 50
_PACKAGES = ("pandas", "pyarrow", "scikit-learn", "numpy", "dateparser", "trafilatura", "htmldate",
             "charset-normalizer", "pyahocorasick")


class NoDocumentsError(RuntimeError):
    """Nothing usable was found in the inputs."""


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux; children count too since stages may use a process pool.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def release_memory() -> None:
    """Hand freed memory back to the system: a collection, then glibc's ``malloc_trim`` and Arrow's pool.
    Freed texts (a table's records once they are documents) otherwise stay in the process's heap as holes
    that the next stage does not reuse: about a third of the main process's size on the 119k archive."""
    gc.collect()
    _trim()
    with contextlib.suppress(Exception):  # an Arrow build without release_unused
        pa.default_memory_pool().release_unused()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, looked up once; None elsewhere (musl, macOS: nothing to trim)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _trim() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _drain(records: list) -> Iterator:
    """The records of a list, each dropped from it as it is handed on (the list ends empty): a record's text
    is freed once its chunk is made into documents, not held until the whole stage ends."""
    for i in range(len(records)):
        record, records[i] = records[i], None
        yield record
    records.clear()


def _workers(requested: int | None) -> int:
    if requested is not None:
        return max(1, requested)
    if threading.current_thread() is not threading.main_thread():
        # Called from a server's thread (the dashboard): forking a process with other threads running can
        # deadlock on a lock one of them holds, so the work stays in this process.
        return 1
    return max(1, min(2, os.cpu_count() or 1))


# Data the worker processes inherit by fork, so that only row ranges and results cross process boundaries.
_SHARED: dict = {}


def _rows_for_records(job: tuple[list, dict]) -> tuple[int, dict[str, list]]:
    """(number of records, their documents table rows as columns): the work of one chunk, on a worker.
    Columns, not one dictionary per row, cross back to the main process and stay there until the table is
    made: a tenth of the memory for a big corpus."""
    records, options = job
    rows = []
    for record in records:
        rows.extend(document_rows(record, **options))
    return len(records), row_columns(rows, arrow=True)


def _mentions_for_range(bounds: tuple[int, int]) -> pd.DataFrame:
    return find_mentions(_SHARED["documents"].iloc[bounds[0] : bounds[1]], _SHARED["lexicon"])


def _shared_texts(rows) -> list[str]:
    return [t if isinstance(t, str) else "" for t in texts_at(_SHARED["documents"]["text"], rows)]


def texts_at(texts: pd.Series, rows) -> list:
    """``texts.iloc[rows].tolist()`` (missing texts as None), read chunk by chunk for a column of Arrow chunks:
    a take over a column of many chunks (the document stage's parts) first concatenates all of them, a copy of
    every text that each worker then keeps in Arrow's memory pool (1.9 GB per worker at a million posts)."""
    arrow = texts.array.__arrow_array__() if hasattr(texts.array, "__arrow_array__") else None
    if not isinstance(arrow, pa.ChunkedArray) or arrow.num_chunks <= 1:
        return [t if isinstance(t, str) else None for t in texts.iloc[rows].tolist()]
    rows = np.asarray(rows, dtype=np.int64)
    starts = np.cumsum([0, *(len(chunk) for chunk in arrow.chunks)])
    if len(rows) and (rows.min() < 0 or rows.max() >= starts[-1]):
        raise IndexError(f"rows outside the column's {starts[-1]} values")
    which = np.searchsorted(starts, rows, side="right") - 1
    out: list = [None] * len(rows)
    for chunk in np.unique(which):
        at = np.flatnonzero(which == chunk)
        values = arrow.chunk(int(chunk)).take(pa.array(rows[at] - starts[chunk])).to_pylist()
        for position, value in zip(at.tolist(), values, strict=True):
            out[position] = value
    return out


def _terms_for_rows(rows) -> TermCounts:
    """The topic model's term counts of some rows of the sample, on a worker."""
    return count_terms(_shared_texts(rows))


def _assign_rows(job: tuple) -> tuple:
    """Rows outside the topic model's sample assigned to its clusters, on a worker: (rows, their word
    counts when asked for or None, labels, coordinates, per-cluster counts)."""
    assign, rows, keep_counts = job
    batch = count_terms(_shared_texts(rows))
    return (rows, batch if keep_counts else None, *assign.counted(batch))


def _ranges(n: int, size: int) -> list[tuple[int, int]]:
    return [(i, min(n, i + size)) for i in range(0, n, size)]


def _use_pool(workers: int, n_items: int) -> bool:
    return workers > 1 and n_items >= _PARALLEL_MIN_RECORDS and "fork" in mp.get_all_start_methods()


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"))


def _inputs_reach(paths: Sequence, size: int) -> bool:
    """Whether the input files (folders walked) hold at least ``size`` bytes; the walk stops once they do.
    What cannot be read counts for nothing (ingest reports it)."""
    total = 0
    for path in map(Path, paths):
        with contextlib.suppress(OSError):
            for file in path.rglob("*") if path.is_dir() else (path,):
                total += file.stat().st_size if file.is_file() else 0
                if total >= size:
                    return True
    return False


@contextlib.contextmanager
def _early_pool(workers: int, paths: Sequence) -> Iterator[ProcessPoolExecutor | None]:
    """The document stage's workers, forked now, before the inputs are read, when they are big enough to
    be split on workers (else None). Workers forked after the read would share the pages of every record
    read (3 GB at a million posts) and keep them alive while this process frees them one by one."""
    if not _use_pool(workers, _PARALLEL_MIN_RECORDS) or not _inputs_reach(paths, _PARALLEL_MIN_CHARS):
        yield None
        return
    with _pool(workers) as pool:
        pool.submit(int).result()  # a fork pool starts all its workers on the first job: now
        yield pool


def _record_chunks(records: Iterable) -> Iterator[tuple[list, int]]:
    """Consecutive chunks of ``records`` (of at most _CHUNK_RECORDS records or _CHUNK_CHARS characters),
    each with its number of characters, read lazily."""
    chunk, chars = [], 0
    for record in records:
        chunk.append(record)
        chars += len(record.text)
        if len(chunk) >= _CHUNK_RECORDS or chars >= _CHUNK_CHARS:
            yield chunk, chars
            chunk, chars = [], 0
    if chunk:
        yield chunk, chars


def _in_order(pool: ProcessPoolExecutor, fn, jobs: Iterable, in_flight: int) -> Iterator:
    """``fn`` over ``jobs`` on ``pool``, results in order, with at most ``in_flight`` jobs submitted and not
    yet collected (so that a streamed input is read only as fast as the workers go)."""
    pending: deque = deque()
    for job in jobs:
        pending.append(pool.submit(fn, job))
        if len(pending) >= in_flight:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def document_stage(records: Iterable, *, dayfirst, today, workers, progress: Progress | None,
                   body_dates: bool = False, drain: bool = False,
                   pool: ProcessPoolExecutor | None = None) -> pd.DataFrame:
    """Records (a list, or any iterable such as a streaming reader's) -> the documents table (segmented,
    dated, ids and duplicates; ``documents.build_documents``), without cluster_id/x/y.

    Whatever format the records came from, they go to the worker processes in chunks (one big table is many
    chunks), unless the first _PARALLEL_MIN_RECORDS records hold too little text for a pool to pay. With
    ``drain`` (a list only), each record is dropped from the list once handed on, and the list ends empty:
    the records' memory is freed as their documents are made, so a big table is not held twice. ``pool``:
    workers started earlier (:func:`_early_pool`), used when the pool pays; else one is started here."""
    if drain and not isinstance(records, list):
        raise TypeError(f"document_stage(drain=True) empties a list of records; got {type(records).__name__}.")
    options = {"dayfirst": dayfirst, "today": today, "body_dates": body_dates}
    total = len(records) if isinstance(records, Sequence) else None
    chunks = _record_chunks(_drain(records) if drain else records)
    head, n_head, chars = [], 0, 0  # the chunks read before deciding whether the pool pays
    for chunk, size in chunks:
        head.append((chunk, size))
        n_head, chars = n_head + len(chunk), chars + size
        if n_head >= _PARALLEL_MIN_RECORDS or chars >= _PARALLEL_MIN_CHARS:
            break
    jobs = ((chunk, options) for chunk, _ in itertools.chain(head, chunks))
    use_pool = _use_pool(workers, n_head if chars < _PARALLEL_MIN_CHARS else _PARALLEL_MIN_RECORDS)
    parts, done = [], 0
    with contextlib.ExitStack() as stack:
        if use_pool:
            pool = pool if pool is not None else stack.enter_context(_pool(workers))
            results = _in_order(pool, _rows_for_records, jobs, 2 * workers + 2)
        else:
            results = map(_rows_for_records, jobs)
        for i, (n_records, part) in enumerate(results, 1):
            parts.append(part)
            done += n_records
            if drain and i % _TRIM_EVERY == 0:
                _trim()  # the drained records' memory back to the system as the documents' columns grow
            if progress:
                progress("Splitting and dating documents", min(1.0, done / total) if total else 0.0)
    return build_documents(concat_columns(parts))


_document_stage = document_stage  # the name the tests of the chunking know it by


def mentions_and_topics(documents, lexicon: Lexicon, *, n_clusters, workers, progress: Progress | None,
                        stage: Callable[[str, float, int], None], terms: TermStoreBuilder | None = None
                        ) -> tuple[pd.DataFrame, TopicModel]:
    """(mentions table, fitted :class:`TopicModel`) of ``documents``: the mentions are found on the worker
    processes while this process fits the topic model (the two are independent, and together they keep both
    cores busy), or one after the other in this process for a small corpus or one worker. ``stage(name,
    start, n)`` records the ``mentions`` and ``topics`` timings (``PreparedBuild.stage``). ``terms``, when
    given, receives the topic model's word counts of every document (its tokenising pass, not another)."""
    frame = documents[["doc_id", "text"]]
    if not _use_pool(workers, len(frame)):
        t = time.perf_counter()
        if progress:
            progress("Finding theme and organisation mentions", 0.0)
        mentions = find_mentions(frame, lexicon)
        stage("mentions", t, len(mentions))
        t = time.perf_counter()
        if progress:
            progress("Clustering topics", 0.0)
        model = TopicModel(n_clusters=n_clusters).fit(documents, on_counts=terms.add if terms else None)
        stage("topics", t, model.n_clusters_)
        return mentions, model
    t = time.perf_counter()
    _SHARED.update(documents=frame, lexicon=lexicon)
    try:
        with _pool(workers) as pool:
            # The topic model's tokenising pass first, on the workers (it is most of the fit), then the
            # mentions; this process fits the model on the counts while the workers find the mentions.
            model = TopicModel(n_clusters=n_clusters)
            fit_rows = model.start(len(frame))
            fit_ranges = _ranges(len(fit_rows), 250)
            counting = [pool.submit(_terms_for_rows, fit_rows[a:b]) for a, b in fit_ranges]
            futures = [pool.submit(_mentions_for_range, r) for r in _ranges(len(frame), 250)]
            if progress:
                progress("Clustering topics (and finding mentions)", 0.0)
            sample = [f.result() for f in counting]
            if terms is not None:
                for (a, b), batch in zip(fit_ranges, sample, strict=True):
                    terms.add(fit_rows[a:b], batch)
            model.fit_sample(counts=sample)
            del sample
            rest = np.setdiff1d(np.arange(len(frame)), fit_rows, assume_unique=True)
            if len(rest):
                assign = model.assigner()
                # The model's own chunks, so that every document is assigned exactly as in one process.
                jobs = [(assign, rest[a:b], terms is not None) for a, b in _ranges(len(rest), _ASSIGN_CHUNK)]
                for rows, batch, *result in pool.map(_assign_rows, jobs):
                    if terms is not None:
                        terms.add(rows, batch)
                    model.add_assigned(rows, *result)
            model.finish()
            stage("topics", t, model.n_clusters_)
            parts = []
            for i, future in enumerate(futures):
                parts.append(future.result())
                if progress:
                    progress("Finding theme and organisation mentions", (i + 1) / len(futures))
    finally:
        _SHARED.clear()
    mentions = pd.concat(parts, ignore_index=True)
    stage("mentions", t, len(mentions))
    return mentions, model


def _versions() -> dict:
    out = {"analysis": __version__, "python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _report(files, documents: pd.DataFrame, options: dict) -> dict:
    per_source = documents.groupby("source").size().to_dict() if len(documents) else {}
    entries = []
    for fr in files:
        entry = fr.to_dict()
        if fr.status == "parsed" and fr.path in per_source:
            entry["documents"] = int(per_source[fr.path])
        entries.append(entry)
    totals = {"files": len(entries)}
    for status in ("parsed", "skipped", "failed"):
        totals[status] = sum(e["status"] == status for e in entries)
    totals["documents"] = len(documents)
    if "date" in documents:  # how many documents a timeline can place, and on what evidence
        dated = documents["date"].notna()
        totals["dated"] = int(dated.sum())
        totals["undated"] = int((~dated).sum())
        totals["undated_with_date_hint"] = int((~dated & documents["date_hint"].notna()).sum())
        totals["body_dated"] = int((documents["date_method"] == "body").sum())
    totals.update(publisher_counts(documents))
    return {"files": entries, "totals": totals, "options": options}


def publisher_counts(documents: pd.DataFrame) -> dict:
    """``{"publishers": n, "publisher_methods": {method: publishers found that way}}`` of a documents
    table (a publisher found in several ways counts under each); empty when it has no ``publisher``."""
    if "publisher" not in documents or documents.empty:
        return {"publishers": 0, "publisher_methods": {}} if "publisher" in documents else {}
    pairs = documents[["publisher", "publisher_method"]].dropna(subset=["publisher"]).drop_duplicates()
    methods = pairs.groupby("publisher_method", dropna=False).size().sort_values(ascending=False)
    return {"publishers": int(pairs["publisher"].nunique()),
            "publisher_methods": {str(k): int(v) for k, v in methods.items()}}


@dataclass
class PreparedBuild:
    """What a build knows before it reads any input: made by :func:`prepare_build`, passed to each stage.

    ``options`` is the report's and the manifest's ``options``; ``timings`` fills as the stages run
    (:meth:`stage`); ``calendar``/``calendar_bytes`` are the validated events file and its bytes (None
    without ``events``)."""

    inputs: list
    out: str | Path
    lexicon: Lexicon
    publisher_map: list[tuple[str, str]] | None
    calendar: list | None
    calendar_bytes: bytes | None
    events: str | Path | None
    options: dict
    today: dt.date
    dayfirst: bool
    body_dates: bool
    n_clusters: int | None
    publisher: str | None
    limits: dict[str, int] | None
    timings: dict[str, dict] = field(default_factory=dict)
    input_of: dict[str, str] = field(default_factory=dict)  # file label -> the input it came from (read_stage)

    def stage(self, name: str, start: float, n: int | None = None) -> None:
        """Record stage ``name`` begun at ``start`` (perf_counter): seconds, peak memory, ``n`` items."""
        self.timings[name] = {"seconds": round(time.perf_counter() - start, 3),
                              "peak_rss_mb": round(_peak_rss_mb(), 1)}
        if n is not None:
            self.timings[name]["items"] = n


def prepare_build(
    inputs: Sequence[str | Path],
    out: str | Path,
    *,
    themes: str | Path | None = None,
    organisations: str | Path | None = None,
    dayfirst: bool = True,
    n_clusters: int | None = None,
    today: dt.date | None = None,
    body_dates: bool = False,
    limits: dict[str, int] | None = None,
    events: str | Path | None = None,
    publisher: str | None = None,
    publisher_map: str | Path | None = None,
) -> PreparedBuild:
    """Everything of a build that can fail before an input is read, in the order :func:`run_build` does it:
    ``out`` may be replaced (``store.check_out``), the dictionaries load, the publisher map and the events
    calendar are valid. Arguments as :func:`run_build`'s; raises what it raises for them."""
    today = today or dt.date.today()
    check_out(out, inputs)  # before any work: never replace a folder that is not an earlier build
    lexicon = load_lexicon(themes, organisations)  # fail fast on a malformed dictionary
    mapping = load_publisher_map(publisher_map) if publisher_map is not None else None
    calendar = calendar_bytes = None
    if events is not None:  # fail fast too; the file is copied as read
        calendar = load_events(events)
        calendar_bytes = Path(events).read_bytes()
    options = {"dayfirst": dayfirst, "date_order": "day-first" if dayfirst else "month-first",
               "n_clusters": n_clusters, "themes": str(themes) if themes else None,
               "organisations": str(organisations) if organisations else None, "today": today.isoformat(),
               "body_dates": body_dates}
    if publisher is not None:
        options["publisher"] = publisher
    if mapping is not None:
        options["publisher_map"] = [list(pair) for pair in mapping]
    if limits:
        options["limits"] = dict(limits)
    return PreparedBuild(inputs=list(inputs), out=out, lexicon=lexicon, publisher_map=mapping, calendar=calendar,
                         calendar_bytes=calendar_bytes, events=events, options=options, today=today,
                         dayfirst=dayfirst, body_dates=body_dates, n_clusters=n_clusters, publisher=publisher,
                         limits=limits)


def read_stage(plan: PreparedBuild, progress: Progress | None = None) -> IngestResult:
    """Read the plan's inputs (``ingest.read_inputs`` with its options and limits); timed as ``ingest``,
    with the input bytes."""
    t = time.perf_counter()
    if progress:
        progress("Reading input files", 0.0)
    ingested = read_inputs(plan.inputs, dayfirst=plan.dayfirst, publisher=plan.publisher,
                           publisher_map=plan.publisher_map, **(plan.limits or {}))
    plan.stage("ingest", t, len(ingested.files))
    plan.input_of.update(ingested.input_of)
    plan.timings["ingest"]["bytes"] = sum(int(f.details.get("bytes", 0) or 0) for f in ingested.files)
    return ingested


def require_documents(plan: PreparedBuild, files: Sequence, documents: pd.DataFrame) -> None:
    """Raise :class:`NoDocumentsError`, naming what happened to the first files, when ``documents`` is empty."""
    if documents.empty:
        reasons = "; ".join(f"{f.path}: {f.status} ({f.reason})" for f in files[:10]) or "no files found"
        raise NoDocumentsError(
            f"No documents could be built from {', '.join(map(str, plan.inputs))}: {reasons}. "
            "Pass plain text, HTML, CSV/TSV/JSON Lines or Telegram result.json files, or a folder or .zip of them."
        )


def apply_topics(documents: pd.DataFrame, model: TopicModel) -> None:
    """Write a fitted model's ``cluster_id`` and map coordinates ``x``, ``y`` into ``documents`` (in place,
    rows in the order the model was fitted on)."""
    documents["cluster_id"] = model.labels_.astype("int64")
    documents["x"] = model.coords_[:, 0].astype(float)
    documents["y"] = model.coords_[:, 1].astype(float)


def finish_build(plan: PreparedBuild, files: Sequence, documents: pd.DataFrame, mentions: pd.DataFrame,
                 clusters: pd.DataFrame, topics: dict, *, progress: Progress | None = None,
                 manifest_extra: dict | None = None, topic_model: TopicState | None = None,
                 term_store: TermStore | None = None) -> Build:
    """Write the build: the ingest report (with per-file document counts), the manifest (versions, options,
    input hashes, the build hash, counts, ``topics``, timings, the events calendar, and ``manifest_extra``'s
    keys on top), the tables and ``events.toml`` through ``store.write_build`` (atomic).

    ``documents`` already carries ``cluster_id``, ``x``, ``y``; ``topics`` is ``{"n_clusters": k,
    "silhouette": s}``; ``files`` are the ``FileReport``s of every input file; ``topic_model``, the fitted
    model's state, is saved as ``topic_model.npz`` (what ``analysis update`` assigns new documents with);
    ``term_store``, every document's word counts, as ``term_counts.npz`` (what a surge's words are read
    from; see :mod:`analysis.term_store`). Returns the written build."""
    report = _report(files, documents, plan.options)
    input_hashes = sorted(
        ({"path": f.path, "sha256": f.details.get("sha256"), "status": f.status,
          **({"input": plan.input_of[f.path]} if f.path in plan.input_of else {})} for f in files),
        key=lambda e: e["path"],
    )
    versions = _versions()
    fingerprint, entities = plan.lexicon.fingerprint(), plan.lexicon.entities()
    hashed = {"inputs": input_hashes, "options": {k: v for k, v in plan.options.items() if k != "today"},
              "lexicon": fingerprint, "analysis": versions["analysis"]}
    build_hash = hashlib.sha256(json.dumps(hashed, sort_keys=True).encode()).hexdigest()[:16]
    manifest = {
        "tool": "diplomatic-themes",
        "build_hash": build_hash,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": versions,
        "options": plan.options,
        "inputs": [str(p) for p in plan.inputs],
        "input_paths": [Path(p).resolve().as_posix() for p in plan.inputs],  # to recognise them from elsewhere
        "input_files": input_hashes,
        "lexicon_fingerprint": fingerprint,
        "counts": {
            "documents": len(documents),
            "dated": int(documents["date"].notna().sum()),
            "mentions": len(mentions),
            "clusters": int(topics["n_clusters"]),
            **publisher_counts(documents),
        },
        "topics": {**topics, **({"model_file": TOPIC_MODEL_FILE} if topic_model is not None else {})},
        "timings": plan.timings,
    }
    if plan.calendar is not None:
        manifest["events"] = {"file": "events.toml", "source": str(plan.events), "events": len(plan.calendar),
                              "sha256": hashlib.sha256(plan.calendar_bytes).hexdigest()}
    manifest.update(manifest_extra or {})
    t = time.perf_counter()
    if progress:
        progress("Writing the build", 0.0)
    extra_files = {"events.toml": plan.calendar_bytes} if plan.calendar is not None else {}
    # After the parquet files, from them (store.write_build), with the answers of the first views.
    extra_files[QUERY_FILE] = functools.partial(write_query_file, questions=first_view)
    extra_files[TEXTS_FILE] = write_texts_file
    if term_store is not None:
        extra_files[TERM_COUNTS_FILE] = term_store.save
        manifest["term_counts"] = {"file": TERM_COUNTS_FILE, "documents": len(term_store.doc_ids),
                                   "terms": len(term_store.terms), "counts": int(term_store.matrix.nnz)}
    path = write_build(plan.out, documents=documents, mentions=mentions, clusters=clusters,
                       entities=entities, report=report, manifest=manifest, topic_model=topic_model,
                       extra_files=extra_files or None)
    plan.stage("write", t)
    if progress:
        progress("Done", 1.0)
    return Build(path, documents, mentions, clusters, entities, report, manifest, topic_model)


def run_build(
    inputs: Sequence[str | Path],
    out: str | Path,
    *,
    themes: str | Path | None = None,
    organisations: str | Path | None = None,
    dayfirst: bool = True,
    n_clusters: int | None = None,
    workers: int | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
    body_dates: bool = False,
    limits: dict[str, int] | None = None,
    events: str | Path | None = None,
    publisher: str | None = None,
    publisher_map: str | Path | None = None,
) -> Build:
    """Build ``inputs`` into the folder ``out`` (written atomically) and return the build.

    Arguments:
        inputs: files, folders (read recursively) and .zip archives.
        out: the build folder; an earlier build there is replaced whole.
        themes, organisations: a user's own dictionaries (TOML) instead of the bundled ones.
        dayfirst: how to read ambiguous numeric dates such as 03/04/2024 (day first by default).
        n_clusters: the number of topic clusters; None chooses it by silhouette.
        workers: processes for the per-document stages (default: up to 2, and 1 when called from another
            thread than the main one, such as a web server's).
        today: the latest date a document may have (default: today).
        body_dates: date a document that has no other date by the first full date its text mentions
            (``date_method="body"``); off by default, since such a date is usually an event the text talks
            about. Without it that date is kept as the document's ``date_hint``.
        progress: called with (stage message, fraction done) as the build goes (the command line draws
            a progress bar from it unless --quiet; the dashboard a status).
        limits: reading limits by name (see ``analysis.ingest.LIMITS``; the dashboard passes
            ``UPLOAD_LIMITS``); the others keep their defaults.
        events: a calendar of events (TOML, see data/events.toml), validated and copied into the build as
            ``events.toml``; the manifest records it under ``events``. None: no calendar in the build.
        publisher: the publisher of every document (``publisher_method="override"``); None: found from
            each source (see ``analysis.ingest.complete_publishers`` and ``analysis.documents``).
        publisher_map: a TOML file mapping source patterns to publishers (see
            ``analysis.ingest.load_publisher_map``), read before any input.

    Returns:
        The :class:`~analysis.store.Build` that was written; ``manifest["timings"]`` holds seconds and peak
        memory per stage.

    Raises:
        FileNotFoundError: an input does not exist.
        NoDocumentsError: no input gave a document.
        analysis.lexicon.LexiconError: a dictionary file is malformed.
        analysis.events.EventsError: the events file is malformed.
        analysis.ingest.PublisherMapError: the publisher map is malformed.
        ValueError: ``publisher`` is empty.
        analysis.store.BuildError: ``out`` may not be replaced (checked before anything is read).
    """
    plan = prepare_build(inputs, out, themes=themes, organisations=organisations, dayfirst=dayfirst,
                         n_clusters=n_clusters, today=today, body_dates=body_dates, limits=limits, events=events,
                         publisher=publisher, publisher_map=publisher_map)
    n_workers = _workers(workers)
    with _early_pool(n_workers, plan.inputs) as pool:
        ingested = read_stage(plan, progress)
        t = time.perf_counter()
        documents = document_stage(ingested.records, dayfirst=dayfirst, today=plan.today, workers=n_workers,
                                   progress=progress, body_dates=body_dates, drain=True, pool=pool)
    ingested.records = []  # drained: their texts are in the documents now
    release_memory()
    plan.stage("documents", t, len(documents))
    require_documents(plan, ingested.files, documents)
    terms = TermStoreBuilder(documents["doc_id"])
    mentions, model = mentions_and_topics(documents, plan.lexicon, n_clusters=n_clusters, workers=n_workers,
                                          progress=progress, stage=plan.stage, terms=terms)
    apply_topics(documents, model)
    store = terms.finish()
    del terms
    release_memory()
    return finish_build(plan, ingested.files, documents, mentions, model.clusters_,
                        {"n_clusters": int(model.n_clusters_), "silhouette": model.silhouette_}, progress=progress,
                        manifest_extra={"engine": {"name": "local", "workers": n_workers}},
                        topic_model=TopicState.from_model(model), term_store=store)
