"""Adding new files or posts to an existing build (``python -m analysis update DIR NEW_INPUT…``).

An update gives the build that building all its inputs at once would give (documents, ids, ``seq``,
``duplicate_of``, source labels, publishers, mentions), without reading again what the build holds: a
file whose label and sha256 are in the build is recognised and kept as it is (``unchanged``); a changed
file replaces its source's documents (all of them, dated together as in a build, so the posts appended to a
dump are dated with their neighbours); a new file adds its documents. Each input is recognised by its
own files: a file of the same name in another input (a/result.json, b/result.json) keeps its own label and
documents, and a new file whose name another input's file already has is labelled with its input's path
(``a/note.txt``), as a build labels the later of two such files. New documents get their mentions from
the build's dictionaries and are assigned to the build's clusters with its saved topic model
(``topic_model.npz``), unless ``refit`` refits the clusters on every document; every document's word
counts (``term_counts.npz``) are the build's stored rows for the documents kept and the new ones counted. An update never removes a
source (rebuild for that), and is written like a build: atomically, under the build folder's lock. The
build's reading limits bound the whole update, as they bound a build: ``max_total_bytes`` over all the inputs
read, ``max_text_chars`` over the text the build holds and the new text together.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from .documents import duplicates_of
from .events import load_events
from .ingest import _input_folder, clean_label, load_publisher_map, read_inputs
from .lexicon import load_lexicon
from .mentions import find_mentions
from .pipeline import PreparedBuild, Progress, _workers, apply_topics, document_stage, finish_build
from .records import FileReport
from .store import Build, build_lock, check_build, check_out, read_build
from .term_store import FILE_NAME as TERM_COUNTS_FILE
from .term_store import TermStore, TermStoreBuilder, TermStoreError
from .topic_state import TopicState
from .topics import _CHUNK, TermCounts, TopicModel, count_terms

__all__ = ["UpdateError", "run_update"]

_REPORT_KEYS = ("path", "status", "reason", "documents", "encoding", "format")


class UpdateError(ValueError):
    """An update that cannot be made as asked; the message says why and what to do instead."""


def _rebuild_hint(path: Path) -> str:
    return f"`python -m analysis build INPUT … --out {path}`"


def _input_name(item: str | Path) -> str:
    return clean_label(Path(item).as_posix())


def _resolved(item: str | Path) -> str:
    return Path(item).resolve().as_posix()


def _check_option(path: Path, name: str, given, built, shown_given: str, shown_built: str) -> None:
    if given is not None and given != built:
        raise UpdateError(
            f"The build in '{path}' was made {shown_built}; this update asks for {shown_given} ({name}). An update "
            f"reads its inputs as its build did: leave {name} out, or rebuild with it ({_rebuild_hint(path)})."
        )


def _options(path: Path, manifest: dict, *, dayfirst, body_dates, publisher, publisher_map, n_clusters,
             refit: bool) -> dict:
    """The build's options, checked against those given (None: not given); the options of the update."""
    options = dict(manifest.get("options") or {})
    built_dayfirst = bool(options.get("dayfirst", True))
    order = {True: "day first", False: "month first"}
    _check_option(path, "--month-first", dayfirst, built_dayfirst, f"ambiguous dates read {order[bool(dayfirst)]}",
                  f"reading ambiguous dates {order[built_dayfirst]}")
    built_body = bool(options.get("body_dates", False))
    _check_option(path, "--body-dates", body_dates, built_body, "body dates" if body_dates else "no body dates",
                  "with --body-dates" if built_body else "without --body-dates")
    built_publisher = options.get("publisher")
    _check_option(path, "--publisher", publisher, built_publisher, f"the publisher {publisher!r}",
                  f"with --publisher {built_publisher!r}" if built_publisher else "without --publisher")
    built_map = options.get("publisher_map")
    if publisher_map is not None:
        pairs = [list(pair) for pair in load_publisher_map(publisher_map)]
        _check_option(path, "--publisher-map", pairs, built_map, f"the publisher map {publisher_map}",
                      "with another publisher map" if built_map else "without --publisher-map")
    if n_clusters is not None and not refit:
        raise UpdateError(
            f"--clusters {n_clusters} changes the clusters of the build in '{path}', which an update keeps (new "
            "documents join the existing clusters); add --refit to refit them on all documents."
        )
    if refit and n_clusters is not None:
        options["n_clusters"] = n_clusters
    return options


def _lexicon(path: Path, manifest: dict, themes, organisations):
    """The build's dictionaries (the files given, else those the build names), checked by fingerprint."""
    options = manifest.get("options") or {}
    chosen = []
    for flag, given, built in (("--themes", themes, options.get("themes")),
                               ("--organisations", organisations, options.get("organisations"))):
        name = given if given is not None else built
        if name is not None and not Path(name).is_file():
            raise UpdateError(
                f"The {flag[2:]} dictionary '{name}' that the build in '{path}' was made with is not found from "
                f"here; pass the same file with {flag} FILE, or rebuild ({_rebuild_hint(path)})."
            )
        chosen.append(name)
    lexicon = load_lexicon(*chosen)
    expected, found = manifest.get("lexicon_fingerprint"), lexicon.fingerprint()
    if expected != found:
        shown = ", ".join(f"{kind} {name or 'bundled'}" for kind, name in zip(("themes", "organisations"), chosen,
                                                                               strict=True))
        raise UpdateError(
            f"The dictionaries ({shown}) are not those the build in '{path}' was made with (lexicon fingerprint "
            f"{found}, the build's {expected}): new documents' mentions would not compare with the others'. "
            f"Pass the build's dictionaries with --themes/--organisations, or rebuild ({_rebuild_hint(path)})."
        )
    return lexicon, chosen


def _as_report(entry: dict) -> FileReport:
    """A report entry of ``ingest_report.json`` as the ``FileReport`` it was written from."""
    return FileReport(entry["path"], entry["status"], entry.get("reason"), int(entry.get("documents") or 0),
                      entry.get("encoding"), entry.get("format"),
                      {k: v for k, v in entry.items() if k not in _REPORT_KEYS})


def _match_inputs(manifest: dict, inputs: Sequence[str | Path]) -> tuple[dict[str, str], list[str]]:
    """({old input name: the input given for it}, [inputs new to the build]), inputs matched by the name
    they were given or by the folder they resolve to."""
    old = [str(p) for p in manifest.get("inputs") or []]
    paths = manifest.get("input_paths") or [_resolved(p) for p in old]
    by_name = {_input_name(p): p for p in old}
    by_path = {resolved: name for name, resolved in zip(old, paths, strict=False)}
    matched: dict[str, str] = {}
    new: list[str] = []
    for item in dict.fromkeys(str(p) for p in inputs):
        name = by_name.get(_input_name(item)) or by_path.get(_resolved(item))
        if name is not None:
            matched.setdefault(name, item)
        elif item not in new:
            new.append(item)
    return matched, new


def run_update(
    path: str | Path,
    inputs: Sequence[str | Path],
    *,
    refit: bool = False,
    themes: str | Path | None = None,
    organisations: str | Path | None = None,
    dayfirst: bool | None = None,
    body_dates: bool | None = None,
    publisher: str | None = None,
    publisher_map: str | Path | None = None,
    n_clusters: int | None = None,
    workers: int | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> tuple[Build, dict]:
    """Add ``inputs`` (new or changed files, folders, archives; or the build's own inputs named again) to the
    build in ``path``, in place and atomically.

    Arguments:
        path: a build folder made by ``python -m analysis build`` (or updated before).
        inputs: what to add; a folder or archive the build already holds may be named again to add its new
            files and members. Files with the label and sha256 of one in the build are not read again.
        refit: refit the topic clusters on every document (as a build would) instead of assigning the new
            documents to the existing clusters; needed for a build of an earlier version (no topic model).
        themes, organisations, dayfirst, body_dates, publisher, publisher_map: the options the build was made
            with, which an update takes from its manifest; given, they must be the same (the dictionaries by
            fingerprint), else :class:`UpdateError`.
        n_clusters: with ``refit``, the number of clusters (default: the build's choice).
        workers, today, progress: as for :func:`analysis.pipeline.run_build` (``today`` bounds new documents'
            dates).

    Returns:
        (the build as written, or as it was when nothing changed; the update's record, also appended to
        ``manifest["updates"]`` when written: ``at``, ``inputs``, ``files_new``, ``files_changed``,
        ``unchanged``, ``added``, ``replaced``, ``removed``, ``documents``, ``refit``, ``today``, ``written``).

    Raises:
        UpdateError: an option conflicts with the build's, the dictionaries changed, or the build holds no
            topic model and ``refit`` is not given.
        analysis.store.BuildError: ``path`` is no readable build, or another build or update holds its lock.
        FileNotFoundError: an input does not exist.
    """
    path = Path(path)
    started = dt.datetime.now(dt.UTC)
    today = today or dt.date.today()
    check_build(path)  # before taking a lock beside a folder that is no build
    with build_lock(path):
        old = read_build(path, topic_model=not refit)
        check_out(path, inputs)  # never an input inside the build folder, which the swap would delete
        manifest = old.manifest
        options = _options(path, manifest, dayfirst=dayfirst, body_dates=body_dates, publisher=publisher,
                           publisher_map=publisher_map, n_clusters=n_clusters, refit=refit)
        if not refit and old.topic_model is None:
            raise UpdateError(
                f"The build in '{path}' was made by an earlier version and holds no topic model ({'topic_model.npz'}) "
                "to assign new documents to its clusters: add --refit to refit the clusters on all documents, or "
                f"rebuild it ({_rebuild_hint(path)})."
            )
        lexicon, (themes, organisations) = _lexicon(path, manifest, themes, organisations)
        plan_dayfirst = bool(options.get("dayfirst", True))
        plan_body = bool(options.get("body_dates", False))
        plan_publisher = options.get("publisher")
        pairs = [tuple(pair) for pair in options["publisher_map"]] if options.get("publisher_map") else None
        limits = options.get("limits") or None
        n_workers = _workers(workers)
        timings: dict[str, dict] = {}

        # Which input each file of the build came from (builds before this version: only when there was one).
        old_inputs = [str(p) for p in manifest.get("inputs") or []]
        matched, new_inputs = _match_inputs(manifest, inputs)
        owner_of = {e["path"]: e.get("input") for e in manifest.get("input_files") or []}
        single = old_inputs[0] if len(old_inputs) == 1 else None
        old_files = list(old.report.get("files") or [])

        def owner(entry: dict) -> str | None:
            return owner_of.get(entry["path"]) or single

        effective = [matched.get(name, name) for name in old_inputs] + new_inputs
        t = time.perf_counter()
        if progress:
            progress("Reading new input files", 0.0)
        # Each input is read on its own, as a build reads it after the inputs before it: its files that are in
        # the build are recognised by label and sha256 (the label a file had before a clash renamed it:
        # ``label_of``), and every label of the build's other files is taken, so that a file of the same
        # name elsewhere (a/result.json, b/result.json) is labelled apart and never replaces their documents.
        all_labels = {e["path"] for e in old_files}
        reading = dict(dayfirst=plan_dayfirst, publisher=plan_publisher, publisher_map=pairs, build_inputs=effective,
                       **(limits or {}))
        reports: list[FileReport] = []
        records: list = []
        input_of: dict[str, str] = {}
        # The limits bound the whole update as they bound a build, not each input read: max_total_bytes is
        # shared out over the inputs in order, and max_text_chars counts the text the build already holds
        # (its documents stay in memory beside the new ones; a changed file's old text counts until the end).
        bytes_used, text_held = 0, int(old.documents["text"].str.len().sum()) if len(old.documents) else 0
        for name in old_inputs + new_inputs:
            if name in matched:
                mine = [e for e in old_files if owner(e) in (name, None)]
            elif name in new_inputs:
                mine = []
            else:
                continue  # an input of the build not named again: its files are kept as they are
            known = {e.get("label_of") or e["path"]: e["sha256"] for e in mine if e.get("sha256")}
            taken = (all_labels - {e["path"] for e in mine}) | {r.path for r in reports}
            ingested = read_inputs([matched.get(name, name)], unchanged=known, labels_taken=taken,
                                   bytes_used=bytes_used, text_held=text_held, **reading)
            bytes_used, text_held = ingested.bytes_used, ingested.text_chars
            _keep_labels(ingested, mine, taken)
            reports.extend(ingested.files)
            records.extend(ingested.records)
            input_of.update(ingested.input_of)
        timings["ingest"] = {"seconds": round(time.perf_counter() - t, 3), "items": len(reports)}

        old_by_path = {e["path"]: e for e in old_files}
        kept_unchanged: list[str] = []
        read_paths: set[str] = set()
        for report in reports:
            if report.status != "unchanged":
                read_paths.add(report.path)
                continue
            before = old_by_path.get(report.path)
            if before is None or before.get("sha256") != report.details.get("sha256"):
                raise UpdateError(
                    f"'{report.path}' is unchanged, but the build in '{path}' holds it under another label (the "
                    f"inputs around it changed); rebuild ({_rebuild_hint(path)})."
                )
            kept_unchanged.append(report.path)

        t = time.perf_counter()
        new_docs = document_stage(records, dayfirst=plan_dayfirst, today=today, workers=n_workers,
                                  progress=progress, body_dates=plan_body)
        timings["documents"] = {"seconds": round(time.perf_counter() - t, 3), "items": len(new_docs)}
        old_docs = old.documents
        replaced_sources = read_paths & set(old_docs["source"])
        entry = {
            "at": started.isoformat(timespec="seconds"),
            "inputs": [str(p) for p in dict.fromkeys(str(p) for p in inputs)],
            "files_new": sorted(p for p in read_paths if p not in old_by_path),
            "files_changed": sorted(p for p in read_paths if p in old_by_path),
            "unchanged": sorted(kept_unchanged),
            "added": int((~new_docs["source"].isin(replaced_sources)).sum()),
            "replaced": int(new_docs["source"].isin(replaced_sources).sum()),
            "removed": int(old_docs["source"].isin(replaced_sources).sum()),
            "refit": bool(refit),
            "today": today.isoformat(),
        }
        if not read_paths and not refit:
            return old, {**entry, "documents": len(old_docs), "written": False}

        # The files in the order a build of all the inputs lists them; documents follow their files.
        produced = {r.path for r in reports}
        final: list[FileReport] = []
        entry_input: dict[str, str] = {}
        walked = {r.path: r for r in reports}
        by_input: dict[str | None, list[FileReport]] = {}
        for report in reports:
            by_input.setdefault(input_of.get(report.path), []).append(report)
        leftovers = [e for e in old_files if e["path"] not in produced]
        for e in leftovers:
            if owner(e) is None:
                final.append(_as_report(e))
                entry_input[e["path"]] = None
        for name in old_inputs:
            current = matched.get(name, name)
            if name in matched:
                for report in by_input.get(current, []):
                    kept = report.status == "unchanged"
                    final.append(_as_report(old_by_path[report.path]) if kept else report)
                    entry_input[report.path] = current
            for e in leftovers:
                if owner(e) == name:
                    final.append(_as_report(e))
                    entry_input[e["path"]] = current
        for name in new_inputs:
            for report in by_input.get(name, []):
                final.append(report)
                entry_input[report.path] = name
        missing = [r for r in walked.values() if r.path not in entry_input]
        final.extend(missing)  # a report ingest named no input for (none expected)

        kept = old_docs[~old_docs["source"].isin(read_paths)].copy()
        if plan_publisher is None and pairs is None and single is not None and len(effective) > 1:
            _as_several_inputs(kept, matched.get(single, single))
        if not refit:
            labels, coords = old.topic_model.assign(new_docs)
            new_docs["cluster_id"] = labels
            new_docs["x"], new_docs["y"] = coords[:, 0], coords[:, 1]
        position = {report.path: i for i, report in enumerate(final)}
        documents = pd.concat([kept.assign(_part=0, _row=np.arange(len(kept))),
                               new_docs.assign(_part=1, _row=np.arange(len(new_docs)))], ignore_index=True)
        documents["_file"] = documents["source"].map(position).fillna(len(position))
        documents = documents.sort_values(["_file", "_part", "_row"], kind="stable").drop(
            columns=["_file", "_part", "_row"]).reset_index(drop=True)
        documents["duplicate_of"] = duplicates_of(documents)
        for column in ("seq", "n_words", "cluster_id"):
            documents[column] = documents[column].astype("int64")

        t = time.perf_counter()
        if progress:
            progress("Finding theme and organisation mentions", 0.0)
        gone = set(old_docs.loc[old_docs["source"].isin(read_paths), "doc_id"])
        mentions = pd.concat([old.mentions[~old.mentions["doc_id"].isin(gone)],
                              find_mentions(new_docs[["doc_id", "text"]], lexicon)], ignore_index=True)
        order = {doc_id: i for i, doc_id in enumerate(documents["doc_id"])}
        mentions = mentions.assign(_doc=mentions["doc_id"].map(order)).sort_values("_doc", kind="stable").drop(
            columns="_doc").reset_index(drop=True)
        timings["mentions"] = {"seconds": round(time.perf_counter() - t, 3), "items": len(mentions)}

        t = time.perf_counter()
        if refit:
            if progress:
                progress("Clustering topics", 0.0)
            terms = TermStoreBuilder(documents["doc_id"])
            model = TopicModel(n_clusters=options.get("n_clusters")).fit(documents, on_counts=terms.add)
            apply_topics(documents, model)
            term_store = terms.finish()
            clusters, state = model.clusters_, TopicState.from_model(model)
            topics = {"n_clusters": int(model.n_clusters_), "silhouette": model.silhouette_}
        else:
            clusters = old.clusters.copy()
            sizes = documents.loc[documents["cluster_id"] >= 0, "cluster_id"].value_counts()
            clusters["size"] = clusters["cluster_id"].map(sizes).fillna(0).astype("int64")
            state = old.topic_model
            term_store = _term_store(path, documents, new_docs)
            topics = {k: v for k, v in (manifest.get("topics") or {}).items() if k in ("n_clusters", "silhouette")}
            topics.setdefault("n_clusters", len(clusters))
        timings["topics"] = {"seconds": round(time.perf_counter() - t, 3), "items": int(topics["n_clusters"])}

        for report in final:  # an archive counts the documents of its members, kept and new alike
            if report.format == "zip" and report.path in read_paths:
                report.documents = int(documents["source"].str.startswith(report.path + "/").sum())
        calendar = calendar_bytes = None
        events_file = path / "events.toml"
        if events_file.is_file():
            calendar, calendar_bytes = load_events(events_file), events_file.read_bytes()
        plan = PreparedBuild(
            inputs=effective, out=path, lexicon=lexicon, publisher_map=pairs, calendar=calendar,
            calendar_bytes=calendar_bytes, events=(manifest.get("events") or {}).get("source"), options=options,
            today=dt.date.fromisoformat(options["today"]) if options.get("today") else today,
            dayfirst=plan_dayfirst, body_dates=plan_body, n_clusters=options.get("n_clusters"),
            publisher=plan_publisher, limits=limits, timings=timings,
            input_of={p: name for p, name in entry_input.items() if name is not None},
        )
        entry["documents"] = len(documents)
        entry["written"] = True
        old_paths = dict(zip(old_inputs, manifest.get("input_paths") or [_resolved(p) for p in old_inputs],
                             strict=False))
        extra = {"created": manifest.get("created"), "updated": entry["at"],
                 "input_paths": [_resolved(matched[name]) if name in matched else old_paths.get(name, _resolved(name))
                                 for name in old_inputs] + [_resolved(p) for p in new_inputs],
                 "updates": [*(manifest.get("updates") or []), {k: v for k, v in entry.items() if k != "written"}]}
        for key in ("events", "engine"):  # the calendar, and the engine that made the build, are kept
            if manifest.get(key):
                extra[key] = manifest[key]
        build = finish_build(plan, final, documents, mentions, clusters, topics, progress=progress,
                             manifest_extra=extra, topic_model=state, term_store=term_store)
    return build, entry


def _keep_labels(ingested, mine: list[dict], taken: set[str]) -> None:
    """Give the files of an input of the build that a clash labelled by their input's path the labels the
    build holds them under (in place: reports, records, ``input_of``), whatever the input's path is called
    now: the build's ``in/b/result.json`` stays so when the update names ``/abs/in/b``. A file is the same
    file when its name before the clash (``label_of``) is that of one of the input's files in the build."""
    held = {e["label_of"]: e["path"] for e in mine if e.get("label_of")}
    relabel = {}
    for report in ingested.files:
        before = held.get(report.details.get("label_of"))
        if before is not None and report.path != before and before not in taken:
            relabel[report.path] = report.path = before
    if relabel:
        for record in ingested.records:
            record.source = relabel.get(record.source, record.source)
        ingested.input_of = {relabel.get(label, label): name for label, name in ingested.input_of.items()}


def _term_store(path: Path, documents: pd.DataFrame, new_docs: pd.DataFrame) -> TermStore | None:
    """Every document's word counts (``term_counts.npz``) after an update: the build's stored rows for the
    documents it keeps, the new documents counted as a build counts them. None when the build has no
    readable term counts of every kept document (an earlier version's build): the updated build then has
    none either, and the dashboard counts the texts it compares, as for such a build."""
    file = path / TERM_COUNTS_FILE
    if not file.is_file():
        return None
    try:
        stored = TermStore.load(file)
    except TermStoreError:
        return None
    position = {doc_id: i for i, doc_id in enumerate(documents["doc_id"])}
    new_ids = set(new_docs["doc_id"])
    kept = [doc_id for doc_id in documents["doc_id"] if doc_id not in new_ids]
    rows = stored.rows(kept)
    if rows is None:
        return None
    builder = TermStoreBuilder(documents["doc_id"])
    if kept:
        builder.add(np.fromiter((position[d] for d in kept), dtype=np.int64, count=len(kept)),
                    TermCounts(list(stored.terms), rows.indices, rows.data.astype(np.float32), rows.indptr))
    for start in range(0, len(new_docs), _CHUNK):
        chunk = new_docs.iloc[start : start + _CHUNK]
        texts = [t if isinstance(t, str) else "" for t in chunk["text"].tolist()]
        builder.add(np.fromiter((position[d] for d in chunk["doc_id"]), dtype=np.int64, count=len(chunk)),
                    count_terms(texts))
    return builder.finish()


def _as_several_inputs(documents: pd.DataFrame, single_input: str) -> None:
    """Give the documents of a one-input build the publishers a build of several inputs gives them (in
    place): a document whose publisher was its file's name (``file``, set because nothing else named one)
    gets its input's folder (``folder``), and a dump's forwarded post the same forwarder."""
    folder = _input_folder(single_input)
    weak = (documents["publisher_method"] == "file") & (documents["format"] != "table")
    names = documents["source"].map(lambda s: PurePosixPath(s).name or s)
    documents.loc[weak, "publisher"] = folder
    documents.loc[weak, "publisher_method"] = "folder"
    forwarded = ((documents["publisher_method"] == "forwarded") & (documents["format"] == "text")
                 & (documents["forwarded_by"] == names))
    documents.loc[forwarded, "forwarded_by"] = folder
