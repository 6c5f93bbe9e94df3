"""What a theme or organisation is matched as: its top surfaces with counts, and sample contexts of each.

A theme line is only as honest as its matches: a surface that is mostly wrong ("East and West" under
Criticism of the West) shows at the top of this table, and its contexts say why. The fix is an ``exclude``
pattern (or a context table) in the dictionary; see the top of data/themes.toml.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.timeline import KINDS, Filters, filter_documents

__all__ = ["SAMPLE_COLUMNS", "SURFACE_COLUMNS", "surface_samples", "surfaces_as_shown", "top_surfaces",
           "top_surfaces_counted"]

SURFACE_COLUMNS = ["kind", "key", "surface", "mentions", "documents", "share_pct"]
SAMPLE_COLUMNS = ["kind", "key", "surface", "doc_id", "date", "source", "left", "match", "right", "start", "end"]
_SPACES = re.compile(r"\s+")


def _normalised(surfaces: pd.Series) -> pd.Series:
    """Surfaces with runs of whitespace made one space ("United\\nNations" is "United Nations")."""
    codes, uniques = pd.factorize(surfaces.astype("str"))  # a key has a few surfaces, matched many times
    normal = pd.Index(uniques).str.replace(_SPACES, " ", regex=True).to_numpy(dtype=object)
    return pd.Series(normal[codes] if len(codes) else [], index=surfaces.index, dtype="str")


def _check(kind: str, key: str) -> None:
    if kind not in KINDS[:2]:
        raise ValueError(f"The 'kind' parameter must be one of {list(KINDS[:2])}; got {kind!r} instead.")
    if not isinstance(key, str) or not key:
        raise ValueError(f"The 'key' parameter must be a theme or organisation key (a string); got {key!r}.")


def _of_key(
    documents: pd.DataFrame, mentions: pd.DataFrame, kind: str, key: str, filters: Filters | None,
    key_mentions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    if key_mentions is not None:  # found already, by a query layer (analysis.query.Corpus.key_mentions)
        return key_mentions.assign(surface_norm=_normalised(key_mentions["surface"]))
    docs = filter_documents(documents, mentions, filters)
    rows = mentions[(mentions["kind"] == kind) & (mentions["key"] == key)]
    rows = rows[rows["doc_id"].isin(docs["doc_id"]).to_numpy(dtype=bool)]  # the key's rows only are looked up
    rows = rows.assign(surface_norm=_normalised(rows["surface"]))
    return rows


def top_surfaces(
    documents: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    kind: str,
    key: str,
    filters: Filters | None = None,
    top: int | None = 20,
    key_mentions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The surfaces one theme or organisation is matched as in the filtered documents, most frequent first.

    Arguments:
        documents: the documents table (``doc_id`` and the filter columns).
        mentions: the mentions table.
        kind: ``theme`` or ``organisation``.
        key: the theme or organisation key.
        filters: a ``Filters`` (dates, sources, languages, ...); None: all documents.
        top: keep only the ``top`` most frequent surfaces (None: all).
        key_mentions: the key's mentions in the filtered documents when already found
            (``analysis.query.Corpus.key_mentions``, indexed by their row in the mentions table): then
            ``documents``, ``mentions`` and ``filters`` are not filtered again.

    Returns:
        Columns ``kind``, ``key``, ``surface`` (whitespace runs made one space; case kept, so "West" and
        "west" are apart), ``mentions`` (int), ``documents`` (int: documents with that surface),
        ``share_pct`` (float: the surface's share of the key's mentions, %), sorted by ``mentions``
        descending, then ``surface``.
    """
    _check(kind, key)
    if top is not None and (not isinstance(top, int) or top < 1):
        raise ValueError(f"The 'top' parameter must be a positive whole number or None; got {top!r} instead.")
    rows = _of_key(documents, mentions, kind, key, filters, key_mentions)
    if rows.empty:
        return _empty_surfaces()
    grouped = rows.groupby("surface_norm", sort=False)
    out = pd.DataFrame({
        "surface": list(grouped.groups), "mentions": grouped.size().to_numpy(dtype="int64"),
        "documents": grouped["doc_id"].nunique().to_numpy(dtype="int64"),
    })  # fmt: skip
    return _ranked(out, kind, key, len(rows), top)


def _empty_surfaces() -> pd.DataFrame:
    return pd.DataFrame({
        "kind": pd.Series(dtype="str"), "key": pd.Series(dtype="str"), "surface": pd.Series(dtype="str"),
        "mentions": pd.Series(dtype="int64"), "documents": pd.Series(dtype="int64"),
        "share_pct": pd.Series(dtype="float64"),
    })  # fmt: skip


def _ranked(out: pd.DataFrame, kind: str, key: str, total: int, top: int | None) -> pd.DataFrame:
    """Surface rows (surface, mentions, documents) as top_surfaces returns them: shares, order, top."""
    out["share_pct"] = 100.0 * out["mentions"] / total
    out.insert(0, "key", key)
    out.insert(0, "kind", kind)
    out = out.sort_values(["mentions", "surface"], ascending=[False, True], ignore_index=True)
    return (out if top is None else out.head(top))[SURFACE_COLUMNS].reset_index(drop=True)


def surfaces_as_shown(per_surface: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """Surface as top_surfaces shows it (whitespace runs made one space) -> the surfaces as matched that it
    stands for, from a table with a ``surface`` column (as matched)."""
    shown = _normalised(per_surface["surface"])
    out: dict[str, list[str]] = {}
    for matched, normal in zip(per_surface["surface"].tolist(), shown.tolist(), strict=True):
        out.setdefault(normal, []).append(matched)
    return {normal: tuple(matched) for normal, matched in out.items()}


def top_surfaces_counted(
    per_surface: pd.DataFrame,
    *,
    kind: str,
    key: str,
    top: int | None = 20,
    documents_of: Callable[[list[tuple[str, ...]]], Sequence[int]],
) -> pd.DataFrame:
    """``top_surfaces`` from counts made by a query layer (``analysis.query.Corpus.surface_counts``) instead of
    every mention: ``per_surface`` has ``surface`` (as matched), ``mentions`` and ``documents`` of the key in
    the filtered documents. Surfaces that differ only in whitespace are one row: their mentions add up, and
    their documents (a document may hold several of them) are ``documents_of(groups)``, the documents with
    any surface of each group, asked only for groups of more than one surface. The same table as
    ``top_surfaces`` of the same documents."""
    _check(kind, key)
    if top is not None and (not isinstance(top, int) or top < 1):
        raise ValueError(f"The 'top' parameter must be a positive whole number or None; got {top!r} instead.")
    if per_surface.empty or int(per_surface["mentions"].sum()) == 0:
        return _empty_surfaces()
    groups = surfaces_as_shown(per_surface)
    mentions = dict(zip(per_surface["surface"].tolist(), per_surface["mentions"].tolist(), strict=True))
    documents = dict(zip(per_surface["surface"].tolist(), per_surface["documents"].tolist(), strict=True))
    merged = [matched for matched in groups.values() if len(matched) > 1]
    counted = dict(zip(merged, documents_of(merged), strict=True)) if merged else {}
    out = pd.DataFrame({
        "surface": list(groups),
        "mentions": np.array([sum(mentions[m] for m in matched) for matched in groups.values()], dtype="int64"),
        "documents": np.array([counted[matched] if len(matched) > 1 else documents[matched[0]]
                               for matched in groups.values()], dtype="int64"),
    })  # fmt: skip
    return _ranked(out, kind, key, int(out["mentions"].sum()), top)


def surface_samples(
    documents: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    kind: str,
    key: str,
    surface: str | None = None,
    filters: Filters | None = None,
    n: int = 10,
    width: int = 100,
    seed: int = 0,
    texts: Callable[[Sequence[str]], Mapping[str, str]] | None = None,
    key_mentions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A random sample (fixed ``seed``) of the matches of one theme or organisation, with their context.

    Arguments:
        kind, key, filters: as for ``top_surfaces``.
        surface: only matches with this surface (as ``top_surfaces`` writes it); None: any.
        n: the most matches to return.
        width: characters of context on each side (whitespace runs made one space).
        seed: the random seed, so the same sample comes back.
        texts: doc_ids -> {doc_id: text}, to read only the sampled documents' texts when ``documents`` has no
            ``text`` column (a query layer that keeps them on disk); None: ``documents["text"]``.
        key_mentions: as for ``top_surfaces``.

    Returns:
        Columns ``kind``, ``key``, ``surface``, ``doc_id``, ``date``, ``source``, ``left``, ``match``,
        ``right``, ``start``, ``end``, in document order.
    """
    _check(kind, key)
    if not isinstance(n, int) or n < 1 or not isinstance(width, int) or width < 0:
        raise ValueError(f"'n' must be a positive whole number and 'width' 0 or more; got n={n!r}, width={width!r}.")
    rows = _of_key(documents, mentions, kind, key, filters, key_mentions)
    if surface is not None:
        rows = rows[rows["surface_norm"] == surface]
    if len(rows) > n:
        rows = rows.sample(n=n, random_state=seed).sort_index()
    # Only the sampled documents are looked up (indexing a million documents costs more than the sample).
    docs = documents[documents["doc_id"].isin(rows["doc_id"]).to_numpy(dtype=bool)].set_index("doc_id")
    given = texts(list(dict.fromkeys(rows["doc_id"].astype(str)))) if texts is not None and "text" not in docs else None
    records = []
    for r in rows.itertuples(index=False):
        text = given.get(str(r.doc_id), "") if given is not None else (
            docs.at[r.doc_id, "text"] if "text" in docs.columns else "")
        text = text if isinstance(text, str) else ""
        records.append({
            "kind": kind, "key": key, "surface": r.surface_norm, "doc_id": r.doc_id,
            "date": docs.at[r.doc_id, "date"] if "date" in docs.columns else None,
            "source": docs.at[r.doc_id, "source"] if "source" in docs.columns else None,
            "left": _SPACES.sub(" ", text[max(0, r.start - width) : r.start]),
            "match": _SPACES.sub(" ", text[r.start : r.end]),
            "right": _SPACES.sub(" ", text[r.end : r.end + width]), "start": int(r.start), "end": int(r.end),
        })  # fmt: skip
    return pd.DataFrame(records, columns=SAMPLE_COLUMNS)
