"""Filters -> a DuckDB WHERE clause over the ``docs`` table of a Corpus (with its parameters)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from analysis.timeline import Filters

__all__ = ["PRECISION_RANK_SQL", "filter_clause"]

# The rank of a date precision (day 0, month 1, year 2; unknown or missing counts as day), as
# analysis.timeline ranks it.
PRECISION_RANK_SQL = "(CASE date_precision WHEN 'month' THEN 1 WHEN 'year' THEN 2 ELSE 0 END)"


def _in_list(column: str, values, params: list) -> str:
    # A semi-join on the unnested list: a hash join in the engine, whatever the list's length (a chart
    # selection may name thousands of documents). NULL is never in it, as in analysis.timeline.
    params.append([str(v) for v in values])
    return f"{column} IN (SELECT unnest(?::VARCHAR[]))"


def _mentioning(ids: list[int], params: list) -> str:
    if not ids:
        return "FALSE"  # keys the build never mentions: no document mentions them
    params.append(ids)
    return "d._row IN (SELECT _row FROM pairs WHERE key_id IN (SELECT unnest(?::INTEGER[])))"


KeyIds = Callable[[str, Sequence[str]], list[int]]


def filter_clause(filters: Filters, *, has_publisher: bool, key_ids: KeyIds) -> tuple[str, list]:
    """The SQL condition on ``docs d`` that keeps the documents passing ``filters``, and its parameters.

    ``key_ids(kind, keys)`` gives the ids (in the ``pairs`` table: one row per document and key it
    mentions) of the keys of ``kind`` the build knows, unknown ones left out.

    The same rules as analysis.timeline.filter_documents: duplicates dropped unless included, inferred
    and body dates dropped when excluded, a date bound keeps only dated documents in the range, the
    organisations any/all and the themes any.

    Raises:
        ValueError: publishers are filtered on a build without a ``publisher`` column.
    """
    clauses: list[str] = []
    params: list = []
    if filters.sources:
        clauses.append(_in_list("d.source", filters.sources, params))
    if filters.publishers:
        if not has_publisher:
            raise ValueError(
                "The documents have no 'publisher' column, so they cannot be filtered by publisher; "
                "rebuild the corpus with this version (python -m analysis build ...)."
            )
        clauses.append(_in_list("d.publisher", filters.publishers, params))
    if filters.languages:
        clauses.append(_in_list("d.language", filters.languages, params))
    if not filters.include_duplicates:
        clauses.append("d.duplicate_of IS NULL")
    if not filters.include_inferred:
        clauses.append("d.date_method IS DISTINCT FROM 'inferred'")
    if not filters.include_body_dates:
        clauses.append("d.date_method IS DISTINCT FROM 'body'")
    if filters.start is not None or filters.end is not None:
        clauses.append("d.date IS NOT NULL")
        if filters.start is not None:
            clauses.append("d.date >= ?")
            params.append(filters.start)
        if filters.end is not None:
            clauses.append("d.date <= ?")
            params.append(filters.end)
    if filters.doc_ids is not None:
        clauses.append(_in_list("d.doc_id", filters.doc_ids, params))
    if filters.organisations and filters.org_mode == "all":
        for key in dict.fromkeys(filters.organisations):
            clauses.append(_mentioning(key_ids("organisation", (key,)), params))
    elif filters.organisations:
        clauses.append(_mentioning(key_ids("organisation", filters.organisations), params))
    if filters.themes:
        clauses.append(_mentioning(key_ids("theme", filters.themes), params))
    return (" AND ".join(clauses) if clauses else "TRUE"), params
