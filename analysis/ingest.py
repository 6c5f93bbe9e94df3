"""Reading inputs (files, folders, zip archives) into raw records and one report per file."""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from analysis.formats import ARCHIVE_EXTENSIONS, FormatError, NoTextError, read_bytes
from analysis.formats.encoding import looks_binary
from analysis.records import FileReport, Record

__all__ = ["LIMITS", "UPLOAD_LIMITS", "IngestResult", "Setting", "read_inputs"]

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
    Setting("max_file_bytes", 200_000_000, "the largest single file (or archive member) read"),
    Setting("max_total_bytes", 4_000_000_000, "the most bytes read from all inputs together (uncompressed)"),
    Setting("max_text_chars", 400_000_000, "the most characters of text one build may hold (about 25 bytes "
            "of memory each)"),
    Setting("file_seconds", 120, "the time one file may take to read; a slower file is skipped"),
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


@dataclass
class _Limits:
    dayfirst: bool
    max_zip_members: int
    max_zip_bytes: int
    max_file_bytes: int
    max_total_bytes: int = _DEFAULTS["max_total_bytes"]
    max_text_chars: int = _DEFAULTS["max_text_chars"]
    file_seconds: int = _DEFAULTS["file_seconds"]


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


def _process(data: bytes, name: str, source: str, path: str, input_name: str, limits: _Limits):
    """Records and the report for one file's bytes. Never raises."""
    suffix = _suffix(name)
    # Size and content hash identify the input in the build manifest.
    report = FileReport(
        path=source, status="parsed", details={"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    )
    if not data.strip():
        report.status, report.reason = "skipped", "empty file" if not data else "empty file (only whitespace)"
        return [], report
    if suffix in _UNSUPPORTED or looks_binary(data):
        report.status = "skipped"
        shown = suffix or "(no extension)"
        report.reason = f"binary or unsupported format: {shown}; convert it to text (.txt, .html, .csv) first"
        return [], report
    details: dict = {}
    try:
        records, fmt = read_bytes(data, name, source, dayfirst=limits.dayfirst, details=details)
    except FormatError as error:
        report.status, report.reason = "failed", str(error)
        records, fmt = [], None
    except NoTextError as error:
        report.status, report.reason = "skipped", str(error)
        records, fmt = [], None
    except Exception as error:  # a reader bug must not stop the whole build
        report.status, report.reason = "failed", f"{type(error).__name__}: {error}"
        records, fmt = [], None
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
                        f"file too large ({info.file_size / _MB:.1f} MB > max_file_bytes "
                        f"{limits.max_file_bytes / _MB:.1f} MB); split it or raise the limit",
                    )
                )
                continue
            if total_bytes + info.file_size > zip_cap:
                reports.append(
                    FileReport(
                        member_label,
                        "skipped",
                        f"archive too large: its members exceed {cap_name} ({zip_cap / _MB:.1f} MB "
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
            member_records, report = _process(data, base, member_label, f"{label}/{name}", input_name, limits)
            records.extend(member_records)
            reports.append(report)
        archive.documents = len(records)
        archive.details = {
            "members": len(members) + len(macosx),
            "bytes_read": total_bytes,
            "archive_bytes": path.stat().st_size,
            "sha256": _sha256_file(path),
        }
        if not records:
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

    Hidden folders (``.git``) are not entered: each gets one entry that counts the files it holds.
    """
    entries: list[tuple[Path, str, str | None, dict]] = []

    def unreadable(error: OSError) -> None:
        rel = Path(error.filename).relative_to(folder).as_posix() if error.filename else "."
        entries.append(
            (Path(error.filename or folder), rel + "/", f"folder cannot be read ({error.strerror})", {})
        )

    for root, dirs, files in os.walk(folder, onerror=unreadable):
        root_path = Path(root)
        for name in [d for d in dirs if d.startswith(".")]:
            count = sum(len(f) for _, _, f in os.walk(root_path / name))
            rel = (root_path / name).relative_to(folder).as_posix() + "/"
            entries.append(
                (root_path / name, rel, f"hidden folder ({count} files not read)", {"files": count})
            )
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            full = root_path / name
            reason = _hidden_reason(name) if _is_hidden(name) else None
            if reason is None and not full.is_file():
                reason = "not a regular file"
            entries.append((full, full.relative_to(folder).as_posix(), reason, {}))
    return sorted(entries, key=lambda entry: PurePosixPath(entry[1]).parts)


def _file_job(full: Path, source: str, path: str, input_name: str, limits: _Limits):
    """Records and reports for one file on disk (a zip archive included). Never raises."""
    try:
        size = full.stat().st_size
    except OSError as error:
        return [], [FileReport(source, "failed", f"cannot read file ({error})")]
    if size > limits.max_file_bytes:
        return [], [
            FileReport(
                source,
                "skipped",
                f"file too large ({size / _MB:.1f} MB > max_file_bytes {limits.max_file_bytes / _MB:.1f} MB); "
                "split it or raise the limit",
            )
        ]
    try:
        data = full.read_bytes()
    except OSError as error:
        return [], [FileReport(source, "failed", f"cannot read file ({error})")]
    records, report = _process(data, full.name, source, path, input_name, limits)
    return records, [report]


def _within_text_cap(
    records: list[Record], reports: list[FileReport], held: int, cap: int
) -> tuple[list[Record], int]:
    """The records of one job that fit under ``cap`` characters of text (``held`` so far), file by file.

    A file whose text would go over the cap is dropped whole and its report says so; the records of the
    other files are kept in order. Returns the kept records and the new total.
    """
    by_source: dict[str, int] = {}
    for record in records:
        by_source[record.source] = by_source.get(record.source, 0) + len(record.text)
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
            report.documents = 0
        else:
            held += chars
    if refused:
        records = [record for record in records if record.source not in refused]
    return records, held


def read_inputs(
    inputs: Sequence[str | Path] | str | Path,
    *,
    dayfirst: bool = True,
    max_zip_members: int = 10_000,
    max_zip_bytes: int = 2_000_000_000,
    max_file_bytes: int = 200_000_000,
    max_total_bytes: int = _DEFAULTS["max_total_bytes"],
    max_text_chars: int = _DEFAULTS["max_text_chars"],
    file_seconds: int = _DEFAULTS["file_seconds"],
    progress: Callable[[int], None] | None = None,
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
        max_file_bytes: the largest single file (or archive member) read.
        max_total_bytes: the most bytes read from all inputs together (uncompressed); later files are
            skipped with the reason.
        max_text_chars: the most characters of text the records may hold together; a file that would go
            over is skipped with the reason (see ``LIMITS``; ``UPLOAD_LIMITS`` for the dashboard's uploads).
        file_seconds: the time one file may take to read; a slower one is skipped with the reason.
        progress: called with 1 after each file is read (for a progress bar).

    Returns:
        An ``IngestResult``. ``Record.source`` is the path relative to the named input (the file's name for
        a file input, ``archive.zip/member`` inside an archive); ``Record.extra["path"]`` keeps the full
        relative path whose folder names may carry dates.

    Raises:
        FileNotFoundError: an input path does not exist.
        ValueError: no inputs, or a limit that is not a positive integer.
    """
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
        ("file_seconds", file_seconds),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"The '{name}' parameter must be a positive integer; got {value!r} instead.")
    for item in inputs:
        if not Path(item).exists():
            raise FileNotFoundError(
                f"Input '{item}' does not exist: pass a file, a folder or a .zip archive."
            )
    limits = _Limits(
        dayfirst, max_zip_members, max_zip_bytes, max_file_bytes, max_total_bytes, max_text_chars, file_seconds
    )
    result = IngestResult(
        options={
            "dayfirst": dayfirst,
            "max_zip_members": max_zip_members,
            "max_zip_bytes": max_zip_bytes,
            "max_file_bytes": max_file_bytes,
            "max_total_bytes": max_total_bytes,
            "max_text_chars": max_text_chars,
            "file_seconds": file_seconds,
        }
    )
    # The total byte budget is shared out in input order from the sizes on disk (and the sizes an archive
    # declares), so which file goes over it does not depend on which thread reads first.
    total_left = [max_total_bytes]

    def over_total(source: str, size: int) -> FileReport | None:
        if size <= total_left[0]:
            total_left[0] -= size
            return None
        return FileReport(
            source,
            "skipped",
            f"the inputs together exceed max_total_bytes ({max_total_bytes / _MB:.1f} MB); this file "
            f"({size / _MB:.1f} MB) was not read. Build fewer files at once, or raise the limit",
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
    jobs: list[Callable[[], tuple[list, list]]] = []
    for item in inputs:
        root = Path(item)
        input_name = Path(item).as_posix()
        if root.is_dir():
            for full, rel, reason, details in _walk(root):
                if reason is not None:
                    report = FileReport(rel, "skipped", reason, details=details)
                    jobs.append(lambda report=report: ([], [report]))
                elif _suffix(rel) == ".zip":
                    jobs.append(zip_job(full, rel, input_name))
                else:
                    jobs.append(file_job(full, rel, rel, input_name))
        elif _suffix(root.name) == ".zip":
            jobs.append(zip_job(root, root.name, input_name))
        elif root.name.lower() in _JUNK_FILES:
            report = FileReport(root.name, "skipped", _hidden_reason(root.name))
            jobs.append(lambda report=report: ([], [report]))
        else:
            jobs.append(file_job(root, root.name, input_name, input_name))

    workers = max(1, min(2, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        text_chars = 0
        for records, reports in pool.map(lambda job: job(), jobs):
            records, text_chars = _within_text_cap(records, reports, text_chars, max_text_chars)
            result.records.extend(records)
            result.files.extend(reports)
            if progress is not None:
                for _ in range(sum(1 for report in reports if report.format != "zip") or 1):
                    progress(1)
    return result
