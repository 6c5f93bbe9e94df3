"""The build on a Dask cluster (``build --engine dask``): the local engine's stages on dask.distributed workers.

Input files are read on the workers in bags of files (the jobs of ``ingest.plan_reads``); each bag's records
are cut into parts of at most ``_PART_RECORDS`` records (a big table is many parts) and each part is made into
documents (segmentation, dates, language, publishers) and mentions on a worker, which writes them as one file
of the partitioned parquet datasets ``documents/`` and ``mentions/`` in a staging folder beside the build
(``.OUT.tmp-dask-*``, removed at the end). A record is never split, so one dump's posts stay in one part and
are dated from their neighbours as the local engine dates them.

What needs every row runs on the client, over a few columns: unique source labels and the text cap (the
plan's ``admit``, in input order, from the files' reports), ``duplicate_of`` (from the parts' ``doc_id`` and
text keys), and the topic model's fit on its sample (``TopicModel.start``/``fit_sample``) from the word
counts the workers make of the sample's texts; the documents outside the sample are counted and assigned on
the workers (``TopicModel.assigner``). The client then assembles the build of the contract from the parts
with ``pipeline.finish_build``: the same files (``topic_model.npz`` and ``term_counts.npz`` included),
whichever engine made them, with ``manifest["engine"]`` saying which.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import logging
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from .documents import DOCUMENT_COLUMNS, build_documents, document_rows, first_copies, none_for_missing
from .ingest import ReadPlan, _chars_by_source, plan_reads
from .mentions import find_mentions
from .pipeline import Progress, apply_topics, finish_build, prepare_build, require_documents
from .store import Build
from .term_store import TermStore
from .topic_state import TopicState
from .topics import _CHUNK, TermCounts, TopicModel, count_terms

__all__ = ["LOCAL_MEMORY_LIMIT", "LOCAL_WORKERS", "SchedulerError", "build_on_dask"]

LOCAL_WORKERS = 2  # workers of the LocalCluster started without --scheduler (one thread each)
LOCAL_MEMORY_LIMIT = "4GiB"  # memory limit of each of its workers (Dask pauses, then restarts, one over it)
_BAG_FILES = 64  # read jobs (files or archives) per task
_PART_RECORDS = 2_000  # records per documents task
_CONNECT_SECONDS = 10
_WORKER_WAIT_SECONDS = 30


class SchedulerError(RuntimeError):
    """The Dask scheduler cannot be reached, has no workers, or lost them during the build."""


# ------------------------------------------------------------------------------------------ on the workers
def _read_bag(jobs: list) -> list[tuple[list, list]]:
    """Run read jobs: ``(records, reports)`` per job."""
    return [job() for job in jobs]


def _summaries(bag: list[tuple[list, list]]) -> list[tuple[list, dict, int]]:
    """What the client needs of a bag to admit its files: per job, its reports, the characters of text of
    each source and the number of records."""
    return [(reports, _chars_by_source(records), len(records)) for records, reports in bag]


def _slice(bag: list[tuple[list, list]], first_job: int, start: int, stop: int) -> list[tuple[int, list]]:
    """Records ``start:stop`` of a bag (counted over its jobs in order) as ``(job number, records)``."""
    out, offset = [], 0
    for i, (records, _) in enumerate(bag):
        lo, hi = max(start - offset, 0), min(stop - offset, len(records))
        if lo < hi:
            out.append((first_job + i, records[lo:hi]))
        offset += len(records)
    return out


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _documents_part(piece: list[tuple[int, list]], admitted: dict, plan: ReadPlan, options: dict, lexicon,
                    folder: str, index: int) -> dict:
    """One part's records -> its documents and mentions, written as ``documents/part-N.parquet`` and
    ``mentions/part-N.parquet`` under ``folder`` (nothing when the part has no document). The documents
    keep their text key (``duplicate_of`` is found on the client over every part)."""
    rows = []
    for job, records in piece:
        renamed, refused = admitted[job]
        for record in plan.complete([copy.copy(r) for r in records], renamed, refused):
            rows.extend(document_rows(record, **options))
    name = f"part-{index:06d}.parquet"
    if not rows:
        return {"documents": 0, "mentions": 0}
    docs = build_documents(rows).drop(columns=["duplicate_of", "cluster_id"])
    docs["text_key"] = [row["text_key"] for row in rows]
    mentions = find_mentions(docs[["doc_id", "text"]], lexicon)  # as the local engine: no dates
    docs.to_parquet(Path(folder) / "documents" / name, index=False)
    if len(mentions):
        mentions.to_parquet(Path(folder) / "mentions" / name, index=False)
    return {"documents": len(docs), "mentions": len(mentions)}


def _texts(path: str, rows: np.ndarray):
    """The texts of rows ``rows`` of one documents part, ``_CHUNK`` at a time."""
    texts = pq.read_table(path, columns=["text"]).column("text")
    for start in range(0, len(rows), _CHUNK):
        chunk = texts.take(rows[start : start + _CHUNK]).to_pylist()
        yield [t if isinstance(t, str) else "" for t in chunk]


def _count_part(path: str, rows: np.ndarray) -> list[TermCounts]:
    """The topic model's word counts (``count_terms``) of rows ``rows`` of one documents part (its fit
    sample), in batches of at most ``_CHUNK`` texts."""
    return [count_terms(texts) for texts in _texts(path, rows)]


def _assign_part(path: str, rows: np.ndarray, assign) -> tuple[list[TermCounts], np.ndarray, np.ndarray,
                                                               np.ndarray | None]:
    """The word counts (batches of at most ``_CHUNK`` texts) and the topic model's assignment of rows
    ``rows`` of one documents part: ``(batches, labels, coords, per-cluster counts)``."""
    batches, labels, coords, per_cluster = [], [], [], None
    for texts in _texts(path, rows):
        batch = count_terms(texts)
        got_labels, got_coords, got = assign.counted(batch)
        batches.append(batch)
        labels.append(got_labels)
        coords.append(got_coords)
        if got is not None:
            per_cluster = got if per_cluster is None else per_cluster + got
    return batches, np.concatenate(labels), np.concatenate(coords), per_cluster


# ---------------------------------------------------------------------------------------------- the client
@contextlib.contextmanager
def _connect(scheduler: str | None, workers: int | None, memory_limit: str) -> Iterator[tuple[object, str]]:
    """A Client on the scheduler at ``scheduler``, or on a LocalCluster of ``workers`` one-thread worker
    processes (closed at the end); yields ``(client, scheduler address)``."""
    from distributed import Client, LocalCluster

    if scheduler is None:
        try:
            cluster = LocalCluster(n_workers=workers or LOCAL_WORKERS, threads_per_worker=1, processes=True,
                                   memory_limit=memory_limit, dashboard_address=":0", silence_logs=logging.ERROR)
        except (OSError, RuntimeError, ValueError) as exc:
            raise SchedulerError(
                f"Cannot start a local Dask cluster of {workers or LOCAL_WORKERS} workers ({exc}). Run the build "
                "as `python -m analysis build ...` (a script must guard its code with if __name__ == '__main__'), "
                "or start a cluster with `dask scheduler` and `dask worker` and pass --scheduler."
            ) from None
        with cluster, Client(cluster) as client:
            yield client, cluster.scheduler_address
        return
    try:
        client = Client(scheduler, timeout=_CONNECT_SECONDS)
    except (OSError, ValueError, TypeError) as exc:
        raise SchedulerError(
            f"Cannot reach the Dask scheduler at {scheduler!r} ({exc}). Start one with `dask scheduler` and pass "
            "the address it prints (tcp://HOST:8786) to --scheduler, or leave --scheduler out to build on a "
            "local cluster."
        ) from None
    try:
        try:
            client.wait_for_workers(1, timeout=_WORKER_WAIT_SECONDS)
        except TimeoutError:
            raise SchedulerError(
                f"The Dask scheduler at {scheduler!r} has no workers (none joined within {_WORKER_WAIT_SECONDS} s). "
                f"Start some with `dask worker {scheduler}` on machines that see the inputs and the output folder."
            ) from None
        yield client, scheduler
    finally:
        client.close()


def _bags(n_jobs: int) -> list[tuple[int, int]]:
    return [(i, min(n_jobs, i + _BAG_FILES)) for i in range(0, n_jobs, _BAG_FILES)]


def _in_order(futures: list, progress: Progress | None, message: str) -> list:
    """The results of ``futures`` in their order, reporting progress as they complete."""
    from distributed import as_completed

    if progress:
        progress(message, 0.0)
        for done, _ in enumerate(as_completed(futures), 1):
            progress(message, done / len(futures))
    return [future.result() for future in futures]


def _assemble(parts: list[tuple[str, int, int]], mention_parts: list[str], lexicon) -> tuple[pd.DataFrame,
                                                                                            pd.DataFrame]:
    """The documents table (``duplicate_of`` over every part, as ``build_documents`` finds it) and the
    mentions table from the staged parts, in part order."""
    docs = pd.concat([pd.read_parquet(path) for path, _, _ in parts], ignore_index=True)
    first = first_copies(docs["doc_id"], docs["text"], docs["text_key"])
    docs["duplicate_of"] = first.where(first != docs["doc_id"])
    docs["cluster_id"] = -1
    # The unit build_documents' pd.to_datetime gives (seconds in pandas 3), whatever the parquet round trip kept.
    docs["date"] = pd.to_datetime(docs["date"]).astype(build_documents([])["date"].dtype)
    docs = none_for_missing(docs[DOCUMENT_COLUMNS].reset_index(drop=True))
    if mention_parts:
        mentions = pd.concat([pd.read_parquet(path) for path in mention_parts], ignore_index=True)
    else:
        mentions = find_mentions(docs.iloc[:0][["doc_id", "text"]], lexicon)
    return docs, mentions


def build_on_dask(
    inputs: Sequence[str | Path],
    out: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    memory_limit: str = LOCAL_MEMORY_LIMIT,
    themes: str | Path | None = None,
    organisations: str | Path | None = None,
    dayfirst: bool = True,
    n_clusters: int | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
    body_dates: bool = False,
    limits: dict[str, int] | None = None,
    events: str | Path | None = None,
    publisher: str | None = None,
    publisher_map: str | Path | None = None,
) -> Build:
    """Build ``inputs`` into ``out`` on a Dask cluster; the same build as ``pipeline.run_build`` makes.

    Arguments:
        scheduler: the address of a running Dask scheduler (``tcp://HOST:8786``) whose workers see the
            inputs and ``out``'s folder at the same paths; None: a LocalCluster on this machine.
        workers: the LocalCluster's worker processes (default ``LOCAL_WORKERS``, one thread each); must be
            None with ``scheduler`` (a cluster has the workers it has).
        memory_limit: each LocalCluster worker's memory limit (Dask's form: "4GiB").
        The others: as :func:`analysis.pipeline.run_build`'s.

    Returns:
        The written :class:`~analysis.store.Build`; ``manifest["engine"]`` records ``"dask"``, the scheduler,
        the workers, the parts and each worker's peak memory.

    Raises:
        SchedulerError: the scheduler cannot be reached, has no workers, or lost them (the message says
            how to start them).
        ValueError: ``workers`` given with ``scheduler``.
        And what :func:`analysis.pipeline.run_build` raises.
    """
    if scheduler is not None and workers is not None:
        raise ValueError(f"workers={workers} sizes the local cluster; a cluster at {scheduler!r} has the workers "
                         "started for it. Leave workers out, or leave the scheduler out.")
    plan = prepare_build(inputs, out, themes=themes, organisations=organisations, dayfirst=dayfirst,
                         n_clusters=n_clusters, today=today, body_dates=body_dates, limits=limits, events=events,
                         publisher=publisher, publisher_map=publisher_map)
    reads = plan_reads(plan.inputs, dayfirst=dayfirst, publisher=publisher, publisher_map=plan.publisher_map,
                       **(limits or {}))
    out_path = Path(out).absolute()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_path.name}.tmp-dask-", dir=out_path.parent))
    try:
        from distributed import KilledWorker

        with _connect(scheduler, workers, memory_limit) as (client, address):
            try:
                return _build(client, address, plan, reads, staging, progress)
            except KilledWorker as exc:
                raise SchedulerError(
                    f"A Dask worker died while building ({exc}); out of memory? Give the workers more memory "
                    "(or more workers), or build fewer files at once."
                ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _build(client, address: str, plan, reads: ReadPlan, staging: Path, progress: Progress | None) -> Build:
    (staging / "documents").mkdir()
    (staging / "mentions").mkdir()
    n_workers = len(client.scheduler_info()["workers"])

    # Reading, on the workers in bags of files; the files admitted in input order on the client.
    t = time.perf_counter()
    jobs = [job for _, job in reads.jobs]
    bags = [client.submit(_read_bag, jobs[a:b], pure=False) for a, b in _bags(len(jobs))]
    summaries = _in_order([client.submit(_summaries, bag) for bag in bags], progress, "Reading input files")
    files, admitted, sizes = [], {}, []
    for (a, _), summary in zip(_bags(len(jobs)), summaries, strict=True):
        sizes.append(sum(n for _, _, n in summary))
        for i, (reports, chars, _) in enumerate(summary):
            admitted[a + i] = reads.admit(reads.jobs[a + i][0], reports, chars)
            files.extend(reports)
    plan.stage("ingest", t, len(files))
    plan.input_of.update(reads.input_of)
    plan.timings["ingest"]["bytes"] = sum(int(f.details.get("bytes", 0) or 0) for f in files)

    # Documents and mentions, part by part on the workers, written to the staging folder.
    t = time.perf_counter()
    completer = copy.copy(reads)
    completer.jobs = []
    completer = client.scatter(completer, broadcast=True)
    lexicon = client.scatter(plan.lexicon, broadcast=True)
    options = {"dayfirst": plan.dayfirst, "today": plan.today, "body_dates": plan.body_dates}
    tasks = []
    for bag, (a, b), n in zip(bags, _bags(len(jobs)), sizes, strict=True):
        for start in range(0, n, _PART_RECORDS):
            piece = client.submit(_slice, bag, a, start, min(n, start + _PART_RECORDS))
            mine = {job: admitted[job] for job in range(a, b)}
            tasks.append(client.submit(_documents_part, piece, mine, completer, options, lexicon, str(staging),
                                       len(tasks), pure=False))
    del bags  # the records are freed once their parts are done
    counts = _in_order(tasks, progress, "Splitting and dating documents, finding mentions")
    parts, offset = [], 0
    for index, count in enumerate(counts):
        if count["documents"]:
            parts.append((str(staging / "documents" / f"part-{index:06d}.parquet"), offset, count["documents"]))
            offset += count["documents"]
    mention_parts = [str(staging / "mentions" / f"part-{i:06d}.parquet") for i, c in enumerate(counts) if c["mentions"]]
    plan.stage("documents", t, offset)
    plan.timings["documents"]["parts"] = len(tasks)

    # duplicate_of over every part; the topic model fitted on its sample here, the rest assigned there.
    t = time.perf_counter()
    if not parts:
        require_documents(plan, files, build_documents([]))
    if progress:
        progress("Clustering topics", 0.0)
    # The tokenising pass (most of the fit) on the workers: the sample's counts, part by part in row order.
    model = TopicModel(n_clusters=plan.n_clusters)
    fit_rows = model.start(offset)
    counted = []  # (global rows, their count_terms batch): every document's word counts, for term_counts.npz
    sampled = []
    for path, first, n in parts:
        lo, hi = np.searchsorted(fit_rows, [first, first + n])
        if hi > lo:
            sampled.append((fit_rows[lo:hi], client.submit(_count_part, path, fit_rows[lo:hi] - first)))
    for rows, batches in zip([r for r, _ in sampled], _in_order([f for _, f in sampled], progress,
                                                                 "Clustering topics"), strict=True):
        counted.extend(zip(_chunked(rows), batches, strict=True))
    model.fit_sample(counts=[batch for _, batch in counted])
    assign = client.scatter(model.assigner(), broadcast=True)
    assigned = []
    for path, first, n in parts:
        lo, hi = np.searchsorted(fit_rows, [first, first + n])
        rest = np.setdiff1d(np.arange(n), fit_rows[lo:hi] - first, assume_unique=True)
        if len(rest):
            assigned.append((first + rest, client.submit(_assign_part, path, rest, assign)))
    for (rows, _), (batches, *result) in zip(assigned, _in_order([f for _, f in assigned], progress,
                                                                  "Assigning topic clusters"), strict=True):
        counted.extend(zip(_chunked(rows), batches, strict=True))
        model.add_assigned(rows, *result)
    model.finish()
    plan.stage("topics", t, model.n_clusters_)

    t = time.perf_counter()
    documents, mentions = _assemble(parts, mention_parts, plan.lexicon)
    apply_topics(documents, model)
    plan.stage("assemble", t, len(documents))
    plan.timings["documents"]["mentions"] = len(mentions)  # found in the same tasks
    peaks = client.run(_peak_mb)
    engine = {"name": "dask", "scheduler": address, "workers": n_workers, "parts": len(tasks),
              "worker_peak_rss_mb": dict(sorted(peaks.items()))}
    return finish_build(plan, files, documents, mentions, model.clusters_,
                        {"n_clusters": int(model.n_clusters_), "silhouette": model.silhouette_},
                        progress=progress, manifest_extra={"engine": engine},
                        topic_model=TopicState.from_model(model),
                        term_store=TermStore.from_batches(documents["doc_id"], counted))


def _chunked(rows: np.ndarray) -> list[np.ndarray]:
    """``rows`` in the ``_CHUNK``-sized pieces that ``_texts`` reads them in."""
    return [rows[start : start + _CHUNK] for start in range(0, len(rows), _CHUNK)]
