"""The dashboard's English sentences about filters and empty results (analysis returns the facts)."""

from __future__ import annotations

import datetime as dt

from analysis.timeline import EMPTY_CODES, EmptyReason, Filters

__all__ = ["describe_filters", "describe_last_update", "explain_empty", "update_rows"]

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def describe_filters(filters: Filters) -> str:
    """Short text for captions and file names, e.g. ``"NATO, 2017-01-01–2018-12-31"``; ``""`` when no filter is
    set."""
    parts: list[str] = []
    joiner = " + " if filters.org_mode == "all" else " | "
    if filters.organisations:
        parts.append(joiner.join(filters.organisations))
    if filters.themes:
        parts.append(" | ".join(filters.themes))
    date_text = _date_range_text(filters.start, filters.end)
    if date_text:
        parts.append(date_text)
    if filters.sources:
        parts.append(" | ".join(filters.sources) if len(filters.sources) <= 2 else f"{len(filters.sources)} sources")
    if filters.publishers:
        parts.append(
            " | ".join(filters.publishers) if len(filters.publishers) <= 2 else f"{len(filters.publishers)} publishers"
        )
    if filters.languages:
        parts.append(" | ".join(filters.languages))
    if filters.include_duplicates:
        parts.append("with duplicates")
    if not filters.include_inferred:
        parts.append("no inferred dates")
    if not filters.include_body_dates:
        parts.append("no body dates")
    if filters.doc_ids is not None:
        parts.append(f"{len(filters.doc_ids)} selected documents")
    return ", ".join(parts)


def explain_empty(reason: EmptyReason, filters: Filters) -> str:
    """A sentence for an empty result that names the filters and says how to get a result.

    Arguments:
        reason: from ``analysis.timeline.empty_reason`` (or the query layer) for these filters.
        filters: the filters of the empty result.

    Returns:
        E.g. ``"No documents mention NATO between 1 January 2017 and 31 December 2018: widen the date
        range or remove a filter."`` or ``"No dated documents match the filters …"``.
    """
    if reason.code not in EMPTY_CODES:
        raise ValueError(f"The reason's code must be one of {list(EMPTY_CODES)}; got {reason.code!r} instead.")
    dates = _human_range(filters.start, filters.end)
    others = _other_filters_text(filters)
    has_dates = filters.start is not None or filters.end is not None
    advice = "widen the date range or remove a filter" if has_dates else "remove a filter"
    subjects = []
    if filters.organisations:
        subjects.append(_join_words(filters.organisations, "and" if filters.org_mode == "all" else "or"))
    if filters.themes:
        subjects.append(_join_words(filters.themes, "or"))
    if reason.keys:
        subjects.append(_join_words(reason.keys, "or"))
    subject = " and ".join(subjects)

    if reason.code == "empty_build":
        return "The build has no documents: build it from some input files first."
    if reason.code == "no_documents":
        if subject:
            return f"No documents mention {subject}{dates}{others}: {advice}."
        return f"No documents match the filters{dates}{others}: {advice}."
    if reason.code == "too_coarse":
        dated_to = "the month or year" if reason.coarser == "month" else "the year"
        return (
            f"The {reason.dated} dated documents that match the filters{dates}{others} are dated only to "
            f"{dated_to}, too coarse for a {reason.granularity} timeline: choose the '{reason.coarser}' granularity "
            "or a coarser one."
        )
    if reason.code == "no_mentions":
        what = subject or f"any {reason.kind}"
        return f"No documents mention {what}{dates}{others}: {advice}."
    if reason.code == "undated":
        return (
            f"No dated documents match the filters{dates}{others}: the {reason.matching} matching documents have "
            "no date, and a timeline needs dates. Check the ingest report or remove a filter."
        )
    return f"Nothing to show for {describe_filters(filters) or 'these filters'}: {advice}."


def _date_range_text(start: dt.date | None, end: dt.date | None) -> str:
    if start and end:
        return f"{start.isoformat()}–{end.isoformat()}"
    if start:
        return f"from {start.isoformat()}"
    if end:
        return f"until {end.isoformat()}"
    return ""


def _human_date(value: dt.date) -> str:
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def _human_range(start: dt.date | None, end: dt.date | None) -> str:
    if start and end:
        return f" between {_human_date(start)} and {_human_date(end)}"
    if start:
        return f" from {_human_date(start)}"
    if end:
        return f" until {_human_date(end)}"
    return ""


def _join_words(items, word: str) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _other_filters_text(filters: Filters) -> str:
    parts = []
    if filters.sources:
        parts.append(f"source {_join_words(filters.sources, 'or')}")
    if filters.publishers:
        parts.append(f"publisher {_join_words(filters.publishers, 'or')}")
    if filters.languages:
        parts.append(f"language {_join_words(filters.languages, 'or')}")
    if filters.doc_ids is not None:
        parts.append(f"the {len(filters.doc_ids)} selected documents")
    if not filters.include_inferred:
        parts.append("no inferred dates")
    if not filters.include_body_dates:
        parts.append("no body dates")
    return f" ({'; '.join(parts)})" if parts else ""


def _when(iso: str | None) -> str:
    """``2026-12-02T08:30:00+00:00`` as ``2026-12-02 08:30 UTC`` (as given when it is no such time)."""
    try:
        moment = dt.datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    return f"{moment:%Y-%m-%d %H:%M}" + (" UTC" if moment.utcoffset() == dt.timedelta(0) else "")


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def describe_last_update(manifest: dict) -> str | None:
    """One line on a build's last ``analysis update`` (its manifest's ``updates``), e.g. "Last updated
    2026-12-02 08:30 UTC with 2 new files and 1 changed file: 14 documents added, 3 replaced; 40 files
    unchanged; new documents joined the existing clusters. 2 updates since the build of 2026-11-30 09:00
    UTC."; None for a build never updated."""
    updates = [u for u in manifest.get("updates") or [] if isinstance(u, dict)]
    if not updates:
        return None
    last = updates[-1]
    files = [_plural(len(last.get(key) or []), f"{word} file") for key, word in (("files_new", "new"),
                                                                              ("files_changed", "changed"))
             if last.get(key)]
    text = f"Last updated {_when(last.get('at'))}" + (f" with {_join_words(files, 'and')}" if files else "")
    text += f": {_plural(int(last.get('added') or 0), 'document')} added"
    if last.get("replaced") or last.get("removed"):
        text += f", {int(last.get('replaced') or 0):,} from changed files (replacing {int(last.get('removed') or 0):,})"
    text += f"; {_plural(len(last.get('unchanged') or []), 'file')} unchanged; "
    text += "clusters refitted on all documents." if last.get("refit") else "new documents joined the existing clusters."
    if len(updates) > 1 or manifest.get("created"):
        text += f" {_plural(len(updates), 'update')} since the build"
        text += f" of {_when(manifest['created'])}." if manifest.get("created") else "."
    return text


def update_rows(manifest: dict) -> list[dict]:
    """One row per update of a build, for the Report view's table (most recent first)."""
    rows = []
    for u in reversed([u for u in manifest.get("updates") or [] if isinstance(u, dict)]):
        rows.append({"when": _when(u.get("at")), "inputs": ", ".join(map(str, u.get("inputs") or [])),
                     "new files": len(u.get("files_new") or []), "changed files": len(u.get("files_changed") or []),
                     "unchanged files": len(u.get("unchanged") or []), "documents added": int(u.get("added") or 0),
                     "documents replaced": int(u.get("removed") or 0), "refit": bool(u.get("refit")),
                     "documents after": u.get("documents")})
    return rows
