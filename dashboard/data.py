"""Which build the dashboard opens, and the builds it makes: the default sample, uploads (with their
lifetime), the calendar of events; dashboard/cache.py opens and caches the builds themselves."""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd
import streamlit as st

from analysis import explain as ex
from analysis.store import Build, BuildError, read_build

__all__ = [
    "DEFAULT_BUILD",
    "MAX_UPLOAD_BUILDS",
    "MAX_UPLOAD_MB",
    "SAMPLE_INPUT",
    "UploadTooLarge",
    "build_default",
    "build_uploads",
    "events",
    "events_file",
    "prune_uploads",
    "resolve_data_dir",
    "save_events_upload",
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


def events_file(build_dir: str | Path, uploaded: str | Path | None = None) -> str:
    """The calendar of events a build's timelines show: one the user uploaded this session, else the build's
    own (``events.toml`` written by ``build --events``), else the bundled ``data/events.toml``."""
    if uploaded and Path(uploaded).is_file():
        return str(uploaded)
    own = Path(build_dir) / "events.toml"
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
            return read_build(out, text=False)
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
