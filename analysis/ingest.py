"""Reading inputs (files, folders, zip archives) into raw records and one report per file."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import re
import stat
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path, PurePosixPath

from analysis.formats import ARCHIVE_EXTENSIONS, FormatError, NoTextError, read_bytes
from analysis.formats.encoding import decoding_notes, looks_binary
from analysis.formats.table import CHUNK_ROWS, MAX_ROW_CHARS, STREAMED_KINDS, iter_table
from analysis.records import FileReport, Post, Record

__all__ = ["LIMITS", "UPLOAD_LIMITS", "IngestResult", "ReadPlan", "Setting", "plan_reads", "read_inputs"]

_JUNK_FILES = frozenset({".ds_store", "thumbs.db", "ehthumbs.db", "desktop.ini", "icon\r", ".localized"})
# Formats a user may plausibly drop in a corpus folder that we cannot read: say so plainly.
_UNSUPPORTED = frozenset(
    {
        ".pdf",
        ".doc",
        ".docx",
        ".odt",
        ".rtf",
        ".xls",
        ".xlsx",
        ".ods",
        ".ppt",
        ".pptx",
        ".epub",
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".webp",
        ".svg",
        ".mp3",
        ".mp4",
        ".wav",
        ".avi",
        ".mov",
        ".exe",
        ".dll",
        ".so",
        ".bin",
        ".parquet",
        ".pkl",
        ".pickle",
        ".db",
        ".sqlite",
        ".xml",
    }
)
_MB = 1_000_000


def _size_text(n: int) -> str:
    """A size in bytes in a message: "512 bytes", "12.3 KB", "4.5 MB" (decimal units, as the limits are
    given), never "0.0 MB" for a small file or limit."""
    if n < 1000:
        return f"{n:,} byte{'' if n == 1 else 's'}"
    return f"{n / 1000:.1f} KB" if n < 999_950 else f"{n / _MB:.1f} MB"  # never "1000.0 KB"


@dataclass(frozen=True)
class Setting:
    """One reading limit: its name (a keyword of ``read_inputs``), default and what it bounds."""

    name: str
    default: int
    help: str


# The limits on what one build reads, in one table. A build holds about 25 MB of memory per MB of text, so
# the text cap is what keeps a build within memory; the byte caps keep a zip bomb from being read at all.
LIMITS: tuple[Setting, ...] = (
    Setting("max_zip_members", 10_000, "the most members read from one archive; the rest are reported"),
    Setting("max_zip_bytes", 2_000_000_000, "the most uncompressed bytes read from one archive"),
    Setting("max_file_bytes", 200_000_000, "the largest single file (or archive member) read; a CSV, TSV or "
            "JSON Lines file on disk has no size cap (it is read in chunks), a member of an archive has"),
    Setting("max_total_bytes", 4_000_000_000, "the most bytes read from all inputs together (uncompressed)"),
    Setting("max_text_chars", 400_000_000, "the most characters of text one build may hold (about 25 bytes "
            "of memory each)"),
    Setting("file_seconds", 120, "the time one file may take to read (a text file's trial split into posts "
            "included); a slower file is skipped. A CSV, TSV or JSON Lines file gets it per chunk of chunk_rows "
            "rows: a chunk that takes longer is stopped and the chunks before it kept"),
    Setting("max_row_chars", MAX_ROW_CHARS, "the longest row of a CSV, TSV or JSON Lines table read; a longer "
            "row is refused and listed in the file's report, the rest of the file kept"),
    Setting("chunk_rows", CHUNK_ROWS, "the rows of a CSV, TSV or JSON Lines file read at a time"),
)
# Uploads to the dashboard come from anyone who can reach it: tighter limits that keep one build within
# about 1 GB of memory and a few seconds per file.
UPLOAD_LIMITS: dict[str, int] = {
    "max_zip_members": 5_000,
    "max_zip_bytes": 250_000_000,
    "max_file_bytes": 50_000_000,
    "max_total_bytes": 250_000_000,
    "max_text_chars": 40_000_000,
    "file_seconds": 20,
    "max_row_chars": 1_000_000,
    "chunk_rows": 1_000,
}
_DEFAULTS = {setting.name: setting.default for setting in LIMITS}


@dataclass
class IngestResult:
    """Everything read from the inputs.

    ``records`` in input order (folders sorted by path); ``files`` holds one ``FileReport`` per input file
    (zip members included, plus one for each archive); ``options`` the reading options used.
    """

    records: list[Record] = field(default_factory=list)
    files: list[FileReport] = field(default_factory=list)
    options: dict = field(default_factory=dict)
    input_of: dict[str, str] = field(default_factory=dict)  # file label -> the input (as named) it came from
    # Of max_total_bytes and max_text_chars, what is used once these inputs are read (``bytes_used`` and
    # ``text_held`` given included): the next reading of the same update starts from them.
    bytes_used: int = 0
    text_chars: int = 0


@dataclass
class _Limits:
    dayfirst: bool
    max_zip_members: int
    max_zip_bytes: int
    max_file_bytes: int
    max_total_bytes: int = _DEFAULTS["max_total_bytes"]
    max_text_chars: int = _DEFAULTS["max_text_chars"]
    file_seconds: float = _DEFAULTS["file_seconds"]
    unchanged: Mapping[str, str] = field(default_factory=dict)
    max_row_chars: int = _DEFAULTS["max_row_chars"]
    chunk_rows: int = _DEFAULTS["chunk_rows"]


UNCHANGED_REASON = "the same content (sha256) as in the build; not read again"


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$") or name.lower() in _JUNK_FILES


def _hidden_reason(name: str) -> str:
    if name.lower() in _JUNK_FILES:
        return f"operating-system file ({name}), not a document"
    if name.startswith("~$"):
        return "Office lock file, not a document"
    return "hidden file (name starts with '.')"


def _suffix(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def _screen(data: bytes, name: str, source: str, limits: _Limits) -> FileReport:
    """The report of one file's bytes before they are read: its size and content hash (they identify the
    input in the build manifest), and a status other than ``parsed`` when it is not to be read (unchanged,
    empty, binary or unsupported)."""
    suffix = _suffix(name)
    report = FileReport(
        path=source, status="parsed", details={"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    )
    if limits.unchanged and limits.unchanged.get(source) == report.details["sha256"]:
        report.status, report.reason = "unchanged", UNCHANGED_REASON
    elif not data.strip():
        report.status, report.reason = "skipped", "empty file" if not data else "empty file (only whitespace)"
    elif suffix in _UNSUPPORTED or looks_binary(data):
        report.status, report.reason = "skipped", _unsupported_reason(suffix)
    return report


def _read_result(report: FileReport, status: str, outcome, details: dict, path: str, input_name: str):
    """The records and report of a file the reader went through: ``(status, outcome, details)`` as
    ``_read_here`` gives them."""
    if status == "parsed":
        records, fmt = outcome
    else:
        report.status, report.reason = status, outcome
        records, fmt = [], None
    return _finish(report, records, fmt, details, path, input_name)


def _unsupported_reason(suffix: str) -> str:
    return (f"binary or unsupported format: {suffix or '(no extension)'}; convert it to text (.txt, .html, .csv) "
            "first")


def _finish(report: FileReport, records: list[Record], fmt: str | None, details: dict, path: str,
            input_name: str) -> tuple[list[Record], FileReport]:
    """The records and report of a file read (``report.status`` already says whether it was)."""
    replaced = sum(_clean_record(record) for record in records)
    if replaced:
        details["surrogates_replaced"] = replaced
    report.encoding = details.pop("encoding", None)
    details.pop("_format", None)
    report.format = fmt
    report.details = {**details, **report.details}
    if report.status == "parsed" and not records:
        report.status, report.reason = "skipped", f"no text found in this {fmt or 'file'}"
    report.documents = len(records)
    for record in records:
        record.extra.setdefault("path", path)
        record.extra.setdefault("input", input_name)
    return records, report


_HEAD_CHECK = 65536  # bytes of a streamed table looked at to tell a binary file
# A folder's small files go to a reader worker in batches of up to this many files and bytes (each file still
# within file_seconds): one round trip per batch instead of one per file (a folder of 11,000 speeches: a third
# of the reading was round trips).
_BATCH_FILES, _BATCH_BYTES, _BATCH_FILE_BYTES = 64, 4 << 20, 1 << 20


def _process_stream(full: Path, size: int, source: str, path: str, input_name: str, limits: _Limits):
    """Records and the report for a CSV, TSV or JSON Lines file on disk, read in chunks of ``chunk_rows`` rows
    (never whole: any size is read), each chunk within ``file_seconds``. Never raises."""
    digest, head, blank = hashlib.sha256(), b"", True
    try:
        with open(full, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
                head = head or block[:_HEAD_CHECK]
                blank = blank and not block.strip()
    except OSError as error:
        return [], FileReport(source, "failed", f"cannot read file ({error.strerror})")
    report = FileReport(path=source, status="parsed", details={"bytes": size, "sha256": digest.hexdigest()})
    if limits.unchanged and limits.unchanged.get(source) == report.details["sha256"]:
        report.status, report.reason = "unchanged", UNCHANGED_REASON
        return [], report
    if blank:
        report.status, report.reason = "skipped", "empty file" if not size else "empty file (only whitespace)"
        return [], report
    if looks_binary(head):
        report.status, report.reason = "skipped", _unsupported_reason(_suffix(full.name))
        return [], report
    status, reason, details, records = _stream_within_budget(full, source, limits)
    if status != "parsed" or reason:
        report.status, report.reason = status, reason
    return _finish(report, records, "table" if records else None, details, path, input_name)


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_label(text: str) -> str:
    """``text`` with lone surrogates (a non-UTF-8 file name, a "\\ud83d" in JSON) as U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _clean_value(value):
    """(value with lone surrogates replaced, how many) for strings, lists and dicts of them."""
    if isinstance(value, str):
        cleaned, count = _SURROGATE.subn("\ufffd", value)
        return cleaned, count
    if isinstance(value, list | tuple):
        pairs = [_clean_value(item) for item in value]
        return type(value)(item for item, _ in pairs), sum(count for _, count in pairs)
    if isinstance(value, dict):
        out, total = {}, 0
        for key, item in value.items():
            key, k_count = _clean_value(key)
            item, i_count = _clean_value(item)
            out[key] = item
            total += k_count + i_count
        return out, total
    return value, 0


def _encodable(value) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean_record(record: Record) -> int:
    """Replace lone surrogates in a record's strings (they cannot be written as UTF-8); how many there were."""
    if _encodable(record.text) and all(
        _encodable(v) for v in (record.title, record.url, record.source, record.publisher, record.forwarded_by) if v
    ) and (
        not record.extra or _encodable(repr(record.extra))
    ):
        return 0  # the common case, checked at C speed
    total = 0
    for name in ("text", "title", "url", "source", "publisher", "forwarded_by"):
        value, count = _clean_value(getattr(record, name))
        if count:
            setattr(record, name, value)
            total += count
    extra, count = _clean_value(record.extra)
    if count:
        record.extra, total = extra, total + count
    if record.posts:  # the reader's split holds the text again
        posts = []
        for post in record.posts:
            (text, in_text), (header, in_header) = _clean_value(post.text), _clean_value(post.header)
            posts.append(Post(text, header))
            total += in_text + in_header
        record.posts = posts
    return total


# ------------------------------------------------------------------------------- the time budget per file
# A file is read in a worker process that can be stopped: a reader stuck on hostile input (a pathological
# page, a regex, a C extension) holds the GIL, so a thread could not be interrupted, and signal.alarm only
# works in the main thread while ingest reads in a thread pool (and the dashboard builds in a server thread).
# Workers are plain child interpreters (``python -c`` importing this module) talking over their stdin and
# stdout: no fork of a threaded server, and, unlike multiprocessing's spawn or forkserver, no re-import of
# the caller's main script. They are reused across files and builds; a worker that overruns is killed.


class _TooSlow(Exception):
    pass


_ROOT = str(Path(__file__).resolve().parents[1])


class _Worker:
    """One reader process and the two pipes to it."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from analysis.ingest import _serve_stdio; _serve_stdio()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True,
        )
        self.send = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.recv = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        self.ready = False

    def wait_ready(self) -> bool:
        """Whether the worker has imported its readers (its first message, awaited once, at most
        _STARTUP_SECONDS): a file's budget starts after that, never counting the interpreter's start."""
        if not self.ready:
            try:
                self.ready = self.recv.poll(_STARTUP_SECONDS) and self.recv.recv() == ("ready",)
            except (EOFError, OSError):
                self.ready = False
        return self.ready

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        self.send.close()
        self.recv.close()


_IDLE: list[_Worker] = []
_IDLE_LOCK = threading.Lock()
_STARTUP_SECONDS = 60
# Imported by a worker before it says it is ready, so that no file's budget pays for them (trafilatura and
# lxml take about 0.3 s).
_PRELOAD = ("analysis.formats.html", "analysis.formats.table", "analysis.formats.telegram", "analysis.formats.text",
            "analysis.segment", "analysis.dates", "charset_normalizer", "lxml.html", "trafilatura", "htmldate")


def _serve_stdio() -> None:
    """A worker's main: jobs in on stdin (``("bytes", data, name, source, dayfirst, max_row_chars)``,
    ``("batch", [(data, name, source), ...], dayfirst, max_row_chars)`` or ``("stream", path, name, source,
    dayfirst, chunk_rows, max_row_chars)``), messages out on stdout (a ``("chunk", records, details)`` per
    chunk of a streamed table, a ``("file", status, outcome, details)`` per file of a batch, then one
    ``("end", ...)``), until EOF; a first ``("ready",)`` once its readers are imported."""
    jobs = Connection(os.dup(0), writable=False)
    results = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the results pipe
    import importlib

    for module in _PRELOAD:
        with contextlib.suppress(Exception):  # a reader that needs it reports the error on the file
            importlib.import_module(module)
    results.send(("ready",))
    while True:
        try:
            job = jobs.recv()
        except (EOFError, OSError):
            return
        if job[0] == "stream":
            for message in _stream_here(*job[1:]):
                results.send(message)
        elif job[0] == "batch":
            _, files, dayfirst, max_row_chars = job
            for data, name, source in files:
                results.send(("file", *_read_here(data, name, source, dayfirst, max_row_chars)))
            results.send(("end",))
        else:
            results.send(("end", *_read_here(*job[1:])))


def _read_here(data: bytes, name: str, source: str, dayfirst: bool,
               max_row_chars: int = MAX_ROW_CHARS) -> tuple[str, object, dict]:
    """(status, (records, format) or reason, details) of one file read in this process. Never raises.

    Everything a file costs before its records reach the document stage is done here, inside the worker's
    budget: the reader, the report's decoding notes, and for a text file (which may be a dump of many posts)
    its split into posts (``segment.split_posts_detailed``: the work a huge or hostile dump takes longest
    on), so that a file too slow to split is stopped here, within file_seconds, rather than stalling the
    build's document stage, which has no budget per file. The split goes with the record (``Record.posts``;
    ``segmentable=False`` for a text that is one post without chrome), so it is not made twice."""
    details: dict = {}
    try:
        records, fmt = read_bytes(data, name, source, dayfirst=dayfirst, details=details,
                                  max_row_chars=max_row_chars)
        if any(record.segmentable for record in records):
            from analysis.segment import split_posts_detailed

            for record in records:
                if record.segmentable:
                    _keep_split(record, split_posts_detailed(record.text))
        outcome: tuple[str, object] = ("parsed", (records, fmt))
    except Exception as error:  # a reader bug must not stop the whole build
        outcome = _failure(error)
    with contextlib.suppress(Exception):  # the notes are facts for the report; the file was read without them
        details.update(decoding_notes(data, details.get("encoding")))
    return (*outcome, details)


def _keep_split(record: Record, posts: list) -> None:
    """Give a segmentable record the reader's split of it: a text that is one post without chrome (its
    stripped text) becomes a plain record, which costs nothing more to send back; a dump keeps its posts."""
    if len(posts) == 1 and posts[0].header is None and posts[0].text == record.text.strip():
        record.segmentable = False
    else:
        record.posts = posts


def _failure(error: Exception) -> tuple[str, str]:
    """(status, reason) of a file whose reader raised ``error``."""
    if isinstance(error, FormatError):
        return "failed", str(error)
    if isinstance(error, NoTextError):
        return "skipped", str(error)
    if isinstance(error, RecursionError):
        return "failed", "the file nests too deeply to be read (RecursionError); flatten it first"
    if isinstance(error, OSError):
        return "failed", f"cannot read file ({error.strerror or error})"
    return "failed", f"{type(error).__name__}: {error}"


def _stream_here(path: str, name: str, source: str, dayfirst: bool, chunk_rows: int, max_row_chars: int):
    """The messages of one table read in chunks in this process (see ``_serve_stdio``). Never raises."""
    details: dict = {}
    try:
        with open(path, "rb") as handle:
            for chunk in iter_table(handle, source, kind=_suffix(name).lstrip("."), dayfirst=dayfirst,
                                    details=details, chunk_rows=chunk_rows, max_row_chars=max_row_chars):
                yield "chunk", chunk, dict(details)
    except Exception as error:
        yield ("end", *_failure(error), details)
        return
    yield "end", "parsed", None, details


def _stop_idle_workers() -> None:
    with _IDLE_LOCK:
        workers, _IDLE[:] = list(_IDLE), []
    for worker in workers:
        worker.stop()


atexit.register(_stop_idle_workers)


class _NoWorker(Exception):
    """No worker process could be started (``args[0]`` the OSError)."""


class _WorkerDied(Exception):
    """The worker went away: before the job was sent (``args[0]`` is None) or while reading (the error)."""


def _worker_messages(job: tuple, seconds: float):
    """The messages of ``job`` run in a worker process (reused when one is idle), each awaited at most
    ``seconds``; the last is the ``end`` one, after which the worker goes back to the idle ones.

    Raises:
        _NoWorker: no worker process can be started.
        _TooSlow: a message took longer than ``seconds``; the worker was killed.
        _WorkerDied: the worker could not be reached or died while reading.
    """
    with _IDLE_LOCK:
        worker = _IDLE.pop() if _IDLE else None
    for attempt in (1, 2):
        try:
            if worker is None or not worker.alive():
                if worker is not None:
                    worker.stop()
                worker = _Worker()
        except OSError as error:
            raise _NoWorker(error) from error
        if not worker.wait_ready():
            worker.stop()
            raise _WorkerDied(None)
        try:
            worker.send.send(job)
            break
        except BrokenPipeError:  # the idle worker had gone away: start a fresh one, once
            worker.stop()
            worker = None
            if attempt == 2:
                raise _WorkerDied(None) from None
        except OSError as error:
            worker.stop()
            raise _WorkerDied(error) from error
    finished = False
    try:
        while True:
            try:
                if not worker.recv.poll(seconds):
                    raise _TooSlow
                message = worker.recv.recv()
            except (EOFError, OSError) as error:  # the worker died on this file (out of memory, a crash in C)
                raise _WorkerDied(error) from error
            if message[0] == "end":
                finished = True
                with _IDLE_LOCK:
                    _IDLE.append(worker)
            yield message
            if finished:
                return
    finally:
        if not finished:
            worker.stop()


def _too_slow_reason(limits: _Limits) -> str:
    return (f"reading took longer than file_seconds ({limits.file_seconds:g} s) and was stopped; check the file "
            "(it may be built to stall a parser), split it, or raise the limit")


def _died_reason(error: BaseException | None) -> str:
    if error is None:
        return "the reader process could not be started; check the installation"
    return (f"the reader stopped while reading this file ({type(error).__name__}); the file may be built to "
            "crash a parser, or too large for the memory available")


def _read_within_budget(data: bytes, name: str, source: str, limits: _Limits) -> tuple[str, object, dict]:
    """``_read_here`` in a worker process, stopped after ``limits.file_seconds``.

    Where no worker process can be started, the file is read here, without a budget, and its report says so.
    """
    job = ("bytes", data, name, source, limits.dayfirst, limits.max_row_chars)
    try:
        [(_, status, outcome, details)] = list(_worker_messages(job, limits.file_seconds))
        return status, outcome, details
    except _NoWorker as error:
        status, outcome, details = _read_here(*job[1:])
        details["time_budget"] = f"not enforced (no worker process: {error.args[0].strerror or error.args[0]})"
        return status, outcome, details
    except _TooSlow:
        return "skipped", _too_slow_reason(limits), {}
    except _WorkerDied as error:
        return "failed", _died_reason(error.args[0]), {}


def _read_batch_within_budget(files: list[tuple[bytes, str, str]], limits: _Limits) -> list[tuple[str, object, dict]]:
    """``_read_within_budget`` for several files ``(data, name, source)`` sent to one worker at once: each
    file within ``limits.file_seconds`` (the worker answers file by file, and each answer is awaited at most
    that long), without a round trip per file. A file too slow is stopped (its worker killed) and the files
    after it go to a fresh worker; the results are in the files' order."""
    if len(files) == 1:
        return [_read_within_budget(*files[0], limits)]
    results: list[tuple[str, object, dict]] = []
    while len(results) < len(files):
        job = ("batch", files[len(results):], limits.dayfirst, limits.max_row_chars)
        try:
            for message in _worker_messages(job, limits.file_seconds):
                if message[0] == "file":
                    results.append(message[1:])
        except _NoWorker as error:
            note = f"not enforced (no worker process: {error.args[0].strerror or error.args[0]})"
            for data, name, source in files[len(results):]:
                status, outcome, details = _read_here(data, name, source, limits.dayfirst, limits.max_row_chars)
                details["time_budget"] = note
                results.append((status, outcome, details))
        except _TooSlow:
            results.append(("skipped", _too_slow_reason(limits), {}))
        except _WorkerDied as error:
            results.append(("failed", _died_reason(error.args[0]), {}))
    return results


def _stream_within_budget(full: Path, source: str, limits: _Limits) -> tuple[str, str | None, dict, list]:
    """(status, reason, details, records) of a table read in chunks in a worker process, each chunk within
    ``limits.file_seconds``: a chunk that takes longer stops the reading, and the chunks before it are kept
    (status ``parsed``, with a reason that says where it stopped). Where no worker process can be started,
    the file is read here, without a budget, and its report says so."""
    job = ("stream", str(full), full.name, source, limits.dayfirst, limits.chunk_rows, limits.max_row_chars)
    records: list[Record] = []
    details: dict = {}
    try:
        for message in _worker_messages(job, limits.file_seconds):
            if message[0] == "chunk":
                records.extend(message[1])
                details = message[2]
            else:
                _, status, reason, details = message
        return status, reason, details, records
    except _NoWorker as error:
        for message in _stream_here(*job[1:]):
            if message[0] == "chunk":
                records.extend(message[1])
            else:
                _, status, reason, details = message
        details["time_budget"] = f"not enforced (no worker process: {error.args[0].strerror or error.args[0]})"
        return status, reason, details, records
    except (_TooSlow, _WorkerDied) as error:
        slow = isinstance(error, _TooSlow)
        if not records:
            return ("skipped", _too_slow_reason(limits), details, []) if slow else (
                "failed", _died_reason(error.args[0]), details, [])
        chunks = details.get("chunks", 0)
        why = (f"took longer than file_seconds ({limits.file_seconds:g} s)" if slow
               else f"stopped the reader ({type(error.args[0]).__name__})")
        details["stopped_after_line"] = records[-1].extra.get("row")
        return "parsed", (
            f"chunk {chunks + 1} of {limits.chunk_rows:,} rows {why}, so the reading stopped after line "
            f"{details['stopped_after_line']}; the {len(records):,} documents of the {chunks} chunks before it "
            "were kept. Check the file after that line (it may be built to stall a parser), split it, or "
            "raise the limit"
        ), details, records


def _unsafe_member(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return (
        name.startswith(("/", "\\"))
        or (len(name) > 1 and name[1] == ":")
        or any(part == ".." for part in parts)
        or "\x00" in name
    )


def _is_macosx(name: str) -> bool:
    return name.replace("\\", "/").split("/", 1)[0] == "__MACOSX"


def _sha256_file(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def _zip_declared_bytes(path: Path) -> int:
    """The uncompressed size an archive's headers declare (0 when it cannot be opened)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return sum(info.file_size for info in zf.infolist())
    except Exception:  # a corrupt archive is reported when it is read
        return 0


def _read_zip(
    path: Path, label: str, input_name: str, limits: _Limits, total_left: int | None = None
) -> tuple[list, list]:
    """Records and reports for a zip archive read in memory (nothing is extracted to disk).

    ``total_left`` is what remains of ``max_total_bytes`` for this archive (all of it when None).
    """
    total_left = limits.max_total_bytes if total_left is None else total_left
    zip_cap = min(limits.max_zip_bytes, total_left)
    cap_name = "max_zip_bytes" if limits.max_zip_bytes <= total_left else "max_total_bytes (all inputs together)"
    archive = FileReport(path=label, status="parsed", format="zip")
    reports = [archive]
    records: list[Record] = []
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        archive.status = "failed"
        archive.reason = (
            f"corrupt or unreadable zip archive ({error}); re-create the archive or pass the folder"
        )
        return records, reports
    with zf:
        members = sorted(
            (info for info in zf.infolist() if not info.is_dir()), key=lambda info: info.filename
        )
        macosx = [info for info in members if _is_macosx(info.filename)]
        members = [info for info in members if not _is_macosx(info.filename)]
        if macosx:
            reports.append(
                FileReport(
                    path=f"{label}/__MACOSX/",
                    status="skipped",
                    reason="macOS metadata folder (__MACOSX), not documents",
                    details={"files": len(macosx)},
                )
            )
        total_bytes = 0
        read = 0
        over_count = 0
        pending: list[tuple[int, bytes, str, str]] = []  # (index in reports, data, base name, path)
        pending_bytes = [0]
        member_records: dict[int, list[Record]] = {}

        def flush() -> None:
            if pending:
                results = _read_batch_within_budget([(data, base, reports[i].path) for i, data, base, _ in pending],
                                                    limits)
                for (i, _, _, member_path), result in zip(pending, results, strict=True):
                    member_records[i], reports[i] = _read_result(reports[i], *result, member_path, input_name)
                pending.clear()
                pending_bytes[0] = 0

        for info in members:
            # Archives made on Windows may use backslashes: paths are reported with forward slashes.
            name = info.filename.replace("\\", "/")
            member_label = f"{label}/{name}"
            base = PurePosixPath(name).name
            if _unsafe_member(info.filename):
                reports.append(
                    FileReport(member_label, "skipped", "unsafe path in archive (absolute or '..'); not read")
                )
                continue
            if any(_is_hidden(part) for part in PurePosixPath(name).parts):
                reports.append(FileReport(member_label, "skipped", _hidden_reason(base)))
                continue
            if _suffix(name) in ARCHIVE_EXTENSIONS:
                reports.append(
                    FileReport(
                        member_label,
                        "skipped",
                        "nested archive inside an archive: extract it first and pass the folder",
                    )
                )
                continue
            if read >= limits.max_zip_members:
                over_count += 1
                continue
            if info.flag_bits & 0x1:
                reports.append(
                    FileReport(
                        member_label, "skipped", "encrypted member; extract it with its password first"
                    )
                )
                continue
            if info.file_size > limits.max_file_bytes:
                reports.append(
                    FileReport(
                        member_label,
                        "skipped",
                        f"file too large ({_size_text(info.file_size)} > max_file_bytes "
                        f"{_size_text(limits.max_file_bytes)}); split it or raise the limit",
                    )
                )
                continue
            if total_bytes + info.file_size > zip_cap:
                reports.append(
                    FileReport(
                        member_label,
                        "skipped",
                        f"archive too large: its members exceed {cap_name} ({_size_text(zip_cap)} "
                        "uncompressed); extract it and pass the folder, or raise the limit",
                    )
                )
                continue
            read += 1
            budget = min(limits.max_file_bytes, zip_cap - total_bytes)
            try:
                with zf.open(info) as handle:
                    # Read at most budget+1 bytes: a member whose header lies about its size is caught here.
                    data = handle.read(budget + 1)
            except Exception as error:
                reports.append(
                    FileReport(
                        member_label, "failed", f"cannot read member ({type(error).__name__}: {error})"
                    )
                )
                continue
            if len(data) > budget:
                reports.append(
                    FileReport(
                        member_label,
                        "skipped",
                        "member is larger than its header says and exceeds the size limits; extract and check the archive",
                    )
                )
                total_bytes += budget
                continue
            total_bytes += len(data)
            report = _screen(data, base, member_label, limits)
            reports.append(report)
            if report.status != "parsed":
                continue
            # Small members go to a reader worker in batches, as a folder's small files do.
            if len(data) > _BATCH_FILE_BYTES:
                flush()
            pending.append((len(reports) - 1, data, base, f"{label}/{name}"))
            pending_bytes[0] += len(data)
            if len(data) > _BATCH_FILE_BYTES or len(pending) >= _BATCH_FILES or pending_bytes[0] >= _BATCH_BYTES:
                flush()
        flush()
        for i in range(1, len(reports)):
            records.extend(member_records.get(i, ()))
        archive.documents = len(records)
        archive.details = {
            "members": len(members) + len(macosx),
            "bytes_read": total_bytes,
            "archive_bytes": path.stat().st_size,
            "sha256": _sha256_file(path),
        }
        if not records and not any(report.status == "unchanged" for report in reports):
            archive.status = "skipped"
            archive.reason = "the archive holds no readable documents (see the reports of its members)"
        if over_count:
            archive.reason = (archive.reason + "; " if archive.reason else "") + (
                f"only the first {limits.max_zip_members} members were read; {over_count} more were not "
                "(max_zip_members); extract the archive and pass the folder, or raise the limit"
            )
            archive.details["members_not_read"] = over_count
    return records, reports


def _walk(folder: Path) -> list[tuple[Path, str, str | None, dict]]:
    """(path, relative posix path, skip reason or None, details) for a folder's files, sorted by path.

    Hidden folders (``.git``) are not entered: each gets one entry that counts the files it holds. Symbolic
    links to folders are not followed and get an entry saying so; a symbolic link to a file is read only when
    its target lies inside ``folder`` (never outside the tree named); a FIFO, socket or device is not read.
    """
    entries: list[tuple[Path, str, str | None, dict]] = []
    top = folder.resolve()

    def rel_of(path: Path) -> str:
        return clean_label(path.relative_to(folder).as_posix())

    def unreadable(error: OSError) -> None:
        rel = rel_of(Path(error.filename)) if error.filename else "."
        entries.append(
            (Path(error.filename or folder), rel + "/", f"folder cannot be read ({error.strerror})", {})
        )

    for root, dirs, files in os.walk(folder, onerror=unreadable):
        root_path = Path(root)
        for name in [d for d in dirs if d.startswith(".")]:
            count = sum(len(f) for _, _, f in os.walk(root_path / name))
            entries.append(
                (root_path / name, rel_of(root_path / name) + "/", f"hidden folder ({count} files not read)",
                 {"files": count})
            )
        for name in [d for d in dirs if not d.startswith(".") and (root_path / d).is_symlink()]:
            entries.append(
                (root_path / name, rel_of(root_path / name) + "/",
                 "symbolic link to a folder; not followed (pass the folder itself to read it)",
                 {"link_target": clean_label(os.readlink(root_path / name))})
            )
        dirs[:] = [d for d in dirs if not d.startswith(".") and not (root_path / d).is_symlink()]
        for name in files:
            full = root_path / name
            rel = rel_of(full)
            details: dict = {}
            reason = _hidden_reason(name) if _is_hidden(name) else None
            if reason is None and full.is_symlink():
                target = full.resolve()
                details["link_target"] = clean_label(os.readlink(full))
                if not target.is_relative_to(top):
                    reason = "symbolic link to a file outside the input folder; not read"
            if reason is None:
                try:
                    mode = full.stat().st_mode
                except OSError as error:
                    mode, reason = 0, f"cannot read file ({error.strerror})"
                if reason is None and not stat.S_ISREG(mode):
                    reason = f"not a regular file ({_kind(mode)}); not read"
            entries.append((full, rel, reason, details))
    return sorted(entries, key=lambda entry: PurePosixPath(entry[1]).parts)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a file"


def _file_job(full: Path, source: str, path: str, input_name: str, limits: _Limits):
    """Records and reports for one file on disk (a zip archive included). Never raises."""
    return _files_job([(full, source, path, input_name)], limits)


def _files_job(files: list[tuple[Path, str, str, str]], limits: _Limits) -> tuple[list[Record], list[FileReport]]:
    """Records and reports (in order) for files on disk ``(full path, source, path, input name)``; the ones
    to read go to one worker together (``_read_batch_within_budget``). Never raises."""
    done: list[tuple[list[Record], FileReport] | None] = [None] * len(files)
    pending: list[tuple[int, bytes, FileReport]] = []
    for i, (full, source, path, input_name) in enumerate(files):
        try:
            info = full.stat()
        except OSError as error:
            done[i] = [], FileReport(source, "failed", f"cannot read file ({error.strerror})")
            continue
        if not stat.S_ISREG(info.st_mode):
            # Reading a FIFO or a device would block or never end.
            done[i] = [], FileReport(source, "skipped", f"not a regular file ({_kind(info.st_mode)}); not read")
            continue
        size = info.st_size
        if _suffix(full.name).lstrip(".") in STREAMED_KINDS:
            done[i] = _process_stream(full, size, source, path, input_name, limits)
            continue
        if size > limits.max_file_bytes:
            done[i] = [], FileReport(
                source,
                "skipped",
                f"file too large ({_size_text(size)} > max_file_bytes {_size_text(limits.max_file_bytes)}); "
                "split it or raise the limit",
            )
            continue
        try:
            data = full.read_bytes()
        except OSError as error:
            done[i] = [], FileReport(source, "failed", f"cannot read file ({error.strerror})")
            continue
        report = _screen(data, full.name, source, limits)
        if report.status == "parsed":
            pending.append((i, data, report))
        else:
            done[i] = [], report
    if pending:
        read = _read_batch_within_budget([(data, files[i][0].name, files[i][1]) for i, data, _ in pending], limits)
        for (i, _, report), result in zip(pending, read, strict=True):
            done[i] = _read_result(report, *result, files[i][2], files[i][3])
    records: list[Record] = []
    for file_records, _ in done:
        records.extend(file_records)
    return records, [report for _, report in done]


def _unique_labels(reports: list[FileReport], input_name: str, seen: set[str]) -> dict[str, str]:
    """Give each file a source label no earlier file of the build has (reports in place); returns the
    renamed labels ``{old: new}`` for the job's records.

    Two inputs may hold the same relative path (``a/x.txt`` and ``b/x.txt`` both give ``x.txt``) and the same
    file may be named twice; a later clash is labelled with its input's path (``b/x.txt``), else numbered
    (``x.txt (2)``), so that every document has its own ``source`` and ``doc_id`` and a copy is found as
    a ``duplicate_of`` its first occurrence.
    """
    renamed: dict[str, str] = {}
    for report in reports:
        label = report.path
        if label in seen:
            if input_name == label or input_name.endswith("/" + label):  # a file named as an input
                candidate = input_name
            else:  # a file inside a folder or an archive named as an input
                candidate = f"{input_name}/{label}"
            number = 2
            while candidate in seen:
                candidate, number = f"{label} ({number})", number + 1
            report.details = {**report.details, "label_of": label}
            renamed[label] = report.path = candidate
            if report.reason is None and report.status == "parsed":
                report.reason = f"another input has the same name ({label}); labelled {candidate}"
        seen.add(report.path)
    return renamed


def _chars_by_source(records: list[Record]) -> dict[str, int]:
    """Characters of text each source's records hold."""
    by_source: dict[str, int] = {}
    for record in records:
        by_source[record.source] = by_source.get(record.source, 0) + len(record.text)
    return by_source


def _within_text_cap(
    by_source: dict[str, int], reports: list[FileReport], held: int, cap: int, held_before: int = 0
) -> tuple[set[str], int]:
    """The files of one job whose text would take the build over ``cap`` characters (``held`` so far),
    file by file, from the characters each source holds.

    A file whose text would go over the cap is dropped whole and its report says so (in place); the other
    files are kept. Returns the refused sources and the new total.
    """
    refused: set[str] = set()
    for report in reports:
        chars = by_source.get(report.path)
        if chars is None or report.status != "parsed":
            continue
        if held + chars > cap:
            refused.add(report.path)
            report.status = "skipped"
            report.reason = (
                f"the build would hold more than max_text_chars ({cap:,} characters of text); this file's "
                f"{chars:,} characters were not added. Build fewer files at once, or raise the limit"
            )
            if held_before:
                report.reason += (f" (the build being updated and the inputs read before these already held "
                                  f"{held_before:,} characters)")
            report.documents = 0
        else:
            held += chars
    return refused, held


Job = Callable[[], tuple[list[Record], list[FileReport]]]


@dataclass
class ReadPlan:
    """The reading of a build's inputs, planned before any file is read (made by :func:`plan_reads`).

    ``jobs`` are ``(input name, job)`` pairs in input order; a job reads one file or archive and returns
    its records and reports, never raises, and can be pickled (cloudpickle) to run in another process or
    on another machine that sees the same paths. Their results go back through :meth:`admit` *in job
    order* (labels unique across the build, the text cap), then :meth:`complete` on the records.
    ``read_inputs`` runs the jobs on a thread pool; ``analysis/dask_engine.py`` on a cluster's workers.
    """

    inputs: list
    jobs: list[tuple[str, Job]]
    options: dict
    publisher: str | None = None
    publisher_map: Sequence[tuple[str, str]] | None = None
    build_inputs: list | None = None  # every input of the build, for publishers (None: ``inputs``)
    input_of: dict[str, str] = field(default_factory=dict)  # admitted file label -> its input's name
    _seen: set[str] = field(default_factory=set)
    _text_chars: int = 0  # text held so far (from ``text_held`` on)
    bytes_used: int = 0  # of max_total_bytes, once every job is planned (from ``bytes_used`` on)
    _held_before: int = 0
    _folders: tuple | None = None  # _input_folders of the inputs, found on first use

    def admit(self, input_name: str, reports: list[FileReport], chars: dict[str, int]) -> tuple[dict, set]:
        """Admit one job's files, given their reports and the characters of text each source holds
        (``{source: chars}`` as the job labelled them): a source label already used is renamed, a file
        over ``max_text_chars`` refused (reports changed in place). Returns ``(renamed, refused)``:
        ``{old label: new label}`` and the refused (new) labels, for :meth:`complete`."""
        renamed = _unique_labels(reports, input_name, self._seen)
        self.input_of.update((report.path, input_name) for report in reports)
        chars = {renamed.get(source, source): n for source, n in chars.items()}
        refused, self._text_chars = _within_text_cap(chars, reports, self._text_chars,
                                                     self.options["max_text_chars"], self._held_before)
        return renamed, refused

    def complete(self, records: list[Record], renamed: dict[str, str], refused: set[str]) -> list[Record]:
        """One job's records as the build holds them: relabelled, without refused files, each with its
        publisher (:func:`complete_publishers`)."""
        if renamed:
            for record in records:
                record.source = renamed.get(record.source, record.source)
        if refused:
            records = [record for record in records if record.source not in refused]
        inputs = self.inputs if self.build_inputs is None else self.build_inputs
        if self._folders is None:
            self._folders = _input_folders(inputs)
        complete_publishers(records, inputs, self.publisher, self.publisher_map, folders=self._folders)
        return records


def read_inputs(
    inputs: Sequence[str | Path] | str | Path,
    *,
    dayfirst: bool = True,
    max_zip_members: int = 10_000,
    max_zip_bytes: int = 2_000_000_000,
    max_file_bytes: int = 200_000_000,
    max_total_bytes: int = _DEFAULTS["max_total_bytes"],
    max_text_chars: int = _DEFAULTS["max_text_chars"],
    file_seconds: float = _DEFAULTS["file_seconds"],
    max_row_chars: int = _DEFAULTS["max_row_chars"],
    chunk_rows: int = _DEFAULTS["chunk_rows"],
    progress: Callable[[int], None] | None = None,
    publisher: str | None = None,
    publisher_map: Sequence[tuple[str, str]] | None = None,
    unchanged: Mapping[str, str] | None = None,
    labels_taken: Collection[str] = (),
    build_inputs: Sequence[str | Path] | None = None,
    bytes_used: int = 0,
    text_held: int = 0,
) -> IngestResult:
    """Read files, folders (recursively) and zip archives into records, with one report per file.

    Bad files never raise: each gets a ``FileReport`` with status ``skipped`` (empty, binary, hidden,
    unsupported, nested archive, unsafe path in an archive, too large) or ``failed`` (broken JSON, a table
    without a text column, a corrupt archive, a reader error) and a reason that says what to do.

    Arguments:
        inputs: paths of files, folders or ``.zip`` archives (a single path is accepted too).
        dayfirst: whether ambiguous numeric metadata dates (03/04/2024) are day-first.
        max_zip_members: the most members read from one archive; the rest are reported, not read.
        max_zip_bytes: the most uncompressed bytes read from one archive.
        max_file_bytes: the largest single file (or archive member) read; CSV, TSV and JSON Lines files on
            disk are read in chunks, whatever their size.
        max_total_bytes: the most bytes read from all inputs together (uncompressed); later files are
            skipped with the reason.
        max_text_chars: the most characters of text the records may hold together; a file that would go
            over is skipped with the reason (see ``LIMITS``; ``UPLOAD_LIMITS`` for the dashboard's uploads).
        file_seconds: the time one file may take to read; a slower one is skipped with the reason. A CSV,
            TSV or JSON Lines file on disk has it per chunk: a slower chunk stops the reading there, the
            chunks before it are kept and the report says where it stopped.
        max_row_chars: the longest row of a CSV, TSV or JSON Lines table; a longer row is refused, listed in
            the file's report (``refused_rows``: row, line, reason) and the rest of the file read.
        chunk_rows: the rows of a CSV, TSV or JSON Lines file on disk read (and sent back) at a time.
        progress: called with 1 after each file is read (for a progress bar).
        publisher: the publisher of every record (``publisher_method="override"``); None: each record
            keeps the publisher its reader found, else the folder it sits in when several inputs are given
            (``folder``), else its file's name (``file``).
        publisher_map: ``(pattern, publisher)`` pairs (see ``load_publisher_map``): a record whose source
            matches a pattern gets that publisher (``override``; the first pattern that matches wins).
        unchanged, labels_taken, build_inputs: for adding ``inputs`` to an existing build (``analysis
            update``): ``{label: sha256}`` of files the build holds, which are not parsed again when their
            content is the same (their report has status ``unchanged``); the labels the build's other inputs
            hold (a file here with one of them is labelled apart, as in a build of all the inputs); every
            input of the build, whose number and folders decide ``folder`` publishers (default: ``inputs``).
        bytes_used, text_held: for reading an update's inputs one after another under one budget: the bytes of
            ``max_total_bytes`` the inputs read before these used (``IngestResult.bytes_used`` of the reading
            before), and the characters of text already held (the build's documents and the inputs read
            before: ``IngestResult.text_chars``), so that an update reads and holds no more than a build of
            all its inputs would be allowed.

    Returns:
        An ``IngestResult``. ``Record.source`` is the path relative to the named input (the file's name for
        a file input, ``archive.zip/member`` inside an archive); ``Record.extra["path"]`` keeps the full
        relative path whose folder names may carry dates.

    Raises:
        FileNotFoundError: an input path does not exist.
        ValueError: no inputs, a limit that is not a positive integer, or an empty ``publisher``.
    """
    plan = plan_reads(inputs, dayfirst=dayfirst, max_zip_members=max_zip_members, max_zip_bytes=max_zip_bytes,
                      max_file_bytes=max_file_bytes, max_total_bytes=max_total_bytes, max_text_chars=max_text_chars,
                      file_seconds=file_seconds, max_row_chars=max_row_chars, chunk_rows=chunk_rows,
                      publisher=publisher, publisher_map=publisher_map,
                      unchanged=unchanged, labels_taken=labels_taken, build_inputs=build_inputs,
                      bytes_used=bytes_used, text_held=text_held)
    result = IngestResult(options=dict(plan.options), input_of=plan.input_of, bytes_used=plan.bytes_used)
    workers = max(1, min(2, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(lambda job: job[1](), plan.jobs)
        for (input_name, _), (records, reports) in zip(plan.jobs, results, strict=True):
            renamed, refused = plan.admit(input_name, reports, _chars_by_source(records))
            result.records.extend(plan.complete(records, renamed, refused))
            result.files.extend(reports)
            if progress is not None:
                for _ in range(sum(1 for report in reports if report.format != "zip") or 1):
                    progress(1)
    result.text_chars = plan._text_chars
    return result


def plan_reads(
    inputs: Sequence[str | Path] | str | Path,
    *,
    dayfirst: bool = True,
    max_zip_members: int = 10_000,
    max_zip_bytes: int = 2_000_000_000,
    max_file_bytes: int = 200_000_000,
    max_total_bytes: int = _DEFAULTS["max_total_bytes"],
    max_text_chars: int = _DEFAULTS["max_text_chars"],
    file_seconds: float = _DEFAULTS["file_seconds"],
    max_row_chars: int = _DEFAULTS["max_row_chars"],
    chunk_rows: int = _DEFAULTS["chunk_rows"],
    publisher: str | None = None,
    publisher_map: Sequence[tuple[str, str]] | None = None,
    unchanged: Mapping[str, str] | None = None,
    labels_taken: Collection[str] = (),
    build_inputs: Sequence[str | Path] | None = None,
    bytes_used: int = 0,
    text_held: int = 0,
) -> ReadPlan:
    """Check the arguments of :func:`read_inputs` (same meaning, same errors) and plan the reading: one
    job per file or archive, in input order (folders walked now), the ``max_total_bytes`` budget shared out
    from the sizes on disk. Nothing is read yet."""
    if publisher is not None and (not isinstance(publisher, str) or not " ".join(publisher.split())):
        raise ValueError(
            f"The 'publisher' parameter must be a publisher's name (such as 'Russian MFA'); got {publisher!r}. "
            "Leave it out to find each document's publisher from its source."
        )
    if isinstance(inputs, str | Path):
        inputs = [inputs]
    inputs = list(inputs)
    if not inputs:
        raise ValueError(
            "The 'inputs' parameter must name at least one file, folder or .zip archive; got none."
        )
    for name, value in (
        ("max_zip_members", max_zip_members),
        ("max_zip_bytes", max_zip_bytes),
        ("max_file_bytes", max_file_bytes),
        ("max_total_bytes", max_total_bytes),
        ("max_text_chars", max_text_chars),
        ("max_row_chars", max_row_chars),
        ("chunk_rows", chunk_rows),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"The '{name}' parameter must be a positive integer; got {value!r} instead.")
    for name, value in (("bytes_used", bytes_used), ("text_held", text_held)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"The '{name}' parameter must be a whole number, 0 or more; got {value!r} instead.")
    if isinstance(file_seconds, bool) or not isinstance(file_seconds, int | float) or not 0 < file_seconds < 1e6:
        raise ValueError(
            f"The 'file_seconds' parameter must be a positive number of seconds; got {file_seconds!r} instead."
        )
    for item in inputs:
        if not Path(item).exists():
            raise FileNotFoundError(
                f"Input '{item}' does not exist: pass a file, a folder or a .zip archive."
            )
    limits = _Limits(
        dayfirst, max_zip_members, max_zip_bytes, max_file_bytes, max_total_bytes, max_text_chars, file_seconds,
        dict(unchanged or {}), max_row_chars, chunk_rows,
    )
    options = {
        "dayfirst": dayfirst,
        "max_zip_members": max_zip_members,
        "max_zip_bytes": max_zip_bytes,
        "max_file_bytes": max_file_bytes,
        "max_total_bytes": max_total_bytes,
        "max_text_chars": max_text_chars,
        "file_seconds": file_seconds,
        "max_row_chars": max_row_chars,
        "chunk_rows": chunk_rows,
    }
    # The total byte budget is shared out in input order from the sizes on disk (and the sizes an archive
    # declares), so which file goes over it does not depend on which thread reads first.
    # An update's inputs are read one after another under one budget: what the earlier ones used is gone.
    start_left = max(0, max_total_bytes - bytes_used)
    total_left = [start_left]
    earlier = (f" ({_size_text(min(bytes_used, max_total_bytes))} of it used by the inputs read before these)"
               if bytes_used else "")

    def over_total(source: str, size: int) -> FileReport | None:
        if size <= total_left[0]:
            total_left[0] -= size
            return None
        return FileReport(
            source,
            "skipped",
            f"the inputs together exceed max_total_bytes ({_size_text(max_total_bytes)}){earlier}; this file "
            f"({_size_text(size)}) was not read. Build fewer files at once, or raise the limit",
        )

    def size_of(path: Path) -> int:
        try:
            return path.stat().st_size
        except OSError:
            return 0

    def zip_job(full: Path, rel: str, name: str) -> Callable[[], tuple[list, list]]:
        left = total_left[0]
        total_left[0] -= min(left, _zip_declared_bytes(full), max_zip_bytes)
        return lambda: _read_zip(full, rel, name, limits, left)

    def file_job(full: Path, rel: str, path: str, name: str) -> Callable[[], tuple[list, list]]:
        refused = over_total(rel, size_of(full))
        if refused is not None:
            return lambda: ([], [refused])
        return lambda: _file_job(full, rel, path, name, limits)

    # Jobs are built in a deterministic order and run in a thread pool; map() keeps that order.
    jobs: list[tuple[str, Callable[[], tuple[list, list]]]] = []
    batch: list[tuple[Path, str, str, str]] = []  # small files of a folder, read by one worker together
    batch_bytes = [0]

    def flush() -> None:
        if batch:
            files = list(batch)
            jobs.append((files[0][3], lambda: _files_job(files, limits)))
            batch.clear()
            batch_bytes[0] = 0

    for item in inputs:
        root = Path(item)
        input_name = clean_label(Path(item).as_posix())
        label = clean_label(root.name)
        if root.is_dir():
            for full, rel, reason, details in _walk(root):
                size = size_of(full) if reason is None else 0
                if (reason is None and _suffix(rel) != ".zip" and _suffix(rel).lstrip(".") not in STREAMED_KINDS
                        and size <= _BATCH_FILE_BYTES and over_total(rel, size) is None):
                    batch.append((full, rel, rel, input_name))
                    batch_bytes[0] += size
                    if len(batch) >= _BATCH_FILES or batch_bytes[0] >= _BATCH_BYTES:
                        flush()
                    continue
                flush()
                if reason is not None:
                    report = FileReport(rel, "skipped", reason, details=details)
                    jobs.append((input_name, lambda report=report: ([], [report])))
                elif _suffix(rel) == ".zip":
                    jobs.append((input_name, zip_job(full, rel, input_name)))
                else:
                    jobs.append((input_name, file_job(full, rel, rel, input_name)))
            flush()
        elif _suffix(root.name) == ".zip":
            jobs.append((input_name, zip_job(root, label, input_name)))
        elif root.name.lower() in _JUNK_FILES:
            report = FileReport(label, "skipped", _hidden_reason(root.name))
            jobs.append((input_name, lambda report=report: ([], [report])))
        else:
            jobs.append((input_name, file_job(root, label, input_name, input_name)))

    return ReadPlan(inputs=inputs, jobs=jobs, options=options, publisher=publisher, publisher_map=publisher_map,
                    build_inputs=None if build_inputs is None else list(build_inputs), _seen=set(labels_taken),
                    _text_chars=text_held, bytes_used=bytes_used + start_left - total_left[0],
                    _held_before=text_held)


def _input_folder(item: str | Path) -> str:
    """The folder an input stands for: a folder's own name, else the name of the folder holding the file or
    archive."""
    path = Path(item)
    folder = path if path.is_dir() else path.parent
    return clean_label(folder.name or folder.resolve().name or folder.as_posix())


class PublisherMapError(ValueError):
    """A publisher map (``--publisher-map``) that cannot be used; the message says why and how to write it."""


def load_publisher_map(path: str | Path) -> list[tuple[str, str]]:
    """A user's mapping of sources to publishers, from a TOML file with one ``[publishers]`` table::

        [publishers]
        "mfa/*" = "Russian MFA"        # a glob on the source (the folder named as input may lead it)
        "*tass*" = "TASS"

    Returns:
        ``(pattern, publisher)`` pairs in the file's order.

    Raises:
        PublisherMapError: the file cannot be read, is not TOML, or its ``[publishers]`` table is missing, empty or
            holds a value that is not a name; the message says which and how to write it.
    """
    import tomllib

    example = 'write it as\n[publishers]\n"mfa/*" = "Russian MFA"'
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise PublisherMapError(f"The publisher map '{path}' cannot be read ({exc.strerror or exc}).") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PublisherMapError(f"The publisher map '{path}' is not valid TOML ({exc}); {example}") from exc
    table = data.get("publishers")
    if not isinstance(table, dict) or not table:
        raise PublisherMapError(f"The publisher map '{path}' has no [publishers] table of patterns; {example}")
    pairs = []
    for pattern, name in table.items():
        if not isinstance(name, str) or not " ".join(name.split()):
            raise PublisherMapError(
                f"The publisher map '{path}' gives {pattern!r} the value {name!r}; expected a publisher's name "
                f'such as "Russian MFA".'
            )
        pairs.append((pattern, " ".join(name.split())))
    return pairs


def _input_folders(inputs: Sequence[str | Path]) -> tuple[dict[str, str], dict[str, str]]:
    """({input label: folder} of the inputs that are folders, {input label: folder} of every input when
    there are several, else {}): what :func:`complete_publishers` looks up (a reading finds them once, not
    once per file: ``ReadPlan.complete``)."""
    named = {clean_label(Path(item).as_posix()): _input_folder(item) for item in inputs if Path(item).is_dir()}
    folders = {clean_label(Path(item).as_posix()): _input_folder(item) for item in inputs} if len(inputs) > 1 else {}
    return named, folders


def _mapped(record: Record, folders: dict[str, str], publisher_map) -> str | None:
    import fnmatch

    names = [record.source]
    folder = folders.get(record.extra.get("input", ""))
    if folder:
        names.append(f"{folder}/{record.source}")
    for pattern, name in publisher_map:
        if any(fnmatch.fnmatchcase(candidate, pattern) for candidate in names):
            return name
    return None


def complete_publishers(records: list[Record], inputs: Sequence[str | Path], publisher: str | None = None,
                        publisher_map: Sequence[tuple[str, str]] | None = None, *,
                        folders: tuple[dict[str, str], dict[str, str]] | None = None) -> None:
    """Give every record a publisher (in place): ``publisher`` for all (``override``) when given; else the
    publisher of the first ``publisher_map`` pattern its source matches, or ``folder/source`` for a folder
    named as input (``override``); else a
    record's reader's when it found one; else, when several inputs are given, the folder its input stands for
    (``folder``: the folder named, or the one holding the file named); else its file's name (``file``).

    ``analysis.documents.document_rows`` may refine a ``folder`` or ``file`` publisher from the text.
    ``folders``: ``_input_folders(inputs)`` when the caller has found them already (a reading, once).
    """
    if publisher is not None:
        name = " ".join(publisher.split())
        for record in records:
            record.publisher, record.publisher_method = name, "override"
        return
    named, folders = folders if folders is not None else _input_folders(inputs)
    for record in records:
        mapped = _mapped(record, named, publisher_map) if publisher_map else None
        if mapped:
            record.publisher, record.publisher_method, record.forwarded_by = mapped, "override", None
            continue
        if record.publisher:
            continue
        folder = folders.get(record.extra.get("input", ""))
        if folder:
            record.publisher, record.publisher_method = folder, "folder"
        else:
            record.publisher = PurePosixPath(record.source).name or record.source
            record.publisher_method = "file"
