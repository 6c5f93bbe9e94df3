"""The dashboard's caches, shared by every session: one ``Queries`` (a ``Corpus``) per build and the answers
it gave. The only module with st.cache_data / st.cache_resource."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import streamlit as st

from analysis.panels import Panel, warm
from analysis.query import Corpus, DocumentsPage
from analysis.store import BuildError
from analysis.timeline import Filters
from dashboard.filters import Target
from dashboard.queries import Queries

__all__ = ["CachedQueries", "build_hash", "open_queries"]

# Answers not kept: they are as large as the build (a download of every document), made only on a click.
_UNCACHED = frozenset({"all_documents"})
# Panels as large as the build: made only on a click, never kept (documents with limit=None, every row).
_UNCACHED_PANELS = frozenset({("documents", None)})
_HASH_FUNCS = {Filters: repr, Target: repr}
_HASHES: dict[tuple[str, int, int], str] = {}


def build_hash(path: str | Path) -> str:
    """The build's hash from its manifest.json and the file's modification time.

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
        _HASHES[memo] = f"{data.get('build_hash', '') if isinstance(data, dict) else ''}:{stat.st_mtime_ns}"
    return _HASHES[memo]


# cache_resource, not cache_data: cache_data pickles every result in and out on every call.
@st.cache_resource(show_spinner=False, max_entries=8)
def _queries(path: str, key: str) -> Queries:
    del key  # part of the cache key only
    corpus = Corpus.open(path)
    warm(corpus)  # the tables and libraries of the Themes view, read on a thread while the Overview draws
    return Queries(corpus)


@st.cache_resource(show_spinner=False, max_entries=4096, hash_funcs=_HASH_FUNCS)
def _answer(path: str, key: str, name: str, arguments: tuple):
    return getattr(_queries(path, key), name)(**dict(arguments))


def _freeze(value):
    return tuple(value) if isinstance(value, list) else value


def _shallow(value):
    """What a cache hands out: a frame shares its data with the cached one (pandas copy-on-write keeps the
    cached frame unchanged whatever the caller does with its copy); other values are copied shallowly."""
    if isinstance(value, pd.DataFrame):
        out = value.copy(deep=False)
        out.attrs = dict(value.attrs)
        return out
    if isinstance(value, DocumentsPage):
        return dataclasses.replace(value, rows=_shallow(value.rows))
    if isinstance(value, Panel):
        return dataclasses.replace(value, table=_shallow(value.table), notes=dict(value.notes), options=dict(value.options))
    if isinstance(value, tuple):
        # A tuple of strings (the build's sources: one per file, thousands) is immutable as it is.
        return value if set(map(type, value)) <= {str} else tuple(_shallow(v) for v in value)
    if isinstance(value, (dict, list)):
        return type(value)(value)
    return value


class CachedQueries:
    """A build's ``Queries`` whose every answer is cached per build and arguments (keyword arguments only).

    Attributes (``manifest``, ``clusters``, ``n_documents`` …) are the Queries' own; each method call is
    answered once per build and arguments for all sessions, and handed out as a shallow copy.
    """

    def __init__(self, path: str, key: str) -> None:
        self._path, self._key = path, key

    @property
    def queries(self) -> Queries:
        return _queries(self._path, self._key)

    def __getattr__(self, name: str):
        value = getattr(self.queries, name)
        if name.startswith("_") or not callable(value) or name in _UNCACHED:
            return value

        def answer(**kwargs):
            if name == "panel" and (kwargs.get("name"), kwargs.get("limit", 0)) in _UNCACHED_PANELS:
                return value(**kwargs)
            frozen = tuple(sorted((k, _freeze(v)) for k, v in kwargs.items()))
            return _shallow(_answer(self._path, self._key, name, frozen))

        answer.__name__ = name
        answer.__doc__ = value.__doc__
        return answer


def open_queries(path: str | Path) -> CachedQueries:
    """The build in ``path``, opened once per (path, build hash) and shared by all sessions.

    Raises:
        BuildError: the folder is not a build.
    """
    resolved = str(Path(path).resolve())
    key = build_hash(resolved)
    queries = CachedQueries(resolved, key)
    queries.queries  # noqa: B018 - open it now, so that a folder that is no build fails here
    return queries
